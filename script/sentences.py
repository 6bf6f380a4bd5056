"""A script's sentences and cues, and the brief they answer (shared by markup, records and contracts)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

CueKind = Literal["pause", "cough", "laugh", "breath", "sigh", "drink"]


class Cue(BaseModel):
    kind: CueKind
    seconds: float | None = Field(default=None, ge=0, le=10)


class Reading(BaseModel):
    """How to say one character: ``行`` at ``index`` read ``hang2`` (tone-numbered pinyin)."""

    index: int = Field(ge=0)
    pinyin: str = Field(pattern=r"^[a-zü]+[1-5]$")


class Sentence(BaseModel):
    text: str = Field(min_length=1)
    style: str = "neutral"
    cues_before: list[Cue] = Field(default_factory=list)
    cues_after: list[Cue] = Field(default_factory=list)
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    emphasis: list[tuple[int, int]] = Field(default_factory=list)  # (start, end) character spans to stress
    readings: list[Reading] = Field(default_factory=list)  # pronunciation overrides

    @model_validator(mode="after")
    def _marks_in_text(self) -> "Sentence":
        for r in self.readings:
            if r.index >= len(self.text):
                raise ValueError(f"reading {r.pinyin} points past the sentence ({r.index} >= {len(self.text)})")
        for start, end in self.emphasis:
            if not 0 <= start < end <= len(self.text):
                raise ValueError(f"stressed span {start}-{end} is outside the sentence")
        return self

    @property
    def stressed(self) -> list[str]:
        return [self.text[a:b] for a, b in self.emphasis]


class Brief(BaseModel):
    """What the production should say: the occasion, audience, points, length."""

    occasion: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    points: list[str] = Field(default_factory=list)
    language: Literal["en", "zh"] = "en"
    target_seconds: float = Field(default=30, gt=0, le=900)
    notes: str = Field(default="", max_length=2000)  # anything else the writer should know, in the family's words
