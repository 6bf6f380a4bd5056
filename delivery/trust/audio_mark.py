"""Invisible watermark in the sound: keyed spread spectrum in the STFT magnitude.

The mark lives at 16 kHz in 0.7-4.9 kHz, a band that survives 32 kb/s AAC/MP3, resampling to
16 kHz and added noise. Time-frequency cells of 7 bins x 1 frame (220 Hz x 16 ms) get their
magnitude scaled by (1 + a) or (1 - a), so the mark follows the voice's own loudness and
vanishes in silence; ``a`` leans toward the quieter bins of each region (power^-0.5 against
the local average, clipped), where a given change costs far less signal power. A segment
of ``T_CELLS`` x ``F_CELLS`` = 418 cells (0.35 s) carries the 140 coded payload bits twice
(``delivery.trust.payload``) and a keyed sync pattern in the rest; segments repeat for the
whole track. The overall strength is set per file to meet a target SNR.

Detection resamples to 16 kHz, takes log magnitudes, removes the smooth spectral envelope,
folds all segments together at every sub-frame shift and segment rotation, takes the
rotation whose sync correlation is highest and decodes the payload cells there. About 15 s
of speech is enough after 32 kb/s codecs; a few seconds suffice for a clean copy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.signal import istft, stft

from delivery.trust.payload import MAX_DECODE_ATTEMPTS, cell_layout, cell_signs, decode
from media.analysis import resample

RATE = 16000
N_FFT = 512
HOP = 256
BIN_LO = 23  # 719 Hz
BIN_BAND = 7
F_CELLS = 19  # bins 23..155, up to 4.86 kHz
FRAMES_PER_CELL = 1
T_CELLS = 22
REPEAT = 2
SUBFRAME_SHIFTS = 4
SHAPE_GAMMA = 0.5
TARGET_SNR_DB = 26.0
SEGMENT_S = T_CELLS * FRAMES_PER_CELL * HOP / RATE


def _layout(key: bytes) -> tuple[np.ndarray, np.ndarray]:
    return cell_layout(key, "audio-layout", T_CELLS * F_CELLS, REPEAT)  # cell index = t_cell * F_CELLS + f_cell


def _signs(key: bytes, content_id: int) -> np.ndarray:
    return cell_signs(key, "audio-layout", T_CELLS * F_CELLS, REPEAT, content_id).reshape(T_CELLS, F_CELLS)


def _stft(x: np.ndarray) -> np.ndarray:
    _, _, z = stft(x, fs=RATE, nperseg=N_FFT, noverlap=N_FFT - HOP, boundary=None, padded=True)
    return z  # [bins, frames]; frame k starts at sample k * HOP


def snr_db(clean: np.ndarray, marked: np.ndarray) -> float:
    noise = np.sum((marked - clean) ** 2)
    return float(10 * np.log10(np.sum(clean ** 2) / max(noise, 1e-20)))


def embed_audio(audio: np.ndarray, sample_rate: int, key: bytes, content_id: int,
                target_snr_db: float = TARGET_SNR_DB) -> np.ndarray:
    """``audio`` (mono float) with the mark added, at the same rate and length."""
    audio = np.asarray(audio, dtype=np.float64)
    x16 = resample(audio, sample_rate, RATE, dtype=None)
    if len(x16) < N_FFT * 4 or not np.any(audio):
        return audio.astype(np.float32)
    z = _stft(x16)
    frames = z.shape[1]
    signs = _signs(key, content_id)[(np.arange(frames) // FRAMES_PER_CELL) % T_CELLS]  # [frames, F_CELLS]
    mod = np.zeros(z.shape)
    mod[BIN_LO:BIN_LO + F_CELLS * BIN_BAND] = np.repeat(signs.T, BIN_BAND, axis=0)
    if SHAPE_GAMMA:
        power = np.abs(z) ** 2
        local = gaussian_filter(power, sigma=(BIN_BAND * 1.5, 2), mode="nearest") + 1e-12
        mod *= np.clip(((power + 1e-20) / local) ** -SHAPE_GAMMA, 0.25, 4.0)
    with warnings.catch_warnings():  # the first and last half-frames are not reconstructed: fine here
        warnings.simplefilter("ignore", UserWarning)
        _, w16 = istft(z * mod, fs=RATE, nperseg=N_FFT, noverlap=N_FFT - HOP, boundary=False)
    w16 = np.pad(w16, (0, max(0, len(x16) - len(w16))))[: len(x16)]
    # the first and last frame are not reconstructed (the window sums to ~0 there): without this
    # fade the mark was a click of up to 4x full scale in the first millisecond of every delivery
    edge = np.sin(np.linspace(0, np.pi / 2, N_FFT)) ** 2
    w16[:N_FFT] *= edge
    w16[-N_FFT:] *= edge[::-1]
    w = resample(w16, RATE, sample_rate, dtype=None)
    w = np.pad(w, (0, max(0, len(audio) - len(w))))[: len(audio)]
    power_w, power_x = np.sum(w ** 2), np.sum(audio ** 2)
    if power_w <= 0:
        return audio.astype(np.float32)
    return (audio + w * np.sqrt(power_x / power_w / 10 ** (target_snr_db / 10))).astype(np.float32)


@dataclass
class AudioDetection:
    found: bool
    content_id: int | None = None
    sync_z: float = 0.0
    seconds_used: float = 0.0
    soft_bits: list[float] = field(default_factory=list)


class AudioDetector:
    def __init__(self, key: bytes):
        self.key = key
        self.data_cells, sync = _layout(key)
        self.sync = sync.reshape(T_CELLS, F_CELLS)

    def _band_values(self, audio16: np.ndarray) -> np.ndarray:
        """[frames, F_CELLS]: envelope-free log magnitude per band, weighted by loudness."""
        z = _stft(audio16)
        mag = np.abs(z[BIN_LO:BIN_LO + F_CELLS * BIN_BAND]) + 1e-7
        log = np.log(mag)
        residual = log - gaussian_filter(log, sigma=(BIN_BAND * 0.45, FRAMES_PER_CELL * 0.6), mode="nearest")
        energy = np.log(np.mean(mag ** 2, axis=0) + 1e-12)
        floor = np.percentile(energy, 20)
        weight = np.clip((energy - floor) / 3.0, 0, 1)  # silent and noise-only frames count little
        residual = residual * weight[None, :]
        return residual.reshape(F_CELLS, BIN_BAND, -1).sum(axis=1).T

    def detect(self, audio: np.ndarray, sample_rate: int) -> AudioDetection:
        x16 = resample(np.asarray(audio, dtype=np.float64), sample_rate, RATE, dtype=None)
        seconds = len(x16) / RATE
        if len(x16) < N_FFT * 4:
            return AudioDetection(found=False, seconds_used=round(seconds, 2))
        # the segment may start anywhere: a sub-frame shift, a frame offset inside a cell and
        # a rotation of the segment's cells
        folded_all, best = [], []
        for shift in range(0, HOP, HOP // SUBFRAME_SHIFTS):
            v = self._band_values(x16[shift:])
            csum = np.vstack([np.zeros((1, F_CELLS)), np.cumsum(v, axis=0)])
            for offset in range(FRAMES_PER_CELL):
                starts = np.arange(offset, v.shape[0] - FRAMES_PER_CELL + 1, FRAMES_PER_CELL)
                boxes = csum[starts + FRAMES_PER_CELL] - csum[starts]
                folded = np.zeros((T_CELLS, F_CELLS))
                np.add.at(folded, np.arange(len(starts)) % T_CELLS, boxes)
                folded_all.append(folded)
                spectrum = np.fft.fft(folded, axis=0) * np.conj(np.fft.fft(self.sync, axis=0))
                scores = np.real(np.fft.ifft(spectrum, axis=0)).sum(axis=1)  # per rotation
                best += [(float(sc), len(folded_all) - 1, rot) for rot, sc in enumerate(scores)]
        values = np.array([b[0] for b in best])
        mean, std = values.mean(), values.std() + 1e-12
        result = None
        for idx in np.argsort(-values)[: min(4, MAX_DECODE_ATTEMPTS)]:
            score, which, rot = best[idx]
            folded = np.roll(folded_all[which], -rot, axis=0).reshape(-1)
            soft = folded[self.data_cells].sum(axis=1)
            soft = soft / (np.std(soft) + 1e-12)
            content_id = decode(soft, self.key)
            found = AudioDetection(found=content_id is not None, content_id=content_id,
                                   sync_z=round(float((score - mean) / std), 2), seconds_used=round(seconds, 2),
                                   soft_bits=soft.tolist())
            if result is None:
                result = found
            if content_id is not None:
                return found
        return result
