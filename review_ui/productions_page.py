"""The operators' productions page: every production, where it stands, its steps in Prefect."""

from __future__ import annotations

import streamlit as st

from core.errors import one_line
from core.settings import get_settings
from review_ui.deliveries import download_buttons
from review_ui.i18n import explain, label, t
from review_ui.invitations import invitations_section
from review_ui.review_page import show_history
from review_ui.safe import md
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
        st.error(t("Could not read productions: {error}", error=explain(one_line(exc))))
        return
    if not productions:
        st.info(t("No productions yet: start one on the New production page."))
        return
    ui = get_settings().prefect.ui_url
    for p in reversed(productions):
        with st.container(border=True):
            link = f" · [{t('run in Prefect')}]({ui}/runs/flow-run/{p.flow_run_id})" if p.flow_run_id else ""
            versions = len(api.catalog.find(ScriptVersion, f"{p.id}-v"))
            st.markdown(f"**{md(api.production_title(p))}** · {label(p.status)} · "
                        + t("{n} script version(s)", n=versions) + f" · {p.created_at:%H:%M}{link}")
            st.caption(md(p.id))
            for warning in api.production_warnings(p.id):
                st.warning(explain(warning))
            if p.flow_run_id:
                try:
                    steps = api.step_states(p.flow_run_id)
                except Exception as exc:  # Prefect down: the catalog status above still shows
                    st.warning(t("Could not read the steps from Prefect: {error}", error=explain(one_line(exc))))
                    steps = []
                if steps:
                    st.table([{t("step"): label(s["step"]), t("state"): label(s["state"]), t("seconds"): f"{s['seconds']:.1f}",
                               t("runs"): s["runs"],
                               t("first started"): f"{s['started']:%Y-%m-%d %H:%M:%S}" if s["started"] else ""}
                              for s in steps])
            _delivered_files(api, p.id, identity.name)
            invitations_section(api, p, identity.name)
            show_history(api, p.id)


def _delivered_files(api, production_id: str, actor: str) -> None:
    """The production's delivery in force, its files to download (each download audited)."""
    delivery = api.delivery_in_force(production_id)
    if delivery is None:
        return
    st.markdown(t("**Delivered**: {seconds} s · script v{version}", seconds=f"{delivery.duration_s:.1f}",
                  version=delivery.script_version) + f" ({md(delivery.id)})")
    if not st.session_state.get(f"files_{delivery.id}"):
        if st.button(t("Get the delivered files"), key=f"prepare_{delivery.id}"):
            st.session_state[f"files_{delivery.id}"] = True
            st.rerun()
        return
    download_buttons(api, delivery, actor)
