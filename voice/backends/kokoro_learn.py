"""Learning the persona's timbre conversion (``kokoro_timbre``) from their prompts, at materials time.

Each prompt's transcript is said by Kokoro's two clear voices and re-pitched to the prompt (as
every sentence will be); dynamic time warping pairs the synthetic voiced frames with the person's
on their mel-cepstra. The voice nearest the person is the base voice, and a ridge regression
from its cepstra to the person's, fitted on the pairs, is the conversion. Measured on the voice
bench (``make bench-voice``): 2-16 s per persona on 2 cores, a 14 KB model."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from media.ffmpeg_io import load_audio
from voice.backends.kokoro import SAMPLE_RATE, convert_toward, kokoro, phonemes, prompt_contour, world_analysis
from voice.backends.kokoro_timbre import DIM, TimbreConversion
from voice.contract import PromptClip, TimbreError, TimbreLearned

try:
    import pyworld
except ImportError as exc:  # pragma: no cover
    raise ImportError("learning the kokoro timbre needs pyworld and librosa: uv sync") from exc

RIDGE = 300.0
# the packaged speakers that read Mandarin and English clearly; the other three, nearer some
# voices in timbre, lost words (voice bench: CER 7 % -> 32 % on the sun speaker)
BASE_VOICES = ("jf_alpha", "jm_kumo")
MAX_SHIFT_ST = 12.0
MIN_FRAMES = 200  # one second of voiced speech, paired


@dataclass
class TimbreFit:
    conversion: TimbreConversion
    frames: int  # paired voiced frames it was fitted on
    distance_before: float  # mean cepstral distance of the pairs, base voice
    distance_after: float  # the same after conversion (on the prompts it learned from)
    seconds: float
    styles: dict[str, float] = field(default_factory=dict)  # each packaged speaker's distance


def _language(text: str) -> str:
    return "zh" if re.search(r"[\u3400-\u9fff]", text) else "en"


def _voiced_cepstra(audio: np.ndarray) -> np.ndarray:
    f0, sp, _ = world_analysis(audio, SAMPLE_RATE)
    return pyworld.code_spectral_envelope(sp, SAMPLE_RATE, DIM)[f0 > 0][:, 1:]


def paired_frames(synthetic: np.ndarray, person: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(Kokoro's frames, the person's frames, mean distance), paired by DTW on voiced cepstra."""
    import librosa

    x, y = _voiced_cepstra(synthetic), _voiced_cepstra(person)
    if len(x) < 10 or len(y) < 10:
        return np.zeros((0, DIM - 1)), np.zeros((0, DIM - 1)), np.inf
    cost, path = librosa.sequence.dtw(X=x.T, Y=y.T, metric="euclidean", backtrack=True)
    path = path[::-1]
    return x[path[:, 0]], y[path[:, 1]], float(cost[-1, -1] / len(path))


def _say(sample: PromptClip, style: str) -> tuple[np.ndarray, float]:
    """The transcript in ``style``, re-pitched to the prompt; and how far it was moved (semitones)."""
    _, spread = prompt_contour(str(sample.path))
    base = kokoro().infer(phonemes(sample.transcript, _language(sample.transcript)), style, 1.0)
    f0, _ = pyworld.dio(base.astype(np.float64), SAMPLE_RATE, f0_floor=50, f0_ceil=600, frame_period=5.0)
    shift = 12 * abs(np.log2(sample.median_f0_hz / np.median(f0[f0 > 0]))) if (f0 > 0).sum() > 10 else 0.0
    return convert_toward(base, SAMPLE_RATE, sample.median_f0_hz, spread or None), float(shift)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``y ~ x @ weights + bias``, the weights drawn toward the identity: with few frames the
    mapping falls back to shifting Kokoro's cepstra (keeping its phonetic detail) rather than
    to the person's average frame (which loses the words)."""
    alpha = RIDGE if alpha is None else alpha
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    weights = np.eye(x.shape[1]) + np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (yc - xc))
    return weights, my - mx @ weights


def learn_timbre(samples: list[PromptClip]) -> TimbreFit:
    """Learn the conversion from the prompts that have a transcript (longest first)."""
    started = time.perf_counter()
    samples = sorted((s for s in samples if s.transcript and s.transcript.strip() and s.median_f0_hz > 0),
                     key=lambda s: -s.path.stat().st_size)
    if not samples:
        raise TimbreError("no voice prompt has a transcript to learn the timbre from; "
                          "switch on the speech check or correct the prompts' transcripts")
    person = [load_audio(s.path, SAMPLE_RATE) for s in samples]
    # 1. the packaged speaker nearest the person, on the longest prompt
    said = {style: _say(samples[0], style) for style in BASE_VOICES}
    styles = {style: paired_frames(audio, person[0])[2] for style, (audio, _) in said.items()}
    # a voice moved by more than an octave loses words (a man's voice at 242 Hz: CER 9 % -> 25 %)
    near = [style for style, (_, shift) in said.items() if shift <= MAX_SHIFT_ST]
    base_style = min(near or styles, key=lambda style: styles[style] if near else said[style][1])
    # 2. every prompt in that voice, paired frame by frame with the person
    pairs = [paired_frames(said[base_style][0], person[0])]
    pairs += [paired_frames(_say(s, base_style)[0], p) for s, p in zip(samples[1:], person[1:])]
    x = np.concatenate([p[0] for p in pairs])
    y = np.concatenate([p[1] for p in pairs])
    if len(x) < MIN_FRAMES:
        raise TimbreError(f"only {len(x) * 5} ms of voiced speech could be paired; add longer or clearer prompts")
    # 3. the mapping, and the person's cepstral mean and spread
    weights, bias = fit_ridge(x, y)
    conversion = TimbreConversion(base_style, weights, bias, y.mean(0), y.std(0))
    mapped = conversion.map_voiced(x)
    before = float(np.mean(np.linalg.norm(x - y, axis=1)))
    after = float(np.mean(np.linalg.norm(mapped - y, axis=1)))
    return TimbreFit(conversion, len(x), before, after, time.perf_counter() - started, styles)


class KokoroTimbreLearner:
    """Learns the conversion ``KokoroVoice`` applies to every sentence of the persona."""

    name = "kokoro"

    def learn(self, prompts: list[PromptClip], out_path: Path) -> TimbreLearned:
        fit = learn_timbre(prompts)
        fit.conversion.save(out_path)
        return TimbreLearned(path=out_path, backend=self.name, base_voice=fit.conversion.base_style, frames=fit.frames,
                             distance_before=round(fit.distance_before, 4), distance_after=round(fit.distance_after, 4),
                             seconds=round(fit.seconds, 2))
