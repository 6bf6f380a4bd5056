"""The studio's script markup: one sentence per line, style and cues inline.

    {warm} Dear friends, happy Spring Festival! [pause 0.6s]
    [drink] {teasing} I promised myself a short speech this year. [laugh]

- ``{style}`` at the start of a line picks the voice prompt style for that sentence
  (default ``neutral``).
- Cues in square brackets: ``[pause 0.8s]``, ``[cough]``, ``[laugh]``, ``[breath]``,
  ``[drink]`` (a timed silence for the video's drinking action, 2.5 s unless given).
  Cues before the text play before the sentence, cues after it play after.
- Blank lines and lines starting with ``#`` are ignored.
"""

from __future__ import annotations

import re

from studio.models import Cue, Sentence

DEFAULT_CUE_SECONDS = {"pause": 0.6, "cough": None, "laugh": None, "breath": None, "drink": 2.5}
_TOKEN = re.compile(r"\{(?P<style>[a-z_]+)\}|\[(?P<cue>[^\]]*)\]")
_CUE = re.compile(r"^(?P<kind>pause|cough|laugh|breath|drink)(?:\s+(?P<secs>\d+(?:\.\d+)?)\s*s?)?$")


class MarkupError(ValueError):
    """The script text breaks the markup; the message names the line and the problem."""


def parse_cue(text: str, line_no: int) -> Cue:
    m = _CUE.match(text.strip().lower())
    if not m:
        raise MarkupError(
            f"line {line_no}: unknown cue [{text}]; use [pause 0.8s], [cough], [laugh], [breath] or [drink]"
        )
    secs = m.group("secs")
    kind = m.group("kind")
    return Cue(kind=kind, seconds=float(secs) if secs else DEFAULT_CUE_SECONDS[kind])


def parse_markup(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        style = "neutral"
        before: list[Cue] = []
        after: list[Cue] = []
        words: list[str] = []
        pos = 0
        for m in _TOKEN.finditer(line):
            chunk = line[pos : m.start()].strip()
            if chunk:
                words.append(chunk)
            pos = m.end()
            if m.group("style") is not None:
                if words or before:
                    raise MarkupError(f"line {line_no}: put {{{m.group('style')}}} at the start of the line")
                style = m.group("style")
            else:
                (after if words else before).append(parse_cue(m.group("cue"), line_no))
        tail = line[pos:].strip()
        if tail:
            if after:
                raise MarkupError(f"line {line_no}: one sentence per line; text follows a cue: {tail!r}")
            words.append(tail)
        text_part = " ".join(words).strip()
        if not text_part:
            if sentences and style == "neutral":  # a line of cues only belongs to the sentence before
                sentences[-1].cues_after.extend(before)
                continue
            raise MarkupError(f"line {line_no}: a line needs sentence text, not only cues")
        if "{" in text_part or "}" in text_part or "[" in text_part or "]" in text_part:
            raise MarkupError(f"line {line_no}: unbalanced brackets in {text_part!r}")
        sentences.append(Sentence(text=text_part, style=style, cues_before=before, cues_after=after))
    if not sentences:
        raise MarkupError("the script has no sentences")
    return sentences


def _render_cue(cue: Cue) -> str:
    default = DEFAULT_CUE_SECONDS[cue.kind]
    if cue.seconds is None or cue.seconds == default:
        return f"[{cue.kind}]"
    return f"[{cue.kind} {cue.seconds:g}s]"


def render_markup(sentences: list[Sentence]) -> str:
    lines = []
    for s in sentences:
        parts = []
        if s.style != "neutral":
            parts.append(f"{{{s.style}}}")
        parts += [_render_cue(c) for c in s.cues_before]
        parts.append(s.text)
        parts += [_render_cue(c) for c in s.cues_after]
        lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def plain_text(sentences: list[Sentence]) -> str:
    return " ".join(s.text for s in sentences)
