"""A mouth opened from a closed one, for footage (or a photo) that never opens it far enough:
the lower lip and the chin moved down by a smooth landmark-driven warp (so the lips keep their
own colour and texture and a moustache stays where it is), and the gap between the lips filled
with a shaded interior: upper teeth under the upper lip where the source showed none, the
mouth's cavity below, darkening towards the back, lit a little by the lower lip."""

from __future__ import annotations

import numpy as np

from video.warp import warp_region

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

# how much of the opening each landmark follows (iBUG 68: jaw 0-16, outer lips 48-59, inner 60-67)
_FOLLOW = {5: 0.35, 6: 0.6, 7: 0.8, 8: 0.85, 9: 0.8, 10: 0.6, 11: 0.35,
           55: 0.75, 56: 0.95, 57: 1.0, 58: 0.95, 59: 0.75, 65: 0.95, 66: 1.0, 67: 0.95,
           48: 0.3, 54: 0.3, 60: 0.35, 64: 0.35}
_RAISE = {50: 0.06, 51: 0.08, 52: 0.06, 61: 0.1, 62: 0.12, 63: 0.1}  # the upper lip lifts a little
_UPPER_INNER, _LOWER_INNER = [60, 61, 62, 63, 64], [64, 65, 66, 67, 60]
TEETH_GAP = 0.03  # an inner-lip gap (over nose-to-chin) from which the source already shows its teeth


def face_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[8] - points[33])) or 1.0


def teeth_colour(image: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The colour of the teeth inside this mouth (BGR), or None where none show."""
    inside = inner_mask(image.shape[:2], points)
    pixels = image[inside > 0].astype(np.float32)
    if len(pixels) < 12:
        return None
    lab = cv2.cvtColor(pixels[None].astype(np.uint8), cv2.COLOR_BGR2LAB)[0].astype(np.float32)
    bright = (lab[:, 0] > np.percentile(lab[:, 0], 70)) & (np.hypot(lab[:, 1] - 128, lab[:, 2] - 128) < 18)
    return np.median(pixels[bright], axis=0) if bright.sum() >= 6 else None


def shows_inside(image: np.ndarray, points: np.ndarray) -> bool | None:
    """Whether the mouth these landmarks outline as open shows an inside (dark, or teeth); None
    where they outline it closed. A landmark model misreads full or drawn lips as open."""
    if _gap(points) < TEETH_GAP:
        return None
    inside = inner_mask(image.shape[:2], points) > 0
    if inside.sum() < 12:
        return None
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    ring = _lip_ring(image.shape[:2], points) > 0
    around = float(np.median(lab[ring][:, 0])) if ring.any() else 150.0
    mouth = lab[inside]
    dark = mouth[:, 0] < 0.6 * around
    teeth = (mouth[:, 0] > 0.8 * around) & (np.hypot(mouth[:, 1] - 128, mouth[:, 2] - 128) < 14)
    return bool((dark | teeth).mean() > 0.25)


def settle_closed(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The landmarks with the inner lips put together where the lips meet (for lips misread as
    open, see ``shows_inside``)."""
    if _gap(points) < TEETH_GAP:
        return points
    out = points.astype(np.float32).copy()
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    corners = float(points[[48, 54, 60, 64], 1].mean())
    height = float(points[[56, 57, 58], 1].mean() - points[[50, 51, 52], 1].mean())
    for up, down in ((61, 67), (62, 66), (63, 65)):
        x = int(round((points[up, 0] + points[down, 0]) / 2))
        # where the lips meet lies near the corners' height: the darkest row there, or that height
        # itself where no such line shows (drawn lips)
        y0, y1 = int(corners - 0.2 * height), int(corners + 0.3 * height) + 1
        if y1 - y0 < 3 or not 0 <= x < image.shape[1] or y0 < 0 or y1 > image.shape[0]:
            return points
        strip = gray[y0:y1, max(0, x - 1) : x + 2].mean(axis=1)
        k = int(np.argmin(strip))
        line = y0 + float(k) if 0 < k < len(strip) - 1 and strip[k] < np.median(strip) - 8 else corners
        out[up, 1] = out[down, 1] = line
    return out


def _lip_ring(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points[48:60]).astype(np.int32)], 1)
    cv2.fillPoly(mask, [np.round(points[60:68]).astype(np.int32)], 0)
    return mask


def inner_mask(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points[60:68]).astype(np.int32)], 1)
    return mask


