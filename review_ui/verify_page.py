"""The verify page: trace a file (or a re-encoded copy) to its delivery, consent and approvals."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from review_ui.personas_page import saved_upload
from review_ui.safe import md
from review_ui.session import get_api, require_operator


def verify_page() -> None:
    require_operator()
    st.title("Verify a video")
    upload = st.file_uploader("A video or sound file the studio may have made",
                              type=["mp4", "mov", "mkv", "webm", "m4a", "mp3", "wav", "aac", "ogg"])
    if upload is None:
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = saved_upload(upload, Path(tmp), 0)
        api = get_api()
        report = api.verify(path)
    verdicts = {"authorised": "made by this studio with valid consent and approval",
                "revoked": "made by this studio, but the consent or the delivery has since been revoked",
                "unapproved": "made by this studio, but its approvals are not the ones the studio recorded for it",
                "unknown_watermark": "carries a studio watermark whose id this studio's registry does not hold",
                "no_watermark": "no studio watermark found", "not_a_media_file": "not a readable video or sound file"}
    (st.success if report.verdict == "authorised" else st.warning)(
        f"Verdict: **{report.verdict}**, {verdicts[report.verdict]}")
    if report.persona:
        st.markdown(f"**Persona:** {md(report.persona)} · **consent:** {md(report.consent_id)} · **script:** "
                    f"v{report.script_version} · **approved by:** {md(', '.join(report.approvers))}")
    st.markdown(f"**C2PA:** {report.c2pa} · **GB 45438 AIGC metadata:** {'present' if report.aigc else 'absent'} · "
                f"**watermark (picture / sound):** {report.watermark_video or '-'} / {report.watermark_audio or '-'}")
    for line in report.details:
        st.markdown(f"- {md(line)}")
    with st.expander("Full report"):
        st.json(report.model_dump(mode="json"))
