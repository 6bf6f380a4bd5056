"""FaceMesh landmarks (mediapipe's model run by LiteRT, never mediapipe itself): installed beside
the portal's protobuf, in dlib's 68-point layout, and steadier than dlib on real footage."""

from __future__ import annotations

import sys

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from media.ffmpeg_io import read_frames  # noqa: E402


def test_the_mesh_is_installed_beside_the_portals_protobuf_without_mediapipes_runtime():
    from importlib.metadata import version

    from media.backends import facemesh

    assert facemesh.available(), "uv sync installs mediapipe (for its model file) and ai-edge-litert"
    assert int(version("protobuf").split(".")[0]) >= 5  # what streamlit needs; mediapipe's own pin is <5
    assert "mediapipe" not in sys.modules  # only its model file is read


def test_the_mesh_follows_a_real_face_in_dlibs_layout_and_shimmers_less(shared_data):
    from bench.landmarks import _track, jitter
    from media.backends import facemesh

    frames = read_frames(shared_data / "footage" / "musetalk_sun.mp4", 0, 3, 576, 768, 25)
    dlib_pts, mesh_pts, _, _ = _track(frames)
    assert not np.isnan(mesh_pts).any()
    span = np.linalg.norm(dlib_pts[:, 45] - dlib_pts[:, 36], axis=1)[:, None]
    apart = np.linalg.norm(mesh_pts - dlib_pts, axis=2) / span
    assert np.nanmean(apart[:, 27:68]) < 0.05  # nose, eyes and lips where dlib puts them
    steadier = jitter(mesh_pts)
    for group, value in jitter(dlib_pts).items():
        assert steadier[group] < value, group
    assert "mediapipe" not in sys.modules
    assert len(facemesh.MESH_TO_68) == 68 and len(set(facemesh.MESH_TO_68)) == 68
