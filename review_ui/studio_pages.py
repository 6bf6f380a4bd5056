"""The operators' pages: personas and consent, materials, productions, templates, verify.
Every page checks that an operator is signed in before it shows anything."""

from __future__ import annotations

import streamlit as st

import tempfile
from pathlib import Path

from review_ui.i18n import t
from review_ui.pages import get_api, require_identity
from studio.models import ActionTag, AssetRef, ConsentRecord, MaterialSet, Persona, ScriptVersion, Upload
from studio.settings import get_settings


def require_operator():
    identity = require_identity()
    if not identity.is_operator:
        st.error(t("You were not invited to this production."))
        st.stop()
    if "flash" in st.session_state:  # what the last action did, shown after its rerun
        st.success(st.session_state.pop("flash"))
    return identity


def productions_page() -> None:
    """Every production with the state of each step, read from Prefect, and its history."""
    require_operator()
    from review_ui.pages import show_history

    st.title(t("Productions"))
    api = get_api()
    try:
        productions = api.productions()
    except Exception as exc:
        st.error(f"Could not read productions: {exc}")
        return
    if not productions:
        st.info("No productions yet.")
        return
    ui = get_settings().prefect.ui_url
    for p in reversed(productions):
        with st.container(border=True):
            link = f" · [run in Prefect]({ui}/runs/flow-run/{p.flow_run_id})" if p.flow_run_id else ""
            versions = len(api.catalog.find(ScriptVersion, f"{p.id}-v"))
            st.markdown(f"**{p.id}** · {p.brief.occasion} · {p.status} · {versions} script version(s) · "
                        f"{p.created_at:%Y-%m-%d %H:%M}{link}")
            if p.flow_run_id:
                try:
                    steps = api.step_states(p.flow_run_id)
                except Exception as exc:  # Prefect down: the catalog status above still shows
                    st.warning(f"Could not read the steps from Prefect: {exc}")
                    steps = []
                if steps:
                    st.table([{"step": s["step"], "state": s["state"], "seconds": f"{s['seconds']:.1f}",
                               "runs": s["runs"],
                               "first started": f"{s['started']:%Y-%m-%d %H:%M:%S}" if s["started"] else ""}
                              for s in steps])
            show_history(api, p.id)


def personas_page() -> None:
    """People, their consent records with the evidence, and revocation."""
    identity = require_operator()
    api = get_api()
    st.title(t("Personas and consent"))
    with st.expander("Add a persona"):
        with st.form("add_persona", clear_on_submit=True):
            name = st.text_input("Name", key="persona_name")
            languages = st.multiselect("Languages", ["en", "zh"], default=["en"], key="persona_languages")
            deceased = st.checkbox("Deceased (consent then comes from next of kin, the estate or an authorised operator)",
                                   key="persona_deceased")
            fictional = st.checkbox("Fictional (a generated demo person)", key="persona_fictional")
            description = st.text_area("Description", key="persona_description")
            if st.form_submit_button("Add persona", key="persona_add"):
                try:
                    persona = api.create_persona(name.strip(), languages, deceased, fictional, description,
                                                 actor=identity.name)
                    st.success(f"Added {persona.display_name} ({persona.id})")
                except Exception as exc:
                    st.error(f"Not added: {exc}")
    personas = sorted(api.catalog.find(Persona), key=lambda p: p.created_at)
    if not personas:
        st.info("No personas yet.")
        return
    persona = _pick_persona(personas, "consent_persona")
    consents = [c for c in api.catalog.find(ConsentRecord) if c.persona_id == persona.id]
    st.subheader("Consent")
    if not consents:
        st.warning("No consent record: nothing can be generated for this persona until one is added.")
    for c in sorted(consents, key=lambda c: c.created_at):
        problem = c.problem(c.scope.uses[0], c.scope.languages[0])
        state = "revoked" if c.revoked_at else ("valid" if problem is None else problem)
        with st.container(border=True):
            st.markdown(f"**{c.id}** · from **{c.grantor_name}** ({c.relationship.replace('_', ' ')}) for "
                        f"{c.subject_name} · {state}")
            st.caption(f"uses: {', '.join(c.scope.uses)} · languages: {', '.join(c.scope.languages)} · audiences: "
                       f"{', '.join(c.scope.audiences) or 'any'} · forbidden topics: "
                       f"{', '.join(c.scope.forbidden_topics) or 'none'} · valid {c.valid_from:%Y-%m-%d} to "
                       f"{c.valid_until:%Y-%m-%d}" + (f" · revoked {c.revoked_at:%Y-%m-%d}: {c.revocation_reason}"
                                                      if c.revoked_at else ""))
            for n, ref in enumerate(c.evidence):
                _show_evidence(api, ref, f"{c.id}-{n}")
            if c.revoked_at is None:
                with st.form(f"revoke-{c.id}"):
                    reason = st.text_input("Reason for revoking", key=f"revoke-reason-{c.id}")
                    if st.form_submit_button("Revoke consent", key=f"revoke-{c.id}"):
                        try:
                            api.revoke_consent(c.id, reason, actor=identity.name)
                            st.session_state["flash"] = ("Revoked: waiting and scheduled work for this persona "
                                                         "was stopped.")
                            st.rerun()
                        except Exception as exc:
                            st.error(f"Not revoked: {exc}")
    with st.expander("New consent record"):
        _add_consent_form(api, persona, identity.name)


