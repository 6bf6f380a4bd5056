"""Video takes."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from core.records import AssetRef, Record, TakeChunk
from video.contract import RenderNotes


class QualityMeasure(BaseModel):
    """One figure of a take's quality report, with the limit it was held to."""

    name: str  # e.g. "lip sync"
    value: float | None  # None: not measurable here (e.g. joins in a photo)
    limit: float | None = None
    at_least: bool = True  # the limit is a minimum (else a maximum)
    unit: str = ""

    @property
    def ok(self) -> bool:
        if self.value is None or self.limit is None:
            return True
        return self.value >= self.limit if self.at_least else self.value <= self.limit


# what a safer second render can mend: the picture's own figures
REMADE_FOR = {"lip sync", "identity", "mouth sharpness", "seam", "join jump", "chunk joins", "largest change", "eyes closed"}


class TakeQuality(BaseModel):
    """The quality report of a video take, computed when it was made."""

    measures: list[QualityMeasure] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)  # what reviewers are told, one line each
    remade: bool = False  # the first render fell short and this is the safer second one
    seconds_measured: float = 0.0

    @property
    def mendable(self) -> bool:
        """Something falls short that a safer second render could mend (``REMADE_FOR``)."""
        return any(not m.ok and m.name in REMADE_FOR for m in self.measures)


class VideoTake(Record):
    kind: ClassVar[str] = "video"
    immutable: ClassVar[bool] = True

    production_id: str
    script_version: int
    take: int = 1
    voice_take_id: str
    video: AssetRef  # picture with the take's audio, not yet labelled
    duration_s: float
    width: int
    height: int
    fps: float
    backend: str
    notes: RenderNotes = Field(default_factory=RenderNotes)
    quality: TakeQuality | None = None  # absent in takes made before the report existed
    chunks: list[TakeChunk] = Field(default_factory=list)  # absent in takes made in one piece
