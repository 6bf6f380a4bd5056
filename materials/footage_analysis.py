"""Footage analysis: what an uploaded video holds and which parts of it the video step can use.

Frame by frame (at ``ANALYSIS_FPS``, read in chunks so hours of footage fit in memory): the
face (dlib), its 68 landmarks, head pose, mouth opening and width, eye openness, the face's
sharpness, camera shake (phase correlation of the frame with the face masked out), motion
outside the face (gestures), and shot changes; from the footage's own sound, speech activity.
From these: continuous segments (one shot, the face in nearly every frame) ranked as base
footage with the reasons, and actions suggested where the measures can tell (looking down,
laughing, gesturing, idle, drinking where something is in front of the mouth and chin)."""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.records import AssetRef
from materials.records import ActionSuggestion, AnalysedSegment, FootageAnalysis
from media.analysis import sharpness, speech_regions
from media.backends.dlib_face import box_of, find_face, landmarks, measure
from media.face_patches import LowerFace, occluded, occlusion_threshold
from media.ffmpeg_io import MediaError, load_audio, probe, read_frames
from storage.catalog import Catalog

log = logging.getLogger(__name__)

ANALYSIS_FPS = 10.0
ANALYSIS_SIDE = 640  # frames are analysed at most this many pixels on their long side
CHUNK_S = 20.0
MIN_SEGMENT_S = 1.0
MAX_GAP_S = 0.3  # a face missed for this long does not break a segment
VERSION = "v3"  # v2: idle needs still lips and a relaxed face; v3: drinking through half-covered frames


@dataclass
class Tracks:
    """Per analysed frame; NaN where no face was found. Pixel values at analysis size."""

    times: np.ndarray
    face: np.ndarray  # bool
    points: np.ndarray  # n x 68 x 2
    yaw: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    mouth_open: np.ndarray
    mouth_width: np.ndarray
    eyes_open: np.ndarray
    face_size: np.ndarray
    sharpness: np.ndarray
    shake: np.ndarray  # camera translation from the previous frame, px
    body_motion: np.ndarray  # mean change outside the face from the previous frame, 0-255
    scene_change: np.ndarray  # thumbnail difference from the previous frame, 0-255
    speech: np.ndarray  # bool
    lower_face_unusual: np.ndarray  # share of the lower face unlike the footage's usual (something in front of it)

    def to_npz(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, **{k: v for k, v in self.__dict__.items() if isinstance(v, np.ndarray)})
        return buf.getvalue()

    @classmethod
    def from_npz(cls, data: bytes) -> Tracks:
        with np.load(io.BytesIO(data)) as z:
            return cls(**{k: z[k] for k in z.files})


def analysis_size(width: int, height: int, side: int = ANALYSIS_SIDE) -> tuple[float, int, int]:
    """(scale, width, height) at which footage is analysed: at most ``side`` px on the long side, even sizes."""
    scale = min(1.0, side / max(width, height))
    return scale, max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _shake(prev_gray: np.ndarray, gray: np.ndarray, face_mask: np.ndarray | None) -> float:
    """The camera's translation between two frames, with the face (which moves on its own) flattened."""
    import cv2

    a, b = prev_gray.astype(np.float32), gray.astype(np.float32)
    if face_mask is not None:
        a, b = a.copy(), b.copy()
        a[face_mask], b[face_mask] = a.mean(), b.mean()
    (dx, dy), _ = cv2.phaseCorrelate(a, b, cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F))
    return float(np.hypot(dx, dy))


