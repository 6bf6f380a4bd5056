"""A production's invitation links on the operators' Productions page: who has one, for which
role, until when; revoke one, send a fresh one, or invite someone new (a recipient once the
production is delivered: they watch and download, and decide nothing). A link is shown once."""

from __future__ import annotations

import streamlit as st

from core.records import utcnow
from review_ui.i18n import fixed, label, said, t
from review_ui.safe import md


def invitations_section(api, production, actor: str) -> None:
    with st.expander(t("Invitation links")):
        k = production.id
        shown = st.session_state.pop(f"new_link-{k}", None)
        if shown:
            st.success(t("The link for {name} (shown only now):", name=shown[0]))
            st.code(shown[1], language=None)
        rows = api.invitations(production.id)
        for inv in rows:
            state = (t("revoked") if inv.revoked_at else t("expired") if inv.expires_at <= utcnow() else
                     t("valid until {day}", day=f"{inv.expires_at:%Y-%m-%d}"))
            left, mid, right = st.columns([4, 1, 1])
            left.markdown(f"**{md(inv.reviewer)}** · {label(inv.role)} · {t(inv.language)} · {state}")
            if inv.revoked_at is None and mid.button(t("Revoke"), key=f"inv_revoke-{inv.id}"):
                _act(lambda: api.revoke_invitation(inv.id, actor=actor), k, None)
            if right.button(t("New link"), key=f"inv_reissue-{inv.id}"):
                _act(lambda: api.reissue_invitation(inv.id, actor=actor), k, inv.reviewer)
        roles = ["family", "stakeholder"] + (["recipient"] if api.delivery_in_force(production.id) else [])
        with st.form(f"invite-{k}", clear_on_submit=True):
            name = st.text_input(t("Name"), key=f"inv_name-{k}")
            role = st.selectbox(t("Role"), roles, format_func=fixed(label), key=f"inv_role-{k}")
            lang = st.selectbox(t("Language"), ["zh", "en"], format_func=fixed(t), key=f"inv_language-{k}")
            if st.form_submit_button(t("Invite"), key=f"inv_send-{k}"):
                _act(lambda: api.invite(production.id, name.strip(), role, language=lang, actor=actor), k, name.strip())
        st.caption(t("Reviewers must be named on the production; recipients can be invited once it is delivered."))


def _act(call, production_id: str, name: str | None) -> None:
    try:
        result = call()
    except Exception as exc:
        st.error(said(exc))
        return
    if name is not None:
        st.session_state[f"new_link-{production_id}"] = (name, result[1])
    st.rerun()
