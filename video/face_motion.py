"""The moving parts of an offline face: the mouth bank (the person's own lower face at each
step of opening, aligned and blended in), the jaw-warp fallback, and blinks drawn from landmarks."""

from __future__ import annotations

import logging

import numpy as np

from media.backends.dlib_face import box_of, find_face, landmarks, mouth_opening, mouth_width

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

log = logging.getLogger(__name__)


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


BANK_STEPS = 12
MIN_BANK_RANGE = 0.06  # widest minus closed opening (inner-lip gap over nose-to-chin) a bank needs
STABLE_POINTS = [0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45]  # unmoved by the mouth


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


class MouthBank:
    """Representative footage frames per step of mouth opening (in each step the most rounded,
    the most typical and the most spread lips the footage has there, each in the most typical
    head pose), and the lower face of any of them pasted onto a base frame."""

    def __init__(self, frames: np.ndarray, points: np.ndarray):
        openings = np.array([mouth_opening(p) for p in points])
        widths = np.array([mouth_width(p) for p in points])
        ok = ~np.isnan(openings)
        self.closed = float(np.percentile(openings[ok], 5)) if ok.sum() >= 5 else 0.0
        self.widest = float(np.percentile(openings[ok], 95)) if ok.sum() >= 5 else 0.0
        self.narrow = float(np.percentile(widths[ok], 10)) if ok.sum() >= 5 else 0.0
        self.spread = float(np.percentile(widths[ok], 90)) if ok.sum() >= 5 else 0.0
        self.entries: list[tuple[float, float, np.ndarray, np.ndarray]] = []  # (opening, width, frame, landmarks)
        if self.usable:
            edges = np.linspace(self.closed, self.widest, BANK_STEPS + 1)
            nose = np.nanmedian(points[:, 27:36], axis=0)
            pose = lambda j: float(np.abs(points[j, 27:36] - nose).mean())  # noqa: E731
            for lo, hi in zip(edges[:-1], edges[1:]):
                idx = np.nonzero(ok & (openings >= lo) & (openings <= hi))[0]
                if not idx.size:
                    continue
                by_width = idx[np.argsort(widths[idx])]
                thirds = [part for part in np.array_split(by_width, 3) if part.size] if idx.size >= 3 else [idx]
                for part in thirds:
                    k = min(part, key=pose)
                    self.entries.append((float(openings[k]), float(widths[k]), frames[k], points[k]))

    @property
    def usable(self) -> bool:
        return self.widest - self.closed >= MIN_BANK_RANGE

    def pick(self, loudness: float, shape: float = 0.0) -> list[tuple[float, int]]:
        """(weight, entry) of the two bank frames nearest the opening this loudness asks for and
        the lip width ``shape`` asks for (-1 rounded .. +1 spread), cross-faded by nearness so
        the mouth moves between them smoothly instead of jumping."""
        target = self.closed + float(np.clip(loudness, 0, 1)) * (self.widest - self.closed)
        middle, half = (self.narrow + self.spread) / 2, max((self.spread - self.narrow) / 2, 1e-3)
        width = middle + float(np.clip(shape, -1, 1)) * half
        costs = np.array([abs(o - target) / (self.widest - self.closed) + 0.5 * abs(w - width) / (2 * half)
                          for o, w, _, _ in self.entries])
        order = np.argsort(costs)
        if len(order) == 1 or costs[order[0]] < 1e-6:
            return [(1.0, int(order[0]))]
        first, second = order[:2]
        return [(float(costs[second] / (costs[first] + costs[second])), int(first)),
                (float(costs[first] / (costs[first] + costs[second])), int(second))]

    def _lower_face(self, entry: int, points: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
        """Bank step ``entry`` warped onto a face with ``points``: (image, its landmarks there)."""
        _, _, src, src_pts = self.entries[entry]
        m, _ = cv2.estimateAffinePartial2D(src_pts[STABLE_POINTS], points[STABLE_POINTS])
        if m is None:
            return None
        warped = cv2.warpAffine(src, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return warped.astype(np.float32), src_pts @ m[:, :2].T + m[:, 2]

    def apply(self, frame: np.ndarray, points: np.ndarray, loudness: float, shape: float = 0.0) -> np.ndarray:
        if np.isnan(points).any():
            return frame
        h, w = frame.shape[:2]
        layers = [(weight, self._lower_face(entry, points, (w, h))) for weight, entry in self.pick(loudness, shape)]
        layers = [(weight, layer) for weight, layer in layers if layer is not None]
        if not layers:
            return frame
        total = sum(weight for weight, _ in layers)
        pasted = sum(weight * image for weight, (image, _) in layers) / total
        moved = sum(weight * pts for weight, (_, pts) in layers) / total
        face_w = float(np.linalg.norm(points[16] - points[0]))
        # inside this face's own jaw line (drawn a little inward), so its outline is never doubled
        centre = points[48:68].mean(axis=0)
        jaw = centre + 0.85 * (points[3:14] - centre)
        hull = cv2.convexHull(np.concatenate([jaw, points[31:36], moved[48:60]]).astype(np.int32))
        x, y, bw, bh = cv2.boundingRect(hull)
        pad = int(0.08 * face_w) + 2
        x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return frame
        mask = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillConvexPoly(mask, hull - (x0, y0), 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.035 * face_w))[..., None]
        out = frame.copy()
        roi = frame[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = (roi * (1 - mask) + pasted[y0:y1, x0:x1] * mask).clip(0, 255).astype(np.uint8)
        return out


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
