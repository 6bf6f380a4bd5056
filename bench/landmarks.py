"""Landmark benchmark: dlib's 68-point shape predictor against FaceMesh (``media.backends.facemesh``)
given in the same 68-point layout, which is what the video step tracks faces with.

Run with ``make bench-landmarks`` (or ``uv run python -m bench.landmarks``). Measures:

- truth on the drawn persona (``persona.synthetic.draw_face``, where the mouth's opening and the
  chin's place are known): correlation of the measured mouth opening with the drawn one, and
  the chin point's error in pixels;
- jitter on real footage (lp_d3, musetalk_sun, 10 s each): the landmarks' second difference
  frame to frame over the eyes' span, per group; a steadier tracker shimmers less where the
  mouth is pasted (real motion adds the same to both);
- agreement: the mean distance between the two models' points over the eyes' span, per group;
- speed: milliseconds per face.

Both trackers are lightly smoothed over three frames, as ``video.face_motion`` does."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from media.backends import facemesh
from media.backends.dlib_face import box_of, find_face, landmarks, mouth_opening
from media.ffmpeg_io import read_frames
from persona.synthetic import FaceStyle, draw_face

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "footage"
GROUPS = {"jaw": slice(0, 17), "brows": slice(17, 27), "nose": slice(27, 36), "eyes": slice(36, 48), "lips": slice(48, 68)}


def _smooth(points: np.ndarray) -> np.ndarray:
    out = points.copy()
    for i in range(1, len(points) - 1):
        window = points[i - 1 : i + 2]
        if not np.isnan(window).any():
            out[i] = 0.25 * window[0] + 0.5 * window[1] + 0.25 * window[2]
    return out


def _track(frames: np.ndarray, smooth: bool = True) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(dlib's points, FaceMesh's points, ms per face for each): both from the same detections."""
    dlib_pts = np.full((len(frames), 68, 2), np.nan, np.float32)
    mesh_pts = dlib_pts.copy()
    box, followed, t_dlib, t_mesh = None, None, 0.0, 0.0
    for i, frame in enumerate(frames):
        if box is None or i % 5 == 0:
            box = find_face(frame) or box
        if box is None:
            continue
        started = time.perf_counter()
        dlib_pts[i] = landmarks(frame, box)
        t_dlib += time.perf_counter() - started
        started = time.perf_counter()
        found = facemesh.mesh(frame, followed) if followed is not None else None
        if found is None:
            mesh_pts[i], found = facemesh.landmarks68(frame, dlib_pts[i])
        else:
            mesh_pts[i] = facemesh.to68(found)
        followed = found
        t_mesh += time.perf_counter() - started
        box = box_of(dlib_pts[i])
    n = max(1, int((~np.isnan(dlib_pts[:, 0, 0])).sum()))
    if smooth:
        dlib_pts, mesh_pts = _smooth(dlib_pts), _smooth(mesh_pts)
    return dlib_pts, mesh_pts, 1000 * t_dlib / n, 1000 * t_mesh / n


def _span(points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points[:, 45] - points[:, 36], axis=1)


def jitter(points: np.ndarray) -> dict[str, float]:
    accel = np.linalg.norm(points[2:] - 2 * points[1:-1] + points[:-2], axis=2) / _span(points)[1:-1, None]
    return {name: float(np.nanmean(accel[:, part])) for name, part in GROUPS.items()}


def drawn_truth(frame_by_frame: bool = False) -> dict[str, tuple[float, float]]:
    """{model: (opening correlation with the drawn one, chin error px)} on 4 s of drawn talking;
    ``frame_by_frame``: every frame's opening drawn at random, nothing smoothed (each frame's
    reading on its own)."""
    times = np.arange(100) / 25
    if frame_by_frame:
        drawn = np.random.default_rng(1).uniform(0, 1, len(times))
    else:  # talking pace
        drawn = 0.5 + 0.3 * np.sin(2 * np.pi * 1.1 * times) + 0.2 * np.sin(2 * np.pi * 2.3 * times + 1)
    frames = np.stack([draw_face(512, t, o, 0.0, FaceStyle()) for t, o in zip(times, drawn)])
    face_y = 230 + 3 * np.sin(2 * np.pi * 0.21 * times + 1)  # draw_face's head motion
    chin = face_y + 135 + 10 * drawn
    out = {}
    dlib_pts, mesh_pts, _, _ = _track(frames, smooth=not frame_by_frame)
    for name, pts in (("dlib", dlib_pts), ("FaceMesh", mesh_pts)):
        measured = np.array([mouth_opening(p) for p in pts])
        out[name] = (float(np.corrcoef(measured, drawn)[0, 1]), float(np.nanmean(np.abs(pts[:, 8, 1] - chin))))
    return out


def main() -> None:
    if not facemesh.available():
        raise SystemExit("FaceMesh is not installed: uv sync (mediapipe, ai-edge-litert)")
    print("drawn persona (truth known)    opening corr   chin err px")
    for label, by_frame in (("talking", False), ("each frame alone", True)):
        for name, (corr, chin) in drawn_truth(by_frame).items():
            print(f"  {label + ', ' + name:28s} {corr:12.3f} {chin:13.2f}")
    print("\nreal footage, 10 s          model      " + "  ".join(f"{g:>6s}" for g in GROUPS) + "   ms/face")
    for clip, size in (("lp_d3.mp4", (512, 512)), ("musetalk_sun.mp4", (576, 768))):
        frames = read_frames(DATA / clip, 0, 10, *size, 25)
        dlib_pts, mesh_pts, t_dlib, t_mesh = _track(frames)
        for name, pts, ms in (("dlib", dlib_pts, t_dlib), ("FaceMesh", mesh_pts, t_mesh)):
            print(f"  {clip:26s} {name:9s}  " + "  ".join(f"{v:6.4f}" for v in jitter(pts).values()) + f"   {ms:6.1f}")
        apart = np.linalg.norm(mesh_pts - dlib_pts, axis=2) / _span(dlib_pts)[:, None]
        print(f"  {'':26s} {'apart':9s}  " + "  ".join(f"{np.nanmean(apart[:, part]):6.3f}" for part in GROUPS.values()))
    print("\njitter: second difference of the points over the eyes' span (lower is steadier); apart: mean"
          " distance between the two models' points over the eyes' span (agreement, not accuracy)")


if __name__ == "__main__":
    main()
