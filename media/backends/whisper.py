"""Whisper through faster-whisper (CTranslate2), and the Silero VAD that ships with it: the
only module that imports faster_whisper. ``media.asr`` builds the studio's figures on it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from core.settings import SpeechCheckSettings


class SpeechModelError(RuntimeError):
    """The speech recognition model is missing or broken; the message says what to install."""


@lru_cache(maxsize=2)
def _model(model_dir: str, device: str, compute_type: str, threads: int):
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise SpeechModelError("faster-whisper is not installed: run `uv sync`") from None
    if not (Path(model_dir) / "model.bin").is_file():
        raise SpeechModelError(f"no CTranslate2 Whisper model in {model_dir}: set STUDIO_SPEECH_CHECK__MODEL_DIR to one")
    return WhisperModel(model_dir, device=device, compute_type=compute_type, cpu_threads=threads)


FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # Whisper's own


def recognise(audio16: np.ndarray, options: SpeechCheckSettings, language: str | None,
              words: bool, fallback: bool = False) -> tuple[list[str], list[tuple[str, float, float]], str, float]:
    """16 kHz mono audio -> (segment texts, words as (text, start_s, end_s), detected language,
    confidence: the geometric mean of the text's token probabilities, 0-1). ``fallback``: where a
    decode looks like a hallucination, decode again by sampling at rising temperatures (Whisper's
    fallback); audio the model cannot follow then costs about 15 times as long (68 s against
    4.6 s for 30 s of it, on 2 cores) for a text that is no more use."""
    model = _model(str(options.model_dir), options.device, options.compute_type, options.threads)
    segments, info = model.transcribe(audio16, language=language, beam_size=1, word_timestamps=words,
                                      condition_on_previous_text=False, vad_filter=False,
                                      temperature=list(FALLBACK_TEMPERATURES) if fallback else 0.0)
    text, found, logprob, tokens = [], [], 0.0, 0
    for seg in segments:
        text.append(seg.text.strip())
        logprob += float(seg.avg_logprob) * max(1, len(seg.tokens))
        tokens += max(1, len(seg.tokens))
        for w in seg.words or []:
            found.append((w.word.strip(), round(float(w.start), 3), round(float(w.end), 3)))
    return text, found, info.language, float(np.exp(logprob / tokens)) if tokens else 0.0


def speech_samples(audio16: np.ndarray) -> list[tuple[int, int]]:
    """Speech stretches of 16 kHz audio, as (start, end) sample indices, by Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    stamps = get_speech_timestamps(audio16, VadOptions(min_silence_duration_ms=250, speech_pad_ms=60))
    return [(s["start"], s["end"]) for s in stamps]
