"""`studio review` and `studio invite`: gates waiting for a decision, and reviewers' links."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.api import script_diff
from app.cli.common import guard, open_api
from review.records import ReviewDecision, ReviewRequest
from script.markup import parse_markup
from video.records import VideoTake

review_app = typer.Typer(no_args_is_help=True, help="Review gates waiting for a decision.")
invite_app = typer.Typer(no_args_is_help=True, help="Invitation links for reviewers and family (one production, one role).")


@review_app.command("list")
@guard
def review_list() -> None:
    """Gates waiting for a decision now."""
    for r in open_api().pending_reviews():
        roles = "; ".join(f"{role}: {', '.join(names)}" + (" (approved)" if role not in r.missing_roles else "")
                          for role, names in r.roles.items())
        typer.echo(f"{r.id}\t{r.gate} round {r.round}\tscript v{r.script_version}\t{roles}")


@review_app.command("show")
@guard
def review_show(request_id: str) -> None:
    api = open_api()
    r = api.catalog.load(ReviewRequest, request_id)
    new = api.script(r.production_id, r.script_version)
    old = api.script(r.production_id, r.previous_script_version) if r.previous_script_version else None
    typer.echo(new.markup)
    for f in new.flags:
        typer.echo(f"flag: {f.kind}" + (f" (sentence {f.sentence})" if f.sentence else "") + f": {f.why}: {f.text}")
    for ch in new.changes:
        typer.echo(f"change: {ch.comment!r} asked by {ch.asked_by or '?'}: "
                   + (f"sentences {', '.join(map(str, ch.sentences)) or 'none left'} ({ch.how})" if ch.applied else "not applied"))
    if old:
        typer.echo(script_diff(old, new))
    if r.video_take_id:
        video = api.catalog.load(VideoTake, r.video_take_id)
        if video.quality is not None:
            typer.echo(f"quality report of {video.id}" + (" (made again with safer choices)" if video.quality.remade else "") + ":")
            for m in video.quality.measures:
                value = "-" if m.value is None else f"{m.value:g} {m.unit}".strip()
                limit = "" if m.limit is None else f" (limit {'>=' if m.at_least else '<='} {m.limit:g})"
                typer.echo(f"  {'ok ' if m.ok else 'LOW' if m.at_least else 'HIGH'} {m.name}: {value}{limit}")
            for flag in video.quality.flags:
                typer.echo(f"flag: {flag}")


def decide(request_id: str, decision: str, reviewer: str, role: str, reason: str, comments: list[str],
            redo: Optional[str], edited_script: Optional[str] = None) -> None:
    """A decision typed by an operator: recorded as theirs, on the named reviewer's behalf, with the reason."""

    api = open_api()
    d = ReviewDecision(decision=decision, reviewer=reviewer, role=role, comments=comments, redo=redo,
                       edited_script=edited_script)
    request = api.submit_decision(request_id, d, recorded_by=api.settings.operator, reason=reason)
    waiting = request.missing_roles if decision == "approve" else []
    typer.echo(f"{decision} recorded by {api.settings.operator} for {reviewer} ({role}) at {request_id}"
               + (f"; still waiting for: {', '.join(waiting)}" if waiting else ""))


ON_BEHALF = typer.Option(..., "--on-behalf-of", help="The named reviewer who decided (you record it for them).")


REASON = typer.Option(..., help="Why you record it for them (e.g. 'approved by phone on 12 May'); kept in the audit log.")


@review_app.command("approve")
@guard
def review_approve(request_id: str, reviewer: str = ON_BEHALF, role: str = typer.Option(...), reason: str = REASON,
                   comment: list[str] = typer.Option([])) -> None:
    """Record a reviewer's approval of the version waiting at a gate, on their behalf."""
    decide(request_id, "approve", reviewer, role, reason, comment, None)


@review_app.command("request-changes")
@guard
def review_request_changes(request_id: str, reviewer: str = ON_BEHALF, role: str = typer.Option(...),
                           reason: str = REASON,
                           comment: list[str] = typer.Option(..., help="What to change (repeatable)."),
                           redo: str = typer.Option("script", help="script | voice | video")) -> None:
    """Record a reviewer's request for changes, on their behalf: the production goes back with the comments."""
    decide(request_id, "request_changes", reviewer, role, reason, comment, redo)


@review_app.command("edit")
@guard
def review_edit(request_id: str, script_file: Path = typer.Argument(..., help="The script in studio markup."),
                reviewer: str = ON_BEHALF, role: str = typer.Option(...), reason: str = REASON,
                comment: list[str] = typer.Option([], help="Why (repeatable).")) -> None:
    """Record a reviewer's own edit of the script, on their behalf: it becomes the next version,
    and every approval of this version is void (all roles review the edit again)."""

    text = script_file.read_text(encoding="utf-8")
    parse_markup(text)  # a markup error names the line before anything is sent
    decide(request_id, "request_changes", reviewer, role, reason, comment, "script", edited_script=text)


@review_app.command("comment")
@guard
def review_comment(request_id: str, text: str, author: str = typer.Option(...),
                   role: str = typer.Option(..., help="stakeholder | family | operator"),
                   sentence: Optional[int] = typer.Option(None, help="Anchor to sentence N (1-based)."),
                   start: Optional[float] = typer.Option(None, help="Anchor to a time range of the take: start (s)."),
                   end: Optional[float] = typer.Option(None, help="... and end (s)."),
                   reply_to: Optional[str] = typer.Option(None, help="Answer this comment id.")) -> None:
    """Comment on the version a review shows; a request for changes carries its comments."""
    c = open_api().add_comment(request_id, author, role, text, sentence, start, end, reply_to)
    typer.echo(f"{c.id}\t{c.anchor or ('reply' if c.reply_to else 'general')}")


@review_app.command("history")
@guard
def review_history(production_id: str) -> None:
    """Who did what to a production, and when (from the audit log)."""
    for e in open_api().history(production_id):
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{e.subject}")


@invite_app.command("create")
@guard
def invite_create(production_id: str, reviewer: str = typer.Option(..., help="A named reviewer of the production."),
                  role: str = typer.Option(..., help="stakeholder | family | recipient (sees the delivery only)"),
                  days: Optional[int] = typer.Option(None, help="Days the link works (default from settings)."),
                  language: str = typer.Option("en", help="Portal language for them: en | zh")) -> None:
    """Make an invitation link; send it to the person (it is shown only this once)."""

    api = open_api()
    invitation, link = api.invite(production_id, reviewer, role, days, language)
    typer.echo(f"{invitation.id}\texpires {invitation.expires_at:%Y-%m-%d %H:%M} UTC\n{link}")


@invite_app.command("reissue")
@guard
def invite_reissue(invitation_id: str, days: Optional[int] = typer.Option(None, help="Days the new link works.")) -> None:
    """A fresh link for the same person and role (after they changed browser); the old link stops working."""

    api = open_api()
    invitation, link = api.reissue_invitation(invitation_id, days)
    typer.echo(f"{invitation.id}\texpires {invitation.expires_at:%Y-%m-%d %H:%M} UTC\n{link}")


@invite_app.command("revoke")
@guard
def invite_revoke(invitation_id: str) -> None:
    """Withdraw an invitation: its link stops working, open sessions end."""

    api = open_api()
    api.revoke_invitation(invitation_id)
    typer.echo(f"{invitation_id} revoked")
