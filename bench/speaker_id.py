"""Two speaker measures for the voice bench, both fitted on real recordings only.

- ``rank_by_embedding``: Resemblyzer (GE2E) cosine of a sentence to each speaker's held-out
  speech; the rank of its own speaker among all. Resemblyzer was trained on thousands of real
  voices, so it hears timbre and channel together, and it separates voices poorly (different
  real people score 0.45-0.71), which is why the rank, not the score, is the figure.
- ``GmmUbm``: a classic GMM-UBM verifier. A 32-component diagonal GMM (the universal
  background model) is fitted on MFCCs (20, per-utterance mean and variance normalised) of the
  bench's real recordings, never on generated speech; each speaker's model is the UBM with
  its means MAP-adapted to their held-out speech (relevance 16), and a sentence scores the mean
  frame log-likelihood ratio against the UBM. It knows nothing of Resemblyzer and was never
  used to tune the voice. With the normalisation it hears spectral shape and its movement, not
  level or channel tilt; with ~3-8 s of enrolment per speaker it is a weak but independent judge.
"""

from __future__ import annotations

import numpy as np

from media.analysis import resample

SR = 16000
COMPONENTS = 32
RELEVANCE = 16.0


def mfcc(audio: np.ndarray, sr: int) -> np.ndarray:
    """(frames, 20) MFCCs of the louder frames, each coefficient standardised over the utterance."""
    import librosa

    x = resample(np.asarray(audio, np.float32), sr, SR)
    feats = librosa.feature.mfcc(y=x, sr=SR, n_mfcc=21, n_fft=512, hop_length=160, win_length=400)[1:].T
    energy = librosa.feature.rms(y=x, frame_length=400, hop_length=160)[0][: len(feats)]
    feats = feats[: len(energy)][energy > np.percentile(energy, 30)]
    return (feats - feats.mean(0)) / (feats.std(0) + 1e-6)


class GmmUbm:
    def __init__(self, recordings: list[np.ndarray], sr: int):
        from sklearn.mixture import GaussianMixture

        self.ubm = GaussianMixture(COMPONENTS, covariance_type="diag", reg_covar=1e-3, max_iter=200, random_state=0)
        self.ubm.fit(np.concatenate([mfcc(r, sr) for r in recordings]))
        self.speakers: dict[str, np.ndarray] = {}  # adapted means

    def enrol(self, name: str, audio: np.ndarray, sr: int) -> None:
        x = mfcc(audio, sr)
        post = self.ubm.predict_proba(x)
        n = post.sum(0)
        first = post.T @ x / np.maximum(n[:, None], 1e-9)
        alpha = (n / (n + RELEVANCE))[:, None]
        self.speakers[name] = alpha * first + (1 - alpha) * self.ubm.means_

    def _loglik(self, x: np.ndarray, means: np.ndarray) -> np.ndarray:
        var = self.ubm.covariances_
        ll = -0.5 * (((x[:, None, :] - means[None]) ** 2 / var[None]).sum(2) + np.log(2 * np.pi * var).sum(1)[None])
        ll += np.log(self.ubm.weights_)[None]
        top = ll.max(1, keepdims=True)
        return (top + np.log(np.exp(ll - top).sum(1, keepdims=True))).ravel()

    def scores(self, audio: np.ndarray, sr: int) -> dict[str, float]:
        x = mfcc(audio, sr)
        background = self._loglik(x, self.ubm.means_)
        return {name: float(np.mean(self._loglik(x, means) - background)) for name, means in self.speakers.items()}


def rank_of(own: str, scores: dict[str, float]) -> int:
    """1 when ``own`` scores highest."""
    return 1 + sum(1 for name, s in scores.items() if name != own and s > scores[own])
