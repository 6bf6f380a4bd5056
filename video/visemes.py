"""Mouth shapes from the voice step's word timings, for the video step: when the lips close
(m, b, p), nearly close (f, v), round (o, u, w) or spread (i, e), frame by frame.

English words are read letter by letter and Chinese characters syllable by syllable (pypinyin:
initial, then final); the units of a word share its time evenly. Loudness still says how far the
mouth opens; this says its shape and when it must shut whatever the loudness."""

from __future__ import annotations

import re

import numpy as np

from voice.records import WordTiming

# (opening allowed, 0-1; width: -1 rounded, 0 neutral, +1 spread)
SHAPES = {"closed": (0.05, 0.0), "teeth": (0.3, 0.2), "round": (0.8, -1.0), "spread": (0.8, 1.0), "open": (1.0, 0.0),
          "neutral": (1.0, 0.0)}
_LETTER = {**{c: "closed" for c in "mbp"}, **{c: "teeth" for c in "fv"}, **{c: "round" for c in "ouwq"},
           **{c: "spread" for c in "iey"}, "a": "open"}
_CJK = re.compile(r"[\u3400-\u9fff]")


def _final_shape(final: str) -> str:
    if final.startswith(("a", "ia", "ua")) or final in ("an", "ang", "ao"):
        return "open"
    if final.startswith(("o", "u", "v", "ü")) or final in ("ong", "iong", "iu"):
        return "round"
    if final.startswith(("i", "e")):
        return "spread"
    return "neutral"


def shapes_of(word: str) -> list[str]:
    """The mouth shape of each unit of a word, in order."""
    if _CJK.search(word):
        from pypinyin import Style, lazy_pinyin

        out = []
        for char in _CJK.findall(word):
            initial = lazy_pinyin(char, style=Style.INITIALS, strict=False)[0]
            final = lazy_pinyin(char, style=Style.FINALS, strict=False)[0]
            if initial in ("b", "p", "m"):
                out.append("closed")
            elif initial == "f":
                out.append("teeth")
            out.append(_final_shape(final))
        return out
    return [_LETTER.get(c, "neutral") for c in word.lower() if c.isalpha()]


def mouth_plan(words: list[WordTiming], fps: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(how far the mouth may open, 0-1, and its width, -1 rounded .. +1 spread) for ``n`` frames."""
    allow, width = np.ones(n, np.float32), np.zeros(n, np.float32)
    for word in words:
        units = shapes_of(word.word)
        if not units or word.end_s <= word.start_s:
            continue
        slot = (word.end_s - word.start_s) / len(units)
        for k, shape in enumerate(units):
            a = int(round((word.start_s + k * slot) * fps))
            b = max(a + 1, int(round((word.start_s + (k + 1) * slot) * fps)))
            opening, w = SHAPES[shape]
            allow[a:b] = np.minimum(allow[a:b], opening)
            width[a:b] = w
    kernel = np.array([0.25, 0.5, 0.25], np.float32)
    smooth = lambda x: np.convolve(np.pad(x, 1, mode="edge"), kernel, mode="valid")  # noqa: E731
    return smooth(allow), smooth(width)
