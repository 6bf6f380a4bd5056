"""Measures of a rendered face against the footage it came from, frame by frame on 68 landmarks:
what a family would notice first (a soft mouth, a seam at the cheek, a jump at a join, a blink
drawn without an eyelid, lips that do not follow the voice). Used by the take's quality report
and by ``bench/video.py``; each figure is a ratio to the footage's own where one exists, so 1.0
means "as the footage itself"."""

from __future__ import annotations

import numpy as np

from media.backends.dlib_face import mouth_opening

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("video measures need opencv-python-headless: uv sync") from exc

_UPPER_FACE = list(range(17, 27)) + list(range(36, 48))  # brows and eyes: what a join must not move


def _ok(points: np.ndarray) -> np.ndarray:
    return ~np.isnan(points).reshape(len(points), -1).any(axis=1)


def _box(points: np.ndarray, idx, pad: float, shape) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(np.round(points[idx]).astype(np.int32))
    p = int(pad * max(w, h))
    return max(0, x - p), max(0, y - p), min(shape[1], x + w + p), min(shape[0], y + h + p)


def mouth_sharpness(frames: np.ndarray, points: np.ndarray) -> float:
    """Median detail of the mouth (variance of the Laplacian around the lips), per frame."""
    values = []
    for frame, p in zip(frames, points):
        if np.isnan(p).any():
            continue
        x0, y0, x1, y1 = _box(p, slice(48, 60), 0.25, frame.shape)
        if x1 - x0 > 4 and y1 - y0 > 4:
            values.append(float(cv2.Laplacian(cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), cv2.CV_32F).var()))
    return float(np.median(values)) if values else 0.0


def seam_energy(frames: np.ndarray, points: np.ndarray) -> float:
    """Median gradient strength in a band along the lower face inside the jaw line (where a
    pasted mouth region meets the cheeks), per frame; a seam or a doubled edge raises it."""
    values = []
    for frame, p in zip(frames, points):
        if np.isnan(p).any():
            continue
        face_w = float(np.linalg.norm(p[16] - p[0]))
        centre = p[48:68].mean(axis=0)
        line = centre + 0.88 * (p[3:14] - centre)
        band = np.zeros(frame.shape[:2], np.uint8)
        cv2.polylines(band, [np.round(line).astype(np.int32)], False, 1, max(2, int(0.06 * face_w)))
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
        grad = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
        if band.any():
            values.append(float(grad[band > 0].mean()))
    return float(np.median(values)) if values else 0.0


def upper_face_jump(points: np.ndarray) -> float:
    """The largest frame-to-frame move of the brows and eyes relative to the top of the nose (a
    join or a cut shows there), over the eyes' span."""
    ok = _ok(points)
    jumps = []
    for a, b in zip(np.nonzero(ok)[0][:-1], np.nonzero(ok)[0][1:]):
        if b != a + 1:
            continue
        span = float(np.linalg.norm(points[a, 45] - points[a, 36])) or 1.0
        # relative to the top of the nose, between the eyes (the nose tip sits in the pasted mouth region)
        rel_a = points[a, _UPPER_FACE] - points[a, 27]
        rel_b = points[b, _UPPER_FACE] - points[b, 27]
        move = np.linalg.norm(points[b, 27] - points[a, 27]) + np.linalg.norm(rel_b - rel_a, axis=1).mean()
        jumps.append(float(move / span))
    return float(max(jumps)) if jumps else 0.0


def openings(points: np.ndarray) -> np.ndarray:
    return np.array([mouth_opening(p) for p in points])


def lip_sync(points: np.ndarray, loudness: np.ndarray) -> float:
    """Pearson correlation of the mouth opening with the speech loudness per frame."""
    return correlation(openings(points), loudness)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two per-frame series over their common length, NaNs left out
    (0 where fewer than 10 frames or either series is flat)."""
    n = min(a.size, b.size)
    a, b = a[:n], b[:n]
    ok = ~np.isnan(a) & ~np.isnan(b)
    if ok.sum() < 10 or np.std(a[ok]) < 1e-9 or np.std(b[ok]) < 1e-9:
        return 0.0
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def eye_openness(points: np.ndarray) -> np.ndarray:
    """Eye aspect ratio per frame (about 0.3 open, under 0.15 closed); NaN without a face."""
    def ear(e):
        return (np.linalg.norm(e[:, 1] - e[:, 5], axis=1) + np.linalg.norm(e[:, 2] - e[:, 4], axis=1)) / (
            2 * np.linalg.norm(e[:, 0] - e[:, 3], axis=1) + 1e-6)
    return (ear(points[:, 36:42]) + ear(points[:, 42:48])) / 2


def blink_detail(frames: np.ndarray, points: np.ndarray) -> float | None:
    """Detail around the eyes in the most closed frames over that in open ones (lashes and the
    lid's crease keep it near 1; a flat drawn lid drops it); None where the eyes never close."""
    eyes = eye_openness(points)
    ok = ~np.isnan(eyes)
    if ok.sum() < 10:
        return None
    closed = np.nonzero(ok & (eyes < 0.6 * np.nanmedian(eyes)))[0]
    opened = np.nonzero(ok & (eyes > np.nanmedian(eyes)))[0][:: max(1, int(ok.sum() // 40))]
    if not closed.size or not opened.size:
        return None

    def detail(i):
        x0, y0, x1, y1 = _box(points[i], slice(36, 48), 0.3, frames[i].shape)
        return float(cv2.Laplacian(cv2.cvtColor(frames[i][y0:y1, x0:x1], cv2.COLOR_BGR2GRAY), cv2.CV_32F).var())

    return float(np.median([detail(i) for i in closed]) / max(np.median([detail(i) for i in opened]), 1e-6))


def largest_change(frames: np.ndarray) -> float:
    """The largest mean absolute change from one frame to the next, grey levels."""
    if len(frames) < 2:
        return 0.0
    return float(max(np.abs(frames[i + 1].astype(np.int16) - frames[i]).mean() for i in range(len(frames) - 1)))
