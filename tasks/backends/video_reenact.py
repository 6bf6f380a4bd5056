"""Offline video: re-enactment from the persona's own footage (or one photo).

The base track is the best footage segments (up to three, joined where the faces match, the
next one's head gliding in from where the last was) played forward then backward (a ping-pong
loop never jumps), with the footage's own head motion and blinks. Its face is tracked with dlib's
68 landmarks. The footage's frames form a mouth bank: one representative frame for each step of
mouth opening, from closed to the widest the person opens it. For every output frame the speech
loudness at that moment (slew-limited, as a real jaw is) asks for an opening; the lower faces of
the two bank steps around it are aligned to the base frame by the landmarks that do not move
with the mouth (nose, eye corners, upper jaw), cross-faded, and blended in under a feathered
mask inside the base face's own jaw line, so the mouth, teeth and the skin around them are the
person's own and the face's outline stays put. Footage whose mouth never opens enough for a
bank, and a photo, fall back to a
displacement warp that opens the jaw and darkens the gap. With a photo only, the still also
sways slightly and blinks (the eyelids drawn over the eyes from the landmarks).

Mouth opening follows loudness, not phonemes (visemes from the voice step's word timings are
the next step, see issue 6).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from studio.contracts import Progress, VideoRequest, VideoResult
from tasks.analysis import detect_face, envelope_per_frame
from tasks.face import box_of, find_face, landmarks, mouth_opening, mouth_width
from tasks.media import MediaError, VideoWriter, load_audio, probe, read_frames
from tasks.visemes import mouth_plan

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

log = logging.getLogger(__name__)


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


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
_STABLE = [0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45]  # unmoved by the mouth


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
        m, _ = cv2.estimateAffinePartial2D(src_pts[_STABLE], points[_STABLE])
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


MAX_SEGMENTS = 3
MIN_SEGMENT_S = 2.0
GLIDE_S = 0.4  # after a join the next segment's head glides from where the last one was to where it is


def join_segments(a: np.ndarray, a_points: np.ndarray, b: np.ndarray, b_points: np.ndarray,
                  fps: float) -> tuple[np.ndarray, np.ndarray]:
    """``a`` then ``b`` as one track, joined between the last second of ``a`` and the first of
    ``b`` where the faces' steady landmarks are closest; ``b``'s first frames are moved onto
    where ``a``'s face was and glide back to their own place, fading in, so no jump shows."""
    reach = max(1, min(int(fps), len(a) // 3, len(b) // 3))
    best, cut_a, cut_b = np.inf, len(a) - 1, 0
    for i in range(len(a) - reach, len(a)):
        for j in range(reach):
            d = float(np.nanmean(np.linalg.norm(a_points[i, _STABLE] - b_points[j, _STABLE], axis=1)))
            if d < best:
                best, cut_a, cut_b = d, i, j
    a, a_points, b, b_points = a[: cut_a + 1], a_points[: cut_a + 1], b[cut_b:].copy(), b_points[cut_b:].copy()
    if np.isfinite(best):
        m, _ = cv2.estimateAffinePartial2D(b_points[0, _STABLE], a_points[-1, _STABLE])
        steps = min(len(b), max(1, int(GLIDE_S * fps)))
        if m is not None:
            h, w = b.shape[1:3]
            last = a[-1].astype(np.float32)
            for k in range(steps):
                t = k / steps  # 0: where a's face was; 1: b's own place
                mk = (1 - t) * m + t * np.float32([[1, 0, 0], [0, 1, 0]])
                moved = cv2.warpAffine(b[k], mk, (w, h), borderMode=cv2.BORDER_REPLICATE)
                fade = min(1.0, (k + 1) / max(2, steps // 2))
                b[k] = ((1 - fade) * last + fade * moved.astype(np.float32)).clip(0, 255).astype(np.uint8)
                b_points[k] = b_points[k] @ mk[:, :2].T + mk[:, 2]
    log.info("joined two footage segments (faces %.1f px apart at the join)", best)
    return np.concatenate([a, b]), np.concatenate([a_points, b_points])


class FrameSource:
    """The base track of a render: frame ``i`` of the footage's ping-pong loop (or of the swaying,
    blinking photo) with its face box and landmarks, and the mouth bank of the footage."""

    def __init__(self, request: VideoRequest, duration_s: float):
        fps = request.fps
        self.bank: MouthBank | None = None
        if request.footage:
            first = probe(request.footage[0].path)
            scale = min(1.0, request.max_height / first.height)
            self.width, self.height = _even(first.width * scale), _even(first.height * scale)
            # as much footage as the talk needs (at least 8 s, so the mouth bank has range), at most 20 s,
            # from the ranked segments in turn (those of the same picture size), joined where the faces match
            budget = min(20.0, max(duration_s + 0.5, 8.0))
            frames, points = None, None
            for clip in request.footage[:MAX_SEGMENTS]:
                info = probe(clip.path) if clip.path != request.footage[0].path else first
                seconds = min(clip.duration_s, budget)
                if (info.width, info.height) != (first.width, first.height) or seconds < MIN_SEGMENT_S:
                    continue
                part = read_frames(clip.path, clip.start_s, seconds, self.width, self.height, fps)
                part_points = track_landmarks(part)
                if frames is None:
                    frames, points = part, part_points
                else:
                    frames, points = join_segments(frames, points, part, part_points, fps)
                budget -= len(part) / fps
                if budget < MIN_SEGMENT_S:
                    break
            if frames is None:
                raise MediaError("the footage segments are too short to loop; add footage with the face visible for 2 s or more")
            self.base, self.points = frames, points
            fallback = np.array(request.footage[0].face_box, float) * scale
            self.boxes = np.array([box_of(p) if not np.isnan(p).any() else fallback for p in self.points])
            self.bank = MouthBank(self.base, self.points)
            log.info("mouth bank: %d steps of opening %.3f-%.3f (%s)", len(self.bank.entries), self.bank.closed,
                     self.bank.widest, "used" if self.bank.usable else "too narrow: the jaw warp instead")
            n = len(self.base)
            self.order = np.r_[np.arange(n), np.arange(n - 2, 0, -1)] if n > 2 else np.arange(n)
            self.photo = None
        elif request.photo_path is not None:
            img = cv2.imread(str(request.photo_path))
            if img is None:
                raise MediaError(f"{request.photo_path.name} is not a readable image")
            scale = min(1.0, request.max_height / img.shape[0])
            self.width, self.height = _even(img.shape[1] * scale), _even(img.shape[0] * scale)
            self.photo = cv2.resize(img, (self.width, self.height))
            found = find_face(self.photo) or detect_face(self.photo)
            if found is None:
                raise MediaError("no face found in the photo; use a frontal photo with the face visible")
            self.photo_points = landmarks(self.photo, found)
            self.photo_box = np.array(box_of(self.photo_points), float)
            self.blinks = blink_times(duration_s)
        else:
            raise MediaError("the video step needs footage or a photo of the persona; add materials first")
        self.fps = fps

    def frame(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(BGR frame, face box x/y/w/h, 68 landmarks) at output frame ``i``."""
        if self.photo is None:
            k = self.order[i % len(self.order)]
            return self.base[k], self.boxes[k], self.points[k]
        t = i / self.fps
        w, h = self.width, self.height
        m = cv2.getRotationMatrix2D((w / 2, h * 0.6), 0.8 * np.sin(2 * np.pi * 0.11 * t), 1.0)
        m[:, 2] += (3 * np.sin(2 * np.pi * 0.07 * t), 2 * np.sin(2 * np.pi * 0.13 * t))
        moved = cv2.warpAffine(self.photo, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        pts = self.photo_points @ m[:, :2].T + m[:, 2]
        box = self.photo_box.copy()
        box[:2] = m @ np.array([box[0] + box[2] / 2, box[1] + box[3] / 2, 1]) - box[2:] / 2
        return close_eyes(moved, pts, blink_amount(t, self.blinks)), box, pts


def write_base_track(request: VideoRequest, out_path, duration_s: float) -> VideoResult:
    """The base track alone, ``duration_s`` long and silent: what a lip-sync server is given
    as the person's reference video."""
    source = FrameSource(request, duration_s)
    n = int(np.ceil(duration_s * request.fps))
    writer = VideoWriter(out_path, source.width, source.height, request.fps, crf=18, preset=request.preset)
    try:
        for i in range(n):
            writer.write(source.frame(i)[0])
    finally:
        writer.close()
    return VideoResult(path=out_path, duration_s=n / request.fps, width=source.width, height=source.height,
                       fps=request.fps, backend="base-track")


FADE_S = 0.3  # cross-fade into and out of an action clip
MAX_STEP_PER_S = 6.0  # a mouth goes from closed to wide open in no less than about 1/6 s


def slew_limited(env: np.ndarray, max_step: float) -> np.ndarray:
    """``env`` changing by at most ``max_step`` from one frame to the next."""
    out = np.empty_like(env)
    level = float(env[0]) if env.size else 0.0
    for i, v in enumerate(env):
        level += float(np.clip(v - level, -max_step, max_step))
        out[i] = level
    return out


def _fit(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames scaled to fit ``width`` x ``height`` whole, the rest filled with their edge."""
    h, w = frames.shape[1:3]
    if (w, h) == (width, height):
        return frames
    scale = min(width / w, height / h)
    nw, nh = max(2, int(w * scale)), max(2, int(h * scale))
    top, left = (height - nh) // 2, (width - nw) // 2
    return np.stack([cv2.copyMakeBorder(cv2.resize(f, (nw, nh)), top, height - nh - top, left, width - nw - left,
                                        cv2.BORDER_REPLICATE) for f in frames])


class ActionTrack:
    """The action clips the script's cues call for ([drink] cuts to the persona drinking, [laugh]
    to them laughing, when such footage is tagged), placed on the cues' times, with cross-fades."""

    def __init__(self, request: VideoRequest, width: int, height: int):
        from studio.contracts import CUE_ACTIONS

        fps = request.fps
        self.fade = max(1, int(round(FADE_S * fps)))
        self.spans: list[tuple[int, int, np.ndarray]] = []  # first frame, end frame, the clip's frames
        clips = {c.label: c for c in reversed(request.actions)}  # the first of each label
        read: dict[str, np.ndarray] = {}
        for cue in request.cues:
            clip = clips.get(CUE_ACTIONS.get(cue.kind, ""))
            if clip is None or cue.end_s - cue.start_s < 2 * FADE_S:
                continue
            if clip.label not in read:
                info = probe(clip.path)
                scale = min(width / info.width, height / info.height)
                read[clip.label] = _fit(read_frames(clip.path, clip.start_s, min(clip.duration_s, 10.0),
                                                    _even(info.width * scale), _even(info.height * scale), fps), width, height)
            first, end = int(round(cue.start_s * fps)), int(round(cue.end_s * fps))
            self.spans.append((first, end, read[clip.label]))
            log.info("action %s at %.2f-%.2f s from %s", clip.label, cue.start_s, cue.end_s, clip.path.name)

    def at(self, i: int) -> tuple[float, np.ndarray | None]:
        """(how much of the action shows at frame ``i``, 0-1; its frame)."""
        for first, end, frames in self.spans:
            if first <= i < end:
                period = max(1, 2 * len(frames) - 2)  # a clip shorter than its cue plays back and forth
                k = (i - first) % period
                frame = frames[k if k < len(frames) else period - k]
                return min(1.0, (i - first + 1) / self.fade, (end - i) / self.fade), frame
        return 0.0, None


class ReenactVideo:
    """The offline default video backend (see the module docstring)."""

    name = "reenact"

    def render(self, request: VideoRequest, progress: Progress | None = None) -> VideoResult:
        t0 = time.time()
        fps = request.fps
        audio = load_audio(request.audio_path, 16000)
        duration = audio.size / 16000
        n = int(np.ceil(duration * fps))
        source = FrameSource(request, duration)
        w, h = source.width, source.height
        # how far the mouth opens follows loudness; its shape, and where it must shut, the words
        allow, shape = mouth_plan(request.words, fps, n)
        env = slew_limited(envelope_per_frame(audio, 16000, fps, n), MAX_STEP_PER_S / fps) * allow
        samples = [source.frame(i) for i in range(0, min(n, int(5 * fps)), max(1, int(fps)))]
        warp = MouthWarp(lip_line([f for f, _, _ in samples], [b for _, b, _ in samples]))
        bank = source.bank if source.bank is not None and source.bank.usable else None
        actions = ActionTrack(request, w, h)
        writer = VideoWriter(request.out_path, w, h, fps, audio_path=request.audio_path, crf=request.crf, preset=request.preset)
        try:
            for i in range(n):
                weight, action = actions.at(i)
                if weight >= 1:
                    writer.write(action)
                    continue
                frame, box, pts = source.frame(i)
                frame = bank.apply(frame, pts, float(env[i]), float(shape[i])) if bank else warp.apply(frame, box, float(env[i]))
                if weight > 0:
                    frame = cv2.addWeighted(frame, 1 - weight, action, weight, 0)
                writer.write(frame)
                if i and i % int(fps * 10) == 0:
                    log.info("rendered %d/%d frames (%.0f%%)", i, n, 100 * i / n)
                if progress and i % int(fps * 2) == 0:
                    progress(100 * i / n)
        finally:
            writer.close()
        log.info("rendered %d frames %dx%d in %.1f s", n, w, h, time.time() - t0)
        return VideoResult(path=request.out_path, duration_s=n / fps, width=w, height=h, fps=fps, backend=self.name)