def measure_frames(path: Path, info, fps: float = ANALYSIS_FPS) -> Tracks:
    """Read the footage in chunks and measure every analysed frame."""
    import cv2

    _, w, h = analysis_size(info.width, info.height)
    rows: list[dict] = []
    prev_gray = prev_thumb = None
    lower: LowerFace | None = None  # the lower face laid out as in the first frame with a face
    patches: list[np.ndarray | None] = []
    start = 0.0
    while start < info.duration_s - 1e-3:
        try:
            frames = read_frames(path, start, min(CHUNK_S, info.duration_s - start), w, h, fps)
        except MediaError:
            if rows:  # the last chunk can be empty when the duration was rounded up
                break
            raise
        for frame in frames:
            t = len(rows) / fps
            found = find_face(frame)
            points = landmarks(frame, found) if found else None
            m = measure(points, w, h) if points is not None else None
            gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            if points is not None and lower is None:
                lower = LowerFace(points)
            patches.append(lower.patch(gray, points) if lower is not None and points is not None else None)
            thumb = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
            mask = None
            if points is not None:
                x, y, bw, bh = box_of(points)
                mask = np.zeros(gray.shape, bool)
                mask[max(0, int(y - 0.3 * bh)) : int(y + 1.4 * bh), max(0, int(x - 0.3 * bw)) : int(x + 1.3 * bw)] = True
                face_crop = frame[max(0, int(y)) : int(y + bh), max(0, int(x)) : int(x + bw)]
            row = {"t": t, "face": m is not None, "points": points if points is not None else np.full((68, 2), np.nan, np.float32)}
            row.update({k: getattr(m, k) if m else np.nan for k in ("yaw", "pitch", "roll", "mouth_open", "mouth_width", "eyes_open")})
            row["face_size"] = m.size if m else np.nan
            row["sharpness"] = sharpness(face_crop) if m is not None and face_crop.size else np.nan
            if prev_gray is not None:
                row["shake"] = _shake(prev_gray, gray, mask)
                diff = np.abs(gray.astype(np.int16) - prev_gray.astype(np.int16))
                outside = diff[~mask] if mask is not None else diff.ravel()
                row["body_motion"] = float(outside.mean()) if outside.size else 0.0
                row["scene_change"] = float(np.abs(thumb - prev_thumb).mean())
            else:
                row["shake"] = row["body_motion"] = row["scene_change"] = 0.0
            prev_gray, prev_thumb = gray, thumb
            rows.append(row)
        start += CHUNK_S
    if not rows:
        raise MediaError(f"{path.name} has no frames to analyse")
    n = len(rows)
    speech = np.zeros(n, bool)
    if info.has_audio:
        audio = load_audio(path, 16000)
        for a, b in speech_regions(audio, 16000).regions:
            speech[int(a * fps) : int(np.ceil(b * fps))] = True
    col = lambda k: np.array([r[k] for r in rows], np.float32)  # noqa: E731
    return Tracks(times=col("t"), face=np.array([r["face"] for r in rows]), points=np.stack([r["points"] for r in rows]),
                  yaw=col("yaw"), pitch=col("pitch"), roll=col("roll"), mouth_open=col("mouth_open"),
                  mouth_width=col("mouth_width"), eyes_open=col("eyes_open"), face_size=col("face_size"),
                  sharpness=col("sharpness"), shake=col("shake"), body_motion=col("body_motion"),
                  scene_change=col("scene_change"), speech=speech,
                  lower_face_unusual=lower.unusual(patches) if lower is not None else np.full(n, np.nan))


def shot_changes(tracks: Tracks) -> list[int]:
    """Frames that start a new shot: a thumbnail change far above the footage's usual."""
    d = tracks.scene_change
    if d.size < 3:
        return []
    usual = float(np.median(d[1:]))
    return [int(i) for i in np.nonzero(d > max(25.0, 6 * usual + 8))[0] if i > 0]


def _runs(mask: np.ndarray, min_len: int, bridge: int = 0) -> list[tuple[int, int]]:
    """[start, end) runs of True at least ``min_len`` long, closing gaps up to ``bridge``."""
    runs: list[list[int]] = []
    for i, v in enumerate(mask):
        if not v:
            continue
        if runs and i - runs[-1][1] <= bridge:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [(a, b) for a, b in runs if b - a >= min_len]


def rank_segments(tracks: Tracks, info, fps: float, cuts: list[int]) -> list[AnalysedSegment]:
    scale, _, _ = analysis_size(info.width, info.height)
    bounds = [0, *cuts, len(tracks.times)]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        for a, b in _runs(tracks.face[lo:hi], int(MIN_SEGMENT_S * fps), bridge=int(MAX_GAP_S * fps)):
            a, b = a + lo, b + lo
            sl = slice(a, b)
            face = tracks.face[sl]
            pts = tracks.points[sl][face]
            boxes = np.array([(p[:, 0].min(), p[17:27, 1].min(), np.ptp(p[:, 0]), p[8, 1] - p[17:27, 1].min()) for p in pts])
            box = tuple(int(v / scale) for v in np.median(boxes, axis=0))
            size = float(np.nanmedian(tracks.face_size[sl]) / scale)
            shake = float(np.median(tracks.shake[a + 1 : b])) / scale if b - a > 1 else 0.0
            steadiness = float(1 / (1 + shake / max(0.02 * size, 1e-3)))  # 1 px shake on a 50 px eye span: 0.5
            motion = float(np.sqrt(np.nanstd(tracks.yaw[sl]) ** 2 + np.nanstd(tracks.pitch[sl]) ** 2))
            frontal = float(np.nanmedian(np.hypot(tracks.yaw[sl], tracks.pitch[sl])))
            sharp = float(np.nanmedian(tracks.sharpness[sl]))
            speech = float(tracks.speech[sl].mean())
            mouth = float(np.nanstd(tracks.mouth_open[sl]))
            dur = (b - a) / fps
            talking = speech >= 0.5
            sound = (f"{'talking' if talking else 'silent'} ({speech * 100:.0f}% speech)" if info.has_audio
                     else "no sound track to tell speech by")
            score = (0.3 * min(dur / 10, 1) + 0.2 * steadiness + 0.15 * min(sharp / 150, 1)
                     + 0.15 * max(0.0, 1 - frontal / 30) + 0.1 * min(size / 60, 1) + 0.1 * float(face.mean()))
            why = (f"{dur:.1f} s in one shot, face in {face.mean() * 100:.0f}% of frames ({size:.0f} px between the eyes), "
                   f"{sound}, camera shake {shake:.1f} px/frame "
                   f"(steadiness {steadiness:.2f}), head turned {frontal:.0f}° from the camera and moving {motion:.1f}°, "
                   f"face sharpness {sharp:.0f}")
            out.append(AnalysedSegment(
                start_s=round(a / fps, 2), duration_s=round(dur, 2), face_ratio=round(float(face.mean()), 3), face_box=box,
                face_size_px=round(size, 1), steadiness=round(steadiness, 3), shake_px=round(shake, 2),
                sharpness=round(sharp, 1), head_motion_deg=round(motion, 2), frontal_deg=round(frontal, 1),
                speech_ratio=round(speech, 3), mouth_activity=round(mouth, 4), talking=talking,
                score=round(score, 3), why=why))
    return sorted(out, key=lambda s: -s.score)


