"""The moving parts of an offline face besides the mouth (``video.mouth_bank``): landmarks
tracked through footage, and blinks drawn from landmarks."""

from __future__ import annotations

import logging

import numpy as np

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

from media.backends import facemesh
from media.backends.dlib_face import box_of, find_face, landmarks
from video.warp import warp_region

log = logging.getLogger(__name__)


def track_landmarks(frames: np.ndarray, every: int = 5) -> np.ndarray:
    """68 landmarks per frame (NaN where no face), lightly smoothed over time. Where FaceMesh is
    installed (``media.backends.facemesh``) dlib finds the face and the mesh follows it from frame
    to frame (sub-pixel, far steadier), dlib looking again only when the mesh loses it; otherwise
    dlib's detector runs every few frames and its landmark model follows the face between."""
    n = len(frames)
    out = np.full((n, 68, 2), np.nan, np.float32)
    box, misses, followed = None, 0, None
    for i, frame in enumerate(frames):
        lost = False
        if followed is not None:
            followed = facemesh.mesh(frame, followed)
            if followed is not None:
                out[i] = facemesh.to68(followed)
                box = box_of(out[i])
                continue
            lost = True
        if i % every == 0 or box is None or lost:
            found = _find_near(frame, box) if box is not None else None
            found = found or find_face(frame)
            misses = 0 if found else misses + 1
            if found:
                box = found
            elif misses > 1:
                box = None
        if box is None:
            continue
        out[i], followed = face_points(frame, box)
        box = box_of(out[i])
    smoothed = out.copy()
    for i in range(1, n - 1):
        window = out[i - 1 : i + 2]
        if not np.isnan(window).any():
            smoothed[i] = 0.25 * window[0] + 0.5 * window[1] + 0.25 * window[2]
    return smoothed


def face_points(frame: np.ndarray, box) -> tuple[np.ndarray, np.ndarray | None]:
    """(68 landmarks of the face in ``box``, the FaceMesh they came from or None): dlib's
    landmarks, refined by FaceMesh where it is installed and sees a face there."""
    points = landmarks(frame, box)
    refined, found = facemesh.landmarks68(frame, points)
    return (refined, found) if refined is not None else (points, None)


def _find_near(frame: np.ndarray, box) -> tuple[int, int, int, int] | None:
    """The face near where it was (a crop three times its box around it): in a wide frame with a
    small face, far cheaper than looking at the whole frame again."""
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(0, x - w), max(0, y - h)
    x1, y1 = min(frame.shape[1], x + 2 * w), min(frame.shape[0], y + 2 * h)
    if x1 - x0 >= frame.shape[1] * 0.8 and y1 - y0 >= frame.shape[0] * 0.8:
        return None  # the face fills the frame: look at the whole of it
    found = find_face(np.ascontiguousarray(frame[y0:y1, x0:x1]))
    return (found[0] + x0, found[1] + y0, found[2], found[3]) if found else None


def close_eyes(frame: np.ndarray, points: np.ndarray, amount: float) -> np.ndarray:
    """The person's own upper eyelids brought down over the eyes (``amount`` 1 = shut). First a
    smooth warp lowers each lid's edge with its lashes and lets the skin up to the crease follow;
    then, as the eye shuts, the rest of the opening is covered by the person's own lid skin (the
    skin between crease and brow, mirrored so its lid side meets the lid) with the lash line moved
    to where a shut eye has it. Brows, eye corners and the lower lid stay put."""
    if amount <= 0.01 or np.isnan(points).any():
        return frame
    out = frame.copy()
    for eye, upper, lower, brow in (((36, 39), (37, 38), (41, 40), range(17, 22)), ((42, 45), (43, 44), (47, 46), range(22, 27))):
        corners = points[list(eye)]
        span = float(np.linalg.norm(corners[1] - corners[0])) or 1.0
        lid = _along(np.vstack([corners[:1], points[list(upper)], corners[1:]]))
        rim = _along(np.vstack([corners[:1], points[list(lower)], corners[1:]]))
        x0 = int(max(0, corners[:, 0].min() - 0.35 * span))
        x1 = int(min(frame.shape[1], corners[:, 0].max() + 0.35 * span))
        y0 = int(max(0, points[list(brow), 1].min() - 0.1 * span))
        y1 = int(min(frame.shape[0], rim[:, 1].max() + 0.6 * span))
        if x1 - x0 < 6 or y1 - y0 < 6:
            continue
        warped_part = min(amount, 0.5) / 0.5
        shut = lid + 0.5 * warped_part * (rim - lid)
        crease = lid[[1, 3, 5]] + 0.45 * (points[list(brow)].mean(axis=0) - lid[[1, 3, 5]])
        box = np.float32([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, y0], [(x0 + x1) / 2, y1]])
        cheek = rim + (0, 0.6 * span)
        dst = np.vstack([shut, crease + 0.2 * (shut - lid)[[1, 3, 5]], corners, cheek, points[list(brow)], box])
        src = np.vstack([lid, crease, corners, cheek, points[list(brow)], box])
        out[y0:y1, x0:x1] = warp_region(out, dst, src, (x0, y0, x1, y1))
        if amount > 0.5:
            _cover(out, frame, shut, rim, lid, corners, span, (amount - 0.5) / 0.5)
    return out


