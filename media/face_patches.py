"""The lower face (cheeks, chin and mouth inside the jaw line) as a small grey patch aligned on the
landmarks the mouth does not move, and how unusual each patch is against the footage's own: a
large share of it unlike usual at once means something is in front of the face (a hand, a cup,
a microphone). Used by the mouth bank (frames to reject) and the footage analysis (drinking)."""

from __future__ import annotations

import numpy as np

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("face patches need opencv-python-headless: uv sync") from exc

STABLE_POINTS = [0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45]  # unmoved by the mouth
SIDE = 48


class LowerFace:
    """Patches of the lower face laid out as in ``reference`` (68 landmarks of a typical frame)."""

    def __init__(self, reference: np.ndarray):
        self.reference = reference
        x0, y0 = reference[2:15, 0].min(), reference[29, 1]
        scale = SIDE / max(reference[2:15, 0].max() - x0, 1.0)
        self.to_patch = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale], [0, 0, 1]])
        face = np.zeros((SIDE, SIDE), np.uint8)
        hull = cv2.convexHull(((reference[list(range(2, 15)) + [29]] - (x0, y0)) * scale).astype(np.int32))
        cv2.fillConvexPoly(face, hull, 1)
        self.keep = face > 0

    def patch(self, gray: np.ndarray, points: np.ndarray) -> np.ndarray | None:
        """The lower face of ``gray`` (a frame whose face has ``points``), or None."""
        if np.isnan(points).any():
            return None
        m, _ = cv2.estimateAffinePartial2D(points[STABLE_POINTS], self.reference[STABLE_POINTS])
        if m is None:
            return None
        full = (self.to_patch @ np.vstack([m, [0, 0, 1]]))[:2]
        return cv2.warpAffine(gray, full, (SIDE, SIDE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)

    def unusual(self, patches: list[np.ndarray | None]) -> np.ndarray:
        """Per patch, the share of the lower face far from the footage's usual there (brightness
        evened out; the mouth's own pixels vary with its opening, so their usual spread is wide
        and only an occluder stands out there); NaN where there is no patch."""
        valid = [p.astype(np.float32) for p in patches if p is not None]
        out = np.full(len(patches), np.nan)
        if len(valid) < 5 or self.keep.sum() < 50:
            return out
        stack = np.stack([p - np.median(p[self.keep]) for p in valid])
        median = np.median(stack, axis=0)
        spread = np.median(np.abs(stack - median), axis=0) * 1.4826
        opening = np.ones((3, 3), np.uint8)
        for k, p in enumerate(patches):
            if p is None:
                continue
            p = p.astype(np.float32)
            far = ((np.abs(p - np.median(p[self.keep]) - median) > 3 * spread + 6) & self.keep).astype(np.uint8)
            out[k] = float(cv2.morphologyEx(far, cv2.MORPH_OPEN, opening)[self.keep].mean())
        return out


def occlusion_threshold(shares: np.ndarray) -> float:
    """The share of unusual lower face above which something is in front of it: far above the footage's usual."""
    usual = float(np.nanmedian(shares)) if np.isfinite(shares).any() else 0.0
    return max(0.2, 3 * usual)


def occluded(shares: np.ndarray) -> np.ndarray:
    """Which patches show something in front of the face."""
    return np.nan_to_num(shares, nan=0.0) > occlusion_threshold(shares)
