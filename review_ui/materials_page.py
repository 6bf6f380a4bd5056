"""The operators' Materials page: upload a persona's recordings, footage, photos and texts
(each file checked and stored on its own), see what was selected and why, correct how they
speak, and tag action segments on the footage."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import streamlit as st

from core.errors import one_line
from materials.records import ActionTag, MaterialSet, PromptPick, TranscriptCorrection, VoiceChoice
from persona.records import HumourDevice, StyleProfile
from review_ui.i18n import explain, fixed, label, said, t
from review_ui.personas_page import pick_persona, saved_upload
from review_ui.safe import md
from review_ui.session import get_api, require_operator
from storage.catalog import safe_file_name


def materials_page() -> None:
    """Upload a persona's recordings and footage, see what was selected and why, tag actions."""
    identity = require_operator()
    api = get_api()
    st.title(t("Materials"))
    persona = pick_persona(api, "materials_persona")
    if persona is None:
        return
    with st.form("upload", clear_on_submit=True):
        role = st.selectbox(t("These files are"), ["voice", "footage", "photo", "text"], key="upload_role",
                            format_func=lambda r, t=fixed(t): t({"voice": "voice recordings", "footage": "video footage",
                                                     "photo": "photos", "text": "past talks and letters (text)"}[r]))
        files = st.file_uploader(t("Files"), accept_multiple_files=True, key="upload_files")
        submitted = st.form_submit_button(t("Store these files"), key="upload_send")
    if submitted and files:
        _store_uploads(api, persona, role, files, identity.name)
    _list_uploads(api, persona, identity.name)
    _show_selection(api, persona, identity.name)
    _edit_style(api, persona, identity.name)
    footage = api.usable_uploads(persona.id, "footage")
    if footage:
        _tag_actions(api, persona, footage, identity.name)


def _store_uploads(api, persona, role: str, files, actor: str) -> None:
    """Each file checked and stored on its own: a bad one is refused with its reason, the
    others are stored all the same; two files of one batch may share a name."""

    bar = st.progress(0.0, text=t("Checking and storing ..."))
    with tempfile.TemporaryDirectory() as tmp:
        for n, f in enumerate(files, 1):
            name = safe_file_name(f.name)
            try:
                upload = api.add_material(persona.id, role, saved_upload(f, Path(tmp), n), actor=actor)
                if upload.problem:
                    st.warning(t("{name}: stored, but left out: {problem}", name=name, problem=explain(upload.problem)))
                else:
                    st.success(t("{name}: stored", name=name))
                for warning in upload.warnings:
                    st.warning(t("{name}: {warning}", name=name, warning=explain(warning)))
            except Exception as exc:  # corrupt, empty, wrong kind, unreadable name: that file only
                st.error(t("{name}: not stored: {error}", name=name, error=explain(one_line(exc))))
            bar.progress(n / len(files), text=t("{n} of {total} files", n=n, total=len(files)))


def _list_uploads(api, persona, actor: str) -> None:
    """Every upload with its state; an operator withdraws one (kept for the audit, never used)."""
    rows = api.uploads_of(persona.id)
    st.subheader(t("Uploads"))
    st.dataframe([{t("kind"): label(u.role), t("file"): u.asset.name, t("size"): f"{u.asset.size:,}", t("type"): u.asset.media_type,
                   t("state"): (t("withdrawn: {reason}", reason=w.reason) if w else
                                t("left out: {problem}", problem=explain(u.problem)) if u.problem else
                                "; ".join(explain(x) for x in u.warnings) or t("usable"))}
                  for u, w in rows], hide_index=True, use_container_width=True)
    live = {u.id: u.asset.name or u.id for u, w in rows if w is None}
    if not live:
        return
    with st.expander(t("Withdraw an upload")):
        with st.form(f"withdraw-{persona.id}", clear_on_submit=True):
            chosen = st.selectbox(t("Upload"), list(live), format_func=live.get, key=f"withdraw_pick-{persona.id}")
            reason = st.text_input(t("Why it must not be used"), key=f"withdraw_reason-{persona.id}")
            if st.form_submit_button(t("Withdraw"), key=f"withdraw-{persona.id}"):
                try:
                    api.withdraw_material(chosen, reason, actor=actor)
                    st.session_state["flash"] = t("{name} withdrawn: no production will use it", name=live[chosen])
                    st.rerun()
                except ValueError as exc:
                    st.error(said(exc))


