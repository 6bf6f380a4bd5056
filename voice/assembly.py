"""Turning a script into one voice track, whatever speaks the words.

A voice backend only has to say one line in the voice of one prompt clip (``VoiceBackend.speak``);
this module does the rest the same way for every backend: the prompt for each sentence's
style, its speed, reviewers' notes ("slower", "lower"), pronunciation overrides (pinyin, as
phonemes where the backend reads them, else as an unambiguous homophone), emphasis (louder and
higher over the stressed words), cues as real sound ([pause 0.8s] and [drink] as silence;
[cough] [laugh] [breath] [sigh] from the persona's own sound bank, else shaped noise, or a
laugh spoken by the backend), level, the self-check (each sentence transcribed and compared
with the script; spoken again or flagged), and sentence and word timings for the video step
and subtitles."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from media.analysis import resample
from media.asr import normalise
from media.ffmpeg_io import load_audio, write_wav
from media.loudness import integrated_lufs
from script.pace import CUE_SECONDS, SENTENCE_GAP_S
from script.sentences import Cue, Sentence
from voice.contract import Line, PromptClip, VoiceBackend, VoiceRequest, VoiceResult
from voice.records import CueTiming, SentenceCheck, SentenceTiming, WordTiming
from voice.speech_check import check_sentence, check_together

LAUGH_TEXT = {"en": "Ha ha ha!", "zh": "哈哈哈！"}
LEAD_S = 0.3
SENTENCE_LUFS = -23.0
TIMBRE_RETRY_ABOVE = 0.08
# where the sound bank gives no level of its own: dB against the speech (RMS), as people make them
NATURAL_LEVEL_DB = {"laugh": -3.0, "cough": -1.0, "sigh": -12.0, "breath": -20.0}


class VoiceServiceError(RuntimeError):
    """A voice server refused or could not be reached; the message says which and why."""


def decode_wav(data: bytes, what: str) -> tuple[np.ndarray, int]:
    """A WAV file a voice server sent, as (audio, sample rate); anything else is the server's fault."""
    import soundfile as sf

    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32")
    except Exception as exc:  # the server sent JSON or HTML, or a truncated file
        raise VoiceServiceError(f"the {what} did not return a WAV file ({len(data)} bytes: {data[:120]!r}): {exc}") from None
    return audio, sr


def directions(notes: list[str]) -> tuple[float, float]:
    """(speed, pitch factor) from reviewers' notes such as "a little slower please" or 「说慢一点」."""
    speed = pitch = 1.0
    for note in (n.lower() for n in notes):
        if re.search(r"\bslower\b|慢一点|慢点|慢些|放慢", note):
            speed *= 0.88
        if re.search(r"\bfaster\b|快一点|快点|快些|加快", note):
            speed *= 1.12
        if re.search(r"\b(lower|deeper)\b|低沉|低一点|低一些|低点", note):
            pitch *= 0.94
        if re.search(r"\bhigher\b|高一点|高一些|高点", note):
            pitch *= 1.06
    return speed, pitch


def prompt_for(style: str, prompts: list[PromptClip]) -> PromptClip:
    """The prompt of the sentence's style, else the first (the selection ranks them)."""
    return next((p for p in prompts if p.style == style), prompts[0])




def trim(audio: np.ndarray, sr: int, thresh: float = 0.01) -> np.ndarray:
    """Cut leading and trailing silence (keeping 20 ms before and 50 ms after the speech)."""
    idx = np.nonzero(np.abs(audio) > thresh * max(float(np.abs(audio).max()), 1e-9) / 0.85)[0]
    if idx.size == 0:
        return audio
    return audio[max(0, idx[0] - int(0.02 * sr)) : idx[-1] + int(0.05 * sr)]


def _noise_burst(seconds: float, sr: int, lo: float, hi: float, attack: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * sr)
    spec = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    spec[(freqs < lo) | (freqs > hi)] = 0
    noise = np.fft.irfft(spec, n)
    t = np.arange(n) / sr
    env = (1 - np.exp(-t / attack)) * np.exp(-t / (seconds / 3))
    out = noise * env
    return (out / (np.abs(out).max() + 1e-9)).astype(np.float32)


def _unit_rms(audio: np.ndarray) -> np.ndarray:
    return (audio / (np.sqrt(np.mean(audio**2)) + 1e-9)).astype(np.float32)


