"""The studio's script markup: one sentence per line, style and cues inline.

    {warm} Dear friends, happy Spring Festival! [pause 0.6s]
    [drink] {teasing} I promised myself a short speech this year. [laugh]

- ``{style}`` at the start of a line picks the voice prompt style for that sentence
  (default ``neutral``); ``{warm 0.9x}`` also sets its speed (0.5x-2x).
- Cues in square brackets: ``[pause 0.8s]``, ``[cough]``, ``[laugh]``, ``[breath]``,
  ``[sigh]``, ``[drink]`` (a timed silence for the video's drinking action: as long as the
  persona's drinking footage, 2.5 s without any, unless given).
  Cues before the text play before the sentence, cues after it play after.
- ``*word*`` stresses a word; ``行(háng)`` or ``行(hang2)`` says a character as that pinyin
  (for polyphones: ``银行(háng)``).
- Blank lines and lines starting with ``#`` are ignored.
"""

from __future__ import annotations

import re
from functools import lru_cache

from script.sentences import Cue, Reading, Sentence

# [drink] with no length lasts as long as the persona's drinking footage (2.5 s without any)
DEFAULT_CUE_SECONDS = {"pause": 0.6, "cough": None, "laugh": None, "breath": None, "sigh": None, "drink": None}
_TOKEN = re.compile(r"\{(?P<style>[a-z_]+)(?:\s+(?P<speed>\d+(?:\.\d+)?)x)?\}|\[(?P<cue>[^\]]*)\]")
_CUE = re.compile(r"^(?P<kind>pause|cough|laugh|breath|sigh|drink)(?:\s+(?P<secs>\d+(?:\.\d+)?)\s*s?)?$")
_EMPHASIS = re.compile(r"\*([^*]+)\*")
_READING = re.compile(r"([\u3400-\u9fff])[(（]([a-zA-Züāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]+[1-5]?)[)）]")


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


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(to_normal(r) for readings in pinyin_dict.values() for r in readings.split(","))


def _tone3(pinyin: str, line_no: int) -> str:
    from pypinyin.contrib.tone_convert import to_tone3

    pinyin = pinyin.lower().replace("v", "ü")
    tone3 = pinyin if pinyin[-1].isdigit() else to_tone3(pinyin, neutral_tone_with_five=True)
    if not re.fullmatch(r"[a-zü]+[1-5]", tone3) or tone3[:-1].replace("ü", "v") not in _syllables():
        raise MarkupError(f"line {line_no}: give the reading as pinyin with its tone, e.g. 行(háng) or 行(hang2), not ({pinyin})")
    return tone3


def _inline_marks(text: str, line_no: int) -> tuple[str, list[tuple[int, int]], list[Reading]]:
    """Strip ``字(pinyin)`` and ``*stress*`` from the text, returning what they mark."""
    readings, plain, pos = [], "", 0
    for m in _READING.finditer(text):
        plain += text[pos : m.start(1) + 1]
        readings.append((len(plain.replace("*", "")) - 1, _tone3(m.group(2), line_no)))
        pos = m.end()
    plain += text[pos:]
    emphasis, out, pos = [], "", 0
    for m in _EMPHASIS.finditer(plain):
        out += plain[pos : m.start()]
        emphasis.append((len(out), len(out) + len(m.group(1))))
        out += m.group(1)
        pos = m.end()
    out += plain[pos:]
    if "*" in out:
        raise MarkupError(f"line {line_no}: an unpaired * in {text!r}; stress a word as *word*")
    return out, emphasis, [Reading(index=i, pinyin=p) for i, p in readings]


def parse_markup(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        style, speed = "neutral", 1.0
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
                if m.group("speed"):
                    speed = float(m.group("speed"))
                    if not 0.5 <= speed <= 2:
                        raise MarkupError(f"line {line_no}: speed {speed}x is outside 0.5x-2x")
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
        text_part, emphasis, readings = _inline_marks(text_part, line_no)
        sentences.append(Sentence(text=text_part, style=style, cues_before=before, cues_after=after, speed=speed,
                                  emphasis=emphasis, readings=readings))
    if not sentences:
        raise MarkupError("the script has no sentences")
    return sentences


def _render_cue(cue: Cue) -> str:
    default = DEFAULT_CUE_SECONDS[cue.kind]
    if cue.seconds is None or cue.seconds == default:
        return f"[{cue.kind}]"
    return f"[{cue.kind} {cue.seconds:g}s]"


def _marked_text(s: Sentence) -> str:
    from pypinyin.contrib.tone_convert import to_tone

    inserts = [(r.index + 1, 0, f"({to_tone(r.pinyin)})") for r in s.readings]
    inserts += [(a, 1, "*") for a, _ in s.emphasis] + [(b, -1, "*") for _, b in s.emphasis]
    text = s.text
    for at, _, mark in sorted(inserts, key=lambda x: (-x[0], x[1])):
        text = text[:at] + mark + text[at:]
    return text


def render_markup(sentences: list[Sentence]) -> str:
    lines = []
    for s in sentences:
        parts = []
        if s.style != "neutral" or s.speed != 1.0:
            parts.append(f"{{{s.style}}}" if s.speed == 1.0 else f"{{{s.style} {s.speed:g}x}}")
        parts += [_render_cue(c) for c in s.cues_before]
        parts.append(_marked_text(s))
        parts += [_render_cue(c) for c in s.cues_after]
        lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def plain_text(sentences: list[Sentence]) -> str:
    return " ".join(s.text for s in sentences)
