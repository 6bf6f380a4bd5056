"""The operators' personas page: personas, their consent records and evidence, adding and revoking
consent."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from core.errors import one_line
from core.records import AssetRef, utcnow
from persona.records import ConsentRecord, Persona
from review_ui.family_page import family_panel
from review_ui.i18n import explain, fixed, label, language, t
from review_ui.safe import md
from review_ui.session import get_api, require_operator
from storage.catalog import safe_file_name


def personas_page() -> None:
    """People, their consent records with the evidence, and revocation."""
    identity = require_operator()
    api = get_api()
    st.title(t("Personas and consent"))
    with st.expander(t("Add a persona")):
        with st.form("add_persona", clear_on_submit=True):
            name = st.text_input(t("Name"), key="persona_name")
            languages = st.multiselect(t("Languages"), ["en", "zh"], default=[language()], format_func=fixed(t),
                                       key="persona_languages")
            deceased = st.checkbox(t("Deceased (consent then comes from next of kin, the estate or an authorised operator)"),
                                   key="persona_deceased")
            fictional = st.checkbox(t("Fictional (a generated demo person)"), key="persona_fictional")
            description = st.text_area(t("Description"), key="persona_description")
            if st.form_submit_button(t("Add persona"), key="persona_add"):
                try:
                    persona = api.create_persona(name.strip(), languages, deceased, fictional, description,
                                                 actor=identity.name)
                    st.success(t("Added {name}", name=persona.display_name))
                    select_persona(persona.id)  # the pages below now show the new persona
                except Exception as exc:
                    st.error(t("Not added: {error}", error=explain(one_line(exc))))
    persona = pick_persona(api, "consent_persona", t("No personas yet."))
    if persona is None:
        return
    st.caption(t("Digital-human identity code: {code} (in every delivery's label, credentials and watermark record)",
                 code=api.identity_code(persona.id)))
    consents = api.consents(persona.id)
    st.subheader(t("Consent"))
    if not consents:
        st.warning(t("No consent record: nothing can be generated for this persona until one is added."))
    for c in consents:
        _consent_card(api, c, identity.name)
    with st.expander(t("New consent record")):
        _consent_form(api, persona, identity.name)


def consent_state(c: ConsentRecord) -> str:
    if c.revoked_at:
        return t("revoked")
    if c.superseded_by:
        return t("replaced by a newer version")
    problem = c.problem(c.scope.uses[0], c.scope.languages[0])
    return t("valid") if problem is None else explain(problem)


def _consent_card(api, c: ConsentRecord, actor: str) -> None:
    """One consent record: who gave it, for what, its evidence; correcting it makes a new version."""
    state = consent_state(c)
    if c.quorum is not None and state == t("valid") and not api.family_status(c.id).complete:
        state = t("waiting for the family's agreement")
    with st.container(border=True):
        st.markdown(t("**Version {version}** · from **{grantor}** ({relationship}) for {subject} · {state}",
                      version=c.version, grantor=c.grantor_name, relationship=label(c.relationship), subject=c.subject_name,
                      state=state) + f" · {md(c.id)}")
        sc = c.scope
        st.caption(t("uses: {uses} · languages: {languages} · audiences: {audiences} · forbidden topics: {topics} · "
                     "valid {start} to {end}", uses=", ".join(label(u) for u in sc.uses),
                     languages=", ".join(t(x) for x in sc.languages), audiences=", ".join(sc.audiences) or t("any"),
                     topics=", ".join(sc.forbidden_topics) or t("none"), start=f"{c.valid_from:%Y-%m-%d}",
                     end=f"{c.valid_until:%Y-%m-%d}")
                   + (t(" · revoked {day}: {reason}", day=f"{c.revoked_at:%Y-%m-%d}", reason=c.revocation_reason or "")
                      if c.revoked_at else ""))
        for n, ref in enumerate(c.evidence):
            _show_evidence(api, ref, f"{c.id}-{n}")
        if c.quorum is not None and not c.superseded_by:
            _family_section(api, c, actor)
        if c.revoked_at is not None or c.superseded_by:
            return
        with st.expander(t("Correct this record (saved as a new version)")):
            _consent_form(api, api.catalog.load(Persona, c.persona_id), actor, correcting=c)
        with st.form(f"revoke-{c.id}"):
            reason = st.text_input(t("Reason for revoking"), key=f"revoke-reason-{c.id}")
            if st.form_submit_button(t("Revoke consent"), key=f"revoke-{c.id}"):
                try:
                    api.revoke_consent(c.id, reason, actor=actor)
                    st.session_state["flash"] = t("Revoked: waiting and scheduled work for this persona was stopped.")
                    st.rerun()
                except Exception as exc:
                    st.error(t("Not revoked: {error}", error=explain(one_line(exc))))


def _family_section(api, c: ConsentRecord, actor: str) -> None:
    """The family quorum: who has agreed, and a link for each member (shown once)."""
    st.markdown(t("**Family agreement**"))
    status = family_panel(api, c.id)
    if status.revoked_at:
        return
    waiting = [m.name for m in status.members if m.agreed_at is None]
    if not waiting:
        return
    with st.form(f"family-invite-{c.id}"):
        member = st.selectbox(t("Invite a family member to agree"), waiting, key=f"family-member-{c.id}")
        lang = st.selectbox(t("Their language"), ["en", "zh"], format_func=fixed(t), key=f"family-lang-{c.id}")
        if st.form_submit_button(t("Make their link"), key=f"family-link-{c.id}"):
            try:
                _, link = api.invite_family_member(c.id, member, language=lang, actor=actor)
                st.success(t("Send this link to {name} (it is shown only now):", name=member))
                st.code(link, language=None)
            except Exception as exc:
                st.error(t("No link made: {error}", error=explain(one_line(exc))))


PERSONA_PICKERS = ("consent_persona", "materials_persona", "start_persona")


def select_persona(persona_id: str) -> None:
    """Make ``persona_id`` the persona every page's picker shows (set before the pickers are drawn)."""
    for key in PERSONA_PICKERS:
        st.session_state[key] = persona_id