def cue_sound(cue: Cue, sr: int, rng: np.random.Generator, laugh: Callable[[], np.ndarray],
              bank: dict[str, list[tuple[np.ndarray, float | None]]] | None = None,
              default_seconds: float | None = None) -> tuple[np.ndarray, float | None]:
    """The cue's sound, and the level in dB against the speech it is to sit at (None: as it is:
    silence, or a laugh the voice says itself). The persona's own sounds keep the level they had
    beside the person's speech in the recording."""
    if cue.kind in ("pause", "drink"):
        return np.zeros(int((cue.seconds or default_seconds or CUE_SECONDS[cue.kind]) * sr), np.float32), None
    own = (bank or {}).get(cue.kind)
    if own:
        clip, level = own[int(rng.integers(len(own)))]
        return _unit_rms(clip), NATURAL_LEVEL_DB[cue.kind] if level is None else level
    if cue.kind == "breath":
        return _unit_rms(_noise_burst(0.45, sr, 300, 3000, 0.15, rng)), NATURAL_LEVEL_DB["breath"]
    if cue.kind == "sigh":
        return _unit_rms(_noise_burst(0.9, sr, 200, 2500, 0.08, rng)), NATURAL_LEVEL_DB["sigh"]
    if cue.kind == "cough":
        one = _noise_burst(0.22, sr, 200, 2500, 0.005, rng)
        return _unit_rms(np.concatenate([one, np.zeros(int(0.12 * sr), np.float32), 0.7 * one])), NATURAL_LEVEL_DB["cough"]
    return 0.7 * laugh(), None


# ---------------------------------------------------------------- pronunciation overrides
def annotated_text(sentence: Sentence) -> str:
    """The sentence with each override after its character, ``行(hang2)``, for backends that
    read pinyin (see ``split_readings``)."""
    text = sentence.text
    for r in sorted(sentence.readings, key=lambda r: -r.index):
        text = f"{text[: r.index + 1]}({r.pinyin}){text[r.index + 1 :]}"
    return text


_ANNOTATION = re.compile(r"(.)\(([a-zü]+[1-5])\)")


def split_readings(text: str) -> list[tuple[str, str | None]]:
    """``银行(hang2)的`` -> [("银", None), ("行", "hang2"), ("的", None)]: plain runs, and
    single characters with the reading to use."""
    out, pos = [], 0
    for m in _ANNOTATION.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], None))
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def homophone_text(text: str) -> str:
    """Overrides as the most common character that has only that reading (``行(hang2)`` ->
    ``航``): what a server that takes only text can be given."""
    table = _homophones()
    return "".join(table.get(reading, chars) if reading else chars for chars, reading in split_readings(text))


@lru_cache(maxsize=1)
def _homophones() -> dict[str, str]:
    import os

    import jieba
    from pypinyin.contrib.tone_convert import to_tone3
    from pypinyin.pinyin_dict import pinyin_dict

    best: dict[str, tuple[int, str]] = {}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            readings = pinyin_dict.get(ord(word)) if len(word) == 1 else None
            if not readings or "," in readings:
                continue
            tone3 = to_tone3(readings, neutral_tone_with_five=True)
            if int(freq) > best.get(tone3, (0, ""))[0]:
                best[tone3] = (int(freq), word)
    return {k: v for k, (_, v) in best.items()}


# ------------------------------------------------------------------------ emphasis
def _word_span(span: tuple[int, int], words: list[WordTiming], text: str, duration: float, language: str) -> tuple[float, float]:
    """When the characters ``text[span]`` are said: the heard word holding them, else in
    proportion to their place in the text."""

    want = "".join(normalise(text[span[0] : span[1]], language))
    before = "".join(normalise(text[: span[0]], language if language == "zh" else "zh"))
    seen = ""
    for w in words:
        heard = "".join(normalise(w.word, language))
        if want and heard and (want == heard or (language == "zh" and want in heard)) and len(seen) >= len(before) * 0.5:
            return w.start_s, w.end_s
        seen += "".join(normalise(w.word, "zh"))
    return duration * span[0] / len(text), duration * span[1] / len(text)


