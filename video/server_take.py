"""What the lip-sync server backends share: their error, and how a server's video becomes the
studio's take (the base track's size, the requested rate, the studio's own speech)."""

from __future__ import annotations

from pathlib import Path

from media.ffmpeg_io import MediaError, probe, reencode_with_sound
from video.contract import VideoRequest, VideoResult


class LipSyncServiceError(RuntimeError):
    """A lip-sync server refused, failed or could not be reached; the message says which and why."""


def finish_take(result: Path, request: VideoRequest, base: VideoResult, backend: str, what: str) -> VideoResult:
    """A lip-sync server's video re-encoded at the base track's size and the requested rate with
    the studio's own speech, so every backend delivers the same kind of file."""
    try:
        probe(result)
        info = reencode_with_sound(result, request.audio_path, request.out_path, base.width, base.height, request.fps,
                                   request.crf, request.preset)
    except MediaError as exc:
        raise LipSyncServiceError(f"the {what}'s result is not a usable video: {exc}") from None
    return VideoResult(path=request.out_path, duration_s=info.duration_s, width=info.width, height=info.height,
                       fps=request.fps, backend=backend)
