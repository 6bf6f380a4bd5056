"""The voice's self-check: each spoken sentence transcribed (``media.asr``) and measured against
the script. Whisper hears 30 s at a time whatever it is given (one 4 s sentence costs as much
encoding as 30 s of them), so a chunk's sentences are first heard together, a window of them at
a time, each word given to the sentence it falls in; a sentence heard wrong that way is heard
again alone before anything is said again."""

from __future__ import annotations

import numpy as np

from core.settings import SpeechCheckSettings
from media.asr import error_rate, metric_name, transcribe
from voice.records import SentenceCheck, WordTiming

WINDOW_S = 27.0  # sentences heard at once (Whisper's window is 30 s)
GAP_S = 0.8  # silence between them, so no word straddles two


def check_sentence(index: int, text: str, audio: np.ndarray, sr: int, language: str,
                   check: SpeechCheckSettings) -> tuple[SentenceCheck, list[WordTiming]]:
    """Transcribe one spoken sentence and measure it against the script."""
    heard = transcribe(audio, sr, check, language=language, words=True, fallback=True)
    words = [WordTiming(word=w, start_s=s, end_s=e) for w, s, e in heard.words]
    return _measured(index, text, heard.text, language), words


def check_together(first_index: int, texts: list[str], audios: list[np.ndarray], sr: int, language: str,
                   check: SpeechCheckSettings) -> list[tuple[SentenceCheck, list[WordTiming]]]:
    """``check_sentence`` for every sentence, heard a window of sentences at a time."""
    out: list[tuple[SentenceCheck, list[WordTiming]]] = []
    gap = np.zeros(int(GAP_S * sr), np.float32)
    for window in _windows([a.size / sr for a in audios]):
        joined = np.concatenate([x for k in window for x in (audios[k], gap)])
        starts = np.cumsum([0.0] + [audios[k].size / sr + GAP_S for k in window])
        heard = transcribe(joined, sr, check, language=language, words=True, fallback=True)
        cuts = _cuts(heard.words, starts, [texts[k] for k in window], language)
        for j, k in enumerate(window):
            seconds = audios[k].size / sr
            words = [WordTiming(word=w, start_s=round(float(np.clip(s - starts[j], 0, seconds)), 3),
                                end_s=round(float(np.clip(e - starts[j], 0, seconds)), 3)) for w, s, e in heard.words[cuts[j]:cuts[j + 1]]]
            out.append((_measured(first_index + k, texts[k], _said([w.word for w in words], language), language), words))
    return out


def _said(words: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(words)


def _cuts(words: list[tuple[str, float, float]], starts: np.ndarray, texts: list[str], language: str,
          reach: int = 3) -> list[int]:
    """Where each sentence's words begin in ``words`` (and where the last ends): first by time
    (a word belongs to the sentence its middle falls in), then each cut moved up to ``reach``
    words either way where the two sentences beside it read better so (a recogniser's word times
    can be off by a word at a join)."""
    mids = [(s + e) / 2 for _, s, e in words]
    cuts = [0] + [int(np.searchsorted(mids, a)) for a in starts[1 : len(texts)]] + [len(words)]
    for b in range(1, len(texts)):
        def cost(cut: int) -> tuple[float, int]:
            left, right = (_said([w for w, _, _ in words[a:z]], language) for a, z in ((cuts[b - 1], cut), (cut, cuts[b + 1])))
            return error_rate(texts[b - 1], left, language, phonetic=True) + error_rate(texts[b], right, language, phonetic=True), abs(cut - cuts[b])
        cuts[b] = min(range(max(cuts[b - 1], cuts[b] - reach), min(cuts[b + 1], cuts[b] + reach) + 1), key=cost)
    return cuts


def _windows(seconds: list[float]) -> list[list[int]]:
    """Runs of consecutive sentences that fit one window together (a longer sentence alone)."""
    windows: list[list[int]] = []
    total = WINDOW_S + 1
    for k, s in enumerate(seconds):
        if total + GAP_S + s > WINDOW_S:
            windows.append([])
            total = -GAP_S
        windows[-1].append(k)
        total += GAP_S + s
    return windows


def _measured(index: int, text: str, heard: str, language: str) -> SentenceCheck:
    error = error_rate(text, heard, language, phonetic=True)
    return SentenceCheck(index=index, heard=heard, metric=metric_name(language), error=round(error, 3))