def _pick_persona(personas, key: str):
    labels = {p.id: f"{p.display_name} ({p.id})" + (" · fictional" if p.fictional else "")
              + (" · deceased" if p.deceased else "") for p in personas}
    chosen = st.selectbox("Persona", list(labels), format_func=labels.get, key=key)
    return next(p for p in personas if p.id == chosen)


def _show_evidence(api, ref: AssetRef, key: str) -> None:
    label = f"Evidence: {ref.name or ref.key} ({ref.media_type}, {ref.size:,} bytes, sha256 {ref.sha256[:12]})"
    with st.expander(label):
        data = api.catalog.read_media(ref)
        if ref.media_type.startswith("image/"):
            st.image(data, width=480)
        elif ref.media_type.startswith("audio/"):
            st.audio(data, format=ref.media_type)
        elif ref.media_type.startswith("video/"):
            st.video(data, format=ref.media_type)
        elif ref.media_type.startswith("text/"):
            st.text(data.decode("utf-8", "replace")[:5000])
        st.download_button("Download", data, file_name=ref.name or ref.sha256, mime=ref.media_type,
                           key=f"evidence-{key}")


def _saved_uploads(files, folder: Path) -> list[Path]:
    paths = []
    for f in files:
        path = folder / Path(f.name).name
        path.write_bytes(f.getvalue())
        paths.append(path)
    return paths


def _add_consent_form(api, persona, actor: str) -> None:
    with st.form(f"add-consent-{persona.id}", clear_on_submit=True):
        grantor = st.text_input("Given by (name)", key="consent_grantor")
        relationship = st.selectbox("Relationship", ["self", "next_of_kin", "estate", "authorised_operator"],
                                    key="consent_relationship")
        uses = st.multiselect("Uses", ["greeting", "memorial", "annual_meeting"], key="consent_uses")
        languages = st.multiselect("Languages", ["en", "zh"], default=persona.languages, key="consent_languages")
        audiences = st.text_input("Audiences (comma-separated, empty for any)", key="consent_audiences")
        forbidden = st.text_input("Forbidden topics (comma-separated)", key="consent_forbidden")
        endorsements = st.checkbox("May recommend products, brands or services", key="consent_endorsements")
        own_words = st.checkbox("Views, memories, sayings and figures only as their own words or the brief support",
                                key="consent_own_words")
        days = st.number_input("Valid for (days)", 1, 3650, 365, key="consent_days")
        evidence = st.file_uploader("Evidence: a signed form, a recorded statement", accept_multiple_files=True,
                                    key="consent_evidence")
        if not st.form_submit_button("Add consent", key="consent_add"):
            return
    split = lambda text: [x.strip() for x in text.split(",") if x.strip()]  # noqa: E731
    try:
        with tempfile.TemporaryDirectory() as tmp:
            record = api.add_consent(persona.id, grantor.strip(), relationship, uses, _saved_uploads(evidence or [], Path(tmp)),
                                     valid_days=int(days), languages=languages, audiences=split(audiences),
                                     forbidden_topics=split(forbidden), actor=actor, endorsements=endorsements,
                                     own_words_only=own_words)
        st.success(f"Consent {record.id} recorded.")
    except Exception as exc:
        st.error(f"Not recorded: {exc}")