def _edit_style(api, persona, actor: str) -> None:
    """The persona's style profile, derived from their corpus, for an operator to correct."""

    st.subheader(t("How they speak"))
    if not api.catalog.exists(StyleProfile, persona.id):
        if st.button(t("Read their texts and derive their style"), key=f"style_derive-{persona.id}"):
            try:
                api.build_corpus(persona.id, transcribe=False)
                st.rerun()
            except Exception as exc:
                st.error(t("Not derived: {error}", error=explain(one_line(exc))))
        return
    profile = api.catalog.load(StyleProfile, persona.id)
    st.caption(t("From {n} passages of their corpus", n=profile.passages)
               + (t("; {fields} edited by {name}", fields=", ".join(label(f) for f in profile.edited_fields),
                    name=profile.edited_by) if profile.edited_fields else ""))
    lines = lambda items: "\n".join(items)  # noqa: E731
    with st.form(f"style-{persona.id}"):
        catchphrases = st.text_area(t("Catchphrases (one per line)"), lines(profile.catchphrases), key=f"style_catchphrases-{persona.id}")
        fillers = st.text_area(t("Filler words (one per line)"), lines(profile.fillers), key=f"style_fillers-{persona.id}")
        address = st.text_area(t("Forms of address (one per line)"), lines(profile.forms_of_address), key=f"style_address-{persona.id}")
        regional = st.text_area(t("Regional words (one per line)"), lines(profile.regional_words),
                                key=f"style_regional-{persona.id}")
        humour = st.text_area(t("Humour (one per line, 'device: example')"),
                              lines(f"{h.name}: {h.example}" for h in profile.humour), key=f"style_humour-{persona.id}")
        length = st.number_input(t("Typical sentence length (words; characters for Chinese)"), 1.0, 200.0,
                                 float(profile.sentence_length), key=f"style_length-{persona.id}")
        notes = st.text_area(t("Notes for the drafter"), profile.notes, key=f"style_notes-{persona.id}")
        if not st.form_submit_button(t("Save style"), key=f"style_save-{persona.id}"):
            return
    split = lambda text: [x.strip() for x in text.splitlines() if x.strip()]  # noqa: E731
    proposed = {"catchphrases": split(catchphrases), "fillers": split(fillers), "forms_of_address": split(address),
                "regional_words": split(regional),
                "humour": [HumourDevice(name=h.split(":", 1)[0].strip(), example=h.split(":", 1)[-1].strip() if ":" in h else "")
                           for h in split(humour)], "sentence_length": float(length), "notes": notes.strip()}
    changed = {k: v for k, v in proposed.items() if (v if k != "humour" else [h.model_dump() for h in v])
               != (getattr(profile, k) if k != "humour" else [h.model_dump() for h in profile.humour])}
    if changed:
        api.edit_style(persona.id, actor=actor, **changed)
        st.success(t("Saved: {fields}", fields=", ".join(label(f) for f in sorted(changed))))