def pick_persona(api, key: str, none_yet: str | None = None) -> Persona | None:
    """The persona a page works on (None, said with ``none_yet``, where there is none yet).
    Every form below it is keyed to that persona's id, so nothing typed for one persona is ever
    shown, or saved, for another."""
    personas = sorted(api.catalog.find(Persona), key=lambda p: p.created_at)
    if not personas:
        st.info(none_yet or t("No personas yet; add one on the Personas page."))
        return None
    labels = {p.id: p.display_name + (t(" · fictional") if p.fictional else "") + (t(" · deceased") if p.deceased else "")
              for p in personas}
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    chosen = st.selectbox(t("Persona"), list(labels), format_func=labels.get, key=key)
    return next(p for p in personas if p.id == chosen)


def _show_evidence(api, ref: AssetRef, key: str) -> None:
    label = t("Evidence: {name} ({type}, {size} bytes, sha256 {sha})", name=ref.name or ref.key, type=ref.media_type,
              size=f"{ref.size:,}", sha=ref.sha256[:12])
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
        st.download_button(t("Download"), data, file_name=ref.name or ref.sha256, mime=ref.media_type,
                           key=f"evidence-{key}")


def saved_upload(upload, folder: Path, n: int) -> Path:
    """One file from the browser as a local file under a safe version of its name, in a folder
    of its own (two files of one batch may share a name; any name is taken)."""

    path = Path(folder) / f"{n:04d}" / safe_file_name(upload.name)
    path.parent.mkdir(parents=True)
    path.write_bytes(upload.getvalue())
    return path


