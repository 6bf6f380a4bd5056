"""Delivery rendering: every label the studio puts on what leaves it.

From a reviewed video take it writes an MP4 (H.264/AAC) and the sound alone as MP3 and WAV:
1. an optional spoken "AI-generated" notice at the start, in the studio's own natural voice
   (``voice.registry.notice_voice``), over the first frame easing from dim and close into the talk;
2. the invisible watermarks, in luma (``delivery.trust.video_mark``) and in the sound
   (``delivery.trust.audio_mark``), both carrying the delivery's registered content id;
3. the visible "AI生成 / AI-generated" label for the first seconds and a persistent corner mark,
   and the subtitles burned in where ``burn_subtitles`` asks (their times follow the notice);
4. GB 45438 AIGC metadata (``delivery.trust.aigc_metadata``) and the delivery id;
5. last, a signed C2PA manifest (``delivery.backends.c2pa_manifest``) naming the marks as soft
   bindings and saying how the content was made (``delivery.credentials``): any later write would
   break it; the WebVTT subtitles get a manifest of their own (``delivery.backends.c2pa_vtt_manifest``).
   The manifest stores come back for the manifest repository (``delivery.manifests``).
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import ffmpeg
import numpy as np

from core.settings import DeliverySettings, TrustSettings
from delivery.backends.c2pa_manifest import SignedFile, SigningCredentials, sign_file
from delivery.backends.c2pa_vtt_manifest import sign_vtt
from delivery.credentials import soft_bindings
from delivery.records import SoftBinding
from delivery.subtitles import Captions, SubtitleCue, burn_style, to_srt, to_vtt
from delivery.trust.aigc_metadata import ffmpeg_metadata
from delivery.trust.audio_mark import embed_audio, snr_db
from delivery.trust.video_mark import LumaMarker
from media.analysis import resample
from media.ffmpeg_io import (
    FFmpegPipe,
    MediaError,
    load_audio,
    mean_luma,
    probe,
    require_ffmpeg,
    run_ffmpeg,
    work_timeout,
    write_wav,
)
from media.loudness import normalise_loudness, under_true_peak
from voice.registry import notice_voice

METADATA_PREFIX = "studio-delivery:"

_CORNERS = {
    "top_left": ("w*0.03", "h*0.03"),
    "top_right": ("w-text_w-w*0.03", "h*0.03"),
    "bottom_left": ("w*0.03", "h-text_h-h*0.03"),
    "bottom_right": ("w-text_w-w*0.03", "h-text_h-h*0.03"),
}


@dataclass
class DeliveredFiles:
    video: Path
    mp3: Path
    wav: Path
    duration_s: float
    notice_s: float
    video_psnr_db: float
    audio_snr_db: float
    embed_fps: float
    loudness_lufs: float
    cues: list[SubtitleCue]  # timed to these files
    subtitles_burned: bool = False
    signed: dict[str, SignedFile] | None = None  # "mp4", "mp3", "wav" (and "vtt"): each file's manifest
    marks: dict[str, list[SoftBinding]] | None = None  # the soft bindings each manifest names


def notice_text(delivery: DeliverySettings, language: str) -> str:
    """The AI notice in the talk's language (spoken first, and the subtitles' first cue)."""
    return delivery.notice_text_zh if language == "zh" else delivery.notice_text_en


def spoken_notice(text: str, language: str, sample_rate: int, voice: str, fps: float) -> np.ndarray:
    """The notice said by the studio's notice voice, then a short breath, padded to a whole
    number of frames so the picture's lead-in and the talk stay in step."""
    try:
        audio, sr = notice_voice(voice).say(text, language)
    except (FileNotFoundError, RuntimeError, ImportError) as exc:
        raise MediaError(f"the spoken AI notice could not be said ({exc}); run `make deps` "
                         "or set STUDIO_DELIVERY__SPOKEN_NOTICE=false") from None
    audio = resample(np.asarray(audio, np.float32), sr, sample_rate)
    peak = float(np.max(np.abs(audio))) or 1.0
    frame = sample_rate / fps
    total = int(np.ceil((len(audio) + 0.4 * sample_rate) / frame) * frame)
    return np.pad(audio / peak * 0.5, (0, max(0, total - len(audio))))


