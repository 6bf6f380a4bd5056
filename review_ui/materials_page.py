"""The operators' Materials page: upload a persona's recordings, footage, photos and texts
(each file checked and stored on its own), see what was selected and why, correct how they
speak, and tag action segments on the footage."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from materials.records import ActionTag, MaterialSet, PromptPick, TranscriptCorrection, VoiceChoice
from persona.records import HumourDevice, Persona, StyleProfile
from review_ui.i18n import t
from review_ui.personas_page import pick_persona, saved_upload
from review_ui.safe import md, said
from review_ui.session import get_api, require_operator
from storage.catalog import safe_file_name


def materials_page() -> None:
    """Upload a persona's recordings and footage, see what was selected and why, tag actions."""
    identity = require_operator()
    api = get_api()
    st.title(t("Materials"))
    personas = sorted(api.catalog.find(Persona), key=lambda p: p.created_at)
    if not personas:
        st.info("No personas yet; add one on the Personas page.")
        return
    persona = pick_persona(personas, "materials_persona")
    with st.form("upload", clear_on_submit=True):
        role = st.selectbox("These files are", ["voice", "footage", "photo", "text"], key="upload_role",
                            format_func={"voice": "voice recordings", "footage": "video footage", "photo": "photos",
                                         "text": "past talks and letters (text)"}.get)
        files = st.file_uploader("Files", accept_multiple_files=True, key="upload_files")
        submitted = st.form_submit_button("Store these files", key="upload_send")
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

    bar = st.progress(0.0, text="Checking and storing ...")
    with tempfile.TemporaryDirectory() as tmp:
        for n, f in enumerate(files, 1):
            name = safe_file_name(f.name)
            try:
                upload = api.add_material(persona.id, role, saved_upload(f, Path(tmp), n), actor=actor)
                if upload.problem:
                    st.warning(md(f"{name}: stored as {upload.id}, but left out: {upload.problem}"))
                else:
                    st.success(md(f"{name}: stored as {upload.id}"))
            except Exception as exc:  # corrupt, empty, wrong kind, unreadable name: that file only
                st.error(md(f"{name}: not stored: ") + said(exc))
            bar.progress(n / len(files), text=f"{n} of {len(files)} files")


def _list_uploads(api, persona, actor: str) -> None:
    """Every upload with its state; an operator withdraws one (kept for the audit, never used)."""
    rows = api.uploads_of(persona.id)
    st.subheader("Uploads")
    st.dataframe([{"role": u.role, "file": u.asset.name, "size": f"{u.asset.size:,}", "type": u.asset.media_type,
                   "state": (f"withdrawn: {w.reason}" if w else f"left out: {u.problem}" if u.problem else "usable"),
                   "id": u.id} for u, w in rows], hide_index=True, use_container_width=True)
    live = {u.id: u.asset.name or u.id for u, w in rows if w is None}
    if not live:
        return
    with st.expander("Withdraw an upload"):
        with st.form(f"withdraw-{persona.id}", clear_on_submit=True):
            chosen = st.selectbox("Upload", list(live), format_func=live.get, key=f"withdraw_pick-{persona.id}")
            reason = st.text_input("Why it must not be used", key=f"withdraw_reason-{persona.id}")
            if st.form_submit_button("Withdraw", key=f"withdraw-{persona.id}"):
                try:
                    api.withdraw_material(chosen, reason, actor=actor)
                    st.session_state["flash"] = f"{live[chosen]} withdrawn: no production will use it"
                    st.rerun()
                except ValueError as exc:
                    st.error(said(exc))