def open_mouth(image: np.ndarray, points: np.ndarray, delta: float,
               teeth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``image`` with the mouth of the face at ``points`` opened by ``delta`` (in units of the
    nose-to-chin length): (the new image, its landmarks)."""
    length = face_length(points)
    shift = delta * length
    moved = points.astype(np.float32).copy()
    for k, f in _FOLLOW.items():
        moved[k, 1] += f * shift
    for k, f in _RAISE.items():
        moved[k, 1] -= f * shift
    h, w = image.shape[:2]
    x0, y0 = int(max(0, points[:, 0].min() - 0.3 * length)), int(max(0, points[27, 1]))
    x1, y1 = int(min(w, points[:, 0].max() + 0.3 * length)), int(min(h, points[8, 1] + 0.6 * length))
    corners = np.float32([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, y0], [(x0 + x1) / 2, y1],
                          [x0, (y0 + y1) / 2], [x1, (y0 + y1) / 2]])
    still = [k for k in range(68) if k not in _FOLLOW and k not in _RAISE and 27 <= k or k in (0, 1, 2, 3, 4, 12, 13, 14, 15, 16)]
    # the old lower inner lip stays where it was too (as the edge of what the source already showed),
    # so that gap is kept as it was and only the new opening below it is painted
    old_lower = points[[65, 66, 67]]
    dst = np.vstack([moved[list(_FOLLOW) + list(_RAISE)], points[still], corners, old_lower + (0, 0.02)])
    src = np.vstack([points[list(_FOLLOW) + list(_RAISE)], points[still], corners, old_lower])
    out = image.copy()
    out[y0:y1, x0:x1] = warp_region(image, dst, src, (x0, y0, x1, y1))
    _paint_interior(out, points, moved, teeth)
    return out, moved


def _paint_interior(out: np.ndarray, before: np.ndarray, after: np.ndarray, teeth: np.ndarray | None) -> None:
    """Fill the new opening (between where the lower inner lip was and where it is now)."""
    length = face_length(after)
    top = after[_UPPER_INNER] if _gap(before) < TEETH_GAP else np.vstack([before[[60]], before[[67, 66, 65]], before[[64]]])
    bottom = after[_LOWER_INNER]
    poly = np.vstack([top, bottom]).astype(np.float32)
    x, y, bw, bh = cv2.boundingRect(np.round(poly).astype(np.int32))
    pad = 3
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(out.shape[1], x + bw + pad), min(out.shape[0], y + bh + pad)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillPoly(mask, [np.round(poly - (x0, y0)).astype(np.int32)], 1.0)
    if mask.sum() < 4:
        return
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.6, 0.006 * length))
    lips = _lip_colour(out, after)
    cols = np.arange(x0, x1, dtype=np.float32)
    upper = np.interp(cols, *_by_x(top))
    lower = np.maximum(np.interp(cols, *_by_x(bottom)), upper + 1)
    yy = (np.arange(y0, y1, dtype=np.float32)[:, None] - upper[None, :]) / (lower - upper)[None, :]
    xx = (np.arange(x0, x1, dtype=np.float32)[None, :] - after[[60, 64], 0].mean()) / max(after[64, 0] - after[60, 0], 1.0)
    # the cavity: the lips' colour, deep in shadow, darkest in the middle, a little light from the lower lip
    depth = np.clip(1 - 2.2 * xx**2, 0, 1) * np.clip(1 - np.abs(yy - 0.55) * 1.6, 0, 1)
    cavity = lips * (0.42 - 0.2 * depth[..., None]) + lips * 0.12 * np.clip(yy - 0.75, 0, 1)[..., None] * 4
    interior = cavity
    if _gap(before) < TEETH_GAP:
        tooth = teeth if teeth is not None else np.float32([206, 218, 228])
        # the upper teeth: a band under the upper lip, shorter towards the corners, with soft gaps
        reach = 0.34 * np.clip(1 - 1.3 * xx**2, 0, 1)
        band = np.clip((reach - yy) / 0.06, 0, 1)
        gaps = 1 - 0.12 * np.clip(np.cos(xx * np.pi * 5), 0, 1) ** 8
        shade = (0.72 + 0.28 * np.clip(1 - np.abs(xx) * 1.6, 0, 1)) * gaps
        interior = cavity * (1 - band[..., None]) + tooth * shade[..., None] * band[..., None]
        # the upper lip's shadow on the teeth
        interior = interior * (1 - 0.3 * np.clip(1 - yy / 0.08, 0, 1))[..., None]
    roi = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = (roi * (1 - mask[..., None]) + interior * mask[..., None]).clip(0, 255).astype(np.uint8)


def _by_x(line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(line[:, 0])
    return line[order, 0], line[order, 1]


def _gap(points: np.ndarray) -> float:
    gap = np.mean([points[b, 1] - points[a, 1] for a, b in ((61, 67), (62, 66), (63, 65))])
    return float(gap / face_length(points))


def _lip_colour(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The median colour of the lips (between the outer and the inner lip lines)."""
    pixels = image[_lip_ring(image.shape[:2], points) > 0]
    return np.median(pixels, axis=0).astype(np.float32) if len(pixels) else np.float32([90, 90, 160])
