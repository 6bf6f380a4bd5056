"""The persona's own timbre for the offline voice, learned at materials time from their prompts.

No shipped model clones a voice, so the studio learns one conversion per persona, on the CPU,
from the few seconds the family gave: each prompt's transcript is said by Kokoro and re-pitched
to the prompt (as every sentence will be), both are analysed with WORLD, and dynamic time warping
pairs the synthetic frames with the person's on their mel-cepstra (pyworld's coded spectral
envelope). The packaged Kokoro speaker nearest the person on those pairs is the base voice; a
ridge regression from its cepstrum to the person's, fitted on the paired voiced frames, is the
conversion. Each converted sentence's voiced frames are given the person's cepstral mean and
spread (regression alone would average the timbre away); each frame keeps its power.

What it moves is the spectral envelope: formants, tilt, the colour of the voice. The pitch and
pace come from the prompts as before; breathiness, creak and accent stay Kokoro's."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from voice.contract import TimbreError

try:
    import pyworld
except ImportError as exc:  # pragma: no cover
    raise ImportError("the kokoro timbre needs pyworld: uv sync") from exc

DIM = 40  # coded envelope coefficients; the first (level) is left alone
SAMPLE_RATE = 24000
LEARNER = "kokoro-ridge-mcep-1"
MAX_SPREAD = 2.0  # at most this much more movement per coefficient than the mapping predicts


@dataclass
class TimbreConversion:
    """Kokoro speaker ``base_style`` -> the person, on WORLD's coded spectral envelope."""

    base_style: str
    weights: np.ndarray  # (DIM-1, DIM-1)
    bias: np.ndarray  # (DIM-1,)
    target_mean: np.ndarray
    target_std: np.ndarray

    def save(self, path: Path) -> Path:
        with open(path, "wb") as f:
            np.savez(f, base_style=np.array(self.base_style), weights=self.weights, bias=self.bias,
                     target_mean=self.target_mean, target_std=self.target_std, learner=np.array(LEARNER))
        return path

    @classmethod
    def load(cls, path: Path) -> TimbreConversion:
        with np.load(path, allow_pickle=False) as z:
            if str(z["learner"]) != LEARNER:
                raise TimbreError(f"{Path(path).name} was learned by {z['learner']}, not {LEARNER}; learn it again")
            return cls(str(z["base_style"]), z["weights"], z["bias"], z["target_mean"], z["target_std"])

    def map_voiced(self, coded: np.ndarray) -> np.ndarray:
        """The person's cepstra for Kokoro's (voiced frames of one utterance, level excluded)."""
        y = coded @ self.weights + self.bias
        if len(y) < 2:
            return y
        return self.target_mean + (y - y.mean(0)) * np.minimum(self.target_std / (y.std(0) + 1e-6), MAX_SPREAD)

    def convert(self, f0: np.ndarray, sp: np.ndarray, strength: float = 1.0) -> np.ndarray:
        """A spectral envelope (WORLD, one utterance) in the person's timbre (``strength`` 0-1 of the way)."""
        voiced = f0 > 0
        if voiced.sum() < 2:
            return sp
        coded = pyworld.code_spectral_envelope(sp, SAMPLE_RATE, DIM)
        coded[voiced, 1:] += strength * (self.map_voiced(coded[voiced, 1:]) - coded[voiced, 1:])
        out = pyworld.decode_spectral_envelope(np.ascontiguousarray(coded), SAMPLE_RATE, (sp.shape[1] - 1) * 2)
        out[~voiced] = sp[~voiced]
        # the colour changes, not the loudness: each frame keeps its power (without this a mapping
        # learned from poor pairs made one demo sentence 8 dB louder with peaks at +13 dBFS)
        out *= (sp.sum(1, keepdims=True) / (out.sum(1, keepdims=True) + 1e-20))
        return out


@lru_cache(maxsize=8)
def load_conversion(path: str) -> TimbreConversion:
    return TimbreConversion.load(Path(path))
