"""The operators' personas page: personas, their consent records and evidence, adding and revoking
consent."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from core.records import AssetRef
from persona.records import ConsentRecord, Persona
from review_ui.i18n import t
from review_ui.safe import md, said
from review_ui.session import get_api, require_operator
from storage.catalog import safe_file_name


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
                    st.success(f"Added {md(persona.display_name)} ({md(persona.id)})")
                    select_persona(persona.id)  # the pages below now show the new persona
                except Exception as exc:
                    st.error(f"Not added: {said(exc)}")
    personas = sorted(api.catalog.find(Persona), key=lambda p: p.created_at)
    if not personas:
        st.info("No personas yet.")
        return
    persona = pick_persona(personas, "consent_persona")
    consents = [c for c in api.catalog.find(ConsentRecord) if c.persona_id == persona.id]
    st.subheader("Consent")
    if not consents:
        st.warning("No consent record: nothing can be generated for this persona until one is added.")
    for c in sorted(consents, key=lambda c: c.created_at):
        problem = c.problem(c.scope.uses[0], c.scope.languages[0])
        state = "revoked" if c.revoked_at else ("valid" if problem is None else problem)
        with st.container(border=True):
            st.markdown(f"**{md(c.id)}** · from **{md(c.grantor_name)}** ({c.relationship.replace('_', ' ')}) for "
                        f"{md(c.subject_name)} · {md(state)}")
            st.caption(md(f"uses: {', '.join(c.scope.uses)} · languages: {', '.join(c.scope.languages)} · audiences: "
                          f"{', '.join(c.scope.audiences) or 'any'} · forbidden topics: "
                          f"{', '.join(c.scope.forbidden_topics) or 'none'} · valid {c.valid_from:%Y-%m-%d} to "
                          f"{c.valid_until:%Y-%m-%d}" + (f" · revoked {c.revoked_at:%Y-%m-%d}: {c.revocation_reason}"
                                                         if c.revoked_at else "")))
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
                            st.error(f"Not revoked: {said(exc)}")
    with st.expander("New consent record"):
        _add_consent_form(api, persona, identity.name)


PERSONA_PICKERS = ("consent_persona", "materials_persona")


def select_persona(persona_id: str) -> None:
    """Make ``persona_id`` the persona every page's picker shows (set before the pickers are drawn)."""
    for key in PERSONA_PICKERS:
        st.session_state[key] = persona_id


def pick_persona(personas, key: str):
    """The persona a page works on. Every form below it is keyed to that persona's id, so
    nothing typed for one persona is ever shown, or saved, for another."""
    labels = {p.id: f"{p.display_name} ({p.id})" + (" · fictional" if p.fictional else "")
              + (" · deceased" if p.deceased else "") for p in personas}
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    chosen = st.selectbox("Persona", list(labels), format_func=labels.get, key=key)
    return next(p for p in personas if p.id == chosen)


def _show_evidence(api, ref: AssetRef, key: str) -> None:
    label = md(f"Evidence: {ref.name or ref.key} ({ref.media_type}, {ref.size:,} bytes, sha256 {ref.sha256[:12]})")
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


def saved_upload(upload, folder: Path, n: int) -> Path:
    """One file from the browser as a local file under a safe version of its name, in a folder
    of its own (two files of one batch may share a name; any name is taken)."""

    path = Path(folder) / f"{n:04d}" / safe_file_name(upload.name)
    path.parent.mkdir(parents=True)
    path.write_bytes(upload.getvalue())
    return path


def _add_consent_form(api, persona, actor: str) -> None:
    k = persona.id  # every field belongs to this persona's form: nothing carries over to another
    with st.form(f"add-consent-{k}", clear_on_submit=True):
        grantor = st.text_input("Given by (name)", key=f"consent_grantor-{k}")
        relationship = st.selectbox("Relationship", ["self", "next_of_kin", "estate", "authorised_operator"],
                                    index=1 if persona.deceased else 0, key=f"consent_relationship-{k}")
        uses = st.multiselect("Uses", ["greeting", "memorial", "annual_meeting"], key=f"consent_uses-{k}")
        languages = st.multiselect("Languages", ["en", "zh"], default=persona.languages, key=f"consent_languages-{k}")
        audiences = st.text_input("Audiences (comma-separated, empty for any)", key=f"consent_audiences-{k}")
        forbidden = st.text_input("Forbidden topics (comma-separated)", key=f"consent_forbidden-{k}")
        endorsements = st.checkbox("May recommend products, brands or services", key=f"consent_endorsements-{k}")
        own_words = st.checkbox("Views, memories, sayings and figures only as their own words or the brief support",
                                key=f"consent_own_words-{k}")
        days = st.number_input("Valid for (days)", 1, 3650, 365, key=f"consent_days-{k}")
        evidence = st.file_uploader("Evidence: a signed form, a recorded statement", accept_multiple_files=True,
                                    key=f"consent_evidence-{k}")
        if not st.form_submit_button("Add consent", key=f"consent_add-{k}"):
            return
    split = lambda text: [x.strip() for x in text.split(",") if x.strip()]  # noqa: E731
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files = [saved_upload(f, Path(tmp), n) for n, f in enumerate(evidence or [])]
            record = api.add_consent(persona.id, grantor.strip(), relationship, uses, files,
                                     valid_days=int(days), languages=languages, audiences=split(audiences),
                                     forbidden_topics=split(forbidden), actor=actor, endorsements=endorsements,
                                     own_words_only=own_words)
        st.success(f"Consent {md(record.id)} recorded.")
    except Exception as exc:
        st.error(f"Not recorded: {said(exc)}")
