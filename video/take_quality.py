"""The quality report every video take gets before people see it: the face against the footage
it came from (``video.quality``), the voice against the person's prompts, and the speech check,
each held to a limit in settings (``STUDIO_QUALITY__...``). Measured on up to three stretches of
the take (its start, middle and end), so a 9-minute talk costs about as much as a greeting."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

import numpy as np

from core.settings import TakeQualitySettings
from media.analysis import envelope_per_frame, speech_regions
from media.backends.dlib_face import identity
from media.backends.resemblyzer_speaker import embed, similarity
from media.ffmpeg_io import load_audio, probe, read_frames
from video.base_track import even
from video.contract import FootageClip, Progress, VideoBackend, VideoRequest, VideoResult
from video.face_motion import track_landmarks
from video.quality import eye_openness, largest_change, lip_sync, mouth_sharpness, seam_energy, upper_face_jump
from video.records import QualityMeasure, TakeQuality, VideoTake
from voice.records import SentenceCheck

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the quality report needs opencv-python-headless: uv sync") from exc

log = logging.getLogger(__name__)

_WHY = {
    "lip sync": "the mouth may not follow the voice",
    "identity": "the face may not look like the person's footage",
    "mouth sharpness": "the mouth is softer than in the footage",
    "seam": "an edge may show where the mouth region meets the cheeks",
    "join jump": "the brows or eyes jump at a join",
    "chunk joins": "the face jumps where two chunks of the take meet",
    "largest change": "the picture jumps somewhere",
    "eyes closed": "the eyes are shut for too long",
    "speech level": "the voice is too quiet or too loud",
    "speaker similarity": "the voice may not sound like the person",
    "speech check": "some sentences may not say what the script says",
    "watermark": "a small, strongly compressed copy of the picture alone may not be traced (its sound still traces it)",
}


def _windows(duration_s: float, window_s: float) -> list[float]:
    if duration_s <= 3 * window_s:
        return [0.0]
    return [0.0, duration_s / 2 - window_s / 2, duration_s - window_s]


def _reference(footage: list[FootageClip], photo: Path | None, width: int, height: int, fps: float, window_s: float):
    """The footage's (or photo's) own frames and landmarks at the take's size."""
    if footage:
        clip = footage[0]
        info = probe(clip.path)
        scale = min(width / info.width, height / info.height)
        w, h = even(info.width * scale), even(info.height * scale)
        frames = read_frames(clip.path, clip.start_s, min(clip.duration_s, window_s), w, h, fps)
    else:
        image = cv2.imread(str(photo)) if photo else None
        if image is None:
            return None, None
        frames = cv2.resize(image, (width, height))[None]
    return frames, track_landmarks(frames)


def _runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    return list(zip(edges[::2], edges[1::2]))


def _footage_motion(footage: list[FootageClip], width: int, height: int, fps: float, first: tuple[np.ndarray, np.ndarray],
                    seconds: float = 20.0, chunk_s: float = 5.0) -> tuple[float, float]:
    """(largest brows-and-eyes jump, largest frame change) in the footage the base track plays
    (up to ``seconds`` of its segments, read a few seconds at a time); ``first``: the frames and
    landmarks already read from the start of the first segment (``_reference``)."""
    frames, points = first
    jump, change = upper_face_jump(points), largest_change(frames)
    left = seconds - len(frames) / fps
    for n, clip in enumerate(footage[:3]):
        info = probe(clip.path)
        scale = min(width / info.width, height / info.height)
        w, h = even(info.width * scale), even(info.height * scale)
        start = clip.start_s + (len(frames) / fps if n == 0 else 0.0)
        while left > 0.5 and start < clip.start_s + clip.duration_s - 0.5:
            span = min(chunk_s, left, clip.start_s + clip.duration_s - start)
            part = read_frames(clip.path, start, span, w, h, fps)
            jump, change = max(jump, upper_face_jump(track_landmarks(part))), max(change, largest_change(part))
            start, left = start + span, left - span
    return jump, change


