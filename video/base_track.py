"""The base track every video backend starts from: the best footage segments joined and looped
ping-pong (or one photo, swaying and blinking), with its face tracked; lip-sync servers get it
as the person's reference video."""

from __future__ import annotations

import copy
import logging
from functools import cached_property

import numpy as np

from media.analysis import detect_face
from media.backends.dlib_face import box_of, find_face
from media.ffmpeg_io import MediaError, VideoWriter, probe, read_frames
from video.contract import VideoRequest, VideoResult

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

from media.face_patches import STABLE_POINTS
from video.face_motion import blink_amount, blink_times, close_eyes, face_points, track_landmarks
from video.mouth_bank import MouthBank
from video.warp import warp_region

log = logging.getLogger(__name__)


def even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


MAX_SEGMENTS = 3
FOOTAGE_S = 20.0
FOOTAGE_BYTES = 6e8  # the base track's frames held at once: 20 s at 540x720, 8.7 s at 1280x720
MIN_SEGMENT_S = 2.0
SETTLE_S = 1.0  # an anchored photo render eases into and out of its sway
GLIDE_S = 0.4  # after a join the face morphs from where the last segment left it into the next one
JOIN_POINTS = list(range(17, 27)) + [37, 38, 40, 41, 43, 44, 46, 47]  # brows and eyelids


def _upper_face_distance(p: np.ndarray, q: np.ndarray) -> float:
    """How far apart two faces are where a join shows: the steady landmarks, and the brows and
    eyelids (a raised brow or a blink), once the two heads are put on one another."""
    m, _ = cv2.estimateAffinePartial2D(q[STABLE_POINTS], p[STABLE_POINTS])
    if m is None:
        return float("inf")
    moved = q @ m[:, :2].T + m[:, 2]
    head = float(np.linalg.norm(p[STABLE_POINTS] - q[STABLE_POINTS], axis=1).mean())
    return head + 2.0 * float(np.linalg.norm(p[JOIN_POINTS] - moved[JOIN_POINTS], axis=1).mean())


