"""Material selection: voice prompts from recordings, base footage segments from videos, and
the action segments operators tagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.catalog import Catalog
from studio.models import ActionTag, AssetRef, FootageSegment, VoicePrompt
from tasks.analysis import HOP_S, detect_face, frame_rms, median_f0, sharpness, speech_regions
from tasks.media import MediaError, load_audio, probe, read_frames, write_wav

SR = 16000
MIN_PROMPT_S, MAX_PROMPT_S = 3.0, 5.0


def _split_long(audio: np.ndarray, start: float, end: float) -> list[tuple[float, float]]:
    """Cut a speech region into 3-5 s pieces at its quietest points."""
    out = []
    while end - start > MAX_PROMPT_S:
        lo, hi = start + MIN_PROMPT_S, min(start + MAX_PROMPT_S, end - 1.0)
        if hi <= lo:
            break
        seg = audio[int(lo * SR) : int(hi * SR)]
        rms = frame_rms(seg, SR, win_s=0.05)
        cut = lo + int(np.argmin(rms)) * HOP_S + 0.025
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def candidate_clips(audio: np.ndarray) -> list[tuple[float, float]]:
    regions = speech_regions(audio, SR).regions
    clips: list[tuple[float, float]] = []
    pending: tuple[float, float] | None = None
    for s, e in regions:
        if pending is not None:
            if s - pending[1] < 0.8 and e - pending[0] <= MAX_PROMPT_S:
                s = pending[0]
            elif pending[1] - pending[0] >= MIN_PROMPT_S - 0.5:
                clips.append(pending)
            pending = None
        if e - s > MAX_PROMPT_S:
            clips += _split_long(audio, s, e)
        elif e - s >= MIN_PROMPT_S:
            clips.append((s, e))
        else:
            pending = (s, e)
    if pending is not None and pending[1] - pending[0] >= MIN_PROMPT_S - 0.5:
        clips.append(pending)
    return [(max(0.0, s - 0.08), e + 0.08) for s, e in clips]


def style_of(f0: float, rate: float, energy_db: float, ref_f0: float, ref_rate: float, ref_db: float) -> str:
    """A coarse speaking-style label from pitch, tempo and loudness relative to the speaker."""
    if f0 > ref_f0 * 1.06 and rate >= ref_rate:
        return "teasing"
    if f0 < ref_f0 * 0.95 and energy_db < ref_db:
        return "solemn"
    if f0 < ref_f0 * 0.99 or rate < ref_rate * 0.92:
        return "warm"
    return "neutral"


def select_voice_prompts(catalog: Catalog, recordings: list[AssetRef], work: Path, max_prompts: int = 5) -> list[VoicePrompt]:
    """Split recordings at silences into 3-5 s clips, score them, keep the best of each style."""
    scored = []
    for ref in recordings:
        audio = load_audio(catalog.media_path(ref), SR)
        regions = speech_regions(audio, SR)
        if not regions.regions:
            raise MediaError(f"{ref.name or ref.key}: no speech found (silent or constant noise); upload a recording of the person talking")
        for s, e in candidate_clips(audio):
            clip = audio[int(s * SR) : int(e * SR)]
            if clip.size < SR:
                continue
            f0 = median_f0(clip, SR)
            if f0 <= 0:
                continue
            local = speech_regions(clip, SR)
            voiced_s = sum(b - a for a, b in local.regions) or 1e-3
            syllable_rate = _syllable_rate(clip) / voiced_s
            clipping = float(np.mean(np.abs(clip) > 0.99))
            snr = regions.snr_db
            level = float(20 * np.log10(np.sqrt(np.mean(clip**2)) + 1e-9))
            dur_fit = 1 - min(abs((e - s) - 4.0) / 2.0, 1)
            score = min(snr, 40) / 40 * 0.5 + dur_fit * 0.3 + (1 - min(clipping * 100, 1)) * 0.2
            scored.append(dict(ref=ref, start=s, end=e, clip=clip, f0=f0, rate=syllable_rate, level=level,
                               snr=snr, clipping=clipping, score=score))
    if not scored:
        raise MediaError("no usable 3-5 s speech clips found in the recordings; upload clearer or longer speech")
    ref_f0 = float(np.median([c["f0"] for c in scored]))
    ref_rate = float(np.median([c["rate"] for c in scored]))
    ref_db = float(np.median([c["level"] for c in scored]))
    for c in scored:
        c["style"] = style_of(c["f0"], c["rate"], c["level"], ref_f0, ref_rate, ref_db)
    chosen, seen = [], set()
    for c in sorted(scored, key=lambda c: -c["score"]):  # best of each style first
        if c["style"] not in seen:
            chosen.append(c)
            seen.add(c["style"])
    for c in sorted(scored, key=lambda c: -c["score"]):
        if len(chosen) >= max_prompts:
            break
        if c not in chosen:
            chosen.append(c)
    prompts = []
    for i, c in enumerate(chosen[:max_prompts]):
        path = write_wav(work / f"prompt_{i}.wav", c["clip"], SR)
        prompts.append(
            VoicePrompt(
                clip=catalog.put_media_file(path, "audio/wav", name=f"prompt-{c['style']}-{i}.wav"),
                source=c["ref"], start_s=round(c["start"], 2), duration_s=round(c["end"] - c["start"], 2),
                style=c["style"], median_f0_hz=round(c["f0"], 1), snr_db=round(c["snr"], 1), score=round(c["score"], 3),
                why=(f"{c['end'] - c['start']:.1f} s, SNR {c['snr']:.0f} dB, clipping {c['clipping'] * 100:.1f}%, "
                     f"F0 {c['f0']:.0f} Hz vs speaker {ref_f0:.0f} Hz -> {c['style']}; best-scoring clip of its style"
                     if c["style"] not in [p.style for p in prompts] else "high score, extra prompt"),
            )
        )
    return prompts


def _syllable_rate(clip: np.ndarray) -> float:
    """Syllable-like energy peaks (a tempo proxy)."""
    env = frame_rms(clip, SR, win_s=0.04)
    env = np.convolve(env, np.ones(5) / 5, mode="same")
    thresh = np.percentile(env, 60)
    peaks = (env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & (env[1:-1] > thresh)
    return float(peaks.sum())


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
