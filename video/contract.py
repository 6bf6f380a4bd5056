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
    crf: int = 17  # a take is encoded once more at delivery
    preset: str = "veryfast"
    # safer choices for a second render after the first fell short of the quality limits: one
    # footage segment (no joins), the nearest bank mouth alone (no blend), a softer blend edge
    careful: bool = False
    # footage frames (path, seconds into it) an operator struck out of the mouth bank
    bank_drops: list[tuple[Path, float]] = Field(default_factory=list)
    # a chunk of a take: the base track starts on its first frame and ends one before it (a photo
    # starts and ends at rest), so any two anchored renders join with no jump, wherever they stand
    anchored: bool = False
    out_path: Path


class RenderNotes(BaseModel):
    """What a renderer chose, for the take's quality report: the mouth bank's frames, what it
    rejected and why, and how many openings it had to synthesise; the output's size against the
    footage's (downscaling is said, never silent)."""

    bank_frames: int = 0
    bank_candidates: int = 0
    bank_rejects: dict[str, int] = Field(default_factory=dict)
    synthesised_openings: int = 0
    footage_opening_range: float = 0.0  # the widest minus the closed mouth in the footage
    source_size: tuple[int, int] | None = None  # the footage's or photo's own size


class VideoResult(BaseModel):
    path: Path
    duration_s: float
    width: int
    height: int
    fps: float
    backend: str
    notes: RenderNotes = Field(default_factory=RenderNotes)


# how far a render has got, 0-100 (a Prefect progress artifact in the studio)
Progress = Callable[[float], None]


class VideoBackend(Protocol):
    """Renders the persona talking to the given audio, as an H.264/AAC MP4, reporting how far
    it has got to ``progress`` when given."""

    name: str

    def render(self, request: VideoRequest, progress: Progress | None = None) -> VideoResult: ...
