"""The sound bank: the person's own coughs, laughs, breaths and sighs, found between their words
in the voice recordings, each with the level it had beside their speech."""

from __future__ import annotations

import numpy as np

from media.analysis import frame_rms, pitch_track, speech_regions

SR = 16000


def classify_event(seg: np.ndarray, speech_db: float) -> tuple[str | None, str]:
    """cough / laugh / breath / sigh / None for a non-speech sound, with the figures why."""
    dur = seg.size / SR
    rms = frame_rms(seg, SR, win_s=0.02)
    db = 20 * np.log10(rms + 1e-9)
    level = float(20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-9)) - speech_db
    f0 = pitch_track(seg, SR)
    loud = db > db.max() - 20
    voiced = float(np.mean(f0[loud[: f0.size]] > 0)) if f0.size and loud[: f0.size].any() else 0.0
    onset = float(np.max(db[3:] - db[:-3])) if db.size > 3 else 0.0  # dB rise within 30 ms
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size))) ** 2 + 1e-12
    flatness = float(np.exp(np.mean(np.log(spec))) / np.mean(spec))
    env = rms - rms.mean()
    ac = np.correlate(env, env, mode="full")[env.size - 1 :] / (np.dot(env, env) + 1e-12)
    rhythm = float(ac[12:35].max()) if ac.size > 35 else 0.0  # energy pulsing at 3-8 Hz
    half = seg.size // 2
    decay = float(20 * np.log10((np.sqrt(np.mean(seg[:half] ** 2)) + 1e-9) / (np.sqrt(np.mean(seg[half:] ** 2)) + 1e-9)))
    why = (f"{dur:.2f} s, {level:+.0f} dB vs speech, voiced {voiced:.0%}, onset {onset:.0f} dB/30 ms, "
           f"flatness {flatness:.2f}, 3-8 Hz pulsing {rhythm:.2f}, decay {decay:+.0f} dB")
    if dur >= 0.4 and voiced >= 0.25 and rhythm >= 0.3 and level > -20:
        return "laugh", why
    if dur <= 1.2 and onset >= 15 and voiced < 0.5 and level > -18:
        return "cough", why
    if 0.5 <= dur <= 2.5 and voiced < 0.4 and -24 < level <= -8 and decay >= 3:
        return "sigh", why
    if 0.15 <= dur <= 1.2 and voiced < 0.2 and level <= -10:
        return "breath", why
    return None, why


def find_sound_events(raw: np.ndarray, speech: list[tuple[float, float]]) -> list[tuple[str, float, float, str, float]]:
    """(kind, start, end, why, level in dB against the speech) for sounds that are not speech: stretches the energy detector
    hears but Silero VAD does not call speech."""
    heard = speech_regions(raw, SR, min_silence_s=0.12, min_speech_s=0.12)
    if not heard.regions:
        return []
    speech_db = float(20 * np.log10(heard.speech_rms + 1e-9))
    events = []
    for s, e in heard.regions:
        overlap = sum(max(0.0, min(e, b) - max(s, a)) for a, b in speech)
        if overlap > 0.3 * (e - s) or e - s > 3.0:
            continue
        s, e = max(0.0, s - 0.03), min(raw.size / SR, e + 0.05)
        seg = raw[int(s * SR) : int(e * SR)]
        kind, why = classify_event(seg, speech_db)
        if kind:
            events.append((kind, s, e, why, float(20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-9)) - speech_db))
    return events
