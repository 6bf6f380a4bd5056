"""Speaker embeddings: Resemblyzer's GE2E encoder (its weights ship in the package), used to
keep voice prompts to one speaker and, in the voice benchmark, to score similarity."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from media.analysis import resample

SR = 16000


@lru_cache(maxsize=1)
def _encoder():
    try:
        from resemblyzer import VoiceEncoder
    except ImportError:
        raise RuntimeError("Resemblyzer is not installed: run `uv sync` (package resemblyzer)") from None
    return VoiceEncoder("cpu", verbose=False)


def embed(audio: np.ndarray, sr: int) -> np.ndarray:
    """A unit-length 256-d voice embedding of mono audio (silences trimmed by its VAD)."""
    from resemblyzer import preprocess_wav

    wav = preprocess_wav(resample(np.asarray(audio, np.float32), sr, SR), SR)
    if wav.size < SR // 2:  # the VAD left almost nothing: use the audio as it is
        wav = resample(np.asarray(audio, np.float32), sr, SR)
    vec = _encoder().embed_utterance(wav)
    return vec / (np.linalg.norm(vec) + 1e-9)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
