"""The ``studio`` command line: operators' verbs over the same API the portal uses."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Optional

import typer

from studio.errors import one_line
from studio.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Digital-Human Studio: consented, reviewed, labelled digital-human videos.")
persona_app = typer.Typer(no_args_is_help=True, help="Personas: the people whose digital human is made.")
consent_app = typer.Typer(no_args_is_help=True, help="Consent records: who allowed what, until when.")
materials_app = typer.Typer(no_args_is_help=True, help="Uploads: voice recordings, footage, photos, past talks.")
review_app = typer.Typer(no_args_is_help=True, help="Review gates waiting for a decision.")
invite_app = typer.Typer(no_args_is_help=True, help="Invitation links for reviewers and family (one production, one role).")
template_app = typer.Typer(no_args_is_help=True, help="Approved productions saved for re-use, and their schedules.")
voice_app = typer.Typer(no_args_is_help=True, help="The studio's offline voice as a service.")
llm_app = typer.Typer(no_args_is_help=True, help="The studio's offline language model as a service.")
operator_app = typer.Typer(no_args_is_help=True, help="Operators who sign in to the portal.")
app.add_typer(persona_app, name="persona")
app.add_typer(consent_app, name="consent")
app.add_typer(materials_app, name="materials")
app.add_typer(review_app, name="review")
app.add_typer(invite_app, name="invite")
app.add_typer(operator_app, name="operator")
app.add_typer(template_app, name="template")
app.add_typer(voice_app, name="voice")
app.add_typer(llm_app, name="llm")



def _api():
    from studio.api import StudioAPI

    return StudioAPI(get_settings())


def _fail(exc: Exception) -> None:
    typer.secho(f"error: {one_line(exc)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _guard(fn):
    """Turn expected errors into one clear line and exit code 1 instead of a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from storage.base import StoreError
        from studio.api import ReviewError
        from studio.consent import ConsentError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (ValueError, OverflowError, FileNotFoundError, IsADirectoryError, PermissionError, StoreError, ReviewError,
                ConsentError, TimeoutError, RuntimeError) as exc:
            _fail(exc)

    return wrapper


@app.command()
@_guard
def up(sample: bool = typer.Option(True, help="Create a sample production waiting for review.")) -> None:
    """Start the studio for people: Prefect UI (:4200), runner, review portal (:8501)."""
    from studio import services
    from studio.demo import ensure_sample_production

    settings = get_settings()
    typer.echo("starting the Prefect server ...")
    services.start_prefect_server(settings)
    services.prepare_prefect(settings)
    typer.echo("starting the runner ...")
    services.start_runner(settings)
    typer.echo("starting the review portal ...")
    services.start_portal(settings)
    from studio.access import invite, operator_exists, set_operator_password

    if not operator_exists(settings, settings.operator):
        import secrets

        password = secrets.token_urlsafe(12)
        set_operator_password(settings, settings.operator, password)
        typer.echo(f"operator account: {settings.operator} / {password}   (shown once; change it with "
                   f"`studio operator set-password {settings.operator}`)")
    if sample:
        production = ensure_sample_production(settings)
        typer.echo(f"sample production {production} is on its way to the script review")
        api = _api()
        from studio.demo import FAMILY_REVIEWER, SCRIPT_REVIEWER

        for who, role in ((SCRIPT_REVIEWER, "stakeholder"), (FAMILY_REVIEWER, "family")):
            _, link = invite(api.catalog, settings, production, who, role, settings.operator)
            typer.echo(f"invitation for {who} ({role}): {link}")
    typer.echo(f"Prefect UI: {settings.prefect.ui_url}\nPortal:     http://{settings.portal.host}:{settings.portal.port}\n"
               "Stop everything with: make down   (or: studio down)")


