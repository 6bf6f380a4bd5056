"""Media input/output through ffmpeg (ffmpeg-python) and soundfile, with clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import ffmpeg
except ImportError as exc:  # pragma: no cover
    raise ImportError("media.ffmpeg_io needs ffmpeg-python: uv sync") from exc


class MediaError(ValueError):
    """A media file could not be used; the message says which file and why."""


MAX_INPUT_SECONDS = 4 * 3600
QUIET = ("-nostats", "-loglevel", "error")


def work_timeout(media_seconds: float, per_second: float = 4.0, base: float = 120.0) -> float:
    """How long an ffmpeg job on ``media_seconds`` of media may take before it is stopped."""
    return base + per_second * max(media_seconds, 0.0)


def run_ffmpeg(stream, what: str, timeout_s: float) -> bytes:
    """Run an ffmpeg job to its end: its output back, its messages drained, stopped (and a
    ``MediaError``) after ``timeout_s``."""
    args = stream.global_args("-nostdin", *QUIET).compile()
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise MediaError(f"{what} took longer than {timeout_s:.0f} s and was stopped") from None
    if done.returncode != 0:
        raise MediaError(f"{what} failed: {done.stderr.decode(errors='replace')[-400:]}")
    return done.stdout


class FFmpegPipe:
    """An ffmpeg process fed (``stdin``) or read (``stdout``) through a pipe. Its messages go to
    a temporary file, never to a pipe nobody reads: a chatty ffmpeg cannot fill one and block
    both processes. ``finish`` waits at most ``timeout_s`` and stops it after that."""

    def __init__(self, stream, *, stdin: bool = False, stdout: bool = False, log_level: str = "error"):
        require_ffmpeg()
        self.log = tempfile.TemporaryFile()
        extra = ("-nostats", "-loglevel", log_level) + (() if stdin else ("-nostdin",))
        self.proc = subprocess.Popen(stream.global_args(*extra).compile(), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE if stdout else subprocess.DEVNULL, stderr=self.log)

    def messages(self, tail: int = 500) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-tail:]

    def finish(self, what: str, timeout_s: float) -> int:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise MediaError(f"{what} took longer than {timeout_s:.0f} s and was stopped") from None
        return code


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
    format_name: str = ""  # ffprobe's container names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"


def probe(path: Path) -> MediaInfo:
    require_ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist")
    try:
        done = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                              capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise MediaError(f"{path.name}: ffprobe did not finish reading it within 60 s") from None
    if done.returncode != 0:
        msg = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise MediaError(f"{path.name} is not a readable media file ({' '.join(msg) or 'ffprobe failed'})")
    try:
        info = json.loads(done.stdout)
    except ValueError:
        raise MediaError(f"{path.name} is not a readable media file (ffprobe said nothing it could read)") from None
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
        format_name=fmt.get("format_name", ""),
    )


def load_audio(path: Path, sample_rate: int = 16000) -> np.ndarray:
    """Decode any audio (or a video's sound track) to mono float32 at ``sample_rate``."""
    info = probe(path)
    if not info.has_audio:
        raise MediaError(f"{Path(path).name} has no audio track")
    if info.duration_s > MAX_INPUT_SECONDS:
        raise MediaError(f"{Path(path).name} is {info.duration_s / 3600:.1f} h long; split it into parts under 4 h")
    out = run_ffmpeg(ffmpeg.input(str(path)).output("pipe:", format="f32le", ac=1, ar=sample_rate, vn=None),
                     f"decoding the audio of {Path(path).name}", work_timeout(info.duration_s, per_second=0.5))
    audio = np.frombuffer(out, dtype=np.float32).copy()
    if audio.size == 0:
        raise MediaError(f"{Path(path).name} decoded to no audio samples")
    return audio


def write_wav(path: Path, audio: np.ndarray, sample_rate: int, exact: bool = False) -> Path:
    """16-bit PCM; ``exact``: 32-bit float, unclipped (a part of a track still to be levelled)."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = audio.astype(np.float32) if exact else np.clip(audio, -1, 1).astype(np.float32)
    sf.write(str(path), audio, sample_rate, subtype="FLOAT" if exact else "PCM_16")
    return path


def read_frames(path: Path, start_s: float, duration_s: float, width: int, height: int, fps: float) -> np.ndarray:
    """Frames [n, h, w, 3] (BGR, uint8) of a stretch of video, scaled to ``width`` x ``height``."""
    out = run_ffmpeg(ffmpeg.input(str(path), ss=f"{start_s:.3f}", t=f"{duration_s:.3f}").filter("fps", fps=fps)
                     .filter("scale", width, height).output("pipe:", format="rawvideo", pix_fmt="bgr24"),
                     f"decoding video {Path(path).name}", work_timeout(duration_s))
    frames = np.frombuffer(out, dtype=np.uint8)
    n = frames.size // (width * height * 3)
    if n == 0:
        raise MediaError(f"{Path(path).name} has no frames between {start_s:.1f} s and {start_s + duration_s:.1f} s")
    return frames[: n * width * height * 3].reshape(n, height, width, 3)


def frame_jpeg(path: Path, at_s: float, max_width: int = 640) -> bytes:
    """One frame at ``at_s`` as JPEG bytes, at most ``max_width`` wide (for people to look at)."""
    out = run_ffmpeg(ffmpeg.input(str(path), ss=f"{max(at_s, 0):.3f}").filter("scale", f"min({max_width},iw)", -2)
                     .output("pipe:", vframes=1, format="image2", vcodec="mjpeg", **{"q:v": 4}),
                     f"decoding video {Path(path).name}", 60)
    if not out:
        raise MediaError(f"{Path(path).name} has no frame at {at_s:.1f} s")
    return out


def mean_luma(path: Path, width: int, height: int, max_frames: int = 750) -> tuple[np.ndarray, int]:
    """The average Y plane of up to ``max_frames`` frames, streamed (constant memory)."""
    reader = FFmpegPipe(ffmpeg.input(str(path)).video.output("pipe:", format="rawvideo", pix_fmt="gray", vframes=max_frames),
                        stdout=True)
    size = width * height
    total = np.zeros((height, width), dtype=np.float64)
    frames = 0
    while True:
        buf = reader.proc.stdout.read(size)
        if len(buf) < size:
            break
        total += np.frombuffer(buf, np.uint8).reshape(height, width)
        frames += 1
    if reader.finish(f"reading the picture of {Path(path).name}", 120) != 0 or frames == 0:
        raise MediaError(f"cannot decode the picture of {Path(path).name}: {reader.messages(300)}")
    return (total / frames).astype(np.float32), frames


class VideoWriter:
    """Streams BGR frames into ffmpeg, muxing an audio file, as H.264 (yuv420p) + AAC MP4.
    ffmpeg's messages go to a file (``FFmpegPipe``), so no render, however long, can block on
    them; ``close`` waits for the encoder at most in proportion to what was written."""

    def __init__(self, path: Path, width: int, height: int, fps: float, audio_path: Path | None = None,
                 crf: int = 20, preset: str = "veryfast"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fps = fps
        video = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="bgr24", s=f"{width}x{height}", framerate=fps)
        streams = [video]
        kwargs = dict(vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset=preset, movflags="+faststart")
        if audio_path is not None:
            streams.append(ffmpeg.input(str(audio_path)).audio)
            kwargs.update(acodec="aac", audio_bitrate="128k", shortest=None)
        self.encoder = FFmpegPipe(ffmpeg.output(*streams, str(self.path), **kwargs).overwrite_output(), stdin=True)
        self.proc = self.encoder.proc
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        try:
            self.proc.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
        except BrokenPipeError:
            raise MediaError(f"ffmpeg stopped while writing {self.path.name}: {self.encoder.messages()}") from None
        self.frames += 1

    def close(self) -> Path:
        if self.encoder.finish(f"encoding {self.path.name}", work_timeout(self.frames / max(self.fps, 1.0))) != 0:
            raise MediaError(f"ffmpeg failed to write {self.path.name}: {self.encoder.messages()}")
        return self.path


def reencode_with_sound(video: Path, audio: Path, out: Path, width: int, height: int, fps: float, crf: int = 20,
                        preset: str = "veryfast") -> MediaInfo:
    """``video``'s picture at ``width`` x ``height`` and ``fps`` with ``audio`` as its sound, as H.264 + AAC MP4
    (what a lip-sync server sent back, made like every other take)."""
    require_ffmpeg()
    run_ffmpeg(ffmpeg.output(ffmpeg.input(str(video)).video.filter("scale", width, height).filter("fps", fps=fps),
                             ffmpeg.input(str(audio)).audio, str(out), vcodec="libx264", pix_fmt="yuv420p", crf=crf,
                             preset=preset, acodec="aac", audio_bitrate="128k", shortest=None, movflags="+faststart")
               .overwrite_output(), f"re-encoding {Path(video).name}", work_timeout(probe(video).duration_s))
    return probe(out)


def concat_with_sound(parts: list[Path], audio: Path, out: Path) -> MediaInfo:
    """The pictures of ``parts`` (H.264 made with the same settings) one after another, not
    encoded again, with ``audio`` as the sound (AAC): a take made in chunks, as one file."""
    require_ffmpeg()
    out = Path(out)
    listing = out.with_name(out.stem + "-parts.txt")
    listing.write_text("".join("file '{}'\n".format(str(Path(p).resolve()).replace("'", "'\\''")) for p in parts))
    seconds = probe(audio).duration_s
    run_ffmpeg(ffmpeg.output(ffmpeg.input(str(listing), f="concat", safe=0).video, ffmpeg.input(str(audio)).audio,
                             str(out), vcodec="copy", acodec="aac", audio_bitrate="128k", movflags="+faststart"),
               f"joining {len(parts)} chunks into {out.name}", work_timeout(seconds, per_second=0.5))
    return probe(out)
