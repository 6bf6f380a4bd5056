"""The voice contract: what a voice backend takes and returns."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from core.settings import SpeechCheckSettings
from script.sentences import CueKind, Sentence
from voice.records import CueTiming, SentenceCheck, SentenceTiming


class PromptClip(BaseModel):
    path: Path
    style: str
    median_f0_hz: float
    transcript: str | None = None


class SoundClip(BaseModel):
    """One of the persona's own non-verbal sounds, played for the cue of its kind."""

    path: Path
    kind: str
    level_db: float | None = None  # against the person's speech, as recorded; None: the kind's natural level


class VoiceRequest(BaseModel):
    sentences: list[Sentence] = Field(min_length=1)
    language: str
    prompts: list[PromptClip] = Field(min_length=1)
    median_f0_hz: float = Field(gt=40, lt=600)
    speaking_rate_wpm: float | None = None
    sample_rate: int = 24000
    notes: list[str] = Field(default_factory=list)  # reviewer directions ("slower", "warmer")
    out_path: Path
    check: SpeechCheckSettings | None = None  # None: no self-check, timings of words estimated
    sound_bank: list[SoundClip] = Field(default_factory=list)  # the persona's own coughs, laughs, breaths
    # how long a cue lasts when the script gives no length: [drink] as long as the persona's drinking footage
    cue_seconds: dict[CueKind, float] = Field(default_factory=dict)
    timbre: Path | None = None  # the persona's timbre conversion the backend learned (``VoiceTimbre``)


class VoiceResult(BaseModel):
    path: Path
    duration_s: float
    sample_rate: int
    sentence_timings: list[SentenceTiming]
    backend: str
    checks: list[SentenceCheck] = Field(default_factory=list)
    cue_timings: list[CueTiming] = Field(default_factory=list)


class Line(BaseModel):
    """One sentence (or a laugh) to say in the voice of one prompt clip."""

    text: str  # with pronunciation overrides as ``行(hang2)`` where the backend reads pinyin, else homophones
    prompt: PromptClip
    speed: float  # 1 = the persona's own pace (reviewers' notes and the sentence's speed applied)
    pitch: float  # a factor on the prompt's pitch (reviewers' "lower"/"higher")
    language: str
    speaking_rate_wpm: float | None = None  # the persona's measured pace, where known
    timbre: Path | None = None  # the backend's learned conversion to the persona's timbre, where it has one
    timbre_strength: float = Field(default=1.0, ge=0, le=1)  # how far toward it (a retry of a misheard sentence: less)


class VoiceBackend(Protocol):
    """The one hook a voice vendor writes: say one line in the persona's voice and hand back
    mono audio and its sample rate. ``voice.assembly.synthesize`` does everything else the same
    way for every backend: styles, notes, cues, emphasis, the self-check, timings.
    ``reads_pinyin``: the backend says ``行(hang2)`` itself (else it gets homophones)."""

    name: str
    reads_pinyin: bool

    def speak(self, line: Line) -> tuple[np.ndarray, int]: ...


class NoticeVoice(Protocol):
    """The studio's own voice for its spoken AI notice: a plain, natural voice in the talk's
    language, never the persona's (the notice is the studio speaking, not the person)."""

    name: str

    def say(self, text: str, language: str) -> tuple[np.ndarray, int]: ...


class TimbreError(ValueError):
    """The prompts give a timbre learner nothing to learn from (no transcripts, no voiced speech)."""


class TimbreLearned(BaseModel):
    """What a timbre learner made: the file the backend reads back, and how well it fits."""

    path: Path
    backend: str
    base_voice: str  # the backend's own speaker the conversion starts from
    frames: int  # paired frames of the person's speech it was fitted on
    distance_before: float  # spectral distance to the person on those frames, unconverted
    distance_after: float  # the same, converted
    seconds: float


class TimbreLearner(Protocol):
    """The hook a backend that cannot clone a voice from a prompt writes: learn the persona's
    timbre once, at materials time, from the prompts and their transcripts, and write it to
    ``out_path``; every later request for the persona carries that file as ``timbre``."""

    name: str

    def learn(self, prompts: list[PromptClip], out_path: Path) -> TimbreLearned: ...
