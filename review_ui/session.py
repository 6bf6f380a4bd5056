"""Who is using the portal: the API it talks to, sign-in (password, OIDC), invitation links bound
to the browser that first opens them, and the operator check."""

from __future__ import annotations

import streamlit as st

from app.api import StudioAPI
from core.settings import get_settings
from review.access import AccessError, Identity
from review_ui.i18n import explain, in_chinese, language, said, t
from review_ui.safe import md


@st.cache_resource
def get_api() -> StudioAPI:
    return StudioAPI(get_settings())


def browser_key() -> str | None:
    """A value only this browser sends back: the token inside Streamlit's XSRF cookie (its
    masked form changes with each response, the token does not). None where there is none."""
    try:
        raw = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # outside a served app (tests) there are no cookies
        return None
    if not raw:
        return None
    try:
        from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

        token, _ = decode_xsrf_token_string(raw)
        return token.hex() if token else None
    except Exception:
        return raw


def redeem_invitation_in_url() -> None:
    """Exchange ``?invite=TOKEN`` for a session and take the token out of the address bar; the
    link is bound to this browser from its first opening on."""
    token = st.query_params.get("invite")
    if not token:
        return
    try:
        st.session_state["identity"] = get_api().redeem(token, browser_key())
        st.session_state["lang"] = st.session_state["identity"].language  # the language they were invited in
        st.session_state.pop("access_error", None)
    except AccessError as exc:
        st.session_state.pop("identity", None)
        st.session_state["access_error"] = str(exc)
    del st.query_params["invite"]


def _oidc_user() -> tuple[str, str] | None:
    """(e-mail, name) of a person signed in through the OIDC provider, if any."""
    if not get_settings().portal.oidc_enabled:
        return None
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        return user.get("email"), user.get("name")
    except Exception:  # outside a served app (tests) there is no user cookie
        return None


def current_identity() -> Identity | None:
    """The signed-in person, re-checked against the catalog on every run of every page."""
    identity = st.session_state.get("identity")
    if identity is None:
        oidc = _oidc_user()
        if oidc is None:
            return None
        try:  # re-derived on every run: removing the address from the settings ends the session
            return get_api().operator_from_oidc(*oidc)
        except AccessError as exc:
            st.session_state["access_error"] = str(exc)
            return None
    try:
        return get_api().still_valid(identity)
    except AccessError as exc:
        st.session_state.pop("identity", None)
        st.session_state["access_error"] = str(exc)
        return None


def require_identity() -> Identity:
    identity = current_identity()
    if identity is None:
        st.error(t("Please sign in, or open the invitation link you were sent."))
        st.stop()
    return identity


def sign_out() -> None:
    st.session_state.pop("identity", None)
    if _oidc_user() is not None:
        st.logout()


def sign_in_page() -> None:
    st.title(t("Digital-Human Studio"))
    if "access_error" in st.session_state:
        problem = st.session_state["access_error"]  # the reader's language is not known yet: both
        st.error(md(problem) if language() == "zh" and in_chinese(problem) == problem else
                 md(explain(problem)) + ("" if language() == "zh" else f"  \n{md(in_chinese(problem))}"))
    if get_settings().portal.oidc_enabled:
        if st.button(t("Sign in with single sign-on"), type="primary", key="oidc_sign_in"):
            st.login()
        st.divider()
    st.write(t("Reviewers and family members: open the invitation link you were sent. Operators sign in here."))
    with st.form("sign_in"):
        name = st.text_input(t("Operator name"), key="operator_name")
        password = st.text_input(t("Password"), type="password", key="operator_password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if submitted:
        try:
            api = get_api()
            st.session_state["identity"] = api.sign_in_operator(name.strip(), password)
            st.session_state.pop("access_error", None)
            st.rerun()
        except AccessError as exc:
            st.error(said(exc))


def require_operator():
    identity = require_identity()
    if not identity.is_operator:
        st.error(t("You were not invited to this production."))
        st.stop()
    if "flash" in st.session_state:  # what the last action did, shown after its rerun (made by ``t``: escaped)
        st.success(st.session_state.pop("flash"))
    return identity