def materials_page() -> None:
    """Upload a persona's recordings and footage, see what was selected and why, tag actions."""
    identity = require_operator()
    api = get_api()
    st.title(t("Materials"))
    personas = sorted(api.catalog.find(Persona), key=lambda p: p.created_at)
    if not personas:
        st.info("No personas yet; add one on the Personas page.")
        return
    persona = _pick_persona(personas, "materials_persona")
    with st.form("upload", clear_on_submit=True):
        role = st.selectbox("These files are", ["voice", "footage", "photo", "text"], key="upload_role",
                            format_func={"voice": "voice recordings", "footage": "video footage", "photo": "photos",
                                         "text": "past talks and letters (text)"}.get)
        files = st.file_uploader("Files", accept_multiple_files=True, key="upload_files")
        submitted = st.form_submit_button("Store these files", key="upload_send")
    if submitted and files:
        bar = st.progress(0.0, text="Checking and storing ...")
        with tempfile.TemporaryDirectory() as tmp:
            for n, path in enumerate(_saved_uploads(files, Path(tmp)), 1):
                try:
                    upload = api.add_material(persona.id, role, path, actor=identity.name)
                    st.success(f"{path.name}: stored as {upload.id}")
                except Exception as exc:  # corrupt, empty, wrong kind: that file only
                    st.error(f"{path.name}: not stored: {exc}")
                bar.progress(n / len(files), text=f"{n} of {len(files)} files")
    uploads = [u for u in api.catalog.find(Upload) if u.persona_id == persona.id]
    st.subheader("Uploads")
    st.dataframe([{"role": u.role, "file": u.asset.name, "size": f"{u.asset.size:,}", "type": u.asset.media_type,
                   "id": u.id} for u in sorted(uploads, key=lambda u: (u.role, u.created_at))],
                 hide_index=True, use_container_width=True)
    _show_selection(api, persona, identity.name)
    _edit_style(api, persona, identity.name)
    footage = [u for u in uploads if u.role == "footage"]
    if footage:
        _tag_actions(api, persona, footage, identity.name)


