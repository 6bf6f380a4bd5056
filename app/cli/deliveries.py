"""`studio delivery`: a production's deliveries, and their files in hand."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import guard, open_api

delivery_app = typer.Typer(no_args_is_help=True, help="What a production delivered, and its files.")


@delivery_app.command("list")
@guard
def delivery_list(production_id: str) -> None:
    """The production's deliveries, with their files."""
    api = open_api()
    found = api.deliveries(production_id)
    if not found:
        typer.echo(f"{production_id} has not been delivered yet")
    for d in found:
        state = f"REVOKED {d.revoked_at:%Y-%m-%d}: {d.revocation_reason}" if d.revoked_at else "in force"
        typer.echo(f"{d.id}  {d.created_at:%Y-%m-%d %H:%M}  script v{d.script_version}  {d.duration_s:.1f} s  {state}\n"
                   f"    files: {', '.join(api.delivery_files(d))}")


@delivery_app.command("get")
@guard
def delivery_get(production_id: str, to: Path = typer.Option(Path("."), "--to", help="The folder to copy them into."),
                 delivery: str = typer.Option(None, "--delivery", help="One delivery (default: the latest in force).")) -> None:
    """Copy the delivery's MP4, MP3, WAV and subtitles, with its verify report, into a folder."""
    for path in open_api().fetch_delivery(production_id, to, delivery):
        typer.echo(str(path))