def emphasise(audio: np.ndarray, sr: int, spans: list[tuple[float, float]], gain: float = 1.45, lift: float = 1.1) -> np.ndarray:
    """Louder (+3 dB) and higher (+10 % F0, by WORLD) over the spans, with 30 ms ramps."""
    spans = [(s, e) for s, e in spans if e - s > 0.05]
    if not spans:
        return audio
    import pyworld

    x = audio.astype(np.float64)
    f0, t = pyworld.harvest(x, sr, frame_period=5.0)
    sp, ap = pyworld.cheaptrick(x, f0, t, sr), pyworld.d4c(x, f0, t, sr)
    shape = np.zeros_like(t)
    for s, e in spans:
        shape = np.maximum(shape, np.clip(np.minimum((t - s + 0.03) / 0.03, (e + 0.03 - t) / 0.03), 0, 1))
    out = pyworld.synthesize(f0 * (1 + (lift - 1) * shape), sp, ap, sr, frame_period=5.0)[: audio.size]
    out = np.pad(out, (0, audio.size - out.size))
    env = np.interp(np.arange(audio.size) / sr, t, 1 + (gain - 1) * shape)
    return (out * env).astype(np.float32)


def estimated_words(text: str, duration: float, language: str) -> list[WordTiming]:
    """Word timings in proportion to length, where no recogniser listened."""
    tokens = list(re.sub(r"\s+", "", text)) if language == "zh" else text.split()
    total = sum(len(t) for t in tokens) or 1
    out, at = [], 0.0
    for tok in tokens:
        span = duration * len(tok) / total
        out.append(WordTiming(word=tok, start_s=round(at, 3), end_s=round(at + span, 3)))
        at += span
    return out


@dataclass
class Spoken:
    """Sentences said and joined with their cues, at the speech's own level (not yet normalised):
    the audio and where each sentence and cue lies in it."""

    audio: np.ndarray
    timings: list[SentenceTiming]
    checks: list[SentenceCheck]
    cues: list[CueTiming]


def synthesize(backend: VoiceBackend, request: VoiceRequest, seed: int = 0) -> VoiceResult:
    """Have ``backend`` say every sentence and join them with their cues into ``request.out_path``."""
    spoken = speak_sentences(backend, request, seed)
    audio = 0.85 * spoken.audio / (np.abs(spoken.audio).max() + 1e-9)
    write_wav(request.out_path, audio, request.sample_rate)
    return VoiceResult(path=request.out_path, duration_s=audio.size / request.sample_rate, sample_rate=request.sample_rate,
                       sentence_timings=spoken.timings, backend=backend.name, checks=spoken.checks, cue_timings=spoken.cues)


