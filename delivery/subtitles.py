"""Subtitles from the voice step's sentence timings: one cue per sentence (the AI notice first,
for as long as it is spoken), wrapped to two short lines, as SRT and WebVTT sidecars, and the
ASS style they are burned in with where a delivery asks for open captions."""

from __future__ import annotations

import re
import textwrap

from pydantic import BaseModel

from voice.records import SentenceTiming

MAX_LINE = {"zh": 18, "en": 42}  # characters a line holds on a phone screen


class SubtitleCue(BaseModel):
    start_s: float
    end_s: float
    text: str


def _wrap(text: str, language: str) -> str:
    limit = MAX_LINE.get(language, 42)
    if len(text) <= limit:
        return text
    if language == "zh":  # break after punctuation near the middle, else at the middle
        middle = len(text) // 2
        marks = [m.end() for m in re.finditer(r"[，、；：,;:]", text) if abs(m.end() - middle) <= middle // 2]
        cut = min(marks, key=lambda i: abs(i - middle)) if marks else middle
        return text[:cut] + "\n" + text[cut:]
    return "\n".join(textwrap.wrap(text, width=max(limit, len(text) // 2 + 1))[:2] or [text])


class Captions(BaseModel):
    """What the subtitles of a delivery are made of; their times are known once the spoken
    notice's length is (``cues``)."""

    sentences: list[str]
    timings: list[SentenceTiming]
    language: str
    notice: str | None = None

    def cues(self, notice_s: float) -> list[SubtitleCue]:
        return subtitle_cues(self.sentences, self.timings, self.language, self.notice, notice_s)


def burn_style(width: int, height: int, font_name: str) -> str:
    """libass's force_style for burned-in captions: white on a soft dark outline, sized to the
    frame's shorter side, high enough above the bottom edge to clear phone controls."""
    size = max(12, round(min(width, height) / 22))
    # force_style sizes are in the script's 384x288 space, which libass scales to the frame
    scale = 288 / height
    return (f"FontName={font_name},FontSize={max(8, round(size * scale))},PrimaryColour=&H00FFFFFF,"
            f"OutlineColour=&H80000000,BorderStyle=1,Outline=1.5,Shadow=0,MarginV={round(height * 0.05 * scale)}")


def subtitle_cues(sentences: list[str], timings: list[SentenceTiming], language: str, notice: str | None = None,
                  notice_s: float = 0.0) -> list[SubtitleCue]:
    """The cues of a delivered file whose speech starts ``notice_s`` in (after the spoken notice)."""
    cues = [SubtitleCue(start_s=0.0, end_s=round(notice_s, 3), text=_wrap(notice, language))] if notice and notice_s else []
    for timing in sorted(timings, key=lambda t: t.start_s):
        if 0 <= timing.index < len(sentences) and timing.end_s > timing.start_s:
            cues.append(SubtitleCue(start_s=round(notice_s + timing.start_s, 3), end_s=round(notice_s + timing.end_s, 3),
                                    text=_wrap(sentences[timing.index].strip(), language)))
    return cues


def _clock(seconds: float, separator: str) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"


def to_srt(cues: list[SubtitleCue]) -> str:
    return "".join(f"{n}\n{_clock(c.start_s, ',')} --> {_clock(c.end_s, ',')}\n{c.text}\n\n" for n, c in enumerate(cues, 1))


def to_vtt(cues: list[SubtitleCue]) -> str:
    return "WEBVTT\n\n" + "".join(f"{_clock(c.start_s, '.')} --> {_clock(c.end_s, '.')}\n{c.text}\n\n" for c in cues)
