"""`studio materials`: uploads, action tags, footage analysis and voice prompts."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from app.cli.common import guard, open_api
from core.errors import one_line
from materials.records import PromptPick
from persona.records import Upload

materials_app = typer.Typer(no_args_is_help=True, help="Uploads: voice recordings, footage, photos, past talks.")


@materials_app.command("add")
@guard
def materials_add(persona_id: str, files: list[Path], role: str = typer.Option(..., help="voice | footage | photo | text")) -> None:
    """Upload recordings, footage, photos or past talks for a persona."""
    api = open_api()
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
@guard
def materials_withdraw(upload_id: str, reason: str = typer.Option(..., help="Why it must not be used (kept in the audit log).")) -> None:
    """Take an upload out of use: it stays stored for the audit, no production selects it again."""
    w = open_api().withdraw_material(upload_id, reason)
    typer.echo(f"{w.id} withdrawn by {w.withdrawn_by}")


@materials_app.command("list")
@guard
def materials_list(persona_id: str) -> None:
    """A persona's uploads: usable, flagged when checked (and why), or withdrawn."""
    for u, withdrawn in open_api().uploads_of(persona_id):
        state = (f"withdrawn: {withdrawn.reason}" if withdrawn else f"left out: {u.problem}" if u.problem else "usable")
        typer.echo(f"{u.id}\t{u.role}\t{u.asset.name}\t{u.asset.size} bytes\t{state}")


@materials_app.command("tag")
@guard
def materials_tag(persona_id: str, upload_id: str, start: float = typer.Option(..., help="Seconds into the footage."),
                  end: float = typer.Option(...),
                  label: str = typer.Option(..., help="drinking | looking_down | laughing | gesture | idle")) -> None:
    """Mark an action segment (a sip of water, a laugh) in a footage upload for the video step."""
    tag = open_api().tag_action(persona_id, upload_id, start, end, label)
    typer.echo(f"{tag.id}\t{tag.label}\t{tag.start_s:.2f}-{tag.end_s:.2f} s")


@materials_app.command("analyse")
@guard
def materials_analyse(persona_id: str, upload_id: str = typer.Argument(None, help="One footage upload (default: all).")) -> None:
    """Footage analysis: shots, segments ranked for base footage (and why), suggested actions."""
    for upload, a in open_api().analyse_footage(persona_id, upload_id):
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
@guard
def materials_prompts(persona_id: str, all_clips: bool = typer.Option(False, "--all", help="Every scored clip, not only the chosen.")) -> None:
    """The voice prompts of the persona's latest selection, with the figures they were chosen on."""
    materials = open_api().latest_materials(persona_id)
    if materials is None:
        raise ValueError(f"{persona_id} has no material selection yet; it is made by the first production's materials step")
    rows = materials.prompt_candidates if all_clips else materials.voice_prompts
    for n, p in enumerate(rows, 1):
        said = ""
        if p.transcript_by:
            said = f"\n    said: {p.transcript}  (corrected by {p.transcript_by})"
        elif p.transcript:
            sure = "" if p.transcript_confidence is None else f"  (recogniser sure {p.transcript_confidence:.0%})"
            said = f"\n    heard: {p.transcript}{sure}"
        typer.echo(f"{'' if all_clips else f'{n}. '}{p.style:<13} {p.source.name or p.source.key}@{p.start_s:.2f}+"
                   f"{p.duration_s:.2f}  score {p.score:.2f}  {p.chosen_by}\n    {p.why}" + said)
    for s in materials.sound_bank:
        typer.echo(f"sound {s.kind:<7} {s.source.name or s.source.key}@{s.start_s:.2f}+{s.duration_s:.2f}  {s.why}")


@materials_app.command("transcript")
@guard
def materials_transcript(persona_id: str, prompt: int = typer.Argument(..., help="The prompt's number in `materials prompts`."),
                         text: str = typer.Option(..., help="What the person really says in the clip.")) -> None:
    """Correct what the recogniser heard in a voice prompt (used from the next production on)."""
    fix = open_api().correct_transcript(persona_id, prompt, text)
    typer.echo(f"{persona_id} prompt {prompt}: {fix.heard or '(nothing heard)'} -> {fix.text}; "
               "the next production uses it for the voice")


@materials_app.command("choose")
@guard
def materials_choose(persona_id: str,
                     pick: list[str] = typer.Option([], help="UPLOAD_ID@START+SECONDS:STYLE, e.g. upload-x-voice@12.5+4:warm (repeatable)."),
                     automatic: bool = typer.Option(False, "--automatic", help="Drop the override: back to the selection.")) -> None:
    """Choose the persona's voice prompts by hand for its next productions."""

    api = open_api()
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
