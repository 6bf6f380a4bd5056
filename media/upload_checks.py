"""What an upload really is, checked before anything is stored.

Each role is sniffed by content, never by its name: a photo must decode as an image and show a
face; a recording or footage must be media ffprobe reads, with sound (voice) or picture
(footage), decodable from its first to its last second (a truncated file is refused) and within
the length limits; a text must decode as UTF-8 or GB2312-range Chinese. Sound is decoded in
blocks, so a long file never needs more than a block's memory. A voice recording with no
speech in it (silence, a tone, noise) is stored but flagged, and the selection leaves it out.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.settings import UploadSettings
from media.analysis import speech_regions
from media.asr import voice_activity
from media.backends.dlib_face import find_face
from media.ffmpeg_io import MediaError, probe

_FORMATS = {"wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
            "mov,mp4,m4a,3gp,3g2,mj2": "video/mp4", "matroska,webm": "video/webm", "aac": "audio/aac"}
_IMAGES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
BLOCK_S = 60.0


@dataclass(frozen=True)
class Inspection:
    media_type: str  # from the content
    duration_s: float | None = None
    problem: str | None = None  # stored, but left out of the selection (e.g. no speech)


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM), or Chinese in GB18030 whose characters are the common
    GB2312 ones (Latin-1 read as GB18030 decodes too, into rare characters: refused)."""
    if b"\x00" in raw:
        raise MediaError(f"{name} is not plain text; upload a .txt export")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        wide = [ch for ch in text if ord(ch) > 127]
        common = sum(1 for ch in wide if _in_gb2312(ch))
        if wide and common / len(wide) >= 0.95:
            return text
    raise MediaError(f"{name} is neither UTF-8 nor Chinese (GB2312/GBK) text; save it as UTF-8 and upload it again")


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _image(path: Path, limits: UploadSettings) -> Inspection:
    from PIL import Image

    name = path.name
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with Image.open(path) as img:
            kind = img.format
            img.load()  # decode every pixel: a truncated image fails here
            rgb = np.asarray(img.convert("RGB"))
    except Image.DecompressionBombError:
        raise MediaError(f"{name} is larger than {limits.max_image_pixels / 1e6:.0f} megapixels; scale it down") from None
    except Exception:
        raise MediaError(f"{name} is not a readable image (upload a JPEG or PNG photo)") from None
    if kind not in _IMAGES:
        raise MediaError(f"{name} is a {kind} image; upload a JPEG or PNG photo")

    if find_face(np.ascontiguousarray(rgb[:, :, ::-1])) is None:
        raise MediaError(f"{name}: no face found; use a frontal photo with the face clearly visible")
    return Inspection(media_type=_IMAGES[kind])


def _decodes(path: Path, start_s: float, seconds: float, stream: str, timeout_s: float = 120) -> bool:
    """Whether ``seconds`` of the stream from ``start_s`` decode, without an error and to at
    least one frame (a truncated file's index promises frames its data no longer holds)."""
    args = ["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{max(0.0, start_s):.3f}", "-i", str(path), "-t", f"{seconds:.3f}",
            "-map", f"0:{stream}:0", "-f", "framecrc", "-"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s)
    frames = sum(1 for line in done.stdout.splitlines() if line and not line.startswith("#"))
    return done.returncode == 0 and not done.stderr.strip() and frames > 0


def _sound_blocks(path: Path, sr: int = 16000):
    """The sound as mono float32 blocks of ``BLOCK_S`` seconds, streamed from ffmpeg."""
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-vn", "-ac", "1", "-ar", str(sr),
                             "-f", "f32le", "pipe:"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    size = int(BLOCK_S * sr) * 4
    try:
        while True:
            buf = proc.stdout.read(size)
            if not buf:
                break
            yield np.frombuffer(buf[: len(buf) // 4 * 4], np.float32)
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def speech_seconds(path: Path, enough_s: float = 20.0) -> float:
    """Seconds of speech the voice detector hears, block by block (stops once ``enough_s``)."""

    heard, sr = 0.0, 16000
    for block in _sound_blocks(path, sr):
        if not speech_regions(block, sr).regions:  # silence or a constant sound: no need to ask the detector
            continue
        heard += sum(b - a for a, b in voice_activity(block, sr))
        if heard >= enough_s:
            break
    return heard


def inspect_upload(path: Path, role: str, limits: UploadSettings) -> Inspection:
    """What ``path`` is for ``role``; ``MediaError`` saying what to do when it cannot be used at all."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{path.name} is empty")
    if size > limits.max_bytes:
        raise MediaError(f"{path.name} is {size / 1024**3:.1f} GiB; the limit is {limits.max_bytes / 1024**3:.1f} GiB "
                         "per file, split it first")
    if role == "text":
        if size > limits.max_text_bytes:
            raise MediaError(f"{path.name} is {size / 1e6:.1f} MB; split it into text files under "
                             f"{limits.max_text_bytes / 1e6:.0f} MB")
        decode_text(path.read_bytes(), path.name)
        return Inspection(media_type="text/plain")
    if role == "photo":
        return _image(path, limits)
    info = probe(path)
    stream, wanted = ("a", "sound") if role == "voice" else ("v", "picture")
    if (role == "voice" and not info.has_audio) or (role == "footage" and not info.has_video):
        raise MediaError(f"{path.name} has no {wanted}; a {role} upload needs {wanted}")
    limit = limits.max_voice_minutes if role == "voice" else limits.max_footage_minutes
    if info.duration_s <= 0.5:
        raise MediaError(f"{path.name} lasts {info.duration_s:.1f} s; upload a longer {role} file")
    if info.duration_s > limit * 60:
        raise MediaError(f"{path.name} lasts {info.duration_s / 60:.0f} min; the limit for {role} is {limit} min, "
                         "split it first")
    for start in (0.0, info.duration_s - 2.0):
        if not _decodes(path, start, 2.0, stream):
            raise MediaError(f"{path.name} cannot be read to its end (truncated or damaged at "
                             f"{max(start, 0):.0f} s); export it again and upload the whole file")
    media_type = _FORMATS.get(info.format_name, "application/octet-stream")
    if role == "footage" and not media_type.startswith("video/"):
        media_type = "video/mp4" if info.has_video else media_type
    problem = None
    if role == "voice" and speech_seconds(path, enough_s=3.0) < 1.0:
        problem = "no speech found (silence, a tone or noise); it is kept but not used for the voice"
    return Inspection(media_type=media_type, duration_s=info.duration_s, problem=problem)
