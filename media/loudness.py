"""Loudness as broadcast measures it (ITU-R BS.1770-4 / EBU R128): integrated loudness in LUFS,
true peak in dBTP, and normalisation to a target with a true-peak limiter."""

from __future__ import annotations

import numpy as np

MEASURE_SR = 48000
# BS.1770-4 K-weighting at 48 kHz: a high shelf (the head), then a high pass (RLB)
_SHELF = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
_HIGHPASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])
SILENT = -70.0


def _at_48k(audio: np.ndarray, sr: int) -> np.ndarray:
    from scipy.signal import resample_poly

    x = np.asarray(audio, np.float64)
    if sr == MEASURE_SR:
        return x
    g = np.gcd(int(sr), MEASURE_SR)
    return resample_poly(x, MEASURE_SR // g, int(sr) // g)


def integrated_lufs(audio: np.ndarray, sr: int) -> float:
    """Gated integrated loudness of mono audio (400 ms blocks, 75 % overlap, -70 LUFS absolute
    and -10 LU relative gates); -70 for silence."""
    from scipy.signal import lfilter

    x = _at_48k(audio, sr)
    y = lfilter(*_HIGHPASS, lfilter(*_SHELF, x))
    block, step = int(0.4 * MEASURE_SR), int(0.1 * MEASURE_SR)
    if y.size < block:
        y = np.pad(y, (0, block - y.size))
    energy = np.concatenate([[0.0], np.cumsum(y**2)])
    starts = np.arange(0, y.size - block + 1, step)
    power = (energy[starts + block] - energy[starts]) / block
    loud = -0.691 + 10 * np.log10(power + 1e-12)
    gated = power[loud > SILENT]
    if gated.size == 0:
        return SILENT
    relative = -0.691 + 10 * np.log10(np.mean(gated)) - 10
    gated = power[(loud > SILENT) & (loud > relative)]
    return float(-0.691 + 10 * np.log10(np.mean(gated))) if gated.size else SILENT


def true_peak_dbtp(audio: np.ndarray, sr: int) -> float:
    """The peak of the audio oversampled to at least 192 kHz, in dB re full scale."""
    from scipy.signal import resample_poly

    x = np.asarray(audio, np.float64)
    factor = max(1, int(np.ceil(192000 / sr)))
    peak = float(np.max(np.abs(resample_poly(x, factor, 1)))) if x.size else 0.0
    return float(20 * np.log10(peak + 1e-12))


def _limit(x: np.ndarray, sr: int, ceiling: float) -> np.ndarray:
    """A look-ahead true-peak limiter: gain falls within 5 ms before a peak and recovers over 80 ms."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d
    from scipy.signal import lfilter, resample_poly

    factor = max(1, int(np.ceil(192000 / sr)))
    over = np.abs(resample_poly(x, factor, 1)).reshape(-1, factor).max(1)[: x.size]
    need = np.minimum(1.0, ceiling / np.maximum(over, 1e-12))
    hold = max(1, int(0.005 * sr))
    gain = minimum_filter1d(need, size=2 * hold + 1)  # reach the needed gain before the peak arrives
    release = np.exp(-1 / (0.08 * sr))
    recovered = 1 - lfilter([1 - release], [1, -release], 1 - gain)  # smooth recovery after it
    gain = np.minimum(gain, recovered)
    gain = -maximum_filter1d(-gain, size=2 * hold + 1)  # no overshoot between the two
    return x * np.minimum(gain, 1.0)


def normalise_loudness(audio: np.ndarray, sr: int, target_lufs: float = -16.0, ceiling_dbtp: float = -1.0
                       ) -> tuple[np.ndarray, dict[str, float]]:
    """The audio at ``target_lufs`` integrated with true peaks at or below ``ceiling_dbtp``, and
    the figures before and after. Silence is returned as it is."""
    x = np.asarray(audio, np.float64)
    before, peak_before = integrated_lufs(x, sr), true_peak_dbtp(x, sr)
    if before <= SILENT:
        return np.asarray(audio, np.float32), {"lufs_before": before, "lufs": before, "true_peak_dbtp": peak_before}
    ceiling = 10 ** ((ceiling_dbtp - 0.2) / 20)  # a little margin for the later lossy encodes
    y, level = x, before
    for _ in range(8):  # limiting lowers the loudness a little: raise it again and limit again
        y = y * 10 ** ((target_lufs - level) / 20)
        if true_peak_dbtp(y, sr) > ceiling_dbtp - 0.1:
            y = _limit(y, sr, ceiling)
        level = integrated_lufs(y, sr)
        if abs(level - target_lufs) < 0.2:
            break
    return y.astype(np.float32), {"lufs_before": round(before, 2), "lufs": round(level, 2),
                                  "true_peak_dbtp": round(true_peak_dbtp(y, sr), 2)}


def under_true_peak(audio: np.ndarray, sr: int, ceiling_dbtp: float) -> np.ndarray:
    """``audio`` turned down as a whole (so nothing added to it changes in proportion) where its
    true peak is above ``ceiling_dbtp``."""
    over = true_peak_dbtp(audio, sr) - (ceiling_dbtp - 0.1)
    return audio if over <= 0 else (np.asarray(audio) * 10 ** (-over / 20)).astype(np.float32)
