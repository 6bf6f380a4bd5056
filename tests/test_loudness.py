"""Deliveries at broadcast loudness: the studio's BS.1770 meter agrees with ffmpeg's EBU R128
meter on real speech, and normalisation brings quiet and loud speech to -16 LUFS with true
peaks at or below -1 dBTP, as ffmpeg measures them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from media.ffmpeg_io import load_audio, write_wav
from media.loudness import integrated_lufs, normalise_loudness, true_peak_dbtp

SR = 24000


def ffmpeg_r128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) by ffmpeg's ebur128 filter."""
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-filter_complex", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    summary = err[err.rindex("Summary:"):]
    return (float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1)),
            float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1)))


@pytest.mark.parametrize("recording", ["footage/musetalk_sun.wav", "speech/f5_ref_zh.wav", "speech/f5_multi_town.flac"])
def test_the_meter_agrees_with_ffmpeg_and_normalising_meets_r128(shared_data, tmp_path, recording):
    audio = load_audio(shared_data / recording, SR)
    lufs, peak = ffmpeg_r128(write_wav(tmp_path / "in.wav", audio, SR))
    assert integrated_lufs(audio, SR) == pytest.approx(lufs, abs=0.3)
    assert true_peak_dbtp(audio, SR) == pytest.approx(peak, abs=0.5)
    for gain in (0.1, 3.0):  # far too quiet; far too loud (peaks at +9 dBFS before limiting)
        out, figures = normalise_loudness(audio * gain, SR, -16.0, -1.0)
        lufs, peak = ffmpeg_r128(write_wav(tmp_path / "out.wav", out, SR))
        assert lufs == pytest.approx(-16.0, abs=0.5) and peak <= -1.0, (gain, lufs, peak)
        assert figures["lufs"] == pytest.approx(lufs, abs=0.3)


def test_silence_is_left_as_it_is():
    silence = np.zeros(SR, np.float32)
    out, figures = normalise_loudness(silence, SR)
    assert not out.any() and figures["lufs"] <= -70