def _show_selection(api, persona, actor: str) -> None:
    sets = sorted((m for m in api.catalog.find(MaterialSet) if m.persona_id == persona.id), key=lambda m: m.created_at)
    st.subheader(t("Selection"))
    if not sets:
        st.caption(t("Nothing selected yet: the selection is made by a production's first step."))
        return
    chosen = sets[-1]
    st.caption(t("Made {at}; median pitch {hz} Hz", at=f"{chosen.created_at:%Y-%m-%d %H:%M}", hz=f"{chosen.median_f0_hz:.0f}"))
    st.markdown(f"**{t('Voice prompts')}**")
    for n, prompt in enumerate(chosen.voice_prompts, 1):
        cols = st.columns([2, 3])
        cols[0].audio(api.catalog.read_media(prompt.clip), format="audio/wav")
        cols[1].markdown(f"**{md(t(prompt.style))}** · " + t("{seconds} s at {start} s of {source} · score {score} · {by}",
                         seconds=f"{prompt.duration_s:.1f}", start=f"{prompt.start_s:.1f}",
                         source=prompt.source.name or t("a recording"), score=f"{prompt.score:.2f}", by=label(prompt.chosen_by))
                         + f"  \n{md(explain(prompt.why))}")
        with cols[1]:
            _transcript_form(api, persona, n, prompt, actor)
    if chosen.sound_bank:
        st.markdown(t("**Sound bank** (played for [cough], [laugh], [breath], [sigh])"))
        for sound in chosen.sound_bank:
            cols = st.columns([2, 3])
            cols[0].audio(api.catalog.read_media(sound.clip), format="audio/wav")
            cols[1].markdown(f"**{label(sound.kind)}** " + t("at {start} s of {source}", start=f"{sound.start_s:.1f}",
                                                                     source=sound.source.name or t("a recording"))
                             + f"  \n{md(explain(sound.why))}")
    if chosen.prompt_candidates:
        _choose_prompts(api, persona, chosen, actor)
    st.markdown(f"**{t('Footage segments')}**")
    for segment in chosen.footage:
        cols = st.columns([1, 3])
        cols[0].image(api.catalog.read_media(segment.still), use_container_width=True)
        cols[1].markdown(f"**{label(segment.label)}** · " + t("{start}-{end} s of {source} · score {score}",
                         start=f"{segment.start_s:.1f}", end=f"{segment.start_s + segment.duration_s:.1f}",
                         source=segment.source.name or t("footage"), score=f"{segment.score:.2f}")
                         + f"  \n{md(explain(segment.why))}")
    if any(s.label == "base" for s in chosen.footage):
        _mouth_bank(api, persona, actor)


def _mouth_bank(api, persona, actor: str) -> None:
    """The mouths the video step picks from, as a sheet; an operator strikes out any they would not choose."""
    st.markdown(f"**{t('Mouth bank')}**")
    key = f"bank-{persona.id}"
    if st.button(t("Show the mouth bank"), key=f"{key}-show"):
        with st.spinner(t("Reading the footage and judging its frames ...")):
            st.session_state[key] = api.mouth_bank(persona.id)
    if key not in st.session_state:
        st.caption(t("The person's own mouth at each step of opening, chosen from the footage (a few seconds to build)."))
        return
    frames, sheet, summary = st.session_state[key]
    st.image(sheet, caption=explain(summary))
    drop = st.multiselect(t("Strike out (the video step will not use them)"), list(range(1, len(frames) + 1)), key=f"{key}-pick",
                          format_func=fixed(lambda n: t("{n}: {at} s of {source}", n=n, at=f"{frames[n - 1].time_s:.2f}",
                                                        source=frames[n - 1].source.name or t("footage"))))
    cols = st.columns(2)
    if cols[0].button(t("Strike out"), key=f"{key}-drop", disabled=not drop):
        api.drop_bank_frames(persona.id, [frames[n - 1] for n in drop], actor=actor)
        st.session_state[key] = api.mouth_bank(persona.id)
        st.rerun()
    if cols[1].button(t("Bring every frame back"), key=f"{key}-reset"):
        api.drop_bank_frames(persona.id, [], actor=actor)
        st.session_state.pop(key, None)
        st.rerun()


def _transcript_form(api, persona, n: int, prompt, actor: str) -> None:
    """What the recogniser heard in the prompt, and a box to write what the person really says."""
    fix = api.catalog.get(TranscriptCorrection, TranscriptCorrection.id_for(prompt.source, prompt.start_s))
    if fix:
        st.caption(t("Said (corrected by {name}): “{text}”", name=fix.corrected_by, text=fix.text)
                   + ("" if fix.text == prompt.transcript else t(" — used from the next production")))
    elif prompt.transcript:
        sure = (t(" (recogniser sure {share})", share=f"{prompt.transcript_confidence:.0%}")
                if prompt.transcript_confidence is not None else "")
        st.caption(t("Heard{sure}: “{text}”", sure=sure, text=prompt.transcript))
    with st.form(f"transcript_{n}"):
        text = st.text_input(t("What the person says in this clip"), value=fix.text if fix else prompt.transcript or "",
                             key=f"transcript_text_{n}")
        if st.form_submit_button(t("Save the transcript")):
            try:
                api.correct_transcript(persona.id, n, text, actor=actor)
                st.session_state["flash"] = t("prompt {n}: transcript saved; the next production's voice uses it", n=n)
                st.rerun()
            except ValueError as exc:
                st.error(said(exc))


