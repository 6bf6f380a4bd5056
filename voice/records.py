"""Voice takes and their timings and self-checks."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from core.records import AssetRef, Record, TakeChunk
from script.sentences import CueKind


class WordTiming(BaseModel):
    word: str
    start_s: float
    end_s: float


class SentenceTiming(BaseModel):
    index: int
    start_s: float
    end_s: float
    words: list[WordTiming] = Field(default_factory=list)  # heard by the self-check, or estimated


class CueTiming(BaseModel):
    """Where a cue sounds in the voice track ([drink] 12.4-15.9 s), for the video's actions."""

    kind: CueKind
    start_s: float
    end_s: float
    sentence: int  # the sentence it stands before or after


class SentenceCheck(BaseModel):
    """The voice self-check of one sentence: what the recogniser heard and how far it is off."""

    index: int
    heard: str
    metric: Literal["CER", "WER"]
    error: float
    attempts: int = 1
    flagged: bool = False  # still above the limit after the retries: reviewers are told


class VoiceTake(Record):
    kind: ClassVar[str] = "voice"
    immutable: ClassVar[bool] = True

    production_id: str
    script_version: int
    take: int = 1
    audio: AssetRef
    duration_s: float
    sample_rate: int
    sentence_timings: list[SentenceTiming]
    backend: str
    notes: list[str] = Field(default_factory=list)
    checks: list[SentenceCheck] = Field(default_factory=list)
    cue_timings: list[CueTiming] = Field(default_factory=list)  # absent in takes made before
    timbre_id: str | None = None  # the persona's learned timbre (``VoiceTimbre``) the take was said in
    chunks: list[TakeChunk] = Field(default_factory=list)  # absent in takes made in one piece

    @property
    def flagged(self) -> list[SentenceCheck]:
        return [c for c in self.checks if c.flagged]


class VoiceTimbre(Record):
    """A persona's timbre as one voice backend learned it from the materials' prompts (immutable;
    the id names the prompts and transcripts, so new prompts or a corrected transcript learn a
    new version, and withdrawn recordings are never learned from again)."""

    kind: ClassVar[str] = "voice_timbre"
    immutable: ClassVar[bool] = True

    persona_id: str
    backend: str
    conversion: AssetRef  # the file the backend reads back
    prompts: list[str]  # sha256 of the prompt clips it was learned from
    transcripts: list[str]
    base_voice: str
    frames: int
    distance_before: float
    distance_after: float
    seconds_taken: float
