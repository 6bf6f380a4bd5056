"""The finished video for people: watch it, download its files (each download audited)."""

from __future__ import annotations

import streamlit as st

from review_ui.i18n import t
from review_ui.safe import md


def download_buttons(api, delivery, actor: str) -> None:
    """One button per file of the delivery. A file is read, and its download audited, only when
    its button is pressed (Streamlit's deferred data), and the page does not run again: a rerun
    racing the browser's fetch of the file could leave the fetch without its file."""
    for name, ref in api.delivery_files(delivery).items():
        st.download_button(t("Download {name}", name=name), data=_on_download(api, delivery, name, ref, actor),
                           file_name=name, mime=ref.media_type, key=f"download_{name}", on_click="ignore")


def _on_download(api, delivery, name: str, ref, actor: str):
    def read() -> bytes:
        api.note_download(delivery, [name], actor)
        return api.catalog.read_media(ref)

    return read


def delivered_section(api, production_id: str, actor: str) -> None:
    """The production's delivery in force, for the people invited to it."""
    delivery = api.delivery_in_force(production_id)
    if delivery is None:
        return
    st.subheader(t("The finished video"))
    st.video(api.catalog.read_media(delivery.video))
    st.caption(t("Marked as AI-made in the picture, the sound and the file's credentials; {seconds} s, script v{version}.",
                 seconds=f"{delivery.duration_s:.0f}", version=delivery.script_version) + f" ({md(delivery.id)})")
    download_buttons(api, delivery, actor)
