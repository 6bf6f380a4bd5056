"""The operators' New production page: a brief (occasion, audience, points, length, language,
the family's own notes), the people who review it, and the start; then an invitation link for
each reviewer, in their language, to send them."""

from __future__ import annotations

import streamlit as st

from core.errors import one_line
from review_ui.i18n import explain, fixed, label, t
from review_ui.personas_page import pick_persona
from review_ui.session import get_api, require_operator
from script.sentences import Brief

USES = ["greeting", "memorial", "annual_meeting"]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("，", ",").replace("、", ",").split(",") if n.strip()]


def start_page() -> None:
    """Start a production from a brief; the links for its reviewers come back here."""
    identity = require_operator()
    api = get_api()
    st.title(t("New production"))
    persona = pick_persona(api, "start_persona")
    if persona is None:
        return
    for warning in api.persona_warnings(persona.id):
        st.warning(explain(warning))
    k = persona.id
    with st.form(f"brief-{k}"):
        use = st.selectbox(t("What for"), USES, format_func=fixed(label), key=f"brief_use-{k}")
        language = st.selectbox(t("Language of the talk"), persona.languages, format_func=fixed(t), key=f"brief_language-{k}")
        occasion = st.text_input(t("Occasion"), placeholder=t("e.g. Spring Festival"), key=f"brief_occasion-{k}")
        audience = st.text_input(t("Audience"), placeholder=t("e.g. the children and grandchildren"),
                                 key=f"brief_audience-{k}")
        points = st.text_area(t("What it should say (one point per line)"), key=f"brief_points-{k}")
        seconds = st.number_input(t("Length (seconds)"), 5, 900, 30, step=5, key=f"brief_seconds-{k}")
        notes = st.text_area(t("Anything else the writer should know (optional)"), key=f"brief_notes-{k}")
        stakeholders = st.text_input(t("Script reviewers (names, comma-separated)"), key=f"brief_stakeholders-{k}")
        family = st.text_input(t("Family reviewers, who approve first (names, comma-separated)"), key=f"brief_family-{k}")
        invite_in = st.selectbox(t("Invitations in"), ["zh", "en"], format_func=fixed(t), key=f"brief_invite_language-{k}")
        if not st.form_submit_button(t("Start the production"), type="primary", key=f"brief_start-{k}"):
            _show_links()
            return
    try:
        brief = Brief(occasion=occasion.strip(), audience=audience.strip(), language=language, target_seconds=float(seconds),
                      points=[p.strip() for p in points.splitlines() if p.strip()], notes=notes.strip())
        reviewers, relatives = _names(stakeholders), _names(family)
        if not relatives:
            raise ValueError("name at least one family reviewer: the family approves first")
        production = api.create_production(persona.id, use, brief, reviewers, relatives, actor=identity.name)
        links = [(name, t(role), api.invite(production.id, name, role, language=invite_in, actor=identity.name)[1])
                 for role, names in (("family", relatives), ("stakeholder", reviewers)) for name in names]
        api.start_production(production.id)
    except Exception as exc:  # no consent for this use, a bad brief, Prefect down
        st.error(t("Not started: {error}", error=explain(one_line(exc))))
        return
    st.session_state["start_links"] = (api.production_title(production), links)
    _show_links()


def _show_links() -> None:
    if "start_links" not in st.session_state:
        return
    title, links = st.session_state["start_links"]
    st.success(t("Started: {title}. The script comes to its reviewers first.", title=title))
    st.markdown(f"**{t('Send each reviewer their own link (it is shown only now):')}**")
    for name, role, link in links:
        st.caption(t("{name} ({role})", name=name, role=role))
        st.code(link, language=None)