def _consent_form(api, persona, actor: str, correcting: ConsentRecord | None = None) -> None:
    """A new consent record, or (``correcting``) the next version of one: the form starts from
    it, the evidence is kept unless new files are given, and the old version is marked replaced."""
    k = correcting.id if correcting else persona.id  # every field belongs to this form: nothing carries over
    was = correcting.scope if correcting else None
    relationships = ["self", "next_of_kin", "estate", "authorised_operator"]
    with st.form(f"consent-form-{k}", clear_on_submit=correcting is None):
        grantor = st.text_input(t("Given by (name)"), correcting.grantor_name if correcting else "", key=f"consent_grantor-{k}")
        relationship = st.selectbox(t("Relationship"), relationships, format_func=fixed(label), key=f"consent_relationship-{k}",
                                    index=relationships.index(correcting.relationship) if correcting else int(persona.deceased))
        uses = st.multiselect(t("Uses"), ["greeting", "memorial", "annual_meeting"], default=was.uses if was else [],
                              format_func=fixed(label), key=f"consent_uses-{k}")
        languages = st.multiselect(t("Languages"), ["en", "zh"], default=was.languages if was else persona.languages,
                                   format_func=fixed(t), key=f"consent_languages-{k}")
        audiences = st.text_input(t("Audiences (comma-separated, empty for any)"), ", ".join(was.audiences) if was else "",
                                  key=f"consent_audiences-{k}")
        forbidden = st.text_input(t("Forbidden topics (comma-separated)"), ", ".join(was.forbidden_topics) if was else "",
                                  key=f"consent_forbidden-{k}")
        endorsements = st.checkbox(t("May recommend products, brands or services"), was.endorsements if was else False,
                                   key=f"consent_endorsements-{k}")
        own_words = st.checkbox(t("Views, memories, sayings and figures only as their own words or the brief support"),
                                was.own_words_only if was else False, key=f"consent_own_words-{k}")
        left = max(1, (correcting.valid_until - utcnow()).days) if correcting else 365
        days = st.number_input(t("Valid for (days)"), 1, 3650, left, key=f"consent_days-{k}")
        evidence = st.file_uploader(t("Evidence: a signed form, a recorded statement")
                                    + (t(" (empty keeps the evidence on file)") if correcting else ""),
                                    accept_multiple_files=True, key=f"consent_evidence-{k}")
        family, needed = "", 0
        if persona.deceased and correcting is None:
            family = st.text_area(t("Family members whose agreement is needed, one per line: name, relationship "
                                    "(empty: the person above alone)"), key=f"consent_family-{k}")
            needed = st.number_input(t("How many of them must agree (0: all)"), 0, 20, 0, key=f"consent_needed-{k}")
        reason = st.text_input(t("What is corrected, and why"), key=f"consent_reason-{k}") if correcting else ""
        button = t("Save as a new version") if correcting else t("Add consent")
        if not st.form_submit_button(button, key=f"consent_add-{k}"):
            return
    split = lambda text: [x.strip() for x in text.split(",") if x.strip()]  # noqa: E731
    fields = dict(valid_days=int(days), languages=languages, audiences=split(audiences), forbidden_topics=split(forbidden),
                  actor=actor, endorsements=endorsements, own_words_only=own_words)
    try:
        members = [[x.strip() for x in line.replace("，", ",").split(",", 1)] for line in family.splitlines() if line.strip()]
        if any(len(m) != 2 or not all(m) for m in members):
            raise ValueError("write each family member on a line of their own as: name, relationship")
        if members:
            fields["quorum"] = {"members": [{"name": n, "relationship": r} for n, r in members],
                                "needed": int(needed) or len(members)}
        with tempfile.TemporaryDirectory() as tmp:
            files = [saved_upload(f, Path(tmp), n) for n, f in enumerate(evidence or [])]
            if correcting:
                record = api.correct_consent(correcting.id, reason, grantor_name=grantor.strip(), relationship=relationship,
                                             uses=uses, evidence=files or None, **fields)
            else:
                record = api.add_consent(persona.id, grantor.strip(), relationship, uses, files, **fields)
        st.session_state["flash"] = t("Consent version {version} recorded.", version=record.version)
        st.rerun()
    except Exception as exc:
        st.error(t("Not recorded: {error}", error=explain(one_line(exc))))
