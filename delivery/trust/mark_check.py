"""Will the picture mark be found in a stripped copy of this take? Marked as delivery would mark
it (fitted to the take's own picture, with a probe id), copied at H.264 CRF 28 with nothing else
kept (no sound: the picture must trace it alone), and read back: the share of the mark's coded
bits read right, for the take's quality report (0 where the mark is not found at all). A copy
both halved and at CRF 28 is traced by the sound mark; one grey level on flat skin does not
survive both on every face (README, Trust)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from delivery.trust.payload import encode
from delivery.trust.video_mark import LumaDetector, LumaMarker
from media.ffmpeg_io import MediaError, mean_luma, probe
from video.records import QualityMeasure

PROBE_ID = 0x7E57AB1E
MIN_BIT_ACCURACY = 0.8  # coded bits read right: the error-correcting code recovers the id above about this


def mark_survives(video: Path, key: bytes, work: Path, strength: float, psnr_db: float, seconds: float = 12.0) -> QualityMeasure:
    info = probe(video)
    w, h = info.width - info.width % 2, info.height - info.height % 2
    raw = subprocess.run(["ffmpeg", "-v", "error", "-t", f"{seconds:.2f}", "-i", str(video), "-vf", f"crop={w}:{h}:0:0",
                          "-f", "rawvideo", "-pix_fmt", "gray", "pipe:"], capture_output=True, timeout=600)
    ys = np.frombuffer(raw.stdout, np.uint8)
    if raw.returncode != 0 or ys.size < w * h:
        raise MediaError(f"cannot read the picture of {video.name} to check its mark")
    ys = ys[: ys.size // (w * h) * w * h].reshape(-1, h, w)
    marker = LumaMarker(key, PROBE_ID, w, h, strength, host_mean=ys.astype(np.float32).mean(0), psnr_db=psnr_db)
    copy = work / "stripped-copy.mp4"
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{w}x{h}", "-r",
                             f"{info.fps or 25}", "-i", "pipe:", "-c:v", "libx264", "-crf", "28",
                             "-pix_fmt", "yuv420p", str(copy)], stdin=subprocess.PIPE)
    for y in ys:
        proc.stdin.write(marker.mark(y).tobytes())
    proc.stdin.close()
    if proc.wait(timeout=600) != 0:
        raise MediaError(f"cannot encode a copy of {video.name} to check its mark")
    copied = probe(copy)
    mean, n = mean_luma(copy, copied.width, copied.height)
    found = LumaDetector(key).detect_mean(mean, n)
    accuracy = float(np.mean((np.array(found.soft_bits) > 0) == encode(PROBE_ID, key).astype(bool))) if found.soft_bits else 0.0
    return QualityMeasure(name="watermark", value=round(accuracy if found.found else 0.0, 3), limit=MIN_BIT_ACCURACY,
                          unit="of its bits read from a CRF 28 copy of the picture")
