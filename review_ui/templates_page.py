"""The templates page: approved productions saved for re-use, their schedules, pausing and
resuming."""

from __future__ import annotations

import streamlit as st

from core.errors import one_line
from production.records import Template
from review_ui.i18n import explain, label, t
from review_ui.safe import md
from review_ui.session import get_api, require_identity, require_operator


def templates_page() -> None:
    """Approved templates and their schedules; operators pause and resume them here."""
    require_operator()

    st.title(t("Templates and schedules"))
    api = get_api()
    templates = api.catalog.find(Template)
    if not templates:
        st.info(t("No templates yet. Save a delivered production with `studio template save`."))
        return
    for tpl in templates:
        with st.container(border=True):
            st.markdown(f"**{md(tpl.name)}** · {label(tpl.use)} · {label(tpl.delivery)} · "
                        + t("placeholders: {names} · approved by {people}", names=", ".join(tpl.placeholders) or t("none"),
                            people=", ".join(tpl.approved_by)))
            if not tpl.schedule_cron:
                st.caption(t("No schedule (`studio template schedule` adds one)."))
                continue
            state = t("active") if tpl.schedule_active else t("paused")
            st.caption(t("Runs at {cron} ({zone}), {state}, with {values}", cron=tpl.schedule_cron, zone=tpl.schedule_timezone,
                         state=state, values=", ".join(f"{k}={v}" for k, v in tpl.schedule_values.items())))
            button, active = (t("Pause"), False) if tpl.schedule_active else (t("Resume"), True)
            if st.button(button, key=f"schedule-{tpl.id}"):
                try:
                    api.schedule_template(tpl.id, active=active, actor=require_identity().name)
                    st.session_state["flash"] = t("{name}: schedule resumed", name=tpl.name) if active else \
                        t("{name}: schedule paused", name=tpl.name)
                    st.rerun()
                except Exception as exc:  # consent gone, Prefect down
                    st.error(t("The schedule was not changed: {error}", error=explain(one_line(exc))))