def measure_take(video: Path, audio: Path, footage: list[FootageClip], photo: Path | None, prompts: list[Path],
                 checks: list[SentenceCheck], limits: TakeQualitySettings, fps: float,
                 extra: Callable[[Path], list[QualityMeasure]] | None = None,
                 cuts: list[tuple[float, float]] = (), joins: list[float] = ()) -> TakeQuality:
    """The report of the take at ``video`` (its sound at ``audio``), made from ``footage`` or
    ``photo``, in the voice of ``prompts``, with the voice step's sentence ``checks``, and any
    ``extra`` measures of the take made elsewhere (the watermark's, by the delivery side).
    ``cuts``: where the take cuts to action footage on purpose (a [drink]): left out of the
    jump and change figures, which are about joins nobody meant. ``joins``: where a take made in
    chunks joins them (measured around each, into the join figures and a "chunk joins" figure)."""
    started = time.perf_counter()
    info = probe(video)
    speech = load_audio(audio, 16000)
    ref_frames, ref_points = _reference(footage, photo, info.width, info.height, fps, limits.window_s)
    sync, sharp, seam, jump, change, closed, ids = [], [], [], [], [], [], []
    measured = 0.0
    for start in _windows(info.duration_s, limits.window_s):
        frames = read_frames(video, start, limits.window_s, info.width, info.height, fps)
        points = track_landmarks(frames)
        first = int(round(start * fps))
        env = envelope_per_frame(speech, 16000, fps, first + len(frames))[first:]
        sync.append((lip_sync(points, env), len(frames)))
        sharp.append(mouth_sharpness(frames, points))
        seam.append(seam_energy(frames, points))
        times = start + np.arange(len(frames)) / fps
        steady = ~np.array([any(a <= t <= b for a, b in cuts) for t in times], bool)
        jump.append(upper_face_jump(np.where(steady[:, None, None], points, np.nan)))
        change.append(max((largest_change(frames[a:b]) for a, b in _runs_of(steady)), default=0.0))
        closed.append(eye_openness(points))
        found = [i for i in range(len(frames)) if not np.isnan(points[i]).any()]
        for i in found[:: max(1, len(found) // 2)][:2]:
            ids.append(identity(frames[i], points[i]))
        measured += len(frames) / fps
    at_joins = _at_joins(video, joins, info.width, info.height, fps)
    jump += [j for j, _ in at_joins]
    change += [c for _, c in at_joins]
    measures = [QualityMeasure(name="lip sync", value=round(sum(c * n for c, n in sync) / max(1, sum(n for _, n in sync)), 3),
                               limit=limits.min_lip_sync)]
    if ref_frames is not None:
        motion = _footage_motion(footage, info.width, info.height, fps, (ref_frames, ref_points)) if footage else None
        measures += _against_reference(ref_frames, ref_points, sharp, seam, jump, change, ids, motion, limits)
        if motion is not None and at_joins:
            measures.append(QualityMeasure(name="chunk joins", value=round(max(j for j, _ in at_joins) / max(motion[0], 1e-6), 3),
                                           limit=limits.max_join_jump, at_least=False, unit="x the footage's"))
    eyes = np.concatenate(closed)
    ref_eyes = float(np.nanmedian(eye_openness(ref_points))) if ref_points is not None else float(np.nanmedian(eyes))
    measures.append(QualityMeasure(name="eyes closed", value=round(float(np.nanmean(eyes < 0.5 * ref_eyes)), 3),
                                   limit=limits.max_eyes_closed, at_least=False, unit="share of frames"))
    measures += _voice(speech, prompts, checks, limits)
    measures += extra(video) if extra else []
    flags = [f"{m.name} {m.value:.2f} is {'below' if m.at_least else 'above'} {m.limit:.2f}: {_WHY[m.name]}"
             for m in measures if not m.ok]
    log.info("quality report of %s: %d measures, %d flagged, in %.1f s", video.name, len(measures), len(flags),
             time.perf_counter() - started)
    return TakeQuality(measures=measures, flags=flags, seconds_measured=round(measured, 1))


MAX_JOINS_MEASURED = 12


def _at_joins(video: Path, joins: list[float], width: int, height: int, fps: float) -> list[tuple[float, float]]:
    """(brows-and-eyes jump, largest change) over the 0.4 s either side of each chunk join (up to
    ``MAX_JOINS_MEASURED`` of them, spread over the take)."""
    picked = list(joins) if len(joins) <= MAX_JOINS_MEASURED else [
        joins[round(i * (len(joins) - 1) / (MAX_JOINS_MEASURED - 1))] for i in range(MAX_JOINS_MEASURED)]
    out = []
    for at in picked:
        frames = read_frames(video, max(0.0, at - 0.4), 0.8, width, height, fps)
        out.append((upper_face_jump(track_landmarks(frames)), largest_change(frames)))
    return out


def _against_reference(ref_frames, ref_points, sharp, seam, jump, change, ids, motion: tuple[float, float] | None,
                       limits: TakeQualitySettings) -> list[QualityMeasure]:
    ratio = lambda a, b: round(float(a / b), 3) if b > 1e-6 else None  # noqa: E731
    out = [QualityMeasure(name="mouth sharpness", value=ratio(np.median(sharp), mouth_sharpness(ref_frames, ref_points)),
                          limit=limits.min_mouth_sharpness, unit="x the footage's"),
           QualityMeasure(name="seam", value=ratio(np.median(seam), seam_energy(ref_frames, ref_points)),
                          limit=limits.max_seam, at_least=False, unit="x the footage's")]
    if motion is not None:  # a photo has no joins and no change of its own to compare with
        out += [QualityMeasure(name="join jump", value=ratio(max(jump), motion[0]),
                               limit=limits.max_join_jump, at_least=False, unit="x the footage's"),
                QualityMeasure(name="largest change", value=ratio(max(change), motion[1]),
                               limit=limits.max_change, at_least=False, unit="x the footage's")]
    found = [i for i in range(len(ref_frames)) if not np.isnan(ref_points[i]).any()]
    if ids and found:
        ref = np.mean([identity(ref_frames[i], ref_points[i]) for i in found[:: max(1, len(found) // 3)][:3]], axis=0)
        cos = [float(e @ ref / (np.linalg.norm(e) * np.linalg.norm(ref) + 1e-9)) for e in ids]
        out.append(QualityMeasure(name="identity", value=round(float(np.mean(cos)), 3), limit=limits.min_identity))
    return out


def _voice(speech: np.ndarray, prompts: list[Path], checks: list[SentenceCheck],
           limits: TakeQualitySettings) -> list[QualityMeasure]:
    regions = speech_regions(speech, 16000)
    level = 20 * np.log10(regions.speech_rms + 1e-9) if regions.regions else None
    out = [QualityMeasure(name="speech level", value=None if level is None else round(float(level), 1),
                          limit=limits.min_speech_dbfs, unit="dBFS")]
    if level is not None and level > limits.max_speech_dbfs:
        out[0] = out[0].model_copy(update={"limit": limits.max_speech_dbfs, "at_least": False})
    if prompts:
        voice = embed(speech, 16000)
        sims = [similarity(voice, embed(load_audio(p, 16000), 16000)) for p in prompts[:3]]
        out.append(QualityMeasure(name="speaker similarity", value=round(float(np.mean(sims)), 3),
                                  limit=limits.min_speaker_similarity))
    if checks:
        out.append(QualityMeasure(name="speech check", value=float(sum(c.flagged for c in checks)), limit=0,
                                  at_least=False, unit=f"sentences flagged of {len(checks)}"))
    return out




def render_with_report(backend: VideoBackend, request: VideoRequest, report, progress: Progress | None = None
                       ) -> tuple[VideoResult, TakeQuality | None]:
    """Render, measure (``report``: result -> TakeQuality, or None for no report), and where the
    picture falls short (``REMADE_FOR``) render once more with safer choices and keep the better
    of the two; what still falls short stays in the report's flags for reviewers."""
    result = backend.render(request, progress)
    if report is None:
        return result, None
    quality = report(result)
    if request.careful or not quality.mendable:
        return result, quality  # nothing a second picture could mend (the voice's figures are the voice step's)
    log.warning("take falls short (%s); rendering once more with safer choices", "; ".join(quality.flags))
    again = backend.render(request.model_copy(update={"careful": True,
                                                      "out_path": request.out_path.with_name("careful-" + request.out_path.name)}))
    second = report(again)
    keep_second, kept = better_report(quality, second)
    return (again if keep_second else result), kept


def better_report(first: TakeQuality, second: TakeQuality) -> tuple[bool, TakeQuality]:
    """Of a report that fell short and its safer second render's: whether the second is kept
    (fewer flags, or as many), and the kept one's report, saying it was made again."""
    if len(second.flags) <= len(first.flags):
        return True, second.model_copy(update={"remade": True})
    return False, first.model_copy(update={"remade": True, "flags": first.flags + [
        "a safer second render measured worse; this first one is kept"]})


def keep_better(first: VideoTake, second: VideoTake) -> VideoTake:
    """Of a take that fell short and its safer second render, the one ``better_report`` keeps."""
    if first.quality is None or second.quality is None:
        return second.model_copy(update={"quality": second.quality and second.quality.model_copy(update={"remade": True})})
    keep_second, kept = better_report(first.quality, second.quality)
    return (second if keep_second else first).model_copy(update={"quality": kept})
