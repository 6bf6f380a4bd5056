"""The base track every video backend starts from: the best footage segments joined and looped
ping-pong (or one photo, swaying and blinking), with its face tracked; lip-sync servers get it
as the person's reference video."""

from __future__ import annotations

import logging

import numpy as np

from media.analysis import detect_face
from media.backends.dlib_face import box_of, find_face, landmarks
from media.ffmpeg_io import MediaError, VideoWriter, probe, read_frames
from video.contract import VideoRequest, VideoResult

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

from video.face_motion import STABLE_POINTS, MouthBank, blink_amount, blink_times, close_eyes, track_landmarks

log = logging.getLogger(__name__)


def even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


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
            d = float(np.nanmean(np.linalg.norm(a_points[i, STABLE_POINTS] - b_points[j, STABLE_POINTS], axis=1)))
            if d < best:
                best, cut_a, cut_b = d, i, j
    a, a_points, b, b_points = a[: cut_a + 1], a_points[: cut_a + 1], b[cut_b:].copy(), b_points[cut_b:].copy()
    if np.isfinite(best):
        m, _ = cv2.estimateAffinePartial2D(b_points[0, STABLE_POINTS], a_points[-1, STABLE_POINTS])
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
            self.width, self.height = even(first.width * scale), even(first.height * scale)
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
            self.width, self.height = even(img.shape[1] * scale), even(img.shape[0] * scale)
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
