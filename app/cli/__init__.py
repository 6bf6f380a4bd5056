"""The ``studio`` command line: operators' verbs over the same API the portal uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from app import services
from app.cli.common import guard, open_api
from app.cli.deliveries import delivery_app
from app.cli.materials import materials_app
from app.cli.people import consent_app, operator_app, persona_app
from app.cli.reviews import invite_app, review_app
from app.cli.serving import llm_app, voice_app
from app.cli.templates import template_app
from app.cluster import cluster_env, stop_cluster, up_on_this_machine
from app.demo import ensure_sample_production, run_demo
from core.settings import get_settings
from script.sentences import Brief

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Digital-Human Studio: consented, reviewed, labelled digital-human videos.")
app.add_typer(persona_app, name="persona")
app.add_typer(consent_app, name="consent")
app.add_typer(materials_app, name="materials")
app.add_typer(review_app, name="review")
app.add_typer(invite_app, name="invite")
app.add_typer(operator_app, name="operator")
app.add_typer(template_app, name="template")
app.add_typer(voice_app, name="voice")
app.add_typer(llm_app, name="llm")
app.add_typer(delivery_app, name="delivery")


@app.command()
@guard
def up(sample: bool = typer.Option(True, help="Create a sample production waiting for review."),
       cluster: bool = typer.Option(False, "--cluster", help="Run the studio as a cluster on this machine: PostgreSQL, "
                                    "SeaweedFS (S3), Prefect on PostgreSQL, a Dask scheduler and --workers worker hosts."),
       workers: int = typer.Option(2, "--workers", min=1, max=16, help="Worker hosts of a --cluster.")) -> None:
    """Start the studio for people: Prefect UI (:4200), runner, review portal (:8501)."""

    settings = get_settings()
    if cluster:
        import os

        typer.echo(f"starting PostgreSQL, SeaweedFS, Prefect on PostgreSQL, Dask and {workers} worker hosts ...")
        settings = up_on_this_machine(settings, workers)
        os.environ.update(cluster_env(settings))
        get_settings.cache_clear()
        typer.echo(f"S3 store: {settings.storage.s3_endpoint}   Dask: {settings.prefect.dask_address}\n"
                   f"for the CLI: set -a; . {settings.home}/cluster.env; set +a")
    else:
        typer.echo("starting the Prefect server ...")
        services.start_prefect_server(settings)
        services.prepare_prefect(settings)
        typer.echo("starting the runner ...")
        services.start_runner(settings)
    typer.echo("starting the review portal ...")
    services.start_portal(settings)
    api = open_api()
    if not api.operator_exists(settings.operator):
        import secrets

        password = secrets.token_urlsafe(12)
        api.set_operator_password(settings.operator, password)
        typer.echo(f"operator account: {settings.operator} / {password}   (shown once; change it with "
                   f"`studio operator set-password {settings.operator}`)")
    if sample:
        production, story = ensure_sample_production(settings)
        typer.echo(f"sample production {production} is on its way to the script review")
        for who, role in ((story.script_reviewer, "stakeholder"), (story.family_reviewer, "family")):
            _, link = api.invite(production, who, role)
            typer.echo(f"invitation for {who} ({role}): {link}")
    typer.echo(f"Prefect UI: {settings.prefect.ui_url}\nPortal:     http://{settings.portal.host}:{settings.portal.port}\n"
               "Stop everything with: make down   (or: studio down)")


@app.command()
def down() -> None:
    """Stop what `studio up` started."""

    stopped = services.stop(get_settings()) + stop_cluster(get_settings())
    typer.echo(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
@guard
def demo(json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the report as JSON here."),
         language: str = typer.Option("zh", "--language", envvar="DEMO_LANGUAGE",
                                      help="zh: a 春节 greeting from 白伯伯 (default); en: Uncle Bo's.")) -> None:
    """Run one whole production on the embedded defaults, with scripted reviewers."""
    if language not in ("zh", "en"):
        raise ValueError(f"the demo speaks zh or en, not {language!r} (--language / DEMO_LANGUAGE)")
    report = run_demo(get_settings(), log=lambda m: typer.echo(f"[demo] {m}"), language=language)
    if json_out:
        json_out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    typer.echo("\n=== audit trail ===")
    for line in report["audit"]:
        typer.echo(line)
    typer.echo(f"audit chain intact: {report['audit_chain_ok']}")
    for title, v in (("verify the delivered MP4", report["verify"]),
                     ("verify a re-encoded copy (half size, CRF 28, AAC 64k, metadata stripped)", report["verify_copy"])):
        typer.echo(f"\n=== {title} ===\nverdict: {v['verdict']}  persona: {v['persona']}  consent: {v['consent_id']}  "
                   f"script v{v['script_version']}  approvers: {', '.join(v['approvers'])}")
        typer.echo(f"C2PA: {v['c2pa']}  AIGC metadata: {'yes' if v['aigc'] else 'no'}  "
                   f"watermark picture/sound: {v['watermark_video']}/{v['watermark_audio']}")
    public = report["public_verifier"]
    seen = public["verdict"]
    typer.echo(f"\n=== the same copy, asked of the public verifier as a stranger would ({public['url']}) ===")
    typer.echo(f"POST /matches/byContent -> {', '.join(public['matches']) or 'no match'}")
    typer.echo(f"POST /verdict -> {seen['verdict']}: {seen['summary']}")
    for c in seen.get("credentials", []):
        made = c.get("made_with") or {}
        typer.echo(f"  credentials of the {c['file']} ({c['manifest_id']}): {c['signature']}")
        typer.echo(f"    title: {c.get('title')}  signed by: {c.get('signer')}"
                   + (f" at {c['signed_at']}" if c.get("signed_at") else ""))
        typer.echo("    marks: " + ", ".join(f"{b['alg']} = {b['value']} ({b['start_ms']}-{b['end_ms']} ms)"
                                            for b in c["soft_bindings"]))
        typer.echo("    made with: " + ", ".join(f"{k}: {m}" for k, m in (made.get("models") or {}).items())
                   + "; approved: " + ", ".join(f"{o['role']} ({o['approved']})" for o in made.get("human_oversight", [])))
    typer.echo(f"\napprove-to-resume latency (s): {report['approve_to_resume_s']}")
    typer.echo(f"demo wall time: {report['wall_s']} s")
    typer.echo(f"\nDelivered MP4: {report['delivered']}")
    typer.echo(f"Subtitles:     {'  '.join(report['subtitles'])}")


@app.command()
@guard
def produce(persona_id: str, occasion: str = typer.Option(...), audience: str = typer.Option(...),
            point: list[str] = typer.Option([], help="A point to make (repeatable)."),
            use: str = typer.Option("greeting"), language: str = typer.Option("en"),
            seconds: float = typer.Option(30.0, help="Target length."),
            script_reviewer: list[str] = typer.Option(..., help="Named script reviewer (repeatable)."),
            family_reviewer: list[str] = typer.Option(..., help="Named family reviewer (repeatable).")) -> None:
    """Start a production; it waits at each review gate."""

    api = open_api()
    p = api.create_production(persona_id, use, Brief(occasion=occasion, audience=audience, points=point,
                                                      language=language, target_seconds=seconds),
                              script_reviewer, family_reviewer)
    run = api.start_production(p.id)
    typer.echo(f"{p.id}\tflow run {run}")


@app.command()
@guard
def verify(file: Path = typer.Argument(..., help="The file to trace, or `serve` to run the public verifier."),
           host: Optional[str] = typer.Option(None, help="serve: the address (default STUDIO_VERIFIER__HOST)."),
           port: Optional[int] = typer.Option(None, help="serve: the port (default STUDIO_VERIFIER__PORT).")) -> None:
    """Trace a file (even a re-encoded copy) to its delivery, consent and approvals. Exit code 0:
    authorised; 2: any other verdict; 1: the file could not be read. `studio verify serve` runs
    the public verifier: a page and the C2PA Soft Binding Resolution API for anyone."""

    if str(file) == "serve":
        settings = get_settings()
        host, port = host or settings.verifier.host, port or settings.verifier.port
        typer.echo(f"public verifier: http://{host}:{port}/ (Soft Binding Resolution API: /matches/byBinding, "
                   "/matches/byContent, /manifests/{id})")
        services.serve_verifier(settings, host, port)
        return
    if not file.is_file():
        raise FileNotFoundError(f"{file} is not a file; give the path of a video or sound file (./serve for a file named serve)")
    api = open_api()
    report = api.verify(file)
    typer.echo(report.model_dump_json(indent=2))
    if report.verdict not in ("authorised",):
        raise typer.Exit(code=2)


@app.command()
@guard
def status() -> None:
    """Productions and where each one stands."""
    for row in open_api().status():
        typer.echo("\t".join(str(v) for v in row.values()))


@app.command()
@guard
def audit(subject: str = typer.Option("", help="Only events whose subject starts with this.")) -> None:
    """The audit log, and whether its hash chain is intact."""
    api = open_api()
    for e in api.catalog.audit_events(subject):
        typer.echo(f"{e.seq:4d} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<20} {e.action:<24} {e.subject} {json.dumps(e.details, ensure_ascii=False)}")
    problems = api.catalog.verify_audit()
    typer.echo("audit chain intact" if not problems else "AUDIT CHAIN BROKEN: " + "; ".join(problems))
    if problems:
        raise typer.Exit(code=3)


def main() -> None:  # pragma: no cover
    app(prog_name="studio")
