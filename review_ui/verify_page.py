"""The verify page: trace a file (or a re-encoded copy) to its delivery, consent and approvals."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from review_ui.i18n import explain, label, t
from review_ui.personas_page import saved_upload
from review_ui.safe import md
from review_ui.session import get_api, require_operator

VERDICTS = {"authorised": "made by this studio with valid consent and approval",
            "revoked": "made by this studio, but the consent or the delivery has since been revoked",
            "unapproved": "made by this studio, but its approvals are not the ones the studio recorded for it",
            "unknown_watermark": "carries a studio watermark whose id this studio's registry does not hold",
            "no_watermark": "no studio watermark found", "not_a_media_file": "not a readable video or sound file"}


def verify_page() -> None:
    require_operator()
    st.title(t("Verify a file"))
    upload = st.file_uploader(t("A video or sound file the studio may have made"),
                              type=["mp4", "mov", "mkv", "webm", "m4a", "mp3", "wav", "aac", "ogg"])
    if upload is None:
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = saved_upload(upload, Path(tmp), 0)
        api = get_api()
        report = api.verify(path)
    (st.success if report.verdict == "authorised" else st.warning)(
        t("Verdict: **{verdict}**, {meaning}", verdict=label(report.verdict), meaning=t(VERDICTS[report.verdict])))
    if report.persona:
        st.markdown(t("**Persona:** {persona} · **consent:** {consent} · **script:** v{version} · **approved by:** {people}",
                      persona=report.persona, consent=report.consent_id, version=report.script_version,
                      people=", ".join(report.approvers)))
    st.markdown(t("**C2PA:** {c2pa} · **GB 45438 AIGC metadata:** {aigc} · **watermark (picture / sound):** {video} / {audio}",
                  c2pa=label(str(report.c2pa)), aigc=t("present") if report.aigc else t("absent"),
                  video=report.watermark_video or "-", audio=report.watermark_audio or "-"))
    for line in report.details:
        st.markdown(f"- {md(explain(line))}")
    with st.expander(t("Full report")):
        st.json(report.model_dump(mode="json"))
