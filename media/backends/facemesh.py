"""Face landmarks from mediapipe's FaceMesh model (``face_landmark.tflite``: 468 points with
sub-pixel precision) run by LiteRT, given in the 68-point iBUG layout the studio uses
(``to68``). Measured against dlib's shape predictor (``bench/landmarks.py``): it reads a drawn
mouth's opening as well (correlation with the truth 0.98 for both), jitters 1.3 to 3 times less
on real footage and is a little faster, so the video step follows faces with it; dlib still finds
the face (and is used where this model is not installed).

The model file ships in the ``mediapipe==0.10.14`` wheel; mediapipe itself is never imported
(its runtime pins protobuf<5, which the portal cannot have), only its model file is read.
Install: ``uv sync`` (pyproject's ``mediapipe`` and ``ai-edge-litert``)."""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("face analysis needs opencv-python-headless: uv sync") from exc

log = logging.getLogger(__name__)

SIDE = 192  # the model's input, a square crop around the face
ROI_SCALE = 1.5  # the crop's side over the mesh's extent (mediapipe's own value)
MIN_PRESENCE = 0.5
# the mesh vertex nearest each of dlib's 68 points: jaw, brows, nose, eyes, outer lips, inner lips
MESH_TO_68 = [162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389,
              71, 63, 105, 66, 107, 336, 296, 334, 293, 301,
              168, 197, 5, 4, 75, 97, 2, 326, 305,
              33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
              61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
              78, 82, 13, 312, 308, 317, 14, 87]


def to68(found: np.ndarray) -> np.ndarray:
    """A 468-point mesh in dlib's 68-point layout."""
    return found[MESH_TO_68]


def model_path() -> Path | None:
    """The FaceMesh model inside the installed mediapipe wheel (found without importing it)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "modules" / "face_landmark" / "face_landmark.tflite"
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _interpreter():
    path = model_path()
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        path = None
    if path is None:
        log.warning("FaceMesh is not installed (uv sync: mediapipe, ai-edge-litert); faces are tracked with dlib alone")
        return None
    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def available() -> bool:
    return _interpreter() is not None


def _crop_transform(points: np.ndarray, scale: float) -> np.ndarray:
    """The affine map from the frame to the model's square crop: centred on the face, turned
    upright by the line through the eyes (``points``: 68 points or a 468-point mesh)."""
    if len(points) == 68:
        left, right = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    else:
        left, right = points[[33, 133]].mean(axis=0), points[[362, 263]].mean(axis=0)
    angle = np.arctan2(right[1] - left[1], right[0] - left[0])
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    size = scale * float(max(np.ptp(points[:, 0]), np.ptp(points[:, 1])))
    k = SIDE / max(size, 1.0)
    c, s = np.cos(-angle) * k, np.sin(-angle) * k
    m = np.array([[c, -s, 0.0], [s, c, 0.0]], np.float32)
    m[:, 2] = SIDE / 2 - m[:, :2] @ centre
    return m


def mesh(frame_bgr: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The 468 mesh points in frame pixels of the face around ``points`` (dlib's 68 or the
    previous frame's mesh); None where the model is not installed or sees no face there (its
    presence under ``MIN_PRESENCE``)."""
    interpreter = _interpreter()
    if interpreter is None or np.isnan(points).any():
        return None
    # dlib's 68 points leave out the forehead the mesh covers: a wider crop for them
    m = _crop_transform(points, ROI_SCALE if len(points) != 68 else 1.7)
    crop = cv2.warpAffine(frame_bgr, m, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    x = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)[None] / 255.0
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.set_tensor(inputs[0]["index"], x)
    interpreter.invoke()
    values = {o["shape"][-1]: interpreter.get_tensor(o["index"]).reshape(-1) for o in outputs}
    presence = float(1 / (1 + np.exp(-values[1][0])))
    if presence < MIN_PRESENCE:
        return None
    back = cv2.invertAffineTransform(m)
    found = values[468 * 3].reshape(468, 3)[:, :2]
    return (found @ back[:, :2].T + back[:, 2]).astype(np.float32)


def landmarks68(frame_bgr: np.ndarray, points: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(68 points in the iBUG layout, the full mesh) for the face around ``points``: the mesh is
    found twice, the second time in the crop the first one gives (as mediapipe tracks)."""
    found = mesh(frame_bgr, points)
    if found is not None:
        found = mesh(frame_bgr, found)
    return (to68(found), found) if found is not None else (None, None)
