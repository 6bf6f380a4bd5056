"""Delivery rendering: the visible AI label, a persistent corner mark, H.264/AAC, and the
delivery id in the container metadata."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from studio.settings import DeliverySettings
from tasks.media import MediaError, probe, require_ffmpeg

METADATA_PREFIX = "studio-delivery:"

_CORNERS = {
    "top_left": ("w*0.03", "h*0.03"),
    "top_right": ("w-text_w-w*0.03", "h*0.03"),
    "bottom_left": ("w*0.03", "h-text_h-h*0.03"),
    "bottom_right": ("w-text_w-w*0.03", "h-text_h-h*0.03"),
}


def label_and_encode(src: Path, out: Path, settings: DeliverySettings, delivery_id: str, title: str) -> Path:
    """Burn in the labels and encode the deliverable MP4 (H.264 yuv420p + AAC)."""
    require_ffmpeg()
    if not Path(settings.font_file).is_file():
        raise MediaError(f"label font {settings.font_file} not found; install fonts-wqy-microhei (`make deps`) "
                         "or set STUDIO_DELIVERY__FONT_FILE to a font that renders Chinese")
    info = probe(src)
    if not (info.has_video and info.has_audio):
        raise MediaError(f"{Path(src).name} needs both picture and sound to be delivered")
    inp = ffmpeg.input(str(src))
    h = info.height
    video = inp.video.drawtext(
        fontfile=str(settings.font_file), text=settings.label_text, fontsize=max(16, h // 14), fontcolor="white",
        box=1, boxcolor="black@0.6", boxborderw=max(6, h // 60), x="(w-text_w)/2", y="h-text_h-h/10",
        enable=f"lt(t,{settings.label_seconds})",
    )
    cx, cy = _CORNERS[settings.corner]
    video = video.drawtext(
        fontfile=str(settings.font_file), text=settings.corner_text, fontsize=max(12, h // 26),
        fontcolor="white@0.9", box=1, boxcolor="black@0.4", boxborderw=max(3, h // 120), x=cx, y=cy,
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        (
            ffmpeg.output(
                video, inp.audio, str(out), vcodec="libx264", pix_fmt="yuv420p", crf=20, preset="veryfast",
                acodec="aac", audio_bitrate=settings.audio_bitrate, movflags="+faststart",
                **{"metadata:g:0": f"comment={METADATA_PREFIX}{delivery_id}", "metadata:g:1": f"title={title}",
                   "metadata:g:2": "description=AI-generated content (AI生成)"},
            )
            .overwrite_output()
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        raise MediaError(f"labelling failed: {exc.stderr.decode(errors='replace')[-400:]}") from None
    return out
