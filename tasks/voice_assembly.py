"""Turning a script into one voice track, whatever speaks the words.

A voice backend only has to say one sentence in the voice of one prompt clip (``Speak``);
this module does the rest the same way for every backend: the prompt for each sentence's
style, reviewers' notes ("slower", "lower"), cues as real sound ([pause 0.8s] and [drink] as
silence, [breath] and [cough] as shaped noise, [laugh] spoken by the backend itself), level,
and the sentence timings the video step and subtitles use."""

from __future__ import annotations

import io
import re
from typing import Callable

import numpy as np

from studio.contracts import PromptClip, VoiceRequest, VoiceResult
from studio.models import Cue, SentenceTiming
from tasks.media import write_wav

# text, prompt, speed (1 = the persona's rate), pitch factor -> (mono float audio, its sample rate)
Speak = Callable[[str, PromptClip, float, float], tuple[np.ndarray, int]]
LAUGH_TEXT = {"en": "Ha ha ha!", "zh": "哈哈哈！"}
LEAD_S, GAP_S = 0.3, 0.25


class VoiceServiceError(RuntimeError):
    """A voice server refused or could not be reached; the message says which and why."""


def decode_wav(data: bytes, what: str) -> tuple[np.ndarray, int]:
    """A WAV file a voice server sent, as (audio, sample rate); anything else is the server's fault."""
    import soundfile as sf

    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32")
    except Exception as exc:  # the server sent JSON or HTML, or a truncated file
        raise VoiceServiceError(f"the {what} did not return a WAV file ({len(data)} bytes: {data[:120]!r}): {exc}") from None
    return audio, sr


def directions(notes: list[str]) -> tuple[float, float]:
    """(speed, pitch factor) from reviewers' notes such as "a little slower please"."""
    speed = pitch = 1.0
    for note in (n.lower() for n in notes):
        if re.search(r"\bslower\b", note):
            speed *= 0.88
        if re.search(r"\bfaster\b", note):
            speed *= 1.12
        if re.search(r"\b(lower|deeper)\b", note):
            pitch *= 0.94
        if re.search(r"\bhigher\b", note):
            pitch *= 1.06
    return speed, pitch


def prompt_for(style: str, prompts: list[PromptClip]) -> PromptClip:
    """The prompt of the sentence's style, else the first (the selection ranks them)."""
    return next((p for p in prompts if p.style == style), prompts[0])


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in == sr_out:
        return audio.astype(np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(sr_in, sr_out)
    return resample_poly(audio, sr_out // g, sr_in // g).astype(np.float32)


def trim(audio: np.ndarray, sr: int, thresh: float = 0.01) -> np.ndarray:
    """Cut leading and trailing silence (keeping 20 ms before and 50 ms after the speech)."""
    idx = np.nonzero(np.abs(audio) > thresh * max(float(np.abs(audio).max()), 1e-9) / 0.85)[0]
    if idx.size == 0:
        return audio
    return audio[max(0, idx[0] - int(0.02 * sr)) : idx[-1] + int(0.05 * sr)]


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


def cue_sound(cue: Cue, sr: int, rng: np.random.Generator, laugh: Callable[[], np.ndarray]) -> np.ndarray:
    if cue.kind in ("pause", "drink"):
        return np.zeros(int((cue.seconds or 0.6) * sr), np.float32)
    if cue.kind == "breath":
        return 0.12 * _noise_burst(0.45, sr, 300, 3000, 0.15, rng)
    if cue.kind == "cough":
        one = 0.5 * _noise_burst(0.22, sr, 200, 2500, 0.005, rng)
        return np.concatenate([one, np.zeros(int(0.12 * sr), np.float32), 0.7 * one])
    return 0.7 * laugh()


def assemble_speech(request: VoiceRequest, speak: Speak, backend: str, seed: int = 0) -> VoiceResult:
    """Speak every sentence with ``speak`` and join them with their cues into ``request.out_path``."""
    sr = request.sample_rate
    rng = np.random.default_rng(seed)
    speed, pitch = directions(request.notes)

    def said(text: str, prompt: PromptClip, at_speed: float) -> np.ndarray:
        audio, rate = speak(text, prompt, at_speed, pitch)
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim > 1:
            audio = audio.mean(axis=1)
        if audio.size == 0 or not np.isfinite(audio).all():
            raise VoiceServiceError(f"the {backend} voice returned no usable audio for {text[:60]!r}")
        return trim(resample(audio, rate, sr), sr)

    parts: list[np.ndarray] = [np.zeros(int(LEAD_S * sr), np.float32)]
    t = parts[0].size / sr
    timings = []

    def add(audio: np.ndarray) -> None:
        nonlocal t
        parts.append(audio)
        t += audio.size / sr

    for i, sentence in enumerate(request.sentences):
        prompt = prompt_for(sentence.style, request.prompts)
        laugh = lambda: said(LAUGH_TEXT.get(request.language, LAUGH_TEXT["en"]), prompt, speed * 1.1)  # noqa: E731
        for cue in sentence.cues_before:
            add(cue_sound(cue, sr, rng, laugh))
        speech = said(sentence.text, prompt, speed)
        timings.append(SentenceTiming(index=i, start_s=round(t, 3), end_s=round(t + speech.size / sr, 3)))
        add(speech)
        for cue in sentence.cues_after:
            add(cue_sound(cue, sr, rng, laugh))
        add(np.zeros(int(GAP_S * sr), np.float32))
    audio = np.concatenate(parts)
    audio = 0.85 * audio / (np.abs(audio).max() + 1e-9)
    write_wav(request.out_path, audio, sr)
    return VoiceResult(path=request.out_path, duration_s=audio.size / sr, sample_rate=sr,
                       sentence_timings=timings, backend=backend)
