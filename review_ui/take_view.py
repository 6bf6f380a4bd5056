"""A take as reviewers watch it: the player, every sentence listed with its time and its speech
check beside it (pick a row and the player starts there; a comment then lands on that sentence
and its time), and what was made again since the take reviewers saw before."""

from __future__ import annotations

import streamlit as st

from app.api import StudioAPI
from review.records import ReviewRequest
from review_ui.i18n import t
from script.records import ScriptVersion
from video.records import VideoTake
from voice.records import VoiceTake


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def picked_sentence(request: ReviewRequest) -> int | None:
    """The sentence (from 0) a reviewer picked in the list, if any."""
    table = st.session_state.get(f"sentences-{request.id}")
    rows = table.get("selection", {}).get("rows", []) if isinstance(table, dict) else getattr(
        getattr(table, "selection", None), "rows", [])
    return rows[0] if rows else st.session_state.get(f"jump-{request.id}")


def remade_ranges(voice: VoiceTake) -> list[tuple[int, int]] | None:
    """The sentences (from 1) in chunks made for this take, where it reused others; None when
    nothing was reused (a first take, or one made in one piece)."""
    if not any(c.reused for c in voice.chunks):
        return None
    return [(c.sentences[0] + 1, c.sentences[1] + 1) for c in voice.chunks if not c.reused]


def take_player(api: StudioAPI, request: ReviewRequest, video: VideoTake, voice: VoiceTake, script: ScriptVersion) -> None:
    picked = picked_sentence(request)
    timings = {s.index: s for s in voice.sentence_timings}
    start = timings[picked].start_s if picked in timings else 0.0
    if picked is not None and st.session_state.get(f"commented-{request.id}") != picked:
        st.session_state[f"commented-{request.id}"] = picked  # the comment form follows the pick
        st.session_state["comment_sentence"] = picked + 1
        st.session_state["comment_span"] = (round(start, 1), round(timings[picked].end_s, 1)) if picked in timings else (0.0, 2.0)
    subtitles = api.take_subtitles(request)
    st.video(api.catalog.read_media(video.video), format="video/mp4", start_time=start,
             subtitles={t("Subtitles"): subtitles} if subtitles else None)
    if picked in timings:
        st.caption(t("From sentence {n} at {time}.", n=picked + 1, time=clock(start)))
    remade = remade_ranges(voice)
    if remade is not None:
        spans = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in remade) or t("none")
        st.info(t("Made again for this take: sentences {spans}. Everything else is exactly as in the take before.",
                  spans=spans))
    checks = {c.index: c for c in voice.checks}
    fresh = {i for a, b in (remade or []) for i in range(a - 1, b)}
    rows = []
    for i, sentence in enumerate(script.sentences):
        check = checks.get(i)
        rows.append({t("Time"): clock(timings[i].start_s) if i in timings else "",
                     "#": i + 1, t("Sentence"): sentence.text,
                     t("Speech check"): "" if check is None else ("⚠ " if check.flagged else "✓ ") + f"{check.metric} {check.error:.0%}",
                     t("Heard"): check.heard if check else "",
                     t("New"): "●" if i in fresh else ""})
    st.caption(t("Pick a sentence to watch it; a comment then lands on it."))
    st.dataframe(rows, key=f"sentences-{request.id}", on_select="rerun", selection_mode="single-row", hide_index=True,
                 height=min(420, 36 * (len(rows) + 1)))
