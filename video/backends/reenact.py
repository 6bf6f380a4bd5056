"""Offline video: re-enactment from the persona's own footage (or one photo).

The base track is the best footage segments (up to three, joined where the faces match, the
next one's head gliding in from where the last was) played forward then backward (a ping-pong
loop never jumps), with the footage's own head motion and blinks. Its face is tracked with dlib's
68 landmarks. The same footage, whatever the talk's length, gives the mouth bank
(``video.mouth_bank``): the person's own mouth at each step of opening, frames a person would
choose, with openings the footage lacks synthesised from their closed mouth. For every output
frame the speech loudness at that moment (slew-limited, as a real jaw is) asks for an opening
and the words for a lip shape (``video.visemes``); the two bank mouths nearest it are morphed
onto one shape, fitted to the base face and blended in inside its jaw line. A photo is a bank of
one closed mouth, and the still also sways slightly and blinks with its own eyelids. There is no other path: every
face the analysis accepts gets a mouth from the person's own pixels.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from media.analysis import envelope_per_frame
from media.ffmpeg_io import VideoWriter, load_audio, probe, read_frames
from video.contract import CUE_ACTIONS, Progress, RenderNotes, VideoRequest, VideoResult
from video.visemes import mouth_plan

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

from video.base_track import FrameSource, even, morph
from video.face_motion import track_landmarks

log = logging.getLogger(__name__)



FADE_S = 0.3  # the morph into and out of an action clip
MAX_STEP_PER_S = 6.0  # a mouth goes from closed to wide open in no less than about 1/6 s


def slew_limited(env: np.ndarray, max_step: float, start: float | None = None) -> np.ndarray:
    """``env`` changing by at most ``max_step`` from one frame to the next (from ``start``, else its first)."""
    out = np.empty_like(env)
    level = start if start is not None else float(env[0]) if env.size else 0.0
    for i, v in enumerate(env):
        level += float(np.clip(v - level, -max_step, max_step))
        out[i] = level
    return out


def _fit(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames scaled to fit ``width`` x ``height`` whole, the rest filled with their edge."""
    h, w = frames.shape[1:3]
    if (w, h) == (width, height):
        return frames
    scale = min(width / w, height / h)
    nw, nh = max(2, int(w * scale)), max(2, int(h * scale))
    top, left = (height - nh) // 2, (width - nw) // 2
    return np.stack([cv2.copyMakeBorder(cv2.resize(f, (nw, nh)), top, height - nh - top, left, width - nw - left,
                                        cv2.BORDER_REPLICATE) for f in frames])


class ActionTrack:
    """The action clips the script's cues call for ([drink] cuts to the persona drinking, [laugh]
    to them laughing, when such footage is tagged), placed on the cues' times; into and out of
    them the face morphs on its landmarks (no dissolve of two faces)."""

    def __init__(self, request: VideoRequest, width: int, height: int):
        fps = request.fps
        self.fade = max(1, int(round(FADE_S * fps)))
        self.spans: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # first and end frame, the clip's frames, landmarks
        clips = {c.label: c for c in reversed(request.actions)}  # the first of each label
        read: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for cue in request.cues:
            clip = clips.get(CUE_ACTIONS.get(cue.kind, ""))
            if clip is None or cue.end_s - cue.start_s < 2 * FADE_S:
                continue
            if clip.label not in read:
                info = probe(clip.path)
                scale = min(width / info.width, height / info.height)
                frames = _fit(read_frames(clip.path, clip.start_s, min(clip.duration_s, 10.0),
                                          even(info.width * scale), even(info.height * scale), fps), width, height)
                read[clip.label] = (frames, track_landmarks(frames))
            first, end = int(round(cue.start_s * fps)), int(round(cue.end_s * fps))
            self.spans.append((first, end, *read[clip.label]))
            log.info("action %s at %.2f-%.2f s from %s", clip.label, cue.start_s, cue.end_s, clip.path.name)

    def at(self, i: int) -> tuple[float, np.ndarray | None, np.ndarray | None]:
        """(how much of the action shows at frame ``i``, 0-1; its frame; its landmarks)."""
        for first, end, frames, points in self.spans:
            if first <= i < end:
                period = max(1, 2 * len(frames) - 2)  # a clip shorter than its cue plays back and forth
                k = (i - first) % period
                k = k if k < len(frames) else period - k
                return min(1.0, (i - first + 1) / self.fade, (end - i) / self.fade), frames[k], points[k]
        return 0.0, None, None


_TRACKS: dict[str, FrameSource] = {}
_TRACKS_LOCK = threading.Lock()


def base_track(request: VideoRequest, duration_s: float) -> FrameSource:
    """The request's base track and mouth bank, read and tracked once per process for the same
    footage and choices (a long take's chunks share them; only the last one is held)."""
    files = [c.path for c in request.footage] + ([request.photo_path] if request.photo_path else [])
    key = request.model_dump_json(include={"footage", "photo_path", "fps", "max_height", "careful", "bank_drops"}) + repr(
        [(p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None for p in files])
    with _TRACKS_LOCK:
        if key not in _TRACKS:
            source = FrameSource(request, duration_s)
            source.bank  # noqa: B018  (built now, so that every render shares it)
            _TRACKS.clear()
            _TRACKS[key] = source
        return _TRACKS[key].retimed(request, duration_s)


class ReenactVideo:
    """The offline default video backend (see the module docstring)."""

    name = "reenact"

    def render(self, request: VideoRequest, progress: Progress | None = None) -> VideoResult:
        t0 = time.time()
        fps = request.fps
        audio = load_audio(request.audio_path, 16000)
        duration = audio.size / 16000
        n = int(np.ceil(duration * fps))
        source = base_track(request, duration)
        w, h = source.width, source.height
        # how far the mouth opens follows loudness; its shape, and where it must shut, the words
        # (a chunk opens from the closed mouth the last one ended with)
        allow, shape = mouth_plan(request.words, fps, n)
        env = slew_limited(envelope_per_frame(audio, 16000, fps, n), MAX_STEP_PER_S / fps,
                           0.0 if request.anchored else None) * allow
        actions = ActionTrack(request, w, h)
        writer = VideoWriter(request.out_path, w, h, fps, audio_path=request.audio_path, crf=request.crf, preset=request.preset)
        try:
            for i in range(n):
                weight, action, action_points = actions.at(i)
                if weight >= 1:
                    writer.write(action)
                    continue
                frame, _, pts = source.frame(i)
                frame = source.bank.apply(frame, pts, float(env[i]), float(shape[i]))
                if weight > 0 and not (np.isnan(pts).any() or np.isnan(action_points).any()):
                    frame = morph(frame, pts, action, action_points, weight)[0]
                elif weight > 0:  # no face to morph on in one of them
                    frame = cv2.addWeighted(frame, 1 - weight, action, weight, 0)
                writer.write(frame)
                if i and i % int(fps * 10) == 0:
                    log.info("rendered %d/%d frames (%.0f%%)", i, n, 100 * i / n)
                if progress and i % int(fps * 2) == 0:
                    progress(100 * i / n)
        finally:
            writer.close()
        log.info("rendered %d frames %dx%d in %.1f s", n, w, h, time.time() - t0)
        report = source.bank.report
        notes = RenderNotes(bank_frames=len(report.chosen), bank_candidates=report.candidates,
                            bank_rejects={k: v for k, v in report.rejected.items() if v},
                            synthesised_openings=report.synthesised, footage_opening_range=round(report.real_range, 4),
                            source_size=source.source_size)
        return VideoResult(path=request.out_path, duration_s=n / fps, width=w, height=h, fps=fps, backend=self.name, notes=notes)
