"""Contracts of the generators: what a script, voice or video backend takes and returns.

Each capability has a ``typing.Protocol`` and pydantic request/result models. Backends live
in ``tasks/backends/`` (the only place that imports torch or a vendor SDK) and are picked
from a registry by a settings value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Literal, Protocol

from pydantic import BaseModel, Field

from studio.models import (Brief, ConsentScope, CueKind, CueTiming, ScriptChange, ScriptFlag, Sentence, SentenceCheck,
                           SentenceTiming, StyleProfile, WordTiming)


# ---------------------------------------------------------------------------- LLM
class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int = Field(default=400, ge=1, le=8192)
    temperature: float = Field(default=0.7, ge=0, le=2)
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None
    frequency_penalty: float = Field(default=0.0, ge=-2, le=2)  # > 0: fewer repeated words (small models loop)


class ChatResult(BaseModel):
    text: str
    backend: str
    model: str
    finish_reason: str | None = None  # "stop", or "length" when max_tokens cut it short
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float


class LLMBackend(Protocol):
    """A chat model. ``on_token`` receives the answer piece by piece as it streams."""

    name: str
    languages: tuple[str, ...]  # the languages it writes well enough to draft in

    def chat(self, request: ChatRequest, on_token: Callable[[str], None] | None = None) -> ChatResult: ...


# ------------------------------------------------------------------------- script
class PersonaStyle(BaseModel):
    """What the drafter knows of how the persona speaks: the style profile (derived from their
    corpus, edited by operators) and the corpus passages most relevant to the brief."""

    name: str
    past_passages: list[str] = Field(default_factory=list)  # retrieved for this brief, best first
    profile: StyleProfile | None = None
    styles: list[str] = Field(default_factory=lambda: ["neutral"])  # voice prompt styles available

    @property
    def catchphrases(self) -> list[str]:
        return self.profile.catchphrases if self.profile else []


class DraftRequest(BaseModel):
    brief: Brief
    persona: PersonaStyle
    forbidden_topics: list[str] = Field(default_factory=list)
    scope: ConsentScope | None = None  # what the consent allows: drafts are checked against it
    corpus: list[str] = Field(default_factory=list)  # everything the person said, for the claims check


class ReviseRequest(BaseModel):
    brief: Brief
    persona: PersonaStyle
    previous: list[Sentence]
    comments: list[str] = Field(min_length=1)
    authors: list[str] = Field(default_factory=list)  # who asked for each comment (same order), when known
    forbidden_topics: list[str] = Field(default_factory=list)
    scope: ConsentScope | None = None
    corpus: list[str] = Field(default_factory=list)


class ScriptResult(BaseModel):
    sentences: list[Sentence] = Field(min_length=1)
    backend: str
    notes: list[str] = Field(default_factory=list)  # e.g. comments the backend could not apply
    changes: list[ScriptChange] = Field(default_factory=list)  # what each comment changed
    flags: list[ScriptFlag] = Field(default_factory=list)  # what the checks found, for reviewers


class ScriptBackend(Protocol):
    """Drafts and revises scripts in the studio markup (see ``studio.script_markup``)."""

    name: str

    def draft(self, request: DraftRequest) -> ScriptResult: ...

    def revise(self, request: ReviseRequest) -> ScriptResult: ...


# -------------------------------------------------------------------------- voice
class PromptClip(BaseModel):
    path: Path
    style: str
    median_f0_hz: float
    transcript: str | None = None


class SoundClip(BaseModel):
    """One of the persona's own non-verbal sounds, played for the cue of its kind."""

    path: Path
    kind: str


class SpeechCheck(BaseModel):
    """How generated speech is checked: a CTranslate2 Whisper model, and the error above which
    a sentence is spoken again (``retries`` times) and then flagged for reviewers."""

    model_dir: Path
    device: str = "cpu"
    compute_type: str = "int8"
    threads: int = 2
    max_error: float = 0.15
    retries: int = 1


class VoiceRequest(BaseModel):
    sentences: list[Sentence] = Field(min_length=1)
    language: str
    prompts: list[PromptClip] = Field(min_length=1)
    median_f0_hz: float = Field(gt=40, lt=600)
    speaking_rate_wpm: float | None = None
    sample_rate: int = 24000
    notes: list[str] = Field(default_factory=list)  # reviewer directions ("slower", "warmer")
    out_path: Path
    check: SpeechCheck | None = None  # None: no self-check, timings of words estimated
    sound_bank: list[SoundClip] = Field(default_factory=list)  # the persona's own coughs, laughs, breaths
    # how long a cue lasts when the script gives no length: [drink] as long as the persona's drinking footage
    cue_seconds: dict[CueKind, float] = Field(default_factory=dict)


class VoiceResult(BaseModel):
    path: Path
    duration_s: float
    sample_rate: int
    sentence_timings: list[SentenceTiming]
    backend: str
    checks: list[SentenceCheck] = Field(default_factory=list)
    cue_timings: list[CueTiming] = Field(default_factory=list)


class VoiceBackend(Protocol):
    """Speaks the sentences in the persona's voice, following their cues, into a WAV file."""

    name: str

    def synthesize(self, request: VoiceRequest) -> VoiceResult: ...


# -------------------------------------------------------------------------- video
class FootageClip(BaseModel):
    path: Path
    start_s: float
    duration_s: float
    face_box: tuple[int, int, int, int]
    label: str = "base"  # or the action it shows: drinking, laughing, looking_down, gesture, idle


# the action footage a cue cuts to
CUE_ACTIONS: dict[str, str] = {"drink": "drinking", "laugh": "laughing"}


class VideoRequest(BaseModel):
    audio_path: Path
    footage: list[FootageClip] = Field(default_factory=list)
    actions: list[FootageClip] = Field(default_factory=list)  # tagged action segments
    cues: list[CueTiming] = Field(default_factory=list)  # where the voice track's cues sound
    words: list[WordTiming] = Field(default_factory=list)  # the voice track's words, for the mouth's shapes
    photo_path: Path | None = None
    fps: float = 25.0
    max_height: int = 720
    crf: int = 20
    preset: str = "veryfast"
    out_path: Path


class VideoResult(BaseModel):
    path: Path
    duration_s: float
    width: int
    height: int
    fps: float
    backend: str


# how far a render has got, 0-100 (a Prefect progress artifact in the studio)
Progress = Callable[[float], None]


class VideoBackend(Protocol):
    """Renders the persona talking to the given audio, as an H.264/AAC MP4, reporting how far
    it has got to ``progress`` when given."""

    name: str

    def render(self, request: VideoRequest, progress: Progress | None = None) -> VideoResult: ...
