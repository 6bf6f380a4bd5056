"""The video contract: what a video backend takes and returns."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from pydantic import BaseModel, Field

from voice.records import CueTiming, WordTiming


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