def _edit_style(api, persona, actor: str) -> None:
    """The persona's style profile, derived from their corpus, for an operator to correct."""
    from studio.models import HumourDevice, StyleProfile

    st.subheader("How they speak")
    if not api.catalog.exists(StyleProfile, persona.id):
        if st.button("Read their texts and derive their style", key="style_derive"):
            try:
                api.build_corpus(persona.id, transcribe=False)
                st.rerun()
            except Exception as exc:
                st.error(f"Not derived: {exc}")
        return
    profile = api.catalog.load(StyleProfile, persona.id)
    st.caption(f"From {profile.passages} passages of their corpus"
               + (f"; {', '.join(profile.edited_fields)} edited by {profile.edited_by}" if profile.edited_fields else ""))
    lines = lambda items: "\n".join(items)  # noqa: E731
    with st.form(f"style-{persona.id}"):
        catchphrases = st.text_area("Catchphrases (one per line)", lines(profile.catchphrases), key="style_catchphrases")
        fillers = st.text_area("Filler words (one per line)", lines(profile.fillers), key="style_fillers")
        address = st.text_area("Forms of address (one per line)", lines(profile.forms_of_address), key="style_address")
        humour = st.text_area("Humour (one per line, 'device: example')",
                              lines(f"{h.name}: {h.example}" for h in profile.humour), key="style_humour")
        length = st.number_input("Typical sentence length (words; characters for Chinese)", 1.0, 200.0,
                                 float(profile.sentence_length), key="style_length")
        notes = st.text_area("Notes for the drafter", profile.notes, key="style_notes")
        if not st.form_submit_button("Save style", key="style_save"):
            return
    split = lambda text: [x.strip() for x in text.splitlines() if x.strip()]  # noqa: E731
    proposed = {"catchphrases": split(catchphrases), "fillers": split(fillers), "forms_of_address": split(address),
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
    st.caption(f"From {chosen.id} ({chosen.created_at:%Y-%m-%d %H:%M}); median pitch {chosen.median_f0_hz:.0f} Hz")
    st.markdown("**Voice prompts**")
    for prompt in chosen.voice_prompts:
        cols = st.columns([2, 3])
        cols[0].audio(api.catalog.read_media(prompt.clip), format="audio/wav")
        heard = f"  \n*“{prompt.transcript}”*" if prompt.transcript else ""
        cols[1].markdown(f"**{prompt.style}** · {prompt.duration_s:.1f} s at {prompt.start_s:.1f} s of "
                         f"{prompt.source.name or 'a recording'} · score {prompt.score:.2f} · {prompt.chosen_by}  \n"
                         f"{prompt.why}{heard}")
    if chosen.sound_bank:
        st.markdown("**Sound bank** (played for [cough], [laugh], [breath], [sigh])")
        for sound in chosen.sound_bank:
            cols = st.columns([2, 3])
            cols[0].audio(api.catalog.read_media(sound.clip), format="audio/wav")
            cols[1].markdown(f"**{sound.kind}** at {sound.start_s:.1f} s of {sound.source.name or 'a recording'}  \n{sound.why}")
    if chosen.prompt_candidates:
        _choose_prompts(api, persona, chosen, actor)
    st.markdown("**Footage segments**")
    for segment in chosen.footage:
        cols = st.columns([1, 3])
        cols[0].image(api.catalog.read_media(segment.still), use_container_width=True)
        cols[1].markdown(f"**{segment.label.replace('_', ' ')}** · {segment.start_s:.1f}-"
                         f"{segment.start_s + segment.duration_s:.1f} s of {segment.source.name or 'footage'} · "
                         f"score {segment.score:.2f}  \n{segment.why}")


def _choose_prompts(api, persona, chosen, actor: str) -> None:
    """Every clip the selection scored; an operator may pick the prompts by hand instead."""
    from studio.models import PromptPick, VoiceChoice

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
                    st.error(str(exc))
        choice = api.catalog.load(VoiceChoice, persona.id) if api.catalog.exists(VoiceChoice, persona.id) else None
        if choice and choice.picks:
            st.info(f"{len(choice.picks)} prompt(s) chosen by {choice.chosen_by} are used from the next production.")
            if st.button("Back to the automatic choice", key="prompt_auto"):
                api.clear_voice_choice(persona.id, actor=actor)
                st.session_state["flash"] = "voice prompts are chosen automatically again"
                st.rerun()


@st.cache_data(max_entries=64, show_spinner=False)
def _frame(path: str, at_s: float) -> bytes:
    from tasks.media import frame_jpeg

    return frame_jpeg(Path(path), at_s, max_width=240)


def _tag_actions(api, persona, footage, actor: str) -> None:
    from tasks.media import probe

    st.subheader("Action segments")
    labels = {u.id: u.asset.name or u.id for u in footage}
    upload_id = st.selectbox("Footage", list(labels), format_func=labels.get, key="tag_upload")
    upload = next(u for u in footage if u.id == upload_id)
    path = api.catalog.media_path(upload.asset)
    duration = probe(path).duration_s
    tags = sorted((a for a in api.catalog.find(ActionTag) if a.source.sha256 == upload.asset.sha256
                   and a.persona_id == persona.id), key=lambda a: a.start_s)
    strip = st.columns(8)
    for n, col in enumerate(strip):
        at = duration * (n + 0.5) / len(strip)
        col.image(_frame(str(path), round(at, 1)), caption=f"{at:.1f} s", use_container_width=True)
    st.markdown(_timeline_html(duration, tags), unsafe_allow_html=True)
    start, end = st.slider("Segment (seconds)", 0.0, float(round(duration, 1)), (0.0, min(2.0, float(duration))),
                           step=0.1, key="tag_span")
    left, right = st.columns(2)
    left.image(_frame(str(path), start), caption=f"start {start:.1f} s", width=240)
    right.image(_frame(str(path), max(end - 0.05, 0)), caption=f"end {end:.1f} s", width=240)
    label = st.selectbox("Action", ["drinking", "looking_down", "laughing", "gesture", "idle"],
                         format_func=lambda x: x.replace("_", " "), key="tag_label")
    if st.button("Tag this segment", key="tag_add"):
        try:
            tag = api.tag_action(persona.id, upload.id, start, end, label, actor=actor)
            st.session_state["flash"] = (f"Tagged {tag.label.replace('_', ' ')} at {tag.start_s:.1f}-{tag.end_s:.1f} s; "
                                         "the next production's selection includes it.")
            st.rerun()
        except Exception as exc:
            st.error(f"Not tagged: {exc}")
    for tag in tags:
        st.caption(f"{tag.label.replace('_', ' ')}: {tag.start_s:.1f}-{tag.end_s:.1f} s, tagged by {tag.tagged_by}")
    _suggested_actions(api, persona, upload, actor)


def _suggested_actions(api, persona, upload, actor: str) -> None:
    """The footage analysis's segments and suggested actions; a suggestion becomes a tag when accepted."""
    from studio.models import FootageAnalysis
    from tasks.footage_analysis import analysis_id

    st.markdown("**Footage analysis**")
    if not api.catalog.exists(FootageAnalysis, analysis_id(upload.asset)):
        if st.button("Analyse this footage (faces, pose, shots, speech)", key="analyse_footage"):
            with st.spinner("Analysing..."):
                api.analyse_footage(persona.id, upload.id)
            st.rerun()
        return
    analysis = api.catalog.load(FootageAnalysis, analysis_id(upload.asset))
    st.caption(f"face in {analysis.face_ratio * 100:.0f}% of frames, {analysis.speech_s:.1f} s of speech, "
               f"shot changes at {', '.join(f'{c:.1f} s' for c in analysis.shot_changes_s) or 'none'}")
    for n, seg in enumerate(analysis.segments, 1):
        st.caption(f"{n}. {seg.start_s:.1f}-{seg.start_s + seg.duration_s:.1f} s, score {seg.score:.2f}: {seg.why}")
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
                st.error(f"Not tagged: {exc}")


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


def verify_page() -> None:
    require_operator()
    st.title("Verify a video")
    upload = st.file_uploader("A video or sound file the studio may have made",
                              type=["mp4", "mov", "mkv", "webm", "m4a", "mp3", "wav", "aac", "ogg"])
    if upload is None:
        return
    from tasks.verify import verify_file

    with tempfile.TemporaryDirectory() as tmp:
        [path] = _saved_uploads([upload], Path(tmp))
        api = get_api()
        report = verify_file(api.catalog, api.settings, path)
    verdicts = {"authorised": "made by this studio with valid consent and approval",
                "revoked": "made by this studio, but the consent or the delivery has since been revoked",
                "unapproved": "made by this studio, but its approvals are not the ones the studio recorded for it",
                "unknown_watermark": "carries a studio watermark whose id this studio's registry does not hold",
                "no_watermark": "no studio watermark found", "not_a_media_file": "not a readable video or sound file"}
    (st.success if report.verdict == "authorised" else st.warning)(
        f"Verdict: **{report.verdict}**, {verdicts[report.verdict]}")
    if report.persona:
        st.markdown(f"**Persona:** {report.persona} · **consent:** {report.consent_id} · **script:** "
                    f"v{report.script_version} · **approved by:** {', '.join(report.approvers)}")
    st.markdown(f"**C2PA:** {report.c2pa} · **GB 45438 AIGC metadata:** {'present' if report.aigc else 'absent'} · "
                f"**watermark (picture / sound):** {report.watermark_video or '-'} / {report.watermark_audio or '-'}")
    for line in report.details:
        st.markdown(f"- {line}")
    with st.expander("Full report"):
        st.json(report.model_dump(mode="json"))


def templates_page() -> None:
    """Approved templates and their schedules; operators pause and resume them here."""
    require_operator()
    from studio.models import Template

    st.title("Templates and schedules")
    api = get_api()
    templates = api.catalog.find(Template)
    if not templates:
        st.info("No templates yet. Save a delivered production with `studio template save`.")
        return
    for tpl in templates:
        with st.container(border=True):
            st.markdown(f"**{tpl.name}** · `{tpl.id}` · {tpl.use} · {tpl.delivery.replace('_', ' ')} · "
                        f"placeholders: {', '.join(tpl.placeholders) or 'none'} · approved by {', '.join(tpl.approved_by)}")
            if not tpl.schedule_cron:
                st.caption("No schedule (`studio template schedule` adds one).")
                continue
            state = "active" if tpl.schedule_active else "paused"
            st.caption(f"Runs at `{tpl.schedule_cron}` ({tpl.schedule_timezone}), {state}, with "
                       + ", ".join(f"{k}={v}" for k, v in tpl.schedule_values.items()))
            label, active = ("Pause", False) if tpl.schedule_active else ("Resume", True)
            if st.button(label, key=f"schedule-{tpl.id}"):
                try:
                    api.schedule_template(tpl.id, active=active, actor=require_identity().name)
                    st.session_state["flash"] = f"{tpl.name}: schedule {'resumed' if active else 'paused'}"
                    st.rerun()
                except Exception as exc:  # consent gone, Prefect down
                    st.error(f"The schedule was not changed: {exc}")