def morph(a: np.ndarray, a_points: np.ndarray, b: np.ndarray, b_points: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The frame ``t`` of the way from ``a`` to ``b``: both warped onto the landmarks in between,
    then mixed, so every feature is in one place (no double brows or eyes, as a dissolve gives)."""
    h, w = a.shape[:2]
    between = ((1 - t) * a_points + t * b_points).astype(np.float32)
    edge = np.float32([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1], [w / 2, 0], [w / 2, h - 1], [0, h / 2], [w - 1, h / 2]])
    box = (0, 0, w, h)
    warped_a = warp_region(a, np.vstack([between, edge]), np.vstack([a_points, edge]), box).astype(np.float32)
    warped_b = warp_region(b, np.vstack([between, edge]), np.vstack([b_points, edge]), box).astype(np.float32)
    return ((1 - t) * warped_a + t * warped_b).clip(0, 255).astype(np.uint8), between


def join_segments(a: np.ndarray, a_points: np.ndarray, b: np.ndarray, b_points: np.ndarray,
                  fps: float) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``a`` then ``b`` as one track (and where each was cut: its last frame of ``a``, first of ``b``), cut between the last second of ``a`` and the first of ``b``
    where the whole face matches best (head, brows, eyelids); over the next frames the face
    morphs from where ``a`` left it into ``b``'s own frames, so no feature jumps or doubles."""
    reach = max(1, min(int(fps), len(a) // 3, len(b) // 3))
    best, cut_a, cut_b = np.inf, len(a) - 1, 0
    for i in range(len(a) - reach, len(a)):
        for j in range(reach):
            if np.isnan(a_points[i]).any() or np.isnan(b_points[j]).any():
                continue
            d = _upper_face_distance(a_points[i], b_points[j])
            if d < best:
                best, cut_a, cut_b = d, i, j
    a, a_points, b, b_points = a[: cut_a + 1], a_points[: cut_a + 1], b[cut_b:].copy(), b_points[cut_b:].copy()
    if np.isfinite(best):
        steps = min(len(b) - 1, max(1, int(GLIDE_S * fps)))
        for k in range(steps):
            t = (k + 1) / (steps + 1)
            b[k], b_points[k] = morph(a[-1], a_points[-1], b[k], b_points[k], t)
    log.info("joined two footage segments (faces %.1f px apart at the cut, morphed over %.2f s)", best, GLIDE_S)
    return np.concatenate([a, b]), np.concatenate([a_points, b_points]), cut_a, cut_b


def round_trip(n: int, length: int) -> np.ndarray:
    """``n`` frame indices into a base track of ``length`` frames for an anchored render: from
    frame 0 out and back at the footage's own pace, turning at least halfway along it (sooner
    in a render shorter than one loop), ending on frame 1, so that the next anchored render's
    frame 0 follows as a ping-pong turn, never a jump or a held frame."""
    if n <= 0 or length < 2:
        return np.zeros(max(n, 0), int)
    trips = max(1, int(np.ceil(n / (2 * (length - 1)))))
    out_total = n // 2  # each trip goes out a frames and back a: n frames, plus one held at a turn if n is odd
    reach = [out_total // trips + (1 if j < out_total % trips else 0) for j in range(trips)]
    path = []
    for j, a in enumerate(reach):
        apex = [a] * (2 if j == 0 and n % 2 else 1) if a else []
        path += list(range(0, a)) + apex + list(range(a - 1, 0, -1))
    path = (path + [0] * n)[:n] if len(path) < n else path[:n]
    return np.array(path, int)


class FrameSource:
    """The base track of a render: frame ``i`` of the footage's ping-pong loop (or of the swaying,
    blinking photo) with its face box and landmarks, and the mouth bank of the footage."""

    def __init__(self, request: VideoRequest, duration_s: float):
        fps = request.fps
        if request.footage:
            first = probe(request.footage[0].path)
            self.source_size = (first.width, first.height)
            scale = min(1.0, request.max_height / first.height)
            self.width, self.height = even(first.width * scale), even(first.height * scale)
            # the same footage whatever the talk's length (so the mouth bank, and the person's look, never
            # depend on it): up to FOOTAGE_S (less for large pictures) from the ranked segments in turn
            # (those of the same picture size), joined where the faces match
            budget = min(FOOTAGE_S, FOOTAGE_BYTES / (self.width * self.height * 3 * fps))
            frames, points = None, None
            for clip in request.footage[: 1 if request.careful else MAX_SEGMENTS]:
                info = probe(clip.path) if clip.path != request.footage[0].path else first
                seconds = min(clip.duration_s, budget)
                if (info.width, info.height) != (first.width, first.height) or seconds < MIN_SEGMENT_S:
                    continue
                part = read_frames(clip.path, clip.start_s, seconds, self.width, self.height, fps)
                part_points = track_landmarks(part)
                part_origins = [(clip.path, clip.start_s + k / fps) for k in range(len(part))]
                if frames is None:
                    frames, points, origins = part, part_points, part_origins
                else:
                    frames, points, cut_a, cut_b = join_segments(frames, points, part, part_points, fps)
                    origins = origins[: cut_a + 1] + part_origins[cut_b:]
                budget -= len(part) / fps
                if budget < MIN_SEGMENT_S:
                    break
            if frames is None:
                raise MediaError("the footage segments are too short to loop; add footage with the face visible for 2 s or more")
            self.base, self.points = frames, points
            self.origins = origins  # (footage path, seconds into it) of every base frame
            fallback = np.array(request.footage[0].face_box, float) * scale
            self.boxes = np.array([box_of(p) if not np.isnan(p).any() else fallback for p in self.points])
            n = len(self.base)
            self.order = np.r_[np.arange(n), np.arange(n - 2, 0, -1)] if n > 2 else np.arange(n)
            self.photo = None
        elif request.photo_path is not None:
            img = cv2.imread(str(request.photo_path))
            if img is None:
                raise MediaError(f"{request.photo_path.name} is not a readable image")
            self.source_size = (img.shape[1], img.shape[0])
            scale = min(1.0, request.max_height / img.shape[0])
            self.width, self.height = even(img.shape[1] * scale), even(img.shape[0] * scale)
            self.photo = cv2.resize(img, (self.width, self.height))
            found = find_face(self.photo) or detect_face(self.photo)
            if found is None:
                raise MediaError("no face found in the photo; use a frontal photo with the face visible")
            self.photo_points = face_points(self.photo, found)[0]
            self.photo_box = np.array(box_of(self.photo_points), float)
            self.origins = []
        else:
            raise MediaError("the video step needs footage or a photo of the persona; add materials first")
        self.fps = fps
        self.careful = request.careful
        self.bank_drops = request.bank_drops
        self._time(request, duration_s)

    def _time(self, request: VideoRequest, duration_s: float) -> None:
        """What depends on the render's length: an anchored render's path through the footage,
        the photo's blinks and the ease of its sway."""
        n = int(np.ceil(duration_s * self.fps - 1e-6))
        self.duration_s = duration_s
        self.anchored = request.anchored
        self.timeline = round_trip(n, len(self.base)) if request.anchored and self.photo is None else None
        if self.photo is not None:
            self.blinks = blink_times(duration_s, seed=n if request.anchored else 5)

    def retimed(self, request: VideoRequest, duration_s: float) -> "FrameSource":
        """This base track for another render (its frames, landmarks and mouth bank shared)."""
        other = copy.copy(self)
        other._time(request, duration_s)
        return other

    @cached_property
    def bank(self) -> MouthBank:
        """The mouth bank of this footage (or photo), built when first needed (a lip-sync server's
        base track needs none)."""
        frames, points = (self.base, self.points) if self.photo is None else (self.photo[None], self.photo_points[None])
        drop = {i for i, (path, t) in enumerate(self.origins)
                if any(path == p and abs(t - s) < 0.6 / self.fps for p, s in self.bank_drops)}
        try:
            bank = MouthBank(frames, points, drop=drop, careful=self.careful)
        except ValueError:
            raise MediaError("no face was found in the footage for the mouth; add footage with the face visible") from None
        log.info("mouth bank: %s", bank.report.summary())
        return bank

    def frame(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(BGR frame, face box x/y/w/h, 68 landmarks) at output frame ``i``."""
        if self.photo is None:
            k = self.timeline[i] if self.timeline is not None and i < len(self.timeline) else self.order[i % len(self.order)]
            return self.base[k], self.boxes[k], self.points[k]
        t = i / self.fps
        w, h = self.width, self.height
        # an anchored render starts and ends with the photo at rest
        ease = min(1.0, t / SETTLE_S, (self.duration_s - t) / SETTLE_S) if self.anchored else 1.0
        ease = ease * ease * (3 - 2 * ease) if ease > 0 else 0.0
        m = cv2.getRotationMatrix2D((w / 2, h * 0.6), ease * 0.8 * np.sin(2 * np.pi * 0.11 * t), 1.0)
        m[:, 2] += (ease * 3 * np.sin(2 * np.pi * 0.07 * t), ease * 2 * np.sin(2 * np.pi * 0.13 * t))
        # breathing, about 15 breaths a minute: the chest rises, the head rides on it (a vertical
        # stretch about the top of the head, so the shoulders move most)
        breath = 1 + ease * 0.004 * np.sin(2 * np.pi * 0.25 * t)
        m = np.array([[1, 0, 0], [0, breath, (1 - breath) * self.photo_box[1]]]) @ np.vstack([m, [0, 0, 1]])
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
