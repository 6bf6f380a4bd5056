"""Whose face an upload shows: dlib's 128-d identity embedding of the largest face, from a photo
or from a few frames of footage (their mean), so a stranger's photo among a persona's uploads
is said at once (same person: distance below 0.6, dlib's own threshold)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from media.backends.dlib_face import find_face, identity, landmarks
from media.ffmpeg_io import MediaError, probe, read_frames

SAME_PERSON_BELOW = 0.6
FOOTAGE_LOOKS = (0.2, 0.5, 0.8)  # where in the footage to look, as shares of its length


def _frames(path: Path, role: str) -> list[np.ndarray]:
    if role == "photo":
        from PIL import Image

        with Image.open(path) as im:
            return [np.ascontiguousarray(np.asarray(im.convert("RGB"))[:, :, ::-1])]
    info = probe(path)
    width, height = info.width - info.width % 2, info.height - info.height % 2
    frames = []
    for share in FOOTAGE_LOOKS:
        try:
            frames.append(read_frames(path, info.duration_s * share, 0.2, width, height, info.fps or 25)[0])
        except MediaError:  # no picture there (a damaged stretch): the other looks still count
            continue
    return frames


def face_signature(path: Path, role: str) -> list[float] | None:
    """The identity embedding of the face a photo or footage shows; None where no face is found."""
    found = []
    for frame in _frames(Path(path), role):
        box = find_face(frame)
        if box is not None:
            found.append(identity(frame, landmarks(frame, box)))
    return [round(float(v), 5) for v in np.mean(found, axis=0)] if found else None


def face_distance(a: list[float], b: list[float]) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