def speak_sentences(backend: VoiceBackend, request: VoiceRequest, seed: int = 0, first_index: int = 0,
                    lead_s: float = LEAD_S, sentence_notes: list[list[str]] | None = None) -> Spoken:
    """``request.sentences`` said one by one (the script's sentences ``first_index`` on), after
    ``lead_s`` of silence, each followed by its cues and a short gap. ``sentence_notes``: the
    reviewers' notes that reach each sentence alone, beside ``request.notes`` for all of them."""
    sr = request.sample_rate
    rng = np.random.default_rng(seed)
    bank: dict[str, list[tuple[np.ndarray, float | None]]] = {}
    for clip in request.sound_bank:
        bank.setdefault(clip.kind, []).append((load_audio(clip.path, sr), clip.level_db))

    def said(text: str, prompt: PromptClip, at_speed: float, pitch: float, timbre_strength: float = 1.0) -> np.ndarray:
        audio, rate = backend.speak(Line(text=text, prompt=prompt, speed=at_speed, pitch=pitch, language=request.language,
                                         speaking_rate_wpm=request.speaking_rate_wpm, timbre=request.timbre,
                                         timbre_strength=timbre_strength))
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim > 1:
            audio = audio.mean(axis=1)
        if audio.size == 0 or not np.isfinite(audio).all():
            raise VoiceServiceError(f"the {backend.name} voice returned no usable audio for {text[:60]!r}")
        return trim(resample(audio, rate, sr), sr)

    parts: list[np.ndarray] = [np.zeros(int(lead_s * sr), np.float32)]
    t = parts[0].size / sr
    timings, checks, cue_timings = [], [], []
    leveled, spoken = [], []  # (part, dB against speech) of cue sounds; parts that are sentences

    def add(audio: np.ndarray) -> None:
        nonlocal t
        parts.append(audio)
        t += audio.size / sr

    def add_cue(cue: Cue, index: int, laugh: Callable[[], np.ndarray]) -> None:
        start = t
        sound, level = cue_sound(cue, sr, rng, laugh, bank, request.cue_seconds.get(cue.kind))
        if level is not None:
            leveled.append((len(parts), level))
        add(sound)
        cue_timings.append(CueTiming(kind=cue.kind, start_s=round(start, 3), end_s=round(t, 3), sentence=index))

    # said, each sentence (its speed, pitch and prompt from its style and the notes that reach it)
    asked = []
    for k, sentence in enumerate(request.sentences):
        speed, pitch = directions(request.notes + (sentence_notes[k] if sentence_notes else []))
        text = annotated_text(sentence)
        text = text if backend.reads_pinyin or not sentence.readings else homophone_text(text)
        asked.append((text, prompt_for(sentence.style, request.prompts), speed, pitch))
    speeches = [said(text, prompt, speed * sentence.speed, pitch)
                for (text, prompt, speed, pitch), sentence in zip(asked, request.sentences)]
    # heard: together first; a sentence heard wrong so is heard alone, then said again if it still is
    heard: list[tuple[SentenceCheck, list[WordTiming]] | None] = [None] * len(speeches)
    if request.check is not None:
        # a learned timbre can blur a word or two: there, any clear slip is worth another take
        good_enough = min(request.check.max_error, TIMBRE_RETRY_ABOVE) if request.timbre else request.check.max_error
        heard = check_together(first_index, [s.text for s in request.sentences], speeches, sr, request.language, request.check)
        for k, sentence in enumerate(request.sentences):
            if heard[k][0].error > good_enough:
                heard[k] = check_sentence(first_index + k, sentence.text, speeches[k], sr, request.language, request.check)
            text, prompt, speed, pitch = asked[k]
            result, words = heard[k]
            for attempt in range(1, request.check.retries + 1):
                if result.error <= good_enough:
                    break
                # a slightly slower take (deterministic voices say it differently, sampling ones anew),
                # nearer the base voice where a learned timbre may have blurred the words
                again = said(text, prompt, speed * sentence.speed * (1 - 0.06 * attempt), pitch, max(0.0, 1 - 0.5 * attempt))
                second, second_words = check_sentence(first_index + k, sentence.text, again, sr, request.language, request.check)
                if second.error < result.error:
                    speeches[k], result, words = again, second, second_words
                result.attempts = attempt + 1
            result.flagged = result.error > request.check.max_error
            heard[k] = (result, words)
            checks.append(result)

    for k, sentence in enumerate(request.sentences):
        i = first_index + k
        text, prompt, speed, pitch = asked[k]
        laugh = lambda: said(LAUGH_TEXT.get(request.language, LAUGH_TEXT["en"]), prompt, speed * 1.1, pitch)  # noqa: E731
        for cue in sentence.cues_before:
            add_cue(cue, i, laugh)
        speech = speeches[k]
        words = heard[k][1] if heard[k] else estimated_words(sentence.text, speech.size / sr, request.language)
        level = integrated_lufs(speech, sr)
        if level > -70:  # every sentence at one loudness: re-pitching and conversion moved them by up to 8 dB
            speech = (speech * 10 ** ((SENTENCE_LUFS - level) / 20)).astype(np.float32)
        if sentence.emphasis:
            spans = [_word_span(span, words, sentence.text, speech.size / sr, request.language) for span in sentence.emphasis]
            speech = emphasise(speech, sr, spans)
        timings.append(SentenceTiming(index=i, start_s=round(t, 3), end_s=round(t + speech.size / sr, 3),
                                      words=[WordTiming(word=w.word, start_s=round(t + w.start_s, 3), end_s=round(t + w.end_s, 3))
                                             for w in words]))
        spoken.append(len(parts))
        add(speech)
        for cue in sentence.cues_after:
            add_cue(cue, i, laugh)
        add(np.zeros(int(SENTENCE_GAP_S * sr), np.float32))
    speech_parts = np.concatenate([parts[i] for i in spoken])
    speech_rms, speech_peak = float(np.sqrt(np.mean(speech_parts**2))), float(np.abs(speech_parts).max())
    for i, level in leveled:  # at the speech's level plus the cue's; never above the speech's peak
        sound = parts[i] * speech_rms * 10 ** (level / 20)
        parts[i] = sound * min(1.0, speech_peak / (np.abs(sound).max() + 1e-9))
    return Spoken(audio=np.concatenate(parts), timings=timings, checks=checks, cues=cue_timings)
