"""`studio template`: approved productions saved for re-use, and their schedules."""

from __future__ import annotations

import typer

from app.cli.common import guard, open_api
from production.records import Template

template_app = typer.Typer(no_args_is_help=True, help="Approved productions saved for re-use, and their schedules.")


def pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{item!r} is not NAME=VALUE")
        out[key.strip()] = value
    return out


@template_app.command("save")
@guard
def template_save(production_id: str, name: str = typer.Option(...),
                  placeholder: list[str] = typer.Option([], help="NAME=TEXT: TEXT in the approved script becomes {NAME}."),
                  approved_by: list[str] = typer.Option(..., help="Family reviewer who approved re-use (repeatable)."),
                  delivery: str = typer.Option("light_review", help="light_review | direct")) -> None:
    """Save a delivered production as a template."""
    t = open_api().save_template(production_id, name, pairs(placeholder), approved_by, delivery)
    typer.echo(f"{t.id}\t{t.name}\tplaceholders: {', '.join(t.placeholders) or 'none'}")


@template_app.command("list")
@guard
def template_list() -> None:
    """Templates and their schedules."""

    for t in open_api().catalog.find(Template):
        when = f"{t.schedule_cron} ({t.schedule_timezone}) {'active' if t.schedule_active else 'paused'}" if t.schedule_cron else "no schedule"
        typer.echo(f"{t.id}\t{t.name}\t{t.delivery}\t{when}")


@template_app.command("run")
@guard
def template_run(template_id: str, value: list[str] = typer.Option([], help="NAME=VALUE for a placeholder.")) -> None:
    """Re-run a template now."""
    typer.echo(f"flow run {open_api().run_template(template_id, pairs(value))}")


@template_app.command("schedule")
@guard
def template_schedule(template_id: str, cron: str = typer.Option(..., help="e.g. '0 8 17 2 *'"),
                      value: list[str] = typer.Option([], help="NAME=VALUE for a placeholder."),
                      timezone: str = typer.Option("Asia/Shanghai")) -> None:
    """Schedule re-runs (consent is checked again at every run)."""
    t = open_api().schedule_template(template_id, cron, pairs(value), True, timezone)
    typer.echo(f"{t.id} runs at '{t.schedule_cron}' ({t.schedule_timezone})")


@template_app.command("pause")
@guard
def template_pause(template_id: str) -> None:
    """Pause a template's schedule."""
    open_api().schedule_template(template_id, active=False)
    typer.echo(f"{template_id} paused")


@template_app.command("resume")
@guard
def template_resume(template_id: str) -> None:
    """Resume a template's schedule (consent must still be valid)."""
    open_api().schedule_template(template_id, active=True)
    typer.echo(f"{template_id} resumed")
