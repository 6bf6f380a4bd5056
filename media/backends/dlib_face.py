"""Faces: dlib's HOG detector, its 68-point landmarks and its 128-d identity embedding (the
models ship in ``face-recognition-models``), with the measures built on them: head pose, mouth
opening and width, eye openness. Used by footage analysis, the video step and its benchmark.

Landmark indices follow the iBUG 300-W layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
outer lips 48-59, inner lips 60-67."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

try:
    import cv2
    import dlib
except ImportError as exc:  # pragma: no cover
    raise ImportError("face analysis needs dlib-bin and opencv-python-headless: uv sync") from exc

DETECT_SIDE = 480  # faces are found on a copy at most this many pixels on its long side
# a generic head in millimetres (nose tip at the origin) for the pose: nose, chin, eye corners, mouth corners
_MODEL_3D = np.array([(0.0, 0.0, 0.0), (0.0, -63.6, -12.5), (-43.3, 32.7, -26.0), (43.3, 32.7, -26.0),
                      (-28.9, -28.9, -24.1), (28.9, -28.9, -24.1)])
_POSE_POINTS = [30, 8, 36, 45, 48, 54]


@lru_cache(maxsize=1)
def _models():
    try:
        import face_recognition_models as packaged
    except ImportError:
        raise RuntimeError("the face models are missing: run `uv sync` (package face-recognition-models)") from None
    return (dlib.get_frontal_face_detector(), dlib.shape_predictor(packaged.pose_predictor_model_location()),
            dlib.face_recognition_model_v1(packaged.face_recognition_model_location()))


def find_face(frame_bgr: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest face (x, y, w, h) in the frame, or None."""
    detector = _models()[0]
    scale = min(1.0, DETECT_SIDE / max(frame_bgr.shape[:2]))
    small = cv2.resize(frame_bgr, None, fx=scale, fy=scale) if scale < 1 else frame_bgr
    found = detector(cv2.cvtColor(small, cv2.COLOR_BGR2RGB), 0)
    if not found:
        # the detector finds faces of about 80 px and more: where the first look found none, look
        # at the whole frame at twice its size (a small face: a half-body shot, a wide shot)
        scale = 1.0
        found = detector(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB), 1)
    if not found:
        return None
    r = max(found, key=lambda r: r.width() * r.height())
    return (int(r.left() / scale), int(r.top() / scale), int(r.width() / scale), int(r.height() / scale))


def landmarks(frame_bgr: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The 68 landmarks (x, y) of the face in ``box`` (x, y, w, h)."""
    x, y, w, h = (int(round(v)) for v in box)
    shape = _models()[1](cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB), dlib.rectangle(x, y, x + w, y + h))
    return np.array([(p.x, p.y) for p in shape.parts()], np.float32)


def box_of(points: np.ndarray) -> tuple[float, float, float, float]:
    """A detector-like box around landmarks: the detector's box is about as wide as the jaw and
    reaches from the brows' top to the chin."""
    x0, y0 = points[:, 0].min(), points[17:27, 1].min()
    x1, y1 = points[:, 0].max(), points[8, 1]
    return float(x0), float(y0 - 0.1 * (y1 - y0)), float(x1 - x0), float(1.1 * (y1 - y0))


def identity(frame_bgr: np.ndarray, points: np.ndarray) -> np.ndarray:
    """dlib's 128-d identity embedding of the face with these landmarks (same person: distance
    < 0.6, i.e. cosine above about 0.9)."""
    det = dlib.full_object_detection(
        dlib.rectangle(*(int(v) for v in (points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()))),
        [dlib.point(int(px), int(py)) for px, py in points])
    return np.array(_models()[2].compute_face_descriptor(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB), det), np.float32)


def mouth_opening(points: np.ndarray) -> float:
    """The inner-lip gap over the nose-to-chin length (about 0 closed, 0.2+ wide open); NaN without a face."""
    if np.isnan(points).any():
        return float("nan")
    gap = np.mean([np.linalg.norm(points[a] - points[b]) for a, b in ((61, 67), (62, 66), (63, 65))])
    return float(gap / (np.linalg.norm(points[8] - points[33]) or 1.0))


def mouth_width(points: np.ndarray) -> float:
    """The mouth corners' distance over the outer eye corners' distance (rounded lips about 0.4,
    spread about 0.65); NaN without a face."""
    if np.isnan(points).any():
        return float("nan")
    return float(np.linalg.norm(points[54] - points[48]) / (np.linalg.norm(points[45] - points[36]) or 1.0))


@dataclass(frozen=True)
class FaceMeasures:
    yaw: float  # degrees, + turned to the image's right
    pitch: float  # degrees, + looking down
    roll: float  # degrees
    mouth_open: float  # inner-lip gap over the nose-to-chin length (about 0 closed, 0.2+ wide open)
    mouth_width: float  # mouth corners' distance over the outer eye corners' distance
    eyes_open: float  # eye aspect ratio (about 0.3 open, under 0.15 closed)
    size: float  # outer eye corners' distance in pixels


def measure(points: np.ndarray, width: int, height: int) -> FaceMeasures:
    """Pose and shape measures from one face's 68 landmarks in a ``width`` x ``height`` frame."""
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]])
    eyes = float(np.linalg.norm(points[45] - points[36])) or 1.0
    # start from a face turned to the camera at the distance its eye span implies; from nowhere
    # the solver sometimes lands on the mirror solution (a head seen from behind)
    rvec, tvec = np.array([[np.pi], [0.0], [0.0]]), np.array([[0.0], [0.0], [focal * 86.6 / eyes]])
    ok, rvec, _ = cv2.solvePnP(_MODEL_3D, points[_POSE_POINTS].astype(np.float64), camera, np.zeros(4),
                               rvec, tvec, useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    yaw = pitch = roll = 0.0
    if ok:
        # the model's y points up and z to the camera, the camera's y down and z into the scene:
        # undo that half turn about x, then read the head's own turn (R = Rz(roll) Ry(yaw) Rx(pitch))
        rot = np.diag([1.0, -1.0, -1.0]) @ cv2.Rodrigues(rvec)[0]
        pitch = float(np.degrees(np.arctan2(rot[2, 1], rot[2, 2])))
        yaw = float(np.degrees(np.arcsin(np.clip(-rot[2, 0], -1, 1))))
        roll = float(np.degrees(np.arctan2(rot[1, 0], rot[0, 0])))

    def ear(e: np.ndarray) -> float:
        return float((np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])) / (2 * np.linalg.norm(e[0] - e[3]) + 1e-6))

    return FaceMeasures(yaw=yaw, pitch=pitch, roll=roll, mouth_open=mouth_opening(points),
                        mouth_width=mouth_width(points),
                        eyes_open=(ear(points[36:42]) + ear(points[42:48])) / 2, size=eyes)
