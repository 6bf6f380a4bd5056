"""Footage selection: base footage segments from videos, and the action segments operators
tagged. (Voice prompts and the sound bank: ``materials.voice_prompts``.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.records import AssetRef
from materials.footage_analysis import analyse_footage, analysis_size
from materials.records import ActionTag, FootageSegment
from media.analysis import detect_face, sharpness
from media.ffmpeg_io import MediaError, probe, read_frames
from storage.catalog import Catalog

ACTION_SIDE = 384  # tagged action segments are measured at most this many pixels on their long side


def _store_still(catalog: Catalog, frame: np.ndarray, path: Path) -> AssetRef:
    """A frame as a JPEG in the store, for people to look at."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return catalog.put_media_file(path, "image/jpeg")


def select_footage(catalog: Catalog, videos: list[AssetRef], work: Path, min_s: float = 2.0) -> list[FootageSegment]:
    """Base footage: the segments the footage analysis found (one shot, the face in nearly every
    frame, at least ``min_s`` long), best first, each with a still and the analysis's reasons."""

    segments = []
    for ref in videos:
        analysis = analyse_footage(catalog, ref)
        _, w, h = analysis_size(analysis.width, analysis.height)
        for seg in analysis.segments:
            if seg.duration_s < min_s:
                continue
            frame = read_frames(catalog.media_path(ref), seg.start_s + seg.duration_s / 2, 0.5, w, h, 2)[0]
            still = _store_still(catalog, frame, work / f"still_{ref.sha256[:8]}_{int(seg.start_s * 100)}.jpg")
            segments.append(FootageSegment(
                source=ref, start_s=seg.start_s, duration_s=seg.duration_s, face_ratio=seg.face_ratio,
                steadiness=seg.steadiness, sharpness=seg.sharpness, face_box=seg.face_box, still=still,
                score=seg.score, why=seg.why, speech_ratio=seg.speech_ratio, head_motion_deg=seg.head_motion_deg,
                talking=seg.talking))
    return sorted(segments, key=lambda s: -s.score)


def action_segments(catalog: Catalog, tags: list[ActionTag], work: Path, sample_fps: float = 5.0) -> list[FootageSegment]:
    """The stretches operators tagged as actions (drinking, laughing...), measured like base
    footage; the face may leave the frame here (looking down), so it is not required."""
    import cv2

    segments = []
    for tag in tags:
        path = catalog.media_path(tag.source)
        info = probe(path)
        scale, w, h = analysis_size(info.width, info.height, ACTION_SIDE)
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
