"""Voice takes and their timings and self-checks."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from core.records import AssetRef, Record
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

    @property
    def flagged(self) -> list[SentenceCheck]:
        return [c for c in self.checks if c.flagged]
