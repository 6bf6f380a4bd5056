"""The moving parts of an offline face besides the mouth (``video.mouth_bank``): landmarks
tracked through footage, and blinks drawn from landmarks."""

from __future__ import annotations

import logging

import numpy as np

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

from media.backends.dlib_face import box_of, find_face, landmarks

log = logging.getLogger(__name__)


def track_landmarks(frames: np.ndarray, every: int = 5) -> np.ndarray:
    """68 landmarks per frame (NaN where no face): found by the detector every few frames and
    followed by the landmark model between, lightly smoothed over time."""
    n = len(frames)
    out = np.full((n, 68, 2), np.nan, np.float32)
    box, misses = None, 0
    for i, frame in enumerate(frames):
        if i % every == 0 or box is None:
            found = find_face(frame)
            misses = 0 if found else misses + 1
            if found:
                box = found
            elif misses > 1:
                box = None
        if box is None:
            continue
        out[i] = landmarks(frame, box)
        box = box_of(out[i])
    smoothed = out.copy()
    for i in range(1, n - 1):
        window = out[i - 1 : i + 2]
        if not np.isnan(window).any():
            smoothed[i] = 0.25 * window[0] + 0.5 * window[1] + 0.25 * window[2]
    return smoothed


def close_eyes(frame: np.ndarray, points: np.ndarray, amount: float) -> np.ndarray:
    """Draw the upper eyelids down over the eyes (``amount`` 1 = shut): skin (the texture below
    the eye, mirrored, evened by the nose bridge's colour) over the eye down to the lid's edge,
    with a dark lash line there, feathered."""
    if amount <= 0.01 or np.isnan(points).any():
        return frame
    out = frame.astype(np.float32)
    for eye in (points[36:42], points[42:48]):
        x, y, w, h = cv2.boundingRect(eye.astype(np.int32))
        pad = max(3, int(0.4 * w))
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(frame.shape[1], x + w + pad), min(frame.shape[0], y + h + pad)
        # the lid's colour: the skin of the nose bridge between the eyes, slightly darker
        cx, cy, r = int(points[28, 0]), int(points[28, 1]), max(2, int(0.2 * w))
        skin = frame[max(0, cy - r) : cy + r, max(0, cx - r) : cx + r].reshape(-1, 3).astype(np.float32)
        if skin.size == 0 or x1 - x0 < 3 or y1 - y0 < 3:
            continue
        lid = 0.92 * np.median(skin, axis=0)
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillConvexPoly(mask, cv2.convexHull(eye.astype(np.int32)) - (x0, y0), 1.0)
        grow = max(3, int(0.3 * w)) | 1  # the landmarks sit inside the lids' edges: cover the whole eye
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
        edge = int(y - y0 - grow // 2 + amount * (h + grow))
        mask[edge + 1 :] = 0
        cv2.line(mask, (int(eye[0, 0] - x0), edge), (int(eye[3, 0] - x0), edge), 2.0, max(1, int(0.08 * w)))
        lash = (mask > 1.5).astype(np.float32)
        mask = cv2.GaussianBlur(np.minimum(mask, 1.0), (0, 0), max(0.7, 0.06 * w))[..., None]
        lash = cv2.GaussianBlur(lash, (0, 0), 0.8)[..., None]
        # the lid's texture: the skin just below the eye, mirrored (no brow or lashes in it), evened by the colour
        below = int(eye[:, 1].max()) + 1
        texture = frame[below : below + (y1 - y0), x0:x1]
        skin_tone = (0.5 * cv2.flip(texture, 0).astype(np.float32) + 0.5 * lid) if texture.shape[0] == y1 - y0 else lid
        roi = out[y0:y1, x0:x1] * (1 - mask) + skin_tone * mask
        out[y0:y1, x0:x1] = roi * (1 - 0.7 * lash) + skin_tone * 0.35 * 0.7 * lash
    return out.clip(0, 255).astype(np.uint8)


def blink_times(seconds: float, seed: int = 5) -> np.ndarray:
    """When a still blinks: every 2.5-5 s, from about the first second."""
    rng = np.random.default_rng(seed)
    times, t = [], rng.uniform(1.0, 2.5)
    while t < seconds:
        times.append(t)
        t += rng.uniform(2.5, 5.0)
    return np.array(times)


def blink_amount(t: float, blinks: np.ndarray, half_s: float = 0.1) -> float:
    """Eyelid closure at time ``t``: 1 at a blink's middle, 0 further than ``half_s`` from it."""
    if blinks.size == 0:
        return 0.0
    return float(max(0.0, 1 - np.min(np.abs(blinks - t)) / half_s))
