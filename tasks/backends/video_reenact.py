"""Offline video: re-enactment from the persona's own footage (or one photo).

The base track is the best footage segment played forward then backward (a ping-pong loop
never jumps). Per frame the face is tracked, and the jaw below the upper lip is warped
downward by the speech loudness at that moment, with the mouth opening darkened, blended by a
feathered mask so no edge shows. With a photo only, the still gets a slow head sway, blinks are
not synthesised, and the same mouth warp.

First implementation: mouth shapes follow loudness, not phonemes (see issue 6 for the
landmark- and phoneme-driven renderer).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from studio.contracts import VideoRequest, VideoResult
from tasks.analysis import detect_face, envelope_per_frame
from tasks.media import MediaError, VideoWriter, load_audio, probe, read_frames

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

log = logging.getLogger(__name__)


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def _track_faces(frames: np.ndarray, fallback: tuple[int, int, int, int], every: int = 5) -> np.ndarray:
    """Face boxes per frame: detected every few frames, interpolated and smoothed between."""
    n = len(frames)
    keys, boxes = [], []
    for i in range(0, n, every):
        box = detect_face(frames[i])
        if box is not None:
            keys.append(i)
            boxes.append(box)
    if not keys:
        return np.tile(np.array(fallback, float), (n, 1))
    boxes = np.array(boxes, float)
    out = np.stack([np.interp(np.arange(n), keys, boxes[:, k]) for k in range(4)], axis=1)
    kernel = np.ones(7) / 7
    padded = np.pad(out, ((3, 3), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(4)], axis=1)


def lip_line(frames: list[np.ndarray], boxes: list[np.ndarray]) -> float:
    """Where the lips meet, as a fraction of the face box height: the darkest row of the lower
    face's middle strip, median over a few frames."""
    found = []
    for frame, (x, y, w, h) in zip(frames, boxes):
        x0, x1 = int(x + 0.38 * w), int(x + 0.62 * w)
        y0, y1 = int(y + 0.62 * h), int(min(frame.shape[0], y + 0.98 * h))
        if x1 - x0 < 2 or y1 - y0 < 4:
            continue
        rows = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32).mean(axis=1)
        found.append((y0 + int(np.argmin(rows)) - y) / h)
    return float(np.median(found)) if found else 0.80


class MouthWarp:
    """Opens the mouth of a face in a frame by a displacement field below the lip line."""

    def __init__(self, lip_fraction: float = 0.80):
        self.lip_fraction = lip_fraction

    def apply(self, frame: np.ndarray, box: np.ndarray, opening: float) -> np.ndarray:
        if opening < 0.02:
            return frame
        x, y, w, h = box
        cx, lip_y = x + w / 2, y + self.lip_fraction * h
        chin_y = y + 1.02 * h
        amp = opening * 0.075 * h
        x0, x1 = int(max(0, cx - 0.45 * w)), int(min(frame.shape[1], cx + 0.45 * w))
        y0, y1 = int(max(0, lip_y - 0.1 * h)), int(min(frame.shape[0], y + 1.25 * h))
        if x1 - x0 < 4 or y1 - y0 < 4:
            return frame
        roi = frame[y0:y1, x0:x1]
        gx, gy = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
        wx = np.exp(-(((gx - cx) / (0.26 * w)) ** 2))
        rise = np.clip((gy - (lip_y - 0.02 * h)) / (0.04 * h), 0, 1)
        fall = np.clip(1 - (gy - chin_y) / (0.22 * h), 0, 1)
        dy = (amp * wx * rise * fall).astype(np.float32)
        warped = cv2.remap(roi, gx - x0, gy - y0 - dy, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        # the opened gap between the lips: dark, feathered
        mouth_w = 0.2 * w * (0.85 + 0.15 * opening)
        gap = np.clip(1 - ((gx - cx) / mouth_w) ** 2 - ((gy - (lip_y + amp * 0.5)) / max(amp * 0.55, 1)) ** 2, 0, 1)
        gap = cv2.GaussianBlur(gap.astype(np.float32), (0, 0), max(1.0, 0.01 * w))[..., None]
        dark = np.array([40, 30, 60], np.float32)  # BGR, inside of a mouth
        out = warped.astype(np.float32) * (1 - 0.85 * gap) + dark * 0.85 * gap
        frame = frame.copy()
        frame[y0:y1, x0:x1] = out.clip(0, 255).astype(np.uint8)
        return frame


class ReenactVideo:
    name = "reenact"

    def render(self, request: VideoRequest) -> VideoResult:
        t0 = time.time()
        fps = request.fps
        audio = load_audio(request.audio_path, 16000)
        duration = audio.size / 16000
        n = int(np.ceil(duration * fps))
        if request.footage:
            clip = request.footage[0]
            info = probe(clip.path)
            scale = min(1.0, request.max_height / info.height)
            w, h = _even(info.width * scale), _even(info.height * scale)
            base = read_frames(clip.path, clip.start_s, min(clip.duration_s, 20.0), w, h, fps)
            fallback = tuple(v * scale for v in clip.face_box)
            boxes = _track_faces(base, fallback)
            order = np.r_[np.arange(len(base)), np.arange(len(base) - 2, 0, -1)] if len(base) > 2 else np.arange(len(base))
            frame_at = lambda i: (base[order[i % len(order)]], boxes[order[i % len(order)]])  # noqa: E731
        elif request.photo_path is not None:
            img = cv2.imread(str(request.photo_path))
            if img is None:
                raise MediaError(f"{request.photo_path.name} is not a readable image")
            scale = min(1.0, request.max_height / img.shape[0])
            w, h = _even(img.shape[1] * scale), _even(img.shape[0] * scale)
            img = cv2.resize(img, (w, h))
            found = detect_face(img)
            if found is None:
                raise MediaError("no face found in the photo; use a frontal photo with the face visible")
            photo_box = np.array(found, float)

            def frame_at(i: int):
                t = i / fps
                m = cv2.getRotationMatrix2D((w / 2, h * 0.6), 0.8 * np.sin(2 * np.pi * 0.11 * t), 1.0)
                m[:, 2] += (3 * np.sin(2 * np.pi * 0.07 * t), 2 * np.sin(2 * np.pi * 0.13 * t))
                moved = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
                b = photo_box.copy()
                b[:2] = m @ np.array([b[0] + b[2] / 2, b[1] + b[3] / 2, 1]) - b[2:] / 2
                return moved, b
        else:
            raise MediaError("the video step needs footage or a photo of the persona; add materials first")
        env = envelope_per_frame(audio, 16000, fps, n)
        samples = [frame_at(i) for i in range(0, min(n, int(5 * fps)), max(1, int(fps)))]
        warp = MouthWarp(lip_line([f for f, _ in samples], [b for _, b in samples]))
        writer = VideoWriter(request.out_path, w, h, fps, audio_path=request.audio_path, crf=request.crf, preset=request.preset)
        try:
            for i in range(n):
                frame, face = frame_at(i)
                writer.write(warp.apply(frame, face, float(env[i])))
                if i and i % int(fps * 10) == 0:
                    log.info("rendered %d/%d frames (%.0f%%)", i, n, 100 * i / n)
        finally:
            writer.close()
        log.info("rendered %d frames %dx%d in %.1f s", n, w, h, time.time() - t0)
        return VideoResult(path=request.out_path, duration_s=n / fps, width=w, height=h, fps=fps, backend=self.name)