def _choose_prompts(api, persona, chosen, actor: str) -> None:
    """Every clip the selection scored; an operator may pick the prompts by hand instead."""

    with st.expander(t("All {n} scored clips, and choosing prompts by hand", n=len(chosen.prompt_candidates))):
        st.table([{"#": i, t("recording"): c.source.name or c.source.key[:12], t("at (s)"): f"{c.start_s:.1f}",
                   t("seconds"): f"{c.duration_s:.1f}", t("style"): t(c.style), t("score"): f"{c.score:.2f}",
                   t("why"): explain(c.why)} for i, c in enumerate(chosen.prompt_candidates)])
        with st.form("choose_prompts"):
            picked = st.multiselect(t("Use these clips as prompts"), list(range(len(chosen.prompt_candidates))), key="prompt_picks",
                                    format_func=fixed(lambda i: f"#{i} {t(chosen.prompt_candidates[i].style)} "
                                                                f"@{chosen.prompt_candidates[i].start_s:.1f} s"))
            styles = st.text_input(t("Their styles, in the same order (comma separated; empty keeps each clip's)"), key="prompt_styles")
            if st.form_submit_button(t("Use these prompts from the next production")):
                names = [s.strip() for s in styles.split(",") if s.strip()]
                try:
                    picks = [PromptPick(source=chosen.prompt_candidates[i].source, start_s=chosen.prompt_candidates[i].start_s,
                                        duration_s=chosen.prompt_candidates[i].duration_s,
                                        style=names[n] if n < len(names) else chosen.prompt_candidates[i].style)
                             for n, i in enumerate(picked)]
                    if not picks:
                        raise ValueError("pick at least one clip")
                    api.choose_voice_prompts(persona.id, picks, actor=actor)
                    st.session_state["flash"] = t("{n} prompt(s) chosen by hand for {name}'s next productions", n=len(picks),
                                                  name=persona.display_name)
                    st.rerun()
                except ValueError as exc:
                    st.error(said(exc))
        choice = api.catalog.get(VoiceChoice, persona.id)
        if choice and choice.picks:
            st.info(t("{n} prompt(s) chosen by {name} are used from the next production.", n=len(choice.picks),
                      name=choice.chosen_by))
            if st.button(t("Back to the automatic choice"), key="prompt_auto"):
                api.clear_voice_choice(persona.id, actor=actor)
                st.session_state["flash"] = t("voice prompts are chosen automatically again")
                st.rerun()


@st.cache_data(max_entries=64, show_spinner=False)
def _frame(path: str, at_s: float) -> bytes | None:
    """One small frame to look at; None where the footage has none there (the page goes on)."""
    return get_api().frame(Path(path), at_s, max_width=240)


def _show_frame(where, path, at_s: float, caption: str, **kwargs) -> None:
    data = _frame(str(path), at_s)
    if data is None:
        where.caption(t("no frame at {at} s", at=f"{at_s:.1f}"))
    else:
        where.image(data, caption=caption, **kwargs)


