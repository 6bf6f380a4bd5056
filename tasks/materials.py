"""Footage selection: base footage segments from videos, and the action segments operators
tagged. (Voice prompts and the sound bank: ``tasks.voice_materials``.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.catalog import Catalog
from studio.models import ActionTag, AssetRef, FootageSegment
from tasks.analysis import detect_face, sharpness
from tasks.media import MediaError, probe, read_frames


def _analysis_size(info) -> tuple[float, int, int]:
    """(scale, width, height) at which footage is analysed: at most 384 px on the long side, even sizes."""
    scale = min(1.0, 384 / max(info.width, info.height))
    return scale, int(info.width * scale) // 2 * 2, int(info.height * scale) // 2 * 2


def _store_still(catalog: Catalog, frame: np.ndarray, path: Path) -> AssetRef:
    """A frame as a JPEG in the store, for people to look at."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return catalog.put_media_file(path, "image/jpeg")


def select_footage(catalog: Catalog, videos: list[AssetRef], work: Path, sample_fps: float = 5.0) -> list[FootageSegment]:
    """Find stretches with a face visible, steady and sharp; rank them for base footage."""
    import cv2

    segments = []
    for ref in videos:
        path = catalog.media_path(ref)
        info = probe(path)
        if not info.has_video or info.duration_s <= 0:
            raise MediaError(f"{ref.name or ref.key} has no video stream")
        scale, w, h = _analysis_size(info)
        frames = read_frames(path, 0, info.duration_s, w, h, sample_fps)
        faces = [detect_face(f) for f in frames]
        diffs = np.r_[0, [float(np.mean(cv2.absdiff(a, b))) for a, b in zip(frames[:-1], frames[1:])]]
        runs, start = [], None
        for i, face in enumerate(list(faces) + [None]):
            if face is not None and start is None:
                start = i
            elif face is None and start is not None:
                runs.append((start, i))
                start = None
        for a, b in runs:
            dur = (b - a) / sample_fps
            if dur < 2.0:
                continue
            boxes = np.array([faces[i] for i in range(a, b)])
            box = tuple(int(v / scale) for v in np.median(boxes, axis=0))
            jitter = float(np.mean(np.abs(np.diff(boxes[:, :2], axis=0)))) / max(box[2] * scale, 1) if b - a > 1 else 0
            steadiness = float(1 / (1 + 20 * jitter + np.mean(diffs[a + 1 : b]) / 10))
            sharp = float(np.median([sharpness(frames[i]) for i in range(a, b, max(1, (b - a) // 5))]))
            face_frac = box[2] * box[3] / (info.width * info.height)
            score = 0.4 * min(dur / 10, 1) + 0.3 * steadiness + 0.2 * min(sharp / 100, 1) + 0.1 * min(face_frac * 10, 1)
            still = _store_still(catalog, frames[(a + b) // 2], work / f"still_{ref.sha256[:8]}_{a}.jpg")
            segments.append(
                FootageSegment(
                    source=ref, start_s=round(a / sample_fps, 2), duration_s=round(dur, 2), face_ratio=1.0,
                    steadiness=round(steadiness, 3), sharpness=round(sharp, 1), face_box=box,
                    still=still, score=round(score, 3),
                    why=(f"{dur:.1f} s with the face in every sampled frame, steadiness {steadiness:.2f}, "
                         f"sharpness {sharp:.0f}, face {face_frac * 100:.0f}% of the frame"),
                )
            )
    return sorted(segments, key=lambda s: -s.score)


def action_segments(catalog: Catalog, tags: list[ActionTag], work: Path, sample_fps: float = 5.0) -> list[FootageSegment]:
    """The stretches operators tagged as actions (drinking, laughing...), measured like base
    footage; the face may leave the frame here (looking down), so it is not required."""
    import cv2

    segments = []
    for tag in tags:
        path = catalog.media_path(tag.source)
        info = probe(path)
        scale, w, h = _analysis_size(info)
        frames = read_frames(path, tag.start_s, tag.end_s - tag.start_s, w, h, sample_fps)
        faces = [f for f in (detect_face(frame) for frame in frames) if f is not None]
        box = (tuple(int(v / scale) for v in np.median(np.array(faces), axis=0)) if faces
               else (0, 0, info.width, info.height))
        diffs = [float(np.mean(cv2.absdiff(a, b))) for a, b in zip(frames[:-1], frames[1:])] or [0.0]
        steadiness = float(1 / (1 + np.mean(diffs) / 10))
        sharp = float(np.median([sharpness(f) for f in frames[:: max(1, len(frames) // 5)]]))
        still = _store_still(catalog, frames[len(frames) // 2], work / f"action_{tag.id}.jpg")
        ratio = len(faces) / len(frames)
        segments.append(FootageSegment(
            source=tag.source, start_s=tag.start_s, duration_s=round(tag.end_s - tag.start_s, 2), face_ratio=round(ratio, 3),
            steadiness=round(steadiness, 3), sharpness=round(sharp, 1), face_box=box,
            still=still, label=tag.label, score=round(ratio, 3),
            why=f"tagged {tag.label.replace('_', ' ')} by {tag.tagged_by}; face in {ratio * 100:.0f}% of sampled frames"))
    return segments


def face_box_of_photo(path: Path) -> tuple[int, int, int, int]:
    import cv2

    img = cv2.imread(str(path))
    if img is None:
        raise MediaError(f"{Path(path).name} is not a readable image (use JPEG or PNG)")
    box = detect_face(img)
    if box is None:
        raise MediaError(f"{Path(path).name}: no face found; use a frontal photo with the face clearly visible")
    return box
