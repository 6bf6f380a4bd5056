"""The page a family member named in a consent's quorum sees through their own invitation link:
the terms, who of the family has agreed, their agreement (with their own evidence) and, at any
time, their withdrawal, which stops everything made under the consent at once. Operators see the
same state on the personas page (``family_panel``) and make each member's link there."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from core.errors import one_line
from persona.records import ConsentRecord
from review.access import Identity
from review_ui.i18n import explain, label, t
from review_ui.safe import md
from review_ui.session import get_api, require_identity


def family_page() -> None:
    identity = require_identity()
    api = get_api()
    consent = api.catalog.load(ConsentRecord, identity.consent_id)
    st.title(t("Consent for {subject}", subject=consent.subject_name))
    if "family_done" in st.session_state:  # made by ``t``: escaped
        st.success(st.session_state.pop("family_done"))
    sc = consent.scope
    st.write(t("The studio asks the family before it makes {subject}'s voice and likeness. {count} of you must "
               "agree; any one of you can withdraw at any time.", subject=consent.subject_name, count=consent.quorum.needed))
    st.caption(t("uses: {uses} · languages: {languages} · audiences: {audiences} · forbidden topics: {topics} · "
                 "valid {start} to {end}", uses=", ".join(label(u) for u in sc.uses),
                 languages=", ".join(t(x) for x in sc.languages), audiences=", ".join(sc.audiences) or t("any"),
                 topics=", ".join(sc.forbidden_topics) or t("none"), start=f"{consent.valid_from:%Y-%m-%d}",
                 end=f"{consent.valid_until:%Y-%m-%d}"))
    status = family_panel(api, consent.id)
    if status.revoked_at:
        return
    me = next(m for m in status.members if m.name == identity.name)
    if me.agreed_at is None:
        _agree_form(api, consent, identity)
    else:
        st.info(t("You agreed on {day}. You can still withdraw below.", day=f"{me.agreed_at:%Y-%m-%d}"))
    _withdraw_form(api, consent, identity)


def family_panel(api, consent_id: str):
    """Who must agree, who has, and any withdrawal (shown to the members and to operators)."""
    status = api.family_status(consent_id)
    agreed = sum(m.agreed_at is not None for m in status.members)
    if status.revoked_at:
        st.error(t("Withdrawn on {day}: {reason}. Nothing more is made under this consent; what was made is marked "
                   "revoked.", day=f"{status.revoked_at:%Y-%m-%d}", reason=explain(status.revocation_reason or "")))
    elif status.complete:
        st.success(t("{agreed} of the {needed} needed have agreed: the studio may go ahead.", agreed=agreed,
                     needed=status.needed))
    else:
        st.warning(t("{agreed} of the {needed} needed have agreed: nothing is made until enough of the family agree.",
                     agreed=agreed, needed=status.needed))
    for m in status.members:
        st.markdown(f"- **{md(m.name)}** ({md(m.relationship)}): "
                    + (t("agreed {day}", day=f"{m.agreed_at:%Y-%m-%d %H:%M}") if m.agreed_at else t("not yet")))
    return status


def _agree_form(api, consent: ConsentRecord, identity: Identity) -> None:
    with st.form("family_agree", clear_on_submit=True):
        st.subheader(t("Your agreement"))
        words = st.text_area(t("In your own words (kept as your statement, with your name and the time)"),
                             key="family_words")
        files = st.file_uploader(t("Or a signed form or a recording of you (optional)"), accept_multiple_files=True,
                                 key="family_files")
        sure = st.checkbox(t("I agree that the studio makes {subject}'s voice and likeness for these uses.",
                             subject=consent.subject_name), key="family_sure")
        if st.form_submit_button(t("I agree"), type="primary", key="family_agree_button"):
            if not sure:
                st.error(t("Tick the box to agree, or withdraw below."))
                return
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    paths = []
                    for n, upload in enumerate(files or []):
                        path = Path(tmp) / f"{n}-{Path(upload.name).name or 'evidence'}"
                        path.write_bytes(upload.getvalue())
                        paths.append(path)
                    api.agree_to_consent(consent.id, identity.name, identity=identity, evidence=paths, statement=words)
                st.session_state["family_done"] = t("Thank you: your agreement is recorded.")
                st.rerun()
            except Exception as exc:
                st.error(t("Not recorded: {error}", error=explain(one_line(exc))))


def _withdraw_form(api, consent: ConsentRecord, identity: Identity) -> None:
    with st.form("family_withdraw"):
        st.subheader(t("Withdraw"))
        reason = st.text_input(t("Why (shown to the reviewers and kept in the audit log)"), key="family_reason")
        sure = st.checkbox(t("I understand this stops everything made under this consent at once."),
                           key="family_withdraw_sure")
        if st.form_submit_button(t("Withdraw my agreement"), key="family_withdraw_button"):
            if not sure:
                st.error(t("Tick the box to withdraw."))
                return
            try:
                api.withdraw_from_consent(consent.id, identity.name, reason, identity=identity)
                st.session_state["family_done"] = t("Withdrawn: the studio has stopped everything made under this consent.")
                st.rerun()
            except Exception as exc:
                st.error(t("Not withdrawn: {error}", error=explain(one_line(exc))))
