"""The review portal: `streamlit run review_ui/app.py` (started by `studio up`).

Operators sign in with a password and see every page. Reviewers and family members arrive
through an invitation link (``/?invite=TOKEN``): the token is exchanged for a session and
removed from the address bar at once, and they see only their production's reviews; a family
member asked to agree to a consent sees only that consent."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # streamlit runs this file as a script

import streamlit as st

from review_ui.family_page import family_page
from review_ui.i18n import language_switch, t
from review_ui.materials_page import materials_page
from review_ui.personas_page import personas_page
from review_ui.productions_page import productions_page
from review_ui.review_page import reviews_page
from review_ui.session import current_identity, redeem_invitation_in_url, sign_in_page, sign_out
from review_ui.start_page import start_page
from review_ui.templates_page import templates_page
from review_ui.verify_page import verify_page

st.set_page_config(page_title="Digital-Human Studio / 数字人工作室", page_icon=":material/movie:", layout="wide")
redeem_invitation_in_url()
identity = current_identity()
language_switch(identity.language if identity else "en")
if identity is None:
    pages = [st.Page(sign_in_page, title=t("Sign in"), icon=":material/login:", url_path="signin", default=True)]
elif identity.is_operator:
    pages = [
        st.Page(reviews_page, title=t("Waiting for review"), icon=":material/rate_review:", url_path="reviews", default=True),
        st.Page(start_page, title=t("New production"), icon=":material/add_circle:", url_path="start"),
        st.Page(productions_page, title=t("Productions"), icon=":material/movie:", url_path="productions"),
        st.Page(personas_page, title=t("Personas and consent"), icon=":material/badge:", url_path="personas"),
        st.Page(materials_page, title=t("Materials"), icon=":material/perm_media:", url_path="materials"),
        st.Page(templates_page, title=t("Templates"), icon=":material/event_repeat:", url_path="templates"),
        st.Page(verify_page, title=t("Verify a file"), icon=":material/verified:", url_path="verify"),
    ]
elif identity.consent_id:
    pages = [st.Page(family_page, title=t("Your agreement"), icon=":material/family_restroom:", url_path="consent",
                     default=True)]
else:
    pages = [st.Page(reviews_page, title=t("Your review"), icon=":material/rate_review:", url_path="reviews", default=True)]
if identity is not None:
    st.sidebar.caption(t("Signed in as **{name}** ({role})", name=identity.name, role=t("family member") if identity.consent_id else t(identity.role or "operator")))
    st.sidebar.button(t("Sign out"), on_click=sign_out, key="sign_out")
st.navigation(pages).run()
