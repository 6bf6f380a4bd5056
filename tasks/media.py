"""Media input/output through ffmpeg (ffmpeg-python) and soundfile, with clear errors."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import ffmpeg
except ImportError as exc:  # pragma: no cover
    raise ImportError("tasks.media needs ffmpeg-python: uv sync") from exc


class MediaError(ValueError):
    """A media file could not be used; the message says which file and why."""


MAX_INPUT_SECONDS = 4 * 3600


def require_ffmpeg() -> None:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise MediaError("ffmpeg/ffprobe not found; install them with `make deps` (apt-get install ffmpeg)")


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str | None = None
    audio_codec: str | None = None
    sample_rate: int = 0
    tags: dict | None = None


def probe(path: Path) -> MediaInfo:
    require_ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist")
    try:
        info = ffmpeg.probe(str(path))
    except ffmpeg.Error as exc:
        msg = exc.stderr.decode(errors="replace").strip().splitlines()[-1:] if exc.stderr else []
        raise MediaError(f"{path.name} is not a readable media file ({' '.join(msg) or 'ffprobe failed'})") from None
    streams = info.get("streams", [])
    v = next((s for s in streams if s.get("codec_type") == "video" and s.get("disposition", {}).get("attached_pic") != 1), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fmt = info.get("format", {})
    duration = float(fmt.get("duration") or (v or a or {}).get("duration") or 0)
    fps = 0.0
    if v:
        num, _, den = (v.get("avg_frame_rate") or v.get("r_frame_rate") or "0/1").partition("/")
        fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    return MediaInfo(
        duration_s=duration,
        has_video=v is not None,
        has_audio=a is not None,
        width=int(v["width"]) if v else 0,
        height=int(v["height"]) if v else 0,
        fps=fps,
        video_codec=v.get("codec_name") if v else None,
        audio_codec=a.get("codec_name") if a else None,
        sample_rate=int(a.get("sample_rate", 0)) if a else 0,
        tags={k.lower(): val for k, val in (fmt.get("tags") or {}).items()},
    )


def load_audio(path: Path, sample_rate: int = 16000) -> np.ndarray:
    """Decode any audio (or a video's sound track) to mono float32 at ``sample_rate``."""
    info = probe(path)
    if not info.has_audio:
        raise MediaError(f"{Path(path).name} has no audio track")
    if info.duration_s > MAX_INPUT_SECONDS:
        raise MediaError(f"{Path(path).name} is {info.duration_s / 3600:.1f} h long; split it into parts under 4 h")
    try:
        out, _ = (
            ffmpeg.input(str(path))
            .output("pipe:", format="f32le", ac=1, ar=sample_rate, vn=None)
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        raise MediaError(f"cannot decode the audio of {Path(path).name}: {exc.stderr.decode(errors='replace')[-300:]}") from None
    audio = np.frombuffer(out, dtype=np.float32).copy()
    if audio.size == 0:
        raise MediaError(f"{Path(path).name} decoded to no audio samples")
    return audio


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> Path:
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(audio, -1, 1).astype(np.float32), sample_rate, subtype="PCM_16")
    return path


def read_frames(path: Path, start_s: float, duration_s: float, width: int, height: int, fps: float) -> np.ndarray:
    """Frames [n, h, w, 3] (BGR, uint8) of a stretch of video, scaled to ``width`` x ``height``."""
    try:
        out, _ = (
            ffmpeg.input(str(path), ss=f"{start_s:.3f}", t=f"{duration_s:.3f}")
            .filter("fps", fps=fps)
            .filter("scale", width, height)
            .output("pipe:", format="rawvideo", pix_fmt="bgr24")
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        raise MediaError(f"cannot decode video {Path(path).name}: {exc.stderr.decode(errors='replace')[-300:]}") from None
    frames = np.frombuffer(out, dtype=np.uint8)
    n = frames.size // (width * height * 3)
    if n == 0:
        raise MediaError(f"{Path(path).name} has no frames between {start_s:.1f} s and {start_s + duration_s:.1f} s")
    return frames[: n * width * height * 3].reshape(n, height, width, 3)


def frame_jpeg(path: Path, at_s: float, max_width: int = 640) -> bytes:
    """One frame at ``at_s`` as JPEG bytes, at most ``max_width`` wide (for people to look at)."""
    try:
        out, _ = (
            ffmpeg.input(str(path), ss=f"{max(at_s, 0):.3f}")
            .filter("scale", f"min({max_width},iw)", -2)
            .output("pipe:", vframes=1, format="image2", vcodec="mjpeg", **{"q:v": 4})
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        raise MediaError(f"cannot decode video {Path(path).name}: {exc.stderr.decode(errors='replace')[-300:]}") from None
    if not out:
        raise MediaError(f"{Path(path).name} has no frame at {at_s:.1f} s")
    return out


def mean_luma(path: Path, width: int, height: int, max_frames: int = 750) -> tuple[np.ndarray, int]:
    """The average Y plane of up to ``max_frames`` frames, streamed (constant memory)."""
    proc = (ffmpeg.input(str(path)).video.output("pipe:", format="rawvideo", pix_fmt="gray", vframes=max_frames)
            .global_args("-v", "error", "-nostats").run_async(pipe_stdout=True, pipe_stderr=True))
    size = width * height
    total = np.zeros((height, width), dtype=np.float64)
    frames = 0
    while True:
        buf = proc.stdout.read(size)
        if len(buf) < size:
            break
        total += np.frombuffer(buf, np.uint8).reshape(height, width)
        frames += 1
    proc.stdout.close()
    err = proc.stderr.read().decode(errors="replace")
    if proc.wait() != 0 or frames == 0:
        raise MediaError(f"cannot decode the picture of {Path(path).name}: {err[-300:]}")
    return (total / frames).astype(np.float32), frames


class VideoWriter:
    """Streams BGR frames into ffmpeg, muxing an audio file, as H.264 (yuv420p) + AAC MP4."""

    def __init__(self, path: Path, width: int, height: int, fps: float, audio_path: Path | None = None,
                 crf: int = 20, preset: str = "veryfast"):
        require_ffmpeg()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        video = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="bgr24", s=f"{width}x{height}", framerate=fps)
        streams = [video]
        kwargs = dict(vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset=preset, movflags="+faststart")
        if audio_path is not None:
            streams.append(ffmpeg.input(str(audio_path)).audio)
            kwargs.update(acodec="aac", audio_bitrate="128k", shortest=None)
        self.proc = (
            ffmpeg.output(*streams, str(self.path), **kwargs)
            .overwrite_output()
            .run_async(pipe_stdin=True, pipe_stderr=True, quiet=False)
        )
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        try:
            self.proc.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        except BrokenPipeError:
            raise MediaError(f"ffmpeg stopped while writing {self.path.name}: {self._stderr()}") from None
        self.frames += 1

    def _stderr(self) -> str:
        try:
            return self.proc.stderr.read().decode(errors="replace")[-500:]
        except Exception:
            return ""

    def close(self) -> Path:
        self.proc.stdin.close()
        err = self._stderr()
        if self.proc.wait() != 0:
            raise MediaError(f"ffmpeg failed to write {self.path.name}: {err}")
        return self.path



def reencode_with_sound(video: Path, audio: Path, out: Path, width: int, height: int, fps: float, crf: int = 20,
                        preset: str = "veryfast") -> MediaInfo:
    """``video``'s picture at ``width`` x ``height`` and ``fps`` with ``audio`` as its sound, as H.264 + AAC MP4
    (what a lip-sync server sent back, made like every other take)."""
    require_ffmpeg()
    try:
        (ffmpeg.output(ffmpeg.input(str(video)).video.filter("scale", width, height).filter("fps", fps=fps),
                       ffmpeg.input(str(audio)).audio, str(out), vcodec="libx264", pix_fmt="yuv420p", crf=crf,
                       preset=preset, acodec="aac", audio_bitrate="128k", shortest=None, movflags="+faststart")
         .overwrite_output().run(capture_stdout=True, capture_stderr=True))
    except ffmpeg.Error as exc:
        raise MediaError(f"cannot re-encode {Path(video).name}: {exc.stderr.decode(errors='replace')[-300:]}") from None
    return probe(out)