LIPS_MOVING = 0.02  # lip landmarks' move per frame (10 fps) relative to the nose, over the eyes' span


def _lip_motion(points: np.ndarray, fps: float) -> np.ndarray:
    """How much the lips move from frame to frame relative to the nose (mouthing words or a song
    moves them even where the measured opening hardly changes), smoothed over half a second."""
    rel = points[:, 48:68] - points[:, 30:31]
    span = np.linalg.norm(points[:, 45] - points[:, 36], axis=1)
    move = np.full(len(points), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        move[1:] = np.linalg.norm(np.diff(rel, axis=0), axis=2).mean(axis=1) / span[1:]
    k = max(1, int(0.5 * fps))
    return np.array([np.nanmedian(move[max(0, i - k // 2) : i + k // 2 + 1]) if np.isfinite(move[max(0, i - k // 2) : i + k // 2 + 1]).any()
                     else np.nan for i in range(len(move))])


def _through_lost_face(mask: np.ndarray, bare: np.ndarray, reach: int) -> np.ndarray:
    """``mask`` carried over the frames between two of its own where the lower face was never seen
    bare meanwhile (a cup in front of the mouth often hides the face from the detector, and is
    still half in front of it in the frames where the detector finds the face again)."""
    out = mask.copy()
    hits = np.nonzero(mask)[0]
    for a, b in zip(hits[:-1], hits[1:]):
        if 1 < b - a <= reach and not bare[a + 1 : b].any():
            out[a:b] = True
    return out


def _jaw_width(points: np.ndarray) -> np.ndarray:
    """The face's width at the cheeks (jaw points 3 and 13) over the eyes' span: puffed cheeks widen it."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.linalg.norm(points[:, 13] - points[:, 3], axis=1) / np.linalg.norm(points[:, 45] - points[:, 36], axis=1)


def suggest_actions(tracks: Tracks, fps: float, has_audio: bool) -> list[ActionSuggestion]:
    """Stretches that look like an action, from the measures alone (idle only where the sound
    shows silence)."""
    out: list[ActionSuggestion] = []
    face = tracks.face
    if face.sum() < fps:
        return out
    pitch0 = float(np.nanmedian(tracks.pitch[face]))
    mouth0 = float(np.nanmedian(tracks.mouth_open[face]))
    width0 = float(np.nanmedian(tracks.mouth_width[face]))
    motion0 = float(np.median(tracks.body_motion[1:])) if tracks.body_motion.size > 1 else 0.0

    def add(label, mask, min_s, why, confidence):
        for a, b in _runs(mask, max(1, int(min_s * fps)), bridge=int(0.2 * fps)):
            out.append(ActionSuggestion(label=label, start_s=round(a / fps, 2), end_s=round(b / fps, 2),
                                        confidence=round(float(np.clip(confidence(a, b), 0, 1)), 2), why=why(a, b)))

    with np.errstate(invalid="ignore"):
        down = np.nan_to_num(tracks.pitch - pitch0, nan=0.0)
        looking_down = face & (down > 12)
        laugh = face & tracks.speech & (np.nan_to_num(tracks.mouth_width, nan=0) > 1.1 * width0) & \
            (np.nan_to_num(tracks.mouth_open, nan=0) > mouth0 + 0.04)
        gesture = tracks.body_motion > max(3 * motion0, motion0 + 4)
        lips_moving = _lip_motion(tracks.points, fps) > LIPS_MOVING
        # a held expression is not idle: pursed or stretched lips, puffed cheeks
        jaw = _jaw_width(tracks.points)
        neutral = (np.nan_to_num(np.abs(tracks.mouth_width / width0 - 1), nan=1) < 0.08) & \
            (np.nan_to_num(np.abs(jaw / np.nanmedian(jaw) - 1), nan=1) < 0.04)
        mouth_still = (np.nan_to_num(np.abs(tracks.mouth_open - mouth0), nan=1) < 0.03) & ~lips_moving
        idle = face & ~tracks.speech & mouth_still & neutral & ~gesture & has_audio
    add("looking_down", looking_down, 0.5,
        lambda a, b: f"head {np.mean(down[a:b]):.0f}° further down than usual for {(b - a) / fps:.1f} s",
        lambda a, b: np.mean(down[a:b]) / 30)
    add("laughing", laugh, 0.4,
        lambda a, b: f"mouth wide ({np.nanmean(tracks.mouth_width[a:b]) / width0:.2f}x its usual width) and open, with sound",
        lambda a, b: 0.5)
    add("gesture", gesture, 0.5,
        lambda a, b: f"movement outside the face {np.mean(tracks.body_motion[a:b]) / max(motion0, 0.1):.1f}x the usual",
        lambda a, b: np.mean(tracks.body_motion[a:b]) / max(8 * motion0, 1))
    # drinking: something in front of the mouth and chin (a cup), often with the head tipped back
    unusual = tracks.lower_face_unusual
    bare = face & (np.nan_to_num(unusual, nan=1.0) < occlusion_threshold(unusual) / 2)
    in_front = _through_lost_face(face & occluded(unusual), bare, int(2 * fps))
    add("drinking", in_front, 0.8, lambda a, b: f"something in front of the mouth and chin for {(b - a) / fps:.1f} s "
        f"({np.nanmean(tracks.lower_face_unusual[a:b]) * 100:.0f}% of the lower face unlike usual), head "
        f"{-np.nanmean(down[a:b]):.0f}° further back than usual", lambda a, b: 0.5 + 0.3 * (np.nanmean(down[a:b]) < -5))
    add("idle", idle, 1.5, lambda a, b: f"{(b - a) / fps:.1f} s silent, lips still (moving "
        f"{np.nanmean(_lip_motion(tracks.points, fps)[a:b]):.3f} of the eye span a frame), mouth and face relaxed, body still",
        lambda a, b: 0.7)
    return sorted(out, key=lambda s: s.start_s)


def analysis_id(source: AssetRef) -> str:
    return f"{source.sha256[:32]}-{VERSION}"


def analyse_footage(catalog: Catalog, source: AssetRef) -> FootageAnalysis:
    """The analysis of one footage upload, computed once and kept in the catalog."""
    record_id = analysis_id(source)
    if catalog.exists(FootageAnalysis, record_id):
        return catalog.load(FootageAnalysis, record_id)
    started = time.perf_counter()
    path = catalog.media_path(source)
    info = probe(path)
    if not info.has_video or info.duration_s <= 0:
        raise MediaError(f"{source.name or source.key} has no video stream; upload it as a voice recording instead")
    fps = ANALYSIS_FPS if info.duration_s <= 600 else 5.0  # long footage: half the frames
    tracks = measure_frames(path, info, fps)
    cuts = shot_changes(tracks)
    segments = rank_segments(tracks, info, fps, cuts)
    analysis = FootageAnalysis(
        id=record_id, source=source, width=info.width, height=info.height, fps=info.fps, duration_s=info.duration_s,
        analysed_fps=fps, has_audio=info.has_audio, shot_changes_s=[round(c / fps, 2) for c in cuts],
        face_ratio=round(float(tracks.face.mean()), 3), speech_s=round(float(tracks.speech.sum()) / fps, 2),
        segments=segments, suggestions=suggest_actions(tracks, fps, info.has_audio),
        tracks=catalog.put_media(tracks.to_npz(), "application/x-npz", name=f"{source.name or 'footage'}.tracks.npz"),
        seconds_taken=round(time.perf_counter() - started, 2))
    catalog.save(analysis)
    log.info("analysed %s: %d segments, %d suggestions in %.1f s", source.name, len(segments),
             len(analysis.suggestions), analysis.seconds_taken)
    return analysis


def load_tracks(catalog: Catalog, analysis: FootageAnalysis) -> Tracks:
    return Tracks.from_npz(catalog.read_media(analysis.tracks))