@app.command()
def down() -> None:
    """Stop what `studio up` started."""
    from studio import services

    stopped = services.stop(get_settings())
    typer.echo(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
@_guard
def demo(json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the report as JSON here.")) -> None:
    """Run one whole production on the embedded defaults, with scripted reviewers."""
    from studio.demo import run_demo

    report = run_demo(get_settings(), log=lambda m: typer.echo(f"[demo] {m}"))
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
    typer.echo(f"\napprove-to-resume latency (s): {report['approve_to_resume_s']}")
    typer.echo(f"demo wall time: {report['wall_s']} s")
    typer.echo(f"\nDelivered MP4: {report['delivered']}")


@persona_app.command("create")
@_guard
def persona_create(name: str, language: list[str] = typer.Option(["en"], "--language"), deceased: bool = False,
                   fictional: bool = False, persona_id: Optional[str] = typer.Option(None, "--id")) -> None:
    """Create a persona."""
    p = _api().create_persona(name, language, deceased=deceased, fictional=fictional, persona_id=persona_id)
    typer.echo(p.id)


@persona_app.command("list")
def persona_list() -> None:
    from studio.models import Persona

    for p in _api().catalog.find(Persona):
        typer.echo("\t".join([p.id, p.display_name, ",".join(p.languages)] + (["deceased"] if p.deceased else [])))


def _show_profile(profile) -> None:
    unit = "characters" if profile.language == "zh" else "words"
    typer.echo(f"style of {profile.persona_id} ({profile.language}, from {profile.passages} passages"
               + (f"; {', '.join(profile.edited_fields)} edited by {profile.edited_by}" if profile.edited_fields else "") + ")")
    typer.echo(f"  sentence length   {profile.sentence_length:g} {unit}")
    typer.echo(f"  catchphrases      {' | '.join(profile.catchphrases) or '-'}")
    typer.echo(f"  fillers           {' | '.join(profile.fillers) or '-'}")
    typer.echo(f"  forms of address  {' | '.join(profile.forms_of_address) or '-'}")
    for h in profile.humour:
        typer.echo(f"  humour            {h.name}: {h.example}")
    if profile.notes:
        typer.echo(f"  notes             {profile.notes}")


@persona_app.command("corpus")
@_guard
def persona_corpus(persona_id: str, transcribe: bool = typer.Option(True, help="Also transcribe voice and footage uploads.")) -> None:
    """Build the persona's corpus from their uploads and derive their style profile."""
    corpus, profile = _api().build_corpus(persona_id, transcribe)
    counts: dict[str, int] = {}
    for p in corpus.passages:
        counts[f"{p.upload_id} ({p.origin})"] = counts.get(f"{p.upload_id} ({p.origin})", 0) + 1
    typer.echo(f"{len(corpus.passages)} passages from {len(corpus.sources)} uploads")
    for source, n in counts.items():
        typer.echo(f"  {source}: {n}")
    _show_profile(profile)


@persona_app.command("style")
@_guard
def persona_style(persona_id: str,
                  catchphrase: list[str] = typer.Option(None, help="Replaces the catchphrases (repeat the option)."),
                  filler: list[str] = typer.Option(None, help="Replaces the filler words."),
                  address: list[str] = typer.Option(None, help="Replaces the forms of address."),
                  humour: list[str] = typer.Option(None, help="Replaces the humour devices: 'name: example'."),
                  sentence_length: Optional[float] = typer.Option(None, help="Typical words (zh: characters) per sentence."),
                  notes: Optional[str] = typer.Option(None, help="Anything else the drafter should know.")) -> None:
    """Show the persona's style profile, or edit it (edited fields are kept when it is derived again)."""
    from studio.models import HumourDevice

    changes = {k: v for k, v in {"catchphrases": catchphrase, "fillers": filler, "forms_of_address": address,
                                 "sentence_length": sentence_length, "notes": notes}.items() if v}
    if humour:
        changes["humour"] = [HumourDevice(name=h.split(":", 1)[0].strip(), example=h.split(":", 1)[1].strip() if ":" in h else "")
                             for h in humour]
    api = _api()
    _show_profile(api.edit_style(persona_id, **changes) if changes else api.style_profile(persona_id))


@persona_app.command("search")
@_guard
def persona_search(persona_id: str, query: str, k: int = typer.Option(5, help="How many passages.")) -> None:
    """The persona's passages most relevant to some words (BM25, and embeddings for English)."""
    hits = _api().search_corpus(persona_id, query, k)
    if not hits:
        typer.echo("no passage shares a word or a meaning with that")
    for h in hits:
        typer.echo(f"{h.score:.4f}  bm25 {h.bm25:.2f}" + (f"  cos {h.cosine:.2f}" if h.cosine is not None else "") + f"  {h.text}")


@consent_app.command("add")
@_guard
def consent_add(persona_id: str, grantor: str = typer.Option(..., help="Who gives consent."),
                relationship: str = typer.Option("self", help="self | next_of_kin | estate | authorised_operator"),
                use: list[str] = typer.Option(["greeting"], help="greeting | memorial | annual_meeting"),
                evidence: list[Path] = typer.Option(..., help="Signed form or recorded statement (repeatable)."),
                days: int = typer.Option(365, help="Days the consent is valid."),
                forbidden: list[str] = typer.Option([], help="Topics the persona must never speak about."),
                audience: list[str] = typer.Option([], help="Audiences allowed (e.g. family); none means any."),
                language: list[str] = typer.Option([], help="Languages allowed (en, zh); default: the persona's."),
                endorsements: bool = typer.Option(False, help="Allow recommending products, brands or services."),
                own_words_only: bool = typer.Option(False, help="Views, memories, sayings and figures only as their "
                                                                 "corpus or the brief supports.")) -> None:
    """Record consent, with evidence, for a persona (the person, or for the deceased their next of kin)."""
    c = _api().add_consent(persona_id, grantor, relationship, use, evidence, valid_days=days, forbidden_topics=forbidden,
                           audiences=audience or None, languages=language or None, endorsements=endorsements,
                           own_words_only=own_words_only)
    typer.echo(c.id)


@consent_app.command("revoke")
@_guard
def consent_revoke(consent_id: str, reason: str = typer.Option(..., help="Why consent is withdrawn.")) -> None:
    """Revoke consent: no further generation or delivery for it."""
    c = _api().revoke_consent(consent_id, reason)
    typer.echo(f"{c.id} revoked at {c.revoked_at:%Y-%m-%d %H:%M}")


@materials_app.command("add")
@_guard
def materials_add(persona_id: str, files: list[Path], role: str = typer.Option(..., help="voice | footage | photo | text")) -> None:
    """Upload recordings, footage, photos or past talks for a persona."""
    api = _api()
    failed = 0
    for f in files:  # each file on its own: one bad file never stops the others
        try:
            u = api.add_material(persona_id, role, f)
        except (ValueError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            typer.secho(f"error: {f.name}: not stored: {one_line(exc)}", fg=typer.colors.RED, err=True)
            failed += 1
            continue
        typer.echo(f"{u.id}\t{u.asset.name}\t{u.asset.size} bytes" + (f"\tleft out: {u.problem}" if u.problem else ""))
    if failed:
        raise typer.Exit(code=1)


@materials_app.command("withdraw")
@_guard
def materials_withdraw(upload_id: str, reason: str = typer.Option(..., help="Why it must not be used (kept in the audit log).")) -> None:
    """Take an upload out of use: it stays stored for the audit, no production selects it again."""
    w = _api().withdraw_material(upload_id, reason)
    typer.echo(f"{w.id} withdrawn by {w.withdrawn_by}")


@materials_app.command("list")
@_guard
def materials_list(persona_id: str) -> None:
    """A persona's uploads: usable, flagged when checked (and why), or withdrawn."""
    for u, withdrawn in _api().uploads_of(persona_id):
        state = (f"withdrawn: {withdrawn.reason}" if withdrawn else f"left out: {u.problem}" if u.problem else "usable")
        typer.echo(f"{u.id}\t{u.role}\t{u.asset.name}\t{u.asset.size} bytes\t{state}")


@materials_app.command("tag")
@_guard
def materials_tag(persona_id: str, upload_id: str, start: float = typer.Option(..., help="Seconds into the footage."),
                  end: float = typer.Option(...),
                  label: str = typer.Option(..., help="drinking | looking_down | laughing | gesture | idle")) -> None:
    """Mark an action segment (a sip of water, a laugh) in a footage upload for the video step."""
    tag = _api().tag_action(persona_id, upload_id, start, end, label)
    typer.echo(f"{tag.id}\t{tag.label}\t{tag.start_s:.2f}-{tag.end_s:.2f} s")


@materials_app.command("analyse")
@_guard
def materials_analyse(persona_id: str, upload_id: str = typer.Argument(None, help="One footage upload (default: all).")) -> None:
    """Footage analysis: shots, segments ranked for base footage (and why), suggested actions."""
    for upload, a in _api().analyse_footage(persona_id, upload_id):
        typer.echo(f"{upload.id}\t{a.width}x{a.height} {a.fps:g} fps {a.duration_s:.1f} s, face in {a.face_ratio * 100:.0f}% "
                   f"of frames, {a.speech_s:.1f} s of speech, shot changes at {a.shot_changes_s or 'none'} "
                   f"(analysed in {a.seconds_taken:.1f} s)")
        for i, seg in enumerate(a.segments, 1):
            typer.echo(f"  {i}. {seg.start_s:.2f}+{seg.duration_s:.2f} s  score {seg.score:.2f}\n     {seg.why}")
        for sug in a.suggestions:
            typer.echo(f"  suggested {sug.label:<12} {sug.start_s:.2f}-{sug.end_s:.2f} s ({sug.confidence:.2f}): {sug.why}\n"
                       f"     to use it: studio materials tag {persona_id} {upload.id} --start {sug.start_s:g} "
                       f"--end {sug.end_s:g} --label {sug.label}")


@materials_app.command("prompts")
@_guard
def materials_prompts(persona_id: str, all_clips: bool = typer.Option(False, "--all", help="Every scored clip, not only the chosen.")) -> None:
    """The voice prompts of the persona's latest selection, with the figures they were chosen on."""
    materials = _api().latest_materials(persona_id)
    if materials is None:
        raise ValueError(f"{persona_id} has no material selection yet; it is made by the first production's materials step")
    rows = materials.prompt_candidates if all_clips else materials.voice_prompts
    for p in rows:
        typer.echo(f"{p.style:<13} {p.source.name or p.source.key}@{p.start_s:.2f}+{p.duration_s:.2f}  score {p.score:.2f}  "
                   f"{p.chosen_by}\n    {p.why}" + (f"\n    heard: {p.transcript}" if p.transcript else ""))
    for s in materials.sound_bank:
        typer.echo(f"sound {s.kind:<7} {s.source.name or s.source.key}@{s.start_s:.2f}+{s.duration_s:.2f}  {s.why}")


@materials_app.command("choose")
@_guard
def materials_choose(persona_id: str,
                     pick: list[str] = typer.Option([], help="UPLOAD_ID@START+SECONDS:STYLE, e.g. upload-x-voice@12.5+4:warm (repeatable)."),
                     automatic: bool = typer.Option(False, "--automatic", help="Drop the override: back to the selection.")) -> None:
    """Choose the persona's voice prompts by hand for its next productions."""
    from studio.models import PromptPick, Upload

    api = _api()
    if automatic:
        api.clear_voice_choice(persona_id)
        typer.echo(f"{persona_id}: voice prompts chosen automatically again")
        return
    if not pick:
        raise ValueError("give at least one --pick UPLOAD_ID@START+SECONDS:STYLE, or --automatic")
    picks = []
    for text in pick:
        m = re.fullmatch(r"(?P<upload>[^@]+)@(?P<start>\d+(?:\.\d+)?)\+(?P<secs>\d+(?:\.\d+)?):(?P<style>[a-z_]+)", text.strip())
        if not m:
            raise ValueError(f"--pick {text!r}: write it as UPLOAD_ID@START+SECONDS:STYLE, e.g. upload-x-voice@12.5+4:warm")
        upload = api.catalog.load(Upload, m["upload"])
        picks.append(PromptPick(source=upload.asset, start_s=float(m["start"]), duration_s=float(m["secs"]), style=m["style"]))
    choice = api.choose_voice_prompts(persona_id, picks)
    typer.echo(f"{persona_id}: {len(choice.picks)} prompt(s) chosen by {choice.chosen_by}; used from the next production")


@app.command()
@_guard
def produce(persona_id: str, occasion: str = typer.Option(...), audience: str = typer.Option(...),
            point: list[str] = typer.Option([], help="A point to make (repeatable)."),
            use: str = typer.Option("greeting"), language: str = typer.Option("en"),
            seconds: float = typer.Option(30.0, help="Target length."),
            script_reviewer: list[str] = typer.Option(..., help="Named script reviewer (repeatable)."),
            family_reviewer: list[str] = typer.Option(..., help="Named family reviewer (repeatable).")) -> None:
    """Start a production; it waits at each review gate."""
    from studio.models import Brief

    api = _api()
    p = api.create_production(persona_id, use, Brief(occasion=occasion, audience=audience, points=point,
                                                      language=language, target_seconds=seconds),
                              script_reviewer, family_reviewer)
    run = api.start_production(p.id)
    typer.echo(f"{p.id}\tflow run {run}")


@review_app.command("list")
@_guard
def review_list() -> None:
    """Gates waiting for a decision now."""
    for r in _api().pending_reviews():
        roles = "; ".join(f"{role}: {', '.join(names)}" + (" (approved)" if role not in r.missing_roles else "")
                          for role, names in r.roles.items())
        typer.echo(f"{r.id}\t{r.gate} round {r.round}\tscript v{r.script_version}\t{roles}")


@review_app.command("show")
@_guard
def review_show(request_id: str) -> None:
    from studio.api import script_diff
    from studio.models import ReviewRequest

    api = _api()
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


def _decide(request_id: str, decision: str, reviewer: str, role: str, reason: str, comments: list[str],
            redo: Optional[str], edited_script: Optional[str] = None) -> None:
    """A decision typed by an operator: recorded as theirs, on the named reviewer's behalf, with the reason."""
    from studio.models import ReviewDecision

    api = _api()
    d = ReviewDecision(decision=decision, reviewer=reviewer, role=role, comments=comments, redo=redo,
                       edited_script=edited_script)
    request = api.submit_decision(request_id, d, recorded_by=api.settings.operator, reason=reason)
    waiting = request.missing_roles if decision == "approve" else []
    typer.echo(f"{decision} recorded by {api.settings.operator} for {reviewer} ({role}) at {request_id}"
               + (f"; still waiting for: {', '.join(waiting)}" if waiting else ""))


_ON_BEHALF = typer.Option(..., "--on-behalf-of", help="The named reviewer who decided (you record it for them).")
_REASON = typer.Option(..., help="Why you record it for them (e.g. 'approved by phone on 12 May'); kept in the audit log.")


@review_app.command("approve")
@_guard
def review_approve(request_id: str, reviewer: str = _ON_BEHALF, role: str = typer.Option(...), reason: str = _REASON,
                   comment: list[str] = typer.Option([])) -> None:
    """Record a reviewer's approval of the version waiting at a gate, on their behalf."""
    _decide(request_id, "approve", reviewer, role, reason, comment, None)


@review_app.command("request-changes")
@_guard
def review_request_changes(request_id: str, reviewer: str = _ON_BEHALF, role: str = typer.Option(...),
                           reason: str = _REASON,
                           comment: list[str] = typer.Option(..., help="What to change (repeatable)."),
                           redo: str = typer.Option("script", help="script | voice | video")) -> None:
    """Record a reviewer's request for changes, on their behalf: the production goes back with the comments."""
    _decide(request_id, "request_changes", reviewer, role, reason, comment, redo)


@review_app.command("edit")
@_guard
def review_edit(request_id: str, script_file: Path = typer.Argument(..., help="The script in studio markup."),
                reviewer: str = _ON_BEHALF, role: str = typer.Option(...), reason: str = _REASON,
                comment: list[str] = typer.Option([], help="Why (repeatable).")) -> None:
    """Record a reviewer's own edit of the script, on their behalf: it becomes the next version,
    and every approval of this version is void (all roles review the edit again)."""
    from studio.script_markup import parse_markup

    text = script_file.read_text(encoding="utf-8")
    parse_markup(text)  # a markup error names the line before anything is sent
    _decide(request_id, "request_changes", reviewer, role, reason, comment, "script", edited_script=text)


@review_app.command("comment")
@_guard
def review_comment(request_id: str, text: str, author: str = typer.Option(...),
                   role: str = typer.Option(..., help="stakeholder | family | operator"),
                   sentence: Optional[int] = typer.Option(None, help="Anchor to sentence N (1-based)."),
                   start: Optional[float] = typer.Option(None, help="Anchor to a time range of the take: start (s)."),
                   end: Optional[float] = typer.Option(None, help="... and end (s)."),
                   reply_to: Optional[str] = typer.Option(None, help="Answer this comment id.")) -> None:
    """Comment on the version a review shows; a request for changes carries its comments."""
    c = _api().add_comment(request_id, author, role, text, sentence, start, end, reply_to)
    typer.echo(f"{c.id}\t{c.anchor or ('reply' if c.reply_to else 'general')}")


@review_app.command("history")
@_guard
def review_history(production_id: str) -> None:
    """Who did what to a production, and when (from the audit log)."""
    for e in _api().history(production_id):
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{e.subject}")


@invite_app.command("create")
@_guard
def invite_create(production_id: str, reviewer: str = typer.Option(..., help="A named reviewer of the production."),
                  role: str = typer.Option(..., help="stakeholder | family"),
                  days: Optional[int] = typer.Option(None, help="Days the link works (default from settings)."),
                  language: str = typer.Option("en", help="Portal language for them: en | zh")) -> None:
    """Make an invitation link; send it to the person (it is shown only this once)."""
    from studio.access import invite

    api = _api()
    invitation, link = invite(api.catalog, api.settings, production_id, reviewer, role, api.settings.operator, days, language)
    typer.echo(f"{invitation.id}\texpires {invitation.expires_at:%Y-%m-%d %H:%M} UTC\n{link}")


@invite_app.command("reissue")
@_guard
def invite_reissue(invitation_id: str, days: Optional[int] = typer.Option(None, help="Days the new link works.")) -> None:
    """A fresh link for the same person and role (after they changed browser); the old link stops working."""
    from studio.access import reissue_invitation

    api = _api()
    invitation, link = reissue_invitation(api.catalog, api.settings, invitation_id, api.settings.operator, days)
    typer.echo(f"{invitation.id}\texpires {invitation.expires_at:%Y-%m-%d %H:%M} UTC\n{link}")


@invite_app.command("revoke")
@_guard
def invite_revoke(invitation_id: str) -> None:
    """Withdraw an invitation: its link stops working, open sessions end."""
    from studio.access import revoke_invitation

    api = _api()
    revoke_invitation(api.catalog, invitation_id, api.settings.operator)
    typer.echo(f"{invitation_id} revoked")


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{item!r} is not NAME=VALUE")
        out[key.strip()] = value
    return out


@template_app.command("save")
@_guard
def template_save(production_id: str, name: str = typer.Option(...),
                  placeholder: list[str] = typer.Option([], help="NAME=TEXT: TEXT in the approved script becomes {NAME}."),
                  approved_by: list[str] = typer.Option(..., help="Family reviewer who approved re-use (repeatable)."),
                  delivery: str = typer.Option("light_review", help="light_review | direct")) -> None:
    """Save a delivered production as a template."""
    t = _api().save_template(production_id, name, _pairs(placeholder), approved_by, delivery)
    typer.echo(f"{t.id}\t{t.name}\tplaceholders: {', '.join(t.placeholders) or 'none'}")


@template_app.command("list")
@_guard
def template_list() -> None:
    """Templates and their schedules."""
    from studio.models import Template

    for t in _api().catalog.find(Template):
        when = f"{t.schedule_cron} ({t.schedule_timezone}) {'active' if t.schedule_active else 'paused'}" if t.schedule_cron else "no schedule"
        typer.echo(f"{t.id}\t{t.name}\t{t.delivery}\t{when}")


@template_app.command("run")
@_guard
def template_run(template_id: str, value: list[str] = typer.Option([], help="NAME=VALUE for a placeholder.")) -> None:
    """Re-run a template now."""
    typer.echo(f"flow run {_api().run_template(template_id, _pairs(value))}")


@template_app.command("schedule")
@_guard
def template_schedule(template_id: str, cron: str = typer.Option(..., help="e.g. '0 8 17 2 *'"),
                      value: list[str] = typer.Option([], help="NAME=VALUE for a placeholder."),
                      timezone: str = typer.Option("Asia/Shanghai")) -> None:
    """Schedule re-runs (consent is checked again at every run)."""
    t = _api().schedule_template(template_id, cron, _pairs(value), True, timezone)
    typer.echo(f"{t.id} runs at '{t.schedule_cron}' ({t.schedule_timezone})")


@template_app.command("pause")
@_guard
def template_pause(template_id: str) -> None:
    """Pause a template's schedule."""
    _api().schedule_template(template_id, active=False)
    typer.echo(f"{template_id} paused")


@template_app.command("resume")
@_guard
def template_resume(template_id: str) -> None:
    """Resume a template's schedule (consent must still be valid)."""
    _api().schedule_template(template_id, active=True)
    typer.echo(f"{template_id} resumed")


@operator_app.command("set-password")
@_guard
def operator_set_password(name: str, password: str = typer.Option(..., prompt=True, hide_input=True,
                                                                  confirmation_prompt=True)) -> None:
    """Create an operator or change their password (stored as a scrypt hash)."""
    from studio.access import set_operator_password

    set_operator_password(get_settings(), name, password)
    typer.echo(f"operator {name} can sign in to the portal")


@app.command()
@_guard
def verify(file: Path) -> None:
    """Trace a file (even a re-encoded copy) to its delivery, consent and approvals. Exit code 0:
    authorised; 2: any other verdict; 1: the file could not be read."""
    from tasks.verify import verify_file

    if not file.is_file():
        raise FileNotFoundError(f"{file} is not a file; give the path of a video or sound file")
    api = _api()
    report = verify_file(api.catalog, api.settings, file)
    typer.echo(report.model_dump_json(indent=2))
    if report.verdict not in ("authorised",):
        raise typer.Exit(code=2)


@app.command()
@_guard
def status() -> None:
    """Productions and where each one stands."""
    for row in _api().status():
        typer.echo("\t".join(str(v) for v in row.values()))


@app.command()
@_guard
def audit(subject: str = typer.Option("", help="Only events whose subject starts with this.")) -> None:
    """The audit log, and whether its hash chain is intact."""
    api = _api()
    for e in api.catalog.audit_events(subject):
        typer.echo(f"{e.seq:4d} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<20} {e.action:<24} {e.subject} {json.dumps(e.details, ensure_ascii=False)}")
    problems = api.catalog.verify_audit()
    typer.echo("audit chain intact" if not problems else "AUDIT CHAIN BROKEN: " + "; ".join(problems))
    if problems:
        raise typer.Exit(code=3)


@voice_app.command("serve")
@_guard
def voice_serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8890),
                api_key: Optional[str] = typer.Option(None, envvar="STUDIO_VOICE_SERVE_API_KEY",
                                                      help="Require this bearer token.")) -> None:
    """Serve the offline voice over the OpenAI-compatible /v1/audio/speech protocol (for
    STUDIO_VOICE__BACKEND=openai on another machine). Consent is checked by the calling studio."""
    from studio.settings import get_settings
    from tasks.voice_server import serve

    typer.echo(f"voice: http://{host}:{port}/v1/audio/speech")
    serve(get_settings(), host, port, api_key)


@llm_app.command("serve")
@_guard
def llm_serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8080),
              model: Optional[Path] = typer.Option(None, help="A .gguf file (default: llm.model_path, else SmolLM2-135M)."),
              api_key: Optional[str] = typer.Option(None, envvar="STUDIO_LLM_SERVE_API_KEY", help="Require this bearer token.")) -> None:
    """Serve the offline language model over the OpenAI-compatible /v1/chat/completions protocol
    (llama.cpp's server), for STUDIO_LLM__BACKEND=openai on other machines."""
    import os

    from studio.settings import get_settings
    from tasks.backends.llm_llamacpp import default_model_path

    settings = get_settings()
    path = model or settings.llm.model_path or default_model_path()
    if not Path(path).is_file():
        raise ValueError(f"{path} is not a file; give the path of a .gguf model")
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", host, "--port", str(port),
            "--n_ctx", str(settings.llm.context_tokens), "--n_threads", str(settings.llm.threads),
            "--model_alias", Path(path).stem, "--verbose", "False"]
    if api_key:
        args += ["--api_key", api_key]
    typer.echo(f"llm: http://{host}:{port}/v1/chat/completions (model {Path(path).stem})")
    os.execv(sys.executable, args)


def main() -> None:  # pragma: no cover
    app(prog_name="studio")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