def notice_frames(first: np.ndarray, width: int, height: int, count: int):
    """The picture under the notice: the take's first frame (yuv420p) easing from dim and a
    little close to exactly itself, so it moves throughout and meets the talk without a jump."""
    y = first[: width * height].reshape(height, width)
    u = first[width * height: width * height * 5 // 4].reshape(height // 2, width // 2)
    v = first[width * height * 5 // 4:].reshape(height // 2, width // 2)
    for i in range(count):
        p = (i + 1) / count
        zoom = 1.0 + 0.06 * (1.0 - p)
        light = 0.55 + 0.45 * p * p * (3 - 2 * p)
        planes = []
        for plane, rest in ((y, 16.0), (u, 128.0), (v, 128.0)):
            ph, pw = plane.shape
            ch, cw = ph / zoom, pw / zoom
            m = np.float32([[1 / zoom, 0, (pw - cw) / 2], [0, 1 / zoom, (ph - ch) / 2]])
            moved = cv2.warpAffine(plane, m, (pw, ph), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
            planes.append(np.clip(rest + (moved - rest) * light, 0, 255).astype(np.uint8).reshape(-1))
        yield np.concatenate(planes)


def fitted_font_size(text: str, font_file: Path, size: int, width: int, margin: float = 0.04, border: int = 0) -> int:
    """``size``, or smaller until ``text`` in that font (with its box border) fits inside
    ``width`` with ``margin`` on each side: a portrait frame gets the whole label too."""
    from PIL import ImageFont

    while size > 8:
        left, _, right, _ = ImageFont.truetype(str(font_file), size).getbbox(text)
        if right - left + 2 * border <= width * (1 - 2 * margin):
            break
        size -= 1
    return size


def _label_filters(video, settings: DeliverySettings, width: int, height: int, label_until: float):
    """The explicit label, laid out for this frame: the banner's size follows the shorter side
    and shrinks until the whole text fits across (portrait, landscape, square alike)."""
    if not Path(settings.font_file).is_file():
        raise MediaError(f"label font {settings.font_file} not found; install fonts-wqy-microhei (`make deps`) "
                         "or set STUDIO_DELIVERY__FONT_FILE to a font that renders Chinese")
    border = max(6, min(width, height) // 60)
    size = fitted_font_size(settings.label_text, settings.font_file, max(16, height // 14), width, border=border)
    video = video.drawtext(
        fontfile=str(settings.font_file), text=settings.label_text, fontsize=size, fontcolor="white",
        box=1, boxcolor="black@0.6", boxborderw=border, x="(w-text_w)/2", y="h-text_h-h/10",
        enable=f"lt(t,{label_until:.3f})",
    )
    corner_border = max(3, min(width, height) // 120)
    corner_size = fitted_font_size(settings.corner_text, settings.font_file, max(12, height // 26), width // 3,
                                   border=corner_border)
    cx, cy = _CORNERS[settings.corner]
    return video.drawtext(
        fontfile=str(settings.font_file), text=settings.corner_text, fontsize=corner_size,
        fontcolor="white@0.9", box=1, boxcolor="black@0.4", boxborderw=corner_border, x=cx, y=cy,
    )


def _font_name(font_file: Path) -> str:
    """The family name fontconfig knows a font file by (libass finds fonts by name)."""
    try:
        out = subprocess.run(["fc-scan", "--format", "%{family[0]}", str(font_file)], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    return out.split("\n")[0] or "WenQuanYi Micro Hei"


def _burned(video, cues: list[SubtitleCue], work: Path, settings: DeliverySettings, width: int, height: int):
    """The captions in the picture (the notice's cue left out: the label says it on screen)."""
    spoken = [c for c in cues if c.start_s > 0] or cues
    srt = work / "burn.srt"
    srt.write_text(to_srt(spoken), encoding="utf-8")
    return video.filter("subtitles", filename=str(srt), charenc="UTF-8", fontsdir=str(Path(settings.font_file).parent),
                        force_style=burn_style(width, height, _font_name(Path(settings.font_file))))


def _run(stream, what: str, media_seconds: float) -> None:
    run_ffmpeg(stream.overwrite_output(), what, work_timeout(media_seconds, per_second=1.0))


def render_delivery(src: Path, out_dir: Path, name: str, *, delivery: DeliverySettings, trust: TrustSettings,
                    key: bytes, content_id: int, language: str, title: str, delivery_id: str,
                    aigc_label: dict, credentials: SigningCredentials, provenance: dict,
                    captions: Captions | None = None, disclosure: dict | None = None) -> DeliveredFiles:
    """Write ``<name>.mp4``, ``<name>.mp3`` and ``<name>.wav`` under ``out_dir``, fully labelled and
    signed; the ``captions``' cues come back timed to them (and burned in where settings ask)."""
    require_ffmpeg()
    info = probe(src)
    if not (info.has_video and info.has_audio):
        raise MediaError(f"{Path(src).name} needs both picture and sound to be delivered")
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out_dir, prefix=".render-"))
    sr = info.sample_rate or 24000

    audio = load_audio(src, sr)
    notice_s = 0.0
    if delivery.spoken_notice:
        text = notice_text(delivery, language)
        notice = spoken_notice(text, language, sr, delivery.notice_voice, info.fps or 25)
        notice_s = len(notice) / sr
        audio = np.concatenate([notice, audio])
    # 1 dB below the ceiling: the sound mark adds up to ~0.8 dB of peak on synthetic speech
    audio, loudness = normalise_loudness(audio, sr, delivery.loudness_lufs, delivery.true_peak_dbtp - 1.0)
    marked = embed_audio(audio, sr, key, content_id, trust.audio_watermark_snr_db)
    audio_snr = snr_db(audio.astype(np.float64), marked.astype(np.float64))
    marked = under_true_peak(marked, sr, delivery.true_peak_dbtp)  # the mark may add a fraction of a dB
    marked_wav = write_wav(work / "marked.wav", marked, sr)

    # picture: decode to raw yuv420p, add the luma mark, encode with the visible labels
    w, h = info.width - info.width % 2, info.height - info.height % 2
    host_mean, _ = mean_luma(src, info.width, info.height)  # first pass: fit the mark to this picture
    marker = LumaMarker(key, content_id, w, h, trust.video_watermark_strength, host_mean=host_mean[:h, :w],
                        psnr_db=trust.video_watermark_psnr_db)
    decoder = FFmpegPipe(ffmpeg.input(str(src)).video.filter("crop", w, h, 0, 0)
                         .output("pipe:", format="rawvideo", pix_fmt="yuv420p"), stdout=True)
    raw = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="yuv420p", s=f"{w}x{h}", framerate=info.fps or 25)
    video = raw.video
    cues = captions.cues(notice_s) if captions else []
    burn = delivery.burn_subtitles and bool(cues)
    if burn:
        video = _burned(video, cues, work, delivery, w, h)
    video = _label_filters(video, delivery, w, h, notice_s + delivery.label_seconds)
    mp4_tmp = work / "labelled.mp4"
    encoder = FFmpegPipe(
        ffmpeg.output(video, ffmpeg.input(str(marked_wav)).audio, str(mp4_tmp), vcodec="libx264", pix_fmt="yuv420p",
                      crf=20, preset="veryfast", acodec="aac", audio_bitrate=delivery.audio_bitrate,
                      **{"metadata:g:0": f"comment={METADATA_PREFIX}{delivery_id}", "metadata:g:1": f"title={title}",
                         "metadata:g:2": "description=AI-generated content (AI生成)"},
                      **ffmpeg_metadata(aigc_label, "mp4"))
        .overwrite_output(), stdin=True)
    frame_bytes = w * h * 3 // 2
    frames, embed_time, mse = 0, 0.0, 0.0
    lead_in = round(notice_s * (info.fps or 25))
    try:
        while True:
            buf = decoder.proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            pending = [np.frombuffer(buf, np.uint8).copy()]
            if frames == 0 and lead_in:
                pending = [*notice_frames(pending[0], w, h, lead_in), pending[0]]
            for frame in pending:
                t0 = time.perf_counter()
                y = frame[: w * h].reshape(h, w)
                marked_y = marker.mark(y)
                embed_time += time.perf_counter() - t0
                if frames % 25 == 0:
                    mse += float(np.mean((marked_y.astype(np.float32) - y) ** 2))
                frame[: w * h] = marked_y.reshape(-1)
                encoder.proc.stdin.write(frame.tobytes())
                frames += 1
    except BrokenPipeError:
        pass
    limit = work_timeout(info.duration_s + notice_s)
    failed = decoder.finish(f"decoding {Path(src).name}", limit) != 0
    failed = encoder.finish(f"encoding {name}.mp4", limit) != 0 or failed
    if failed or frames == 0:
        raise MediaError(f"watermarking {Path(src).name} failed: {(decoder.messages() + encoder.messages())[-400:]}")
    samples = max(1, (frames + 24) // 25)
    psnr = 10 * np.log10(255.0 ** 2 / max(mse / samples, 1e-12))

    mp3_tmp, wav_tmp = work / "audio.mp3", work / "audio.wav"
    tags = {"metadata:g:0": f"comment={METADATA_PREFIX}{delivery_id}", "metadata:g:1": f"title={title}"}
    _run(ffmpeg.output(ffmpeg.input(str(marked_wav)).audio, str(mp3_tmp), acodec="libmp3lame", audio_bitrate="128k",
                       **tags, **ffmpeg_metadata(aigc_label, "mp3")), "MP3 encoding", info.duration_s)
    _run(ffmpeg.output(ffmpeg.input(str(marked_wav)).audio, str(wav_tmp), acodec="pcm_s16le",
                       **{"metadata:g:1": f"title={title}"}, **ffmpeg_metadata(aigc_label, "wav")), "WAV writing", info.duration_s)

    signed, marks = {}, {}
    for tmp, kind in ((mp4_tmp, "mp4"), (mp3_tmp, "mp3"), (wav_tmp, "wav")):
        marks[kind] = soft_bindings(content_id, probe(tmp).duration_s, picture=kind == "mp4")
        signed[kind] = sign_file(tmp, out_dir / f"{name}.{kind}", credentials, title, provenance,
                                 soft_bindings=[m.assertion() for m in marks[kind]], disclosure=disclosure)
    outputs = [f.path for f in signed.values()]
    if captions is not None:  # the WebVTT sidecar carries its own manifest (no mark of its own)
        text, vtt = sign_vtt(to_vtt(cues), credentials, title, provenance, disclosure)
        path = out_dir / f"{name}.vtt"
        path.write_text(text, encoding="utf-8")
        signed["vtt"], marks["vtt"] = replace(vtt, path=path), []
    for leftover in work.iterdir():
        leftover.unlink()
    work.rmdir()
    return DeliveredFiles(video=outputs[0], mp3=outputs[1], wav=outputs[2], duration_s=probe(outputs[0]).duration_s,
                          notice_s=round(notice_s, 3), video_psnr_db=round(float(psnr), 2),
                          audio_snr_db=round(audio_snr, 2), loudness_lufs=loudness["lufs"], embed_fps=round(frames / max(embed_time, 1e-9), 1),
                          cues=cues, subtitles_burned=burn, signed=signed, marks=marks)