def _tag_actions(api, persona, footage, actor: str) -> None:
    st.subheader(t("Action segments"))
    labels = {u.id: u.asset.name or u.id for u in footage}
    upload_id = st.selectbox(t("Footage"), list(labels), format_func=labels.get, key="tag_upload")
    upload = next(u for u in footage if u.id == upload_id)
    path = api.catalog.media_path(upload.asset)
    duration = api.media_seconds(upload.asset)
    tags = sorted((a for a in api.catalog.find(ActionTag) if a.source.sha256 == upload.asset.sha256
                   and a.persona_id == persona.id), key=lambda a: a.start_s)
    strip = st.columns(8)
    for n, col in enumerate(strip):
        at = duration * (n + 0.5) / len(strip)
        _show_frame(col, path, round(at, 1), f"{at:.1f} s", use_container_width=True)
    st.markdown(_timeline_html(duration, tags), unsafe_allow_html=True)
    start, end = st.slider(t("Segment (seconds)"), 0.0, float(round(duration, 1)), (0.0, min(2.0, float(duration))),
                           step=0.1, key="tag_span")
    left, right = st.columns(2)
    _show_frame(left, path, start, t("start {at} s", at=f"{start:.1f}"), width=240)
    _show_frame(right, path, max(end - 0.05, 0), t("end {at} s", at=f"{end:.1f}"), width=240)
    action = st.selectbox(t("Action"), ["drinking", "looking_down", "laughing", "gesture", "idle"], format_func=fixed(label),
                          key="tag_label")
    if st.button(t("Tag this segment"), key="tag_add"):
        try:
            tag = api.tag_action(persona.id, upload.id, start, end, action, actor=actor)
            st.session_state["flash"] = t("Tagged {label} at {start}-{end} s; the next production's selection includes it.",
                                          label=label(tag.label), start=f"{tag.start_s:.1f}", end=f"{tag.end_s:.1f}")
            st.rerun()
        except Exception as exc:
            st.error(t("Not tagged: {error}", error=explain(one_line(exc))))
    for tag in tags:
        st.caption(t("{label}: {start}-{end} s, tagged by {name}", label=label(tag.label), start=f"{tag.start_s:.1f}",
                     end=f"{tag.end_s:.1f}", name=tag.tagged_by))
    _suggested_actions(api, persona, upload, actor)


def _suggested_actions(api, persona, upload, actor: str) -> None:
    """The footage analysis's segments and suggested actions; a suggestion becomes a tag when accepted."""

    st.markdown(f"**{t('Footage analysis')}**")
    analysis = api.footage_analysis(upload)
    if analysis is None:
        if st.button(t("Analyse this footage (faces, pose, shots, speech)"), key="analyse_footage"):
            with st.spinner(t("Analysing...")):
                api.analyse_footage(persona.id, upload.id)
            st.rerun()
        return
    st.caption(t("face in {share}% of frames, {speech} s of speech, shot changes at {changes}",
                 share=f"{analysis.face_ratio * 100:.0f}", speech=f"{analysis.speech_s:.1f}",
                 changes=", ".join(f"{c:.1f} s" for c in analysis.shot_changes_s) or t("none")))
    for n, seg in enumerate(analysis.segments, 1):
        st.caption(t("{n}. {start}-{end} s, score {score}: {why}", n=n, start=f"{seg.start_s:.1f}",
                     end=f"{seg.start_s + seg.duration_s:.1f}", score=f"{seg.score:.2f}", why=explain(seg.why)))
    for n, sug in enumerate(analysis.suggestions):
        left, right = st.columns([4, 1])
        left.markdown(t("Suggested **{label}** {start}-{end} s ({confidence}): {why}", label=label(sug.label),
                        start=f"{sug.start_s:.1f}", end=f"{sug.end_s:.1f}", confidence=f"{sug.confidence:.2f}",
                        why=explain(sug.why)))
        if right.button(t("Accept"), key=f"accept_suggestion_{n}"):
            try:
                tag = api.tag_action(persona.id, upload.id, sug.start_s, sug.end_s, sug.label, actor=actor)
                st.session_state["flash"] = t("Tagged {label} at {start}-{end} s.", label=label(tag.label),
                                              start=f"{tag.start_s:.1f}", end=f"{tag.end_s:.1f}")
                st.rerun()
            except Exception as exc:
                st.error(t("Not tagged: {error}", error=explain(one_line(exc))))


_COLOURS = {"drinking": "#1f77b4", "looking_down": "#9467bd", "laughing": "#ff7f0e", "gesture": "#2ca02c",
            "idle": "#7f7f7f"}


def _timeline_html(duration: float, tags) -> str:
    """A bar the length of the footage with the tagged segments drawn on it."""
    spans = "".join(
        f'<div title="{a.label} {a.start_s:.1f}-{a.end_s:.1f} s" style="position:absolute;left:{100 * a.start_s / duration:.2f}%;'
        f'width:{100 * (a.end_s - a.start_s) / duration:.2f}%;top:0;bottom:0;background:{_COLOURS[a.label]};'
        f'color:white;font-size:11px;overflow:hidden;white-space:nowrap">{html.escape(label(a.label))}</div>'
        for a in tags)
    return (f'<div style="position:relative;height:22px;background:#e8e8e8;border-radius:4px;margin:4px 0 12px 0">'
            f'{spans}</div>')