def _edit_style(api, persona, actor: str) -> None:
    """The persona's style profile, derived from their corpus, for an operator to correct."""

    st.subheader("How they speak")
    if not api.catalog.exists(StyleProfile, persona.id):
        if st.button("Read their texts and derive their style", key=f"style_derive-{persona.id}"):
            try:
                api.build_corpus(persona.id, transcribe=False)
                st.rerun()
            except Exception as exc:
                st.error(f"Not derived: {said(exc)}")
        return
    profile = api.catalog.load(StyleProfile, persona.id)
    st.caption(f"From {profile.passages} passages of their corpus"
               + (f"; {', '.join(profile.edited_fields)} edited by {md(profile.edited_by)}" if profile.edited_fields else ""))
    lines = lambda items: "\n".join(items)  # noqa: E731
    with st.form(f"style-{persona.id}"):
        catchphrases = st.text_area("Catchphrases (one per line)", lines(profile.catchphrases), key=f"style_catchphrases-{persona.id}")
        fillers = st.text_area("Filler words (one per line)", lines(profile.fillers), key=f"style_fillers-{persona.id}")
        address = st.text_area("Forms of address (one per line)", lines(profile.forms_of_address), key=f"style_address-{persona.id}")
        regional = st.text_area("Regional words (one per line)", lines(profile.regional_words),
                                key=f"style_regional-{persona.id}")
        humour = st.text_area("Humour (one per line, 'device: example')",
                              lines(f"{h.name}: {h.example}" for h in profile.humour), key=f"style_humour-{persona.id}")
        length = st.number_input("Typical sentence length (words; characters for Chinese)", 1.0, 200.0,
                                 float(profile.sentence_length), key=f"style_length-{persona.id}")
        notes = st.text_area("Notes for the drafter", profile.notes, key=f"style_notes-{persona.id}")
        if not st.form_submit_button("Save style", key=f"style_save-{persona.id}"):
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
        st.success(f"Saved: {', '.join(sorted(changed))}")


def _show_selection(api, persona, actor: str) -> None:
    sets = sorted((m for m in api.catalog.find(MaterialSet) if m.persona_id == persona.id), key=lambda m: m.created_at)
    st.subheader("Selection")
    if not sets:
        st.caption("Nothing selected yet: the selection is made by a production's first step.")
        return
    chosen = sets[-1]
    st.caption(f"From {md(chosen.id)} ({chosen.created_at:%Y-%m-%d %H:%M}); median pitch {chosen.median_f0_hz:.0f} Hz")
    st.markdown("**Voice prompts**")
    for n, prompt in enumerate(chosen.voice_prompts, 1):
        cols = st.columns([2, 3])
        cols[0].audio(api.catalog.read_media(prompt.clip), format="audio/wav")
        cols[1].markdown(f"**{md(prompt.style)}** · " + md(f"{prompt.duration_s:.1f} s at {prompt.start_s:.1f} s of "
                         f"{prompt.source.name or 'a recording'} · score {prompt.score:.2f} · {prompt.chosen_by}")
                         + f"  \n{md(prompt.why)}")
        with cols[1]:
            _transcript_form(api, persona, n, prompt, actor)
    if chosen.sound_bank:
        st.markdown("**Sound bank** (played for [cough], [laugh], [breath], [sigh])")
        for sound in chosen.sound_bank:
            cols = st.columns([2, 3])
            cols[0].audio(api.catalog.read_media(sound.clip), format="audio/wav")
            cols[1].markdown(f"**{sound.kind}** " + md(f"at {sound.start_s:.1f} s of {sound.source.name or 'a recording'}")
                             + f"  \n{md(sound.why)}")
    if chosen.prompt_candidates:
        _choose_prompts(api, persona, chosen, actor)
    st.markdown("**Footage segments**")
    for segment in chosen.footage:
        cols = st.columns([1, 3])
        cols[0].image(api.catalog.read_media(segment.still), use_container_width=True)
        cols[1].markdown(f"**{segment.label.replace('_', ' ')}** · " + md(f"{segment.start_s:.1f}-"
                         f"{segment.start_s + segment.duration_s:.1f} s of {segment.source.name or 'footage'} · "
                         f"score {segment.score:.2f}") + f"  \n{md(segment.why)}")
    if any(s.label == "base" for s in chosen.footage):
        _mouth_bank(api, persona, actor)


def _mouth_bank(api, persona, actor: str) -> None:
    """The mouths the video step picks from, as a sheet; an operator strikes out any they would not choose."""
    st.markdown("**Mouth bank**")
    key = f"bank-{persona.id}"
    if st.button("Show the mouth bank", key=f"{key}-show"):
        with st.spinner("Reading the footage and judging its frames ..."):
            st.session_state[key] = api.mouth_bank(persona.id)
    if key not in st.session_state:
        st.caption("The person's own mouth at each step of opening, chosen from the footage (a few seconds to build).")
        return
    frames, sheet, summary = st.session_state[key]
    st.image(sheet, caption=summary)
    drop = st.multiselect("Strike out (the video step will not use them)", list(range(1, len(frames) + 1)), key=f"{key}-pick",
                          format_func=lambda n: f"{n}: {frames[n - 1].time_s:.2f} s of {frames[n - 1].source.name or 'footage'}")
    cols = st.columns(2)
    if cols[0].button("Strike out", key=f"{key}-drop", disabled=not drop):
        api.drop_bank_frames(persona.id, [frames[n - 1] for n in drop], actor=actor)
        st.session_state[key] = api.mouth_bank(persona.id)
        st.rerun()
    if cols[1].button("Bring every frame back", key=f"{key}-reset"):
        api.drop_bank_frames(persona.id, [], actor=actor)
        st.session_state.pop(key, None)
        st.rerun()


