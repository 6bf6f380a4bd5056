"""The templates page: approved productions saved for re-use, their schedules, pausing and
resuming."""

from __future__ import annotations

import streamlit as st

from production.records import Template
from review_ui.safe import md, said
from review_ui.session import get_api, require_identity, require_operator


def templates_page() -> None:
    """Approved templates and their schedules; operators pause and resume them here."""
    require_operator()

    st.title("Templates and schedules")
    api = get_api()
    templates = api.catalog.find(Template)
    if not templates:
        st.info("No templates yet. Save a delivered production with `studio template save`.")
        return
    for tpl in templates:
        with st.container(border=True):
            st.markdown(f"**{md(tpl.name)}** · {md(tpl.id)} · {tpl.use} · {tpl.delivery.replace('_', ' ')} · "
                        + md(f"placeholders: {', '.join(tpl.placeholders) or 'none'} · approved by {', '.join(tpl.approved_by)}"))
            if not tpl.schedule_cron:
                st.caption("No schedule (`studio template schedule` adds one).")
                continue
            state = "active" if tpl.schedule_active else "paused"
            st.caption(md(f"Runs at {tpl.schedule_cron} ({tpl.schedule_timezone}), {state}, with "
                          + ", ".join(f"{k}={v}" for k, v in tpl.schedule_values.items())))
            label, active = ("Pause", False) if tpl.schedule_active else ("Resume", True)
            if st.button(label, key=f"schedule-{tpl.id}"):
                try:
                    api.schedule_template(tpl.id, active=active, actor=require_identity().name)
                    st.session_state["flash"] = f"{tpl.name}: schedule {'resumed' if active else 'paused'}"
                    st.rerun()
                except Exception as exc:  # consent gone, Prefect down
                    st.error(f"The schedule was not changed: {said(exc)}")
