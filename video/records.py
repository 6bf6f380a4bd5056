"""Video takes."""

from __future__ import annotations

from typing import ClassVar

from core.records import AssetRef, Record


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