def _transcript_form(api, persona, n: int, prompt, actor: str) -> None:
    """What the recogniser heard in the prompt, and a box to write what the person really says."""
    fix = api.catalog.get(TranscriptCorrection, TranscriptCorrection.id_for(prompt.source, prompt.start_s))
    if fix:
        st.caption(f"Said (corrected by {md(fix.corrected_by)}): “{md(fix.text)}”"
                   + ("" if fix.text == prompt.transcript else " — used from the next production"))
    elif prompt.transcript:
        sure = f" (recogniser sure {prompt.transcript_confidence:.0%})" if prompt.transcript_confidence is not None else ""
        st.caption(f"Heard{sure}: “{md(prompt.transcript)}”")
    with st.form(f"transcript_{n}"):
        text = st.text_input("What the person says in this clip", value=fix.text if fix else prompt.transcript or "",
                             key=f"transcript_text_{n}")
        if st.form_submit_button("Save the transcript"):
            try:
                api.correct_transcript(persona.id, n, text, actor=actor)
                st.session_state["flash"] = f"prompt {n}: transcript saved; the next production's voice uses it"
                st.rerun()
            except ValueError as exc:
                st.error(said(exc))


def _choose_prompts(api, persona, chosen, actor: str) -> None:
    """Every clip the selection scored; an operator may pick the prompts by hand instead."""

    with st.expander(f"All {len(chosen.prompt_candidates)} scored clips, and choosing prompts by hand"):
        st.table([{"#": i, "recording": c.source.name or c.source.key[:12], "at s": f"{c.start_s:.1f}",
                   "s": f"{c.duration_s:.1f}", "style": c.style, "score": f"{c.score:.2f}", "why": c.why}
                  for i, c in enumerate(chosen.prompt_candidates)])
        with st.form("choose_prompts"):
            picked = st.multiselect("Use these clips as prompts", list(range(len(chosen.prompt_candidates))), key="prompt_picks",
                                    format_func=lambda i: f"#{i} {chosen.prompt_candidates[i].style} "
                                                          f"@{chosen.prompt_candidates[i].start_s:.1f} s")
            styles = st.text_input("Their styles, in the same order (comma separated; empty keeps each clip's)", key="prompt_styles")
            if st.form_submit_button("Use these prompts from the next production"):
                names = [s.strip() for s in styles.split(",") if s.strip()]
                try:
                    picks = [PromptPick(source=chosen.prompt_candidates[i].source, start_s=chosen.prompt_candidates[i].start_s,
                                        duration_s=chosen.prompt_candidates[i].duration_s,
                                        style=names[n] if n < len(names) else chosen.prompt_candidates[i].style)
                             for n, i in enumerate(picked)]
                    if not picks:
                        raise ValueError("pick at least one clip")
                    api.choose_voice_prompts(persona.id, picks, actor=actor)
                    st.session_state["flash"] = f"{len(picks)} prompt(s) chosen by hand for {persona.id}'s next productions"
                    st.rerun()
                except ValueError as exc:
                    st.error(said(exc))
        choice = api.catalog.get(VoiceChoice, persona.id)
        if choice and choice.picks:
            st.info(f"{len(choice.picks)} prompt(s) chosen by {md(choice.chosen_by)} are used from the next production.")
            if st.button("Back to the automatic choice", key="prompt_auto"):
                api.clear_voice_choice(persona.id, actor=actor)
                st.session_state["flash"] = "voice prompts are chosen automatically again"
                st.rerun()


@st.cache_data(max_entries=64, show_spinner=False)
def _frame(path: str, at_s: float) -> bytes | None:
    """One small frame to look at; None where the footage has none there (the page goes on)."""
    return get_api().frame(Path(path), at_s, max_width=240)


