"""How long a talk lasts when it is said: the one measure drafts are planned and held by, the
length check flags by, and the studio's own voice speaks at.

A talk is said at the persona's measured pace (``materials.voice_prompts`` measures syllables a
second in their recordings and reports it as words a minute, 1.4 syllables a word), kept within
``PACE_RANGE`` of an ordinary pace: a few seconds of prompts measure it only roughly. Where no
pace was measured, the ordinary one. Between two sentences the voice takes a breath of
``SENTENCE_GAP_S``; pauses last as written, other cues about as long as the voice makes them."""

from __future__ import annotations

import re

from script.markup import DEFAULT_CUE_SECONDS
from script.sentences import Sentence

ORDINARY_RATE = {"en": 2.6, "zh": 4.0}  # words / characters a second, a talk at an ordinary pace
PACE_RANGE = (0.8, 1.2)
SENTENCE_GAP_S = 0.25
# a cue with no length given: as long as the voice's own (a laugh said, a cough, a sip of water)
CUE_SECONDS = {"pause": DEFAULT_CUE_SECONDS["pause"], "drink": 2.5, "laugh": 1.0, "cough": 0.6, "breath": 0.45, "sigh": 0.9}
# what is spoken: words; in Chinese each character, and each run of Latin letters or digits
_SPOKEN = {"en": re.compile(r"[A-Za-z0-9']+"), "zh": re.compile(r"[\u4e00-\u9fff]|[0-9A-Za-z]+")}
_SYLLABLES_PER_UNIT = {"en": 1.4, "zh": 1.0}  # what the persona's words a minute were counted at
_WPM_SYLLABLES = 1.4


def speaking_rate(language: str, persona_wpm: float | None = None) -> float:
    """Words (English) or characters (Chinese) a second: the persona's measured pace within
    ``PACE_RANGE`` of the ordinary one, or the ordinary one where none was measured."""
    ordinary = ORDINARY_RATE[language]
    if not persona_wpm:
        return ordinary
    own = persona_wpm * _WPM_SYLLABLES / 60 / _SYLLABLES_PER_UNIT[language]
    return min(max(own, ordinary * PACE_RANGE[0]), ordinary * PACE_RANGE[1])


def ordinary_wpm(language: str) -> float:
    """The ordinary pace of ``language`` as the words a minute a persona's pace is given in."""
    return ORDINARY_RATE[language] * _SYLLABLES_PER_UNIT[language] * 60 / _WPM_SYLLABLES


def sentence_seconds(units: float, language: str, persona_wpm: float | None = None) -> float:
    """How long a sentence of ``units`` words (characters) takes, with its breath after it."""
    return units / speaking_rate(language, persona_wpm) + SENTENCE_GAP_S


def spoken_units(text: str, language: str) -> int:
    return len(_SPOKEN[language].findall(text))


def spoken_seconds(sentences: list[Sentence], language: str, persona_wpm: float | None = None) -> float:
    """About how long the sentences take to say at the persona's pace: their words (punctuation
    is not spoken) at ``speaking_rate``, each sentence at its own speed, its cues, and the breath
    after each sentence."""
    rate = speaking_rate(language, persona_wpm)
    said = sum(spoken_units(s.text, language) / rate / (s.speed or 1.0) for s in sentences)
    cues = sum(c.seconds or CUE_SECONDS.get(c.kind, 0.0) for s in sentences for c in s.cues_before + s.cues_after)
    return said + cues + SENTENCE_GAP_S * len(sentences)
