"""A video take in chunks, one per chunk of its voice take: each rendered on its own as an
anchored render (``VideoRequest.anchored``: the base track leaves its first frame and comes
back, so chunks join with no jump wherever they stand), kept under its key, then joined once,
its pictures copied as they are and the take's own sound laid under them.

A chunk's key names its voice chunk's sound (by hash), the take's context (the persona's
materials, the frames struck out of the mouth bank, the video settings, the video code) and
whether it is the safer second render; not where it stands, so a revision re-renders only the
chunks whose sound changed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from core.records import AssetRef
from video.contract import RenderNotes
from voice.chunks import digest
from voice.records import CueTiming, VoiceTake, WordTiming

CHUNK_FORMAT = 1  # bump when the way a chunk is rendered changes


class VideoChunkJob(BaseModel):
    key: str
    position: int
    sentences: tuple[int, int]
    audio: AssetRef  # the voice chunk's sound
    start_s: float  # where it lies in the voice take (for people; not in the key)
    seconds: float
    words: list[WordTiming] = Field(default_factory=list)  # from the chunk's start
    cues: list[CueTiming] = Field(default_factory=list)
    careful: bool = False


class VideoPlan(BaseModel):
    jobs: list[VideoChunkJob]
    context: str = ""  # the persona's materials, the mouth bank's struck frames, the video settings and code
    careful: bool = False
    made_at: datetime  # chunks made before this were made for an earlier take


class VideoChunk(BaseModel):
    key: str
    video: AssetRef  # H.264, the chunk's frames exactly
    frames: int
    width: int
    height: int
    fps: float
    backend: str
    notes: RenderNotes = Field(default_factory=RenderNotes)
    made_on: str
    made_at: datetime
    seconds: float


def plan_video_chunks(voice: VoiceTake, context: str, careful: bool, made_at: datetime) -> VideoPlan:
    """One video chunk per chunk of ``voice`` (a take made in chunks)."""
    if not voice.chunks or any(c.asset is None for c in voice.chunks):
        raise ValueError(f"voice take {voice.id} was not made in chunks; make the voice again")
    jobs = []
    for position, chunk in enumerate(voice.chunks):
        a, b = chunk.start_s, chunk.end_s
        first, last = chunk.sentences
        words = [WordTiming(word=w.word, start_s=round(w.start_s - a, 3), end_s=round(w.end_s - a, 3))
                 for t in voice.sentence_timings if first <= t.index <= last for w in t.words]
        cues = [c.model_copy(update={"start_s": round(c.start_s - a, 3), "end_s": round(c.end_s - a, 3)})
                for c in voice.cue_timings if first <= c.sentence <= last]
        key = digest("video-chunk", CHUNK_FORMAT, context, chunk.key, chunk.asset.sha256, careful)
        jobs.append(VideoChunkJob(key=key, position=position, sentences=chunk.sentences, audio=chunk.asset, start_s=a,
                                  seconds=round(b - a, 3), words=words, cues=cues, careful=careful))
    return VideoPlan(jobs=jobs, context=context, careful=careful, made_at=made_at)