def _cover(out: np.ndarray, frame: np.ndarray, edge: np.ndarray, rim: np.ndarray, lid: np.ndarray, corners: np.ndarray,
           span: float, weight: float) -> None:
    """Cover the eye's opening between the lowered lid ``edge`` and the ``rim`` with lid skin
    (shading from the skin above the lid to the skin below the eye, with the lid's own grain) and
    a lash line of the person's own lash colour where a shut eye has it, faded in by ``weight``."""
    x0, x1 = int(np.floor(corners[:, 0].min() - 0.1 * span)), int(np.ceil(corners[:, 0].max() + 0.1 * span))
    top = int(np.floor(edge[:, 1].min() - 0.4 * span))
    bottom = int(np.ceil(rim[:, 1].max() + 0.25 * span))
    lash_top = int(np.floor(lid[:, 1].min() - 0.15 * span))
    if x0 < 0 or lash_top < 0 or x1 > frame.shape[1] or bottom + int(0.3 * span) > frame.shape[0] or bottom - top < 3:
        return
    xs = np.arange(x0, x1, dtype=np.float32)
    ys = np.arange(top, bottom, dtype=np.float32)[:, None]
    upper_y = np.interp(xs, edge[:, 0], edge[:, 1]) - 0.34 * span  # where the lid's colour is held
    lower_y = np.interp(xs, rim[:, 0], rim[:, 1]) + 0.3 * span
    sample = lambda image, yy: image[np.clip(np.round(yy).astype(int), 0, image.shape[0] - 1), xs.astype(int)]  # noqa: E731
    below = sample(frame, lower_y).astype(np.float32)
    # the lid's colour: the skin between brow and lid (its brighter half: no lashes or brow hairs)
    region = frame[max(0, lash_top - int(0.45 * span)) : max(1, lash_top), x0:x1].reshape(-1, 3).astype(np.float32)
    light = region[region.sum(axis=1) >= np.median(region.sum(axis=1))] if len(region) else below
    above = np.broadcast_to(np.median(light, axis=0), below.shape).astype(np.float32)
    below = cv2.GaussianBlur(below[None], (0, 0), max(1.0, 0.1 * span))[0]
    close_line = np.interp(xs, rim[:, 0], rim[:, 1])
    t = np.clip((ys - upper_y[None, :]) / np.maximum(lower_y - upper_y, 1)[None, :], 0, 1)[..., None]
    skin = (1 - t) * above[None] + t * below[None]
    # the lid's grain: the fine detail of the skin just above it
    grain_src = out[max(0, top - (bottom - top)) : top, x0:x1].astype(np.float32)
    if grain_src.shape[0] == bottom - top:
        skin += np.clip(grain_src - cv2.GaussianBlur(grain_src, (0, 0), 2.0), -5, 5)[::-1]  # grain, not lines
    # the lash line: the darkest of the lid edge's own pixels, along the shut lid's edge
    band = frame[lash_top : int(np.ceil(lid[:, 1].max() + 0.05 * span)), x0:x1].reshape(-1, 3).astype(np.float32)
    lash_colour = np.percentile(band, 8, axis=0) if len(band) else np.float32([40, 40, 40])
    near = np.clip(1 - np.abs(ys - close_line[None, :]) / max(0.06 * span, 0.8), 0, 1)[..., None]
    lid_image = skin * (1 - 0.85 * near) + lash_colour * 0.85 * near
    mask = np.zeros((bottom - top, x1 - x0), np.float32)
    left, right = corners[np.argsort(corners[:, 0])]
    poly = np.vstack([left, edge - (0, 0.22 * span), right, rim[::-1] + (0, 0.1 * span)]) - (x0, top)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1.0)
    grow = max(3, int(0.12 * span)) | 1  # fully opaque over the whole opening, the feather outside it
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.8, 0.05 * span))[..., None] * float(np.clip(weight, 0, 1))
    roi = out[top:bottom, x0:x1].astype(np.float32)
    out[top:bottom, x0:x1] = (roi * (1 - mask) + lid_image * mask).clip(0, 255).astype(np.uint8)


def _along(curve: np.ndarray, n: int = 7) -> np.ndarray:
    """``n`` points spread evenly in x along a lid's curve, between (not on) its corners."""
    xs = np.linspace(curve[0, 0], curve[-1, 0], n + 2)[1:-1]
    order = np.argsort(curve[:, 0])
    return np.stack([xs, np.interp(xs, curve[order, 0], curve[order, 1])], axis=1).astype(np.float32)


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
