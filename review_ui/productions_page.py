"""The operators' productions page: every production, where it stands, its steps in Prefect."""

from __future__ import annotations

import streamlit as st

from core.settings import get_settings
from review_ui.deliveries import download_buttons
from review_ui.i18n import t
from review_ui.review_page import show_history
from review_ui.safe import md, said
from review_ui.session import get_api, require_operator
from script.records import ScriptVersion


def productions_page() -> None:
    """Every production with the state of each step, read from Prefect, and its history."""
    identity = require_operator()

    st.title(t("Productions"))
    api = get_api()
    try:
        productions = api.productions()
    except Exception as exc:
        st.error(f"Could not read productions: {said(exc)}")
        return
    if not productions:
        st.info("No productions yet.")
        return
    ui = get_settings().prefect.ui_url
    for p in reversed(productions):
        with st.container(border=True):
            link = f" · [run in Prefect]({ui}/runs/flow-run/{p.flow_run_id})" if p.flow_run_id else ""
            versions = len(api.catalog.find(ScriptVersion, f"{p.id}-v"))
            st.markdown(f"**{md(p.id)}** · {md(p.brief.occasion)} · {md(p.status)} · {versions} script version(s) · "
                        f"{p.created_at:%Y-%m-%d %H:%M}{link}")
            if p.flow_run_id:
                try:
                    steps = api.step_states(p.flow_run_id)
                except Exception as exc:  # Prefect down: the catalog status above still shows
                    st.warning(f"Could not read the steps from Prefect: {said(exc)}")
                    steps = []
                if steps:
                    st.table([{"step": s["step"], "state": s["state"], "seconds": f"{s['seconds']:.1f}",
                               "runs": s["runs"],
                               "first started": f"{s['started']:%Y-%m-%d %H:%M:%S}" if s["started"] else ""}
                              for s in steps])
            _delivered_files(api, p.id, identity.name)
            show_history(api, p.id)


def _delivered_files(api, production_id: str, actor: str) -> None:
    """The production's delivery in force, its files to download (each download audited)."""
    delivery = api.delivery_in_force(production_id)
    if delivery is None:
        return
    st.markdown(f"**Delivered**: {md(delivery.id)} · {delivery.duration_s:.1f} s · script v{delivery.script_version}")
    if not st.session_state.get(f"files_{delivery.id}"):
        if st.button("Get the delivered files", key=f"prepare_{delivery.id}"):
            st.session_state[f"files_{delivery.id}"] = True
            st.rerun()
        return
    download_buttons(api, delivery, actor)
