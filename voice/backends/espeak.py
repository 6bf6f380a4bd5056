"""Offline voice: espeak-ng speech steered toward the persona's measured voice.

Each sentence is spoken by espeak-ng with its pitch set so that the output's median F0 matches
the persona's prompt of the sentence's style (found by calibrating espeak-ng's pitch scale
against our own F0 tracker), at the persona's speaking rate. Cues and timings come from
``voice.assembly``, shared by every voice backend.

This is a robotic voice with the persona's pitch and tempo, not a clone of their timbre;
``voice.backend`` selects better engines where they are deployed.
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import lru_cache

import numpy as np

from media.analysis import median_f0
from voice.contract import Line

ESPEAK_SR = 22050
VOICES = {"en": "en-us+m3", "zh": "cmn"}
HIGH_VOICES = {"en": "en-us+f3", "zh": "cmn+f3"}  # espeak's male variants top out near 175 Hz
HIGH_ABOVE_HZ = 165.0


def voice_for(language: str, target_hz: float) -> str:
    """The espeak-ng voice whose pitch range holds ``target_hz``."""
    table = HIGH_VOICES if target_hz > HIGH_ABOVE_HZ else VOICES
    return table.get(language, table["en"])


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


class EspeakVoice:
    name = "espeak"
    reads_pinyin = False

    def speak(self, line: Line) -> tuple[np.ndarray, int]:
        rate = line.speaking_rate_wpm or 165
        target = line.prompt.median_f0_hz * line.pitch
        voice = voice_for(line.language, target)
        espeak_pitch = espeak_pitch_for(voice, target)
        return _espeak(line.text, voice, espeak_pitch, int(np.clip(rate * line.speed, 80, 400))), ESPEAK_SR


class EspeakNoticeVoice:
    """The notice in espeak-ng's plain voice: intelligible in English, robotic in Mandarin."""

    name = "espeak"

    def say(self, text: str, language: str) -> tuple[np.ndarray, int]:
        return _espeak(text, VOICES.get(language, VOICES["en"]).split("+")[0], 50, 165), ESPEAK_SR