def _show_frame(where, path, at_s: float, caption: str, **kwargs) -> None:
    data = _frame(str(path), at_s)
    if data is None:
        where.caption(f"no frame at {at_s:.1f} s")
    else:
        where.image(data, caption=caption, **kwargs)


def _tag_actions(api, persona, footage, actor: str) -> None:
    st.subheader("Action segments")
    labels = {u.id: u.asset.name or u.id for u in footage}
    upload_id = st.selectbox("Footage", list(labels), format_func=labels.get, key="tag_upload")
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
    start, end = st.slider("Segment (seconds)", 0.0, float(round(duration, 1)), (0.0, min(2.0, float(duration))),
                           step=0.1, key="tag_span")
    left, right = st.columns(2)
    _show_frame(left, path, start, f"start {start:.1f} s", width=240)
    _show_frame(right, path, max(end - 0.05, 0), f"end {end:.1f} s", width=240)
    label = st.selectbox("Action", ["drinking", "looking_down", "laughing", "gesture", "idle"],
                         format_func=lambda x: x.replace("_", " "), key="tag_label")
    if st.button("Tag this segment", key="tag_add"):
        try:
            tag = api.tag_action(persona.id, upload.id, start, end, label, actor=actor)
            st.session_state["flash"] = (f"Tagged {tag.label.replace('_', ' ')} at {tag.start_s:.1f}-{tag.end_s:.1f} s; "
                                         "the next production's selection includes it.")
            st.rerun()
        except Exception as exc:
            st.error(f"Not tagged: {said(exc)}")
    for tag in tags:
        st.caption(md(f"{tag.label.replace('_', ' ')}: {tag.start_s:.1f}-{tag.end_s:.1f} s, tagged by {tag.tagged_by}"))
    _suggested_actions(api, persona, upload, actor)


def _suggested_actions(api, persona, upload, actor: str) -> None:
    """The footage analysis's segments and suggested actions; a suggestion becomes a tag when accepted."""

    st.markdown("**Footage analysis**")
    analysis = api.footage_analysis(upload)
    if analysis is None:
        if st.button("Analyse this footage (faces, pose, shots, speech)", key="analyse_footage"):
            with st.spinner("Analysing..."):
                api.analyse_footage(persona.id, upload.id)
            st.rerun()
        return
    st.caption(f"face in {analysis.face_ratio * 100:.0f}% of frames, {analysis.speech_s:.1f} s of speech, "
               f"shot changes at {', '.join(f'{c:.1f} s' for c in analysis.shot_changes_s) or 'none'}")
    for n, seg in enumerate(analysis.segments, 1):
        st.caption(md(f"{n}. {seg.start_s:.1f}-{seg.start_s + seg.duration_s:.1f} s, score {seg.score:.2f}: {seg.why}"))
    for n, sug in enumerate(analysis.suggestions):
        left, right = st.columns([4, 1])
        left.markdown(f"Suggested **{sug.label.replace('_', ' ')}** {sug.start_s:.1f}-{sug.end_s:.1f} s "
                      f"({sug.confidence:.2f}): {sug.why}")
        if right.button("Accept", key=f"accept_suggestion_{n}"):
            try:
                tag = api.tag_action(persona.id, upload.id, sug.start_s, sug.end_s, sug.label, actor=actor)
                st.session_state["flash"] = f"Tagged {tag.label.replace('_', ' ')} at {tag.start_s:.1f}-{tag.end_s:.1f} s."
                st.rerun()
            except Exception as exc:
                st.error(f"Not tagged: {said(exc)}")


_COLOURS = {"drinking": "#1f77b4", "looking_down": "#9467bd", "laughing": "#ff7f0e", "gesture": "#2ca02c",
            "idle": "#7f7f7f"}


def _timeline_html(duration: float, tags) -> str:
    """A bar the length of the footage with the tagged segments drawn on it."""
    spans = "".join(
        f'<div title="{a.label} {a.start_s:.1f}-{a.end_s:.1f} s" style="position:absolute;left:{100 * a.start_s / duration:.2f}%;'
        f'width:{100 * (a.end_s - a.start_s) / duration:.2f}%;top:0;bottom:0;background:{_COLOURS[a.label]};'
        f'color:white;font-size:11px;overflow:hidden;white-space:nowrap">{a.label.replace("_", " ")}</div>'
        for a in tags)
    return (f'<div style="position:relative;height:22px;background:#e8e8e8;border-radius:4px;margin:4px 0 12px 0">'
            f'{spans}</div>')
