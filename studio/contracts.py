"""Contracts of the generators: what a script, voice or video backend takes and returns.

Each capability has a ``typing.Protocol`` and pydantic request/result models. Backends live
in ``tasks/backends/`` (the only place that imports torch or a vendor SDK) and are picked
from a registry by a settings value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from pydantic import BaseModel, Field

from studio.models import Brief, CueKind, CueTiming, Sentence, SentenceCheck, SentenceTiming, WordTiming


# ------------------------------------------------------------------------- script
class PersonaStyle(BaseModel):
    """What the drafter knows of how the persona speaks."""

    name: str
    past_passages: list[str] = Field(default_factory=list)
    catchphrases: list[str] = Field(default_factory=list)
    styles: list[str] = Field(default_factory=lambda: ["neutral"])  # voice prompt styles available


class DraftRequest(BaseModel):
    brief: Brief
    persona: PersonaStyle
    forbidden_topics: list[str] = Field(default_factory=list)


class ReviseRequest(BaseModel):
    brief: Brief
    persona: PersonaStyle
    previous: list[Sentence]
    comments: list[str] = Field(min_length=1)
    forbidden_topics: list[str] = Field(default_factory=list)


class ScriptResult(BaseModel):
    sentences: list[Sentence] = Field(min_length=1)
    backend: str
    notes: list[str] = Field(default_factory=list)  # e.g. comments the backend could not apply


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
