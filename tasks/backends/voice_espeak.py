"""Offline voice: espeak-ng speech steered toward the persona's measured voice.

Each sentence is spoken by espeak-ng with its pitch set so that the output's median F0 matches
the persona's prompt of the sentence's style (found by calibrating espeak-ng's pitch scale
against our own F0 tracker), at the persona's speaking rate. Cues become real sound: pauses and
[drink] are silences, [breath] and [cough] are shaped noise, [laugh] is voiced "ha" syllables.
torch/torchaudio resample espeak's 22.05 kHz output to the studio rate.

This is a robotic voice with the persona's pitch and tempo, not a clone of their timbre;
``voice.backend`` selects better engines where they are deployed.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from studio.contracts import VoiceRequest, VoiceResult
from studio.models import Cue, SentenceTiming
from tasks.analysis import median_f0
from tasks.media import write_wav

try:
    import torch
    import torchaudio.functional as AF
except ImportError as exc:  # pragma: no cover
    raise ImportError("the espeak voice backend needs torch and torchaudio: uv sync") from exc

ESPEAK_SR = 22050
VOICES = {"en": "en-us+m3", "zh": "cmn"}


def _espeak(text: str, voice: str, pitch: int, wpm: int) -> np.ndarray:
    import soundfile as sf

    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        try:
            subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(wpm), "-w", tmp.name, text],
                           check=True, capture_output=True, timeout=120)
        except FileNotFoundError:
            raise RuntimeError("espeak-ng is not installed; run `make deps`") from None
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"espeak-ng failed: {exc.stderr.decode(errors='replace')}") from None
        audio, sr = sf.read(tmp.name, dtype="float32")
    assert sr == ESPEAK_SR, sr
    return audio


@lru_cache(maxsize=8)
def pitch_scale(voice: str) -> tuple[float, float]:
    """(F0 at espeak pitch 0, Hz per pitch step), measured on this machine's espeak-ng."""
    probe = "Hello, this is a calibration sentence for the studio voice." if not voice.startswith("cmn") else "ni3 hao3"
    f_lo = median_f0(_espeak(probe, voice, 20, 160), ESPEAK_SR)
    f_hi = median_f0(_espeak(probe, voice, 80, 160), ESPEAK_SR)
    slope = (f_hi - f_lo) / 60.0
    return f_lo - 20 * slope, slope


def espeak_pitch_for(voice: str, target_hz: float) -> int:
    base, slope = pitch_scale(voice)
    if slope <= 0:
        return 50
    return int(np.clip(round((target_hz - base) / slope), 0, 99))


def _noise_burst(seconds: float, sr: int, lo: float, hi: float, attack: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * sr)
    spec = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    spec[(freqs < lo) | (freqs > hi)] = 0
    noise = np.fft.irfft(spec, n)
    t = np.arange(n) / sr
    env = (1 - np.exp(-t / attack)) * np.exp(-t / (seconds / 3))
    out = noise * env
    return (out / (np.abs(out).max() + 1e-9)).astype(np.float32)


class EspeakVoice:
    name = "espeak"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def _cue(self, cue: Cue, voice: str, pitch: int, sr: int) -> np.ndarray:
        if cue.kind in ("pause", "drink"):
            return np.zeros(int((cue.seconds or 0.6) * sr), np.float32)
        if cue.kind == "breath":
            return 0.12 * _noise_burst(0.45, sr, 300, 3000, 0.15, self.rng)
        if cue.kind == "cough":
            one = 0.5 * _noise_burst(0.22, sr, 200, 2500, 0.005, self.rng)
            return np.concatenate([one, np.zeros(int(0.12 * sr), np.float32), 0.7 * one])
        laugh = _espeak("ha ha ha", voice, min(99, pitch + 12), 220)
        return self._resample(laugh, sr) * 0.7

    @staticmethod
    def _resample(audio: np.ndarray, sr: int) -> np.ndarray:
        if sr == ESPEAK_SR:
            return audio
        return AF.resample(torch.from_numpy(audio), ESPEAK_SR, sr).numpy()

    def synthesize(self, request: VoiceRequest) -> VoiceResult:
        sr = request.sample_rate
        voice = VOICES.get(request.language, VOICES["en"])
        by_style = {p.style: p.median_f0_hz for p in request.prompts}
        rate = request.speaking_rate_wpm or 165
        pitch_shift = 1.0
        for note in (n.lower() for n in request.notes):
            if re.search(r"\bslower\b", note):
                rate *= 0.88
            if re.search(r"\bfaster\b", note):
                rate *= 1.12
            if re.search(r"\b(lower|deeper)\b", note):
                pitch_shift *= 0.94
            if re.search(r"\bhigher\b", note):
                pitch_shift *= 1.06
        parts: list[np.ndarray] = [np.zeros(int(0.3 * sr), np.float32)]
        timings = []
        t = parts[0].size / sr
        for i, sentence in enumerate(request.sentences):
            target = by_style.get(sentence.style, request.median_f0_hz) * pitch_shift
            pitch = espeak_pitch_for(voice, target)
            for cue in sentence.cues_before:
                parts.append(self._cue(cue, voice, pitch, sr))
                t += parts[-1].size / sr
            speech = self._resample(_espeak(sentence.text, voice, pitch, int(np.clip(rate, 80, 400))), sr)
            speech = _trim(speech, sr)
            timings.append(SentenceTiming(index=i, start_s=round(t, 3), end_s=round(t + speech.size / sr, 3)))
            parts.append(speech)
            t += speech.size / sr
            for cue in sentence.cues_after:
                parts.append(self._cue(cue, voice, pitch, sr))
                t += parts[-1].size / sr
            parts.append(np.zeros(int(0.25 * sr), np.float32))
            t += parts[-1].size / sr
        audio = np.concatenate(parts)
        audio = 0.85 * audio / (np.abs(audio).max() + 1e-9)
        write_wav(request.out_path, audio, sr)
        return VoiceResult(path=request.out_path, duration_s=audio.size / sr, sample_rate=sr,
                           sentence_timings=timings, backend=self.name)


def _trim(audio: np.ndarray, sr: int, thresh: float = 0.01) -> np.ndarray:
    idx = np.nonzero(np.abs(audio) > thresh)[0]
    if idx.size == 0:
        return audio
    return audio[max(0, idx[0] - int(0.02 * sr)) : idx[-1] + int(0.05 * sr)]
