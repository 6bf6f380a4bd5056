"""Signal analysis shared by material selection and the generators: speech activity, pitch,
loudness envelopes and face detection (OpenCV's shipped Haar cascade)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd

import numpy as np
from scipy.signal import resample_poly

HOP_S = 0.01


def resample(audio: np.ndarray, sr_in: int, sr_out: int, dtype=np.float32) -> np.ndarray:
    """``audio`` at ``sr_out`` (polyphase filtering), as ``dtype`` (None: as scipy returns it)."""
    if sr_in != sr_out:
        g = gcd(sr_in, sr_out)
        audio = resample_poly(audio, sr_out // g, sr_in // g)
    return audio.astype(dtype) if dtype is not None else audio


def frame_rms(audio: np.ndarray, sr: int, win_s: float = 0.03, hop_s: float = HOP_S) -> np.ndarray:
    win, hop = int(sr * win_s), int(sr * hop_s)
    if audio.size < win:
        audio = np.pad(audio, (0, win - audio.size))
    n = 1 + (audio.size - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    return np.sqrt(np.mean(audio[idx] ** 2, axis=1) + 1e-12)


@dataclass(frozen=True)
class SpeechRegions:
    regions: list[tuple[float, float]]  # (start_s, end_s)
    noise_rms: float
    speech_rms: float

    @property
    def snr_db(self) -> float:
        return float(20 * np.log10(max(self.speech_rms, 1e-9) / max(self.noise_rms, 1e-9)))


def speech_regions(audio: np.ndarray, sr: int, min_silence_s: float = 0.25, min_speech_s: float = 0.2) -> SpeechRegions:
    """Speech activity by energy against the recording's own noise floor."""
    rms = frame_rms(audio, sr)
    db = 20 * np.log10(rms + 1e-9)
    floor, peak = np.percentile(db, 10), np.percentile(db, 95)
    if peak - floor < 10:  # no dynamic range: silence, or constant noise
        return SpeechRegions([], float(np.median(rms)), float(np.median(rms)))
    active = db > floor + max(8.0, 0.35 * (peak - floor))
    # close short gaps, drop short blips
    gap = int(min_silence_s / HOP_S)
    regions, start, last = [], None, -gap - 1
    for i, a in enumerate(active):
        if a:
            if start is None or i - last > gap:
                if start is not None:
                    regions.append((start, last + 1))
                start = i
            last = i
    if start is not None:
        regions.append((start, last + 1))
    regions = [(s * HOP_S, e * HOP_S) for s, e in regions if (e - s) * HOP_S >= min_speech_s]
    noise = float(np.sqrt(np.mean(rms[~active] ** 2))) if (~active).any() else 1e-6
    speech = float(np.sqrt(np.mean(rms[active] ** 2))) if active.any() else 1e-6
    return SpeechRegions(regions, noise, speech)


def pitch_track(audio: np.ndarray, sr: int, fmin: float = 60, fmax: float = 450) -> np.ndarray:
    """F0 per 10 ms frame by normalised autocorrelation; 0 where unvoiced."""
    win, hop = int(sr * 0.04), int(sr * HOP_S)
    if audio.size < win:
        return np.zeros(0)
    n = 1 + (audio.size - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    frames = audio[idx] * np.hanning(win)[None, :]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(frames, n=2 * win, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :win]
    ac /= ac[:, :1] + 1e-12
    lo, hi = int(sr / fmax), min(int(sr / fmin), win - 1)
    lag = lo + np.argmax(ac[:, lo:hi], axis=1)
    strength = ac[np.arange(n), lag]
    energy = np.sqrt(np.mean(frames**2, axis=1))
    voiced = (strength > 0.45) & (energy > 0.1 * np.percentile(energy, 95))
    return np.where(voiced, sr / lag, 0.0)


def median_f0(audio: np.ndarray, sr: int) -> float:
    f0 = pitch_track(audio, sr)
    voiced = f0[f0 > 0]
    return float(np.median(voiced)) if voiced.size else 0.0


def envelope_per_frame(audio: np.ndarray, sr: int, fps: float, n_frames: int) -> np.ndarray:
    """Speech loudness per video frame, 0..1 (95th percentile = 1), lightly smoothed."""
    rms = frame_rms(audio, sr, win_s=0.04, hop_s=1.0 / fps)
    rms = np.pad(rms, (0, max(0, n_frames - rms.size)))[:n_frames]
    db = 20 * np.log10(rms + 1e-6)
    lo, hi = np.percentile(db, 20), np.percentile(db, 97)
    env = np.clip((db - lo - 6) / max(hi - lo - 6, 1e-3), 0, 1)
    kernel = np.array([0.25, 0.5, 0.25])
    return np.convolve(env, kernel, mode="same")


@lru_cache(maxsize=1)
def _face_cascade():
    import cv2

    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV's face model is missing at {path}; reinstall opencv-python-headless<5")
    return cascade


def detect_face(frame_bgr: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest frontal face (x, y, w, h), or None."""
    import cv2

    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    scale = 320.0 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale) if scale < 1 else gray
    small = cv2.equalizeHist(small)
    faces = _face_cascade().detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    s = 1 / scale if scale < 1 else 1.0
    return int(x * s), int(y * s), int(w * s), int(h * s)


def sharpness(frame_bgr: np.ndarray) -> float:
    import cv2

    return float(cv2.Laplacian(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())
