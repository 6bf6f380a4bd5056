"""Voice benchmark: does the offline voice sound like the person, and does it say the words?

Run with ``make bench-voice`` (or ``.venv/bin/python -m bench.voice``). Seven speakers: the six
real ones in ../shared/data (two Mandarin, four English) and the fictional persona Uncle Bo.
Each recording is split: the first part is the material (prompts chosen and transcribed by
the studio's own selection, the timbre learned from them), the rest is held out and never
seen by the voice. Three voices say three sentences in each speaker's language:

- ``base``: Kokoro's packaged speaker, unconverted;
- ``before``: today's offline voice without a learned timbre (pitch, range and pace from the prompts);
- ``after``: the same with the persona's learned timbre conversion (``voice.backends.kokoro_learn``),
  with the studio's self-check on, as productions run it: a sentence the recogniser mishears is
  said again, slower and nearer the base voice, and flagged if it is still wrong.

Figures per speaker, for each voice: speaker identification (the rank of the speaker among
all seven by each sentence's similarity to their held-out speech, and the share ranked
first) by Resemblyzer and by an independent GMM-UBM verifier fitted on real recordings only
(``bench.speaker_id`` says what each can and cannot show); Resemblyzer similarity to the
held-out speech (``ceiling``: the material itself, the same person); CER (zh) / WER (en) of
Whisper-base; RTF; the learning's time and the model's size.

Targets (issue 18): own speaker first >= 80 %; similarity >= base + 0.08 per real speaker;
CER <= 5 %, WER <= 3 %; RTF <= 0.6; learning <= 2 min per persona.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.speaker_id import GmmUbm, rank_of
from core.settings import SpeechCheckSettings
from materials.voice_prompts import select_voice_prompts
from media.analysis import resample
from media.asr import error_rate, transcribe, whisper_dir
from media.backends.resemblyzer_speaker import embed, similarity
from media.ffmpeg_io import load_audio, write_wav
from persona.synthetic import make_voice_recording
from script.markup import parse_markup
from storage import Catalog
from storage.local import LocalStore
from voice.assembly import synthesize
from voice.backends.kokoro import SAMPLE_RATE, KokoroVoice, base_speaker, kokoro, phonemes
from voice.backends.kokoro_learn import KokoroTimbreLearner
from voice.contract import PromptClip, VoiceRequest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out" / "voice"
SR = 24000
SCRIPTS = {
    "en": ["Dear friends, happy Spring Festival to all of you.",
           "I promised myself a short speech this year, and I intend to keep that promise.",
           "Thank you for thirty years of hard work and good humour."],
    "zh": ["亲爱的朋友们，大家新春快乐！",
           "今年我答应自己，讲话一定要短一点。",
           "感谢大家三十年来的辛勤工作和欢声笑语。"],
}
VOICES = ("base", "before", "after")


@dataclass
class Speaker:
    name: str
    language: str
    path: Path
    material_s: float  # the rest is held out
    real: bool = True
    material: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    held_out: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


@dataclass
class Result:
    speaker: Speaker
    prompts: int = 0
    sentences: dict[str, list[np.ndarray]] = field(default_factory=dict)  # voice -> audio per sentence
    errors: dict[str, list[float]] = field(default_factory=dict)
    phonetic: dict[str, list[float]] = field(default_factory=dict)  # zh: by toneless pinyin
    retried: int = 0
    flagged: int = 0
    rtf: float = 0.0
    learn_s: float = 0.0
    model_kb: float = 0.0
    base_voice: str = ""
    fit: str = ""


class TimedVoice(KokoroVoice):
    """The offline voice, timing its own work (the RTF leaves the self-check's recogniser out)."""

    seconds = 0.0

    def speak(self, line):
        started = time.perf_counter()
        try:
            return super().speak(line)
        finally:
            self.seconds += time.perf_counter() - started


def speakers(work: Path) -> list[Speaker]:
    uncle, _ = make_voice_recording(work / "uncle_bo.wav")
    speech = SHARED / "speech"
    return [
        Speaker("sun (zh, f)", "zh", SHARED / "footage" / "musetalk_sun.wav", 15.0),
        Speaker("f5_ref_zh (zh)", "zh", speech / "f5_ref_zh.wav", 4.0),
        Speaker("f5_ref_en (en)", "en", speech / "f5_ref_en.wav", 3.0),
        Speaker("f5_multi_main (en)", "en", speech / "f5_multi_main.flac", 4.0),
        Speaker("f5_multi_country (en)", "en", speech / "f5_multi_country.flac", 4.5),
        Speaker("f5_multi_town (en)", "en", speech / "f5_multi_town.flac", 6.0),
        Speaker("Uncle Bo (fictional)", "en", uncle, 20.0, real=False),
    ]


def run_speaker(sp: Speaker, work: Path, catalog: Catalog, check: SpeechCheckSettings) -> Result:
    res = Result(sp)
    ref = catalog.put_media_file(write_wav(work / f"{sp.path.stem}-material.wav", sp.material, SR), "audio/wav")
    selection = select_voice_prompts(catalog, [ref], work, check=check)
    prompts = [PromptClip(path=catalog.media_path(p.clip), style=p.style, median_f0_hz=p.median_f0_hz,
                          transcript=p.transcript) for p in selection.prompts]
    res.prompts = len(prompts)
    median_f0 = float(np.median([p.median_f0_hz for p in prompts]))
    language = sp.language
    res.sentences["base"] = [kokoro().infer(phonemes(s, language), base_speaker(median_f0), 1.0) for s in SCRIPTS[language]]
    started = time.perf_counter()
    learned = KokoroTimbreLearner().learn(prompts, work / f"{sp.path.stem}-timbre.npz")
    res.learn_s, res.model_kb = time.perf_counter() - started, learned.path.stat().st_size / 1024
    res.base_voice = learned.base_voice
    res.fit = f"{learned.distance_before:.2f} -> {learned.distance_after:.2f}"
    sentences = parse_markup("\n".join(f"{{{prompts[i % len(prompts)].style}}} {s}" for i, s in enumerate(SCRIPTS[language])))
    for voice, timbre in (("before", None), ("after", learned.path)):
        request = VoiceRequest(sentences=sentences, language=language, prompts=prompts, median_f0_hz=median_f0,
                               speaking_rate_wpm=selection.speaking_rate_wpm, timbre=timbre,
                               check=check if voice == "after" else None, out_path=work / f"{sp.path.stem}-{voice}.wav")
        backend = TimedVoice()
        result = synthesize(backend, request)
        if voice == "after":
            res.rtf = backend.seconds / result.duration_s
            res.retried = sum(c.attempts > 1 for c in result.checks)
            res.flagged = sum(c.flagged for c in result.checks)
        out = load_audio(result.path, SR)
        res.sentences[voice] = [out[int(t.start_s * SR) : int(t.end_s * SR)] for t in result.sentence_timings]
    for voice in VOICES:
        rate = SAMPLE_RATE if voice == "base" else SR
        heard = [transcribe(audio, rate, check, language=language).text for audio in res.sentences[voice]]
        res.errors[voice] = [error_rate(text, h, language) for h, text in zip(heard, SCRIPTS[language])]
        res.phonetic[voice] = [error_rate(text, h, language, phonetic=True) for h, text in zip(heard, SCRIPTS[language])]
    return res


def spectrogram_panel(rows: list[tuple[str, np.ndarray, int]], path: Path) -> Path:
    """Log-mel spectrograms (0-8 kHz, 3 s each) stacked with their labels, for people to look at."""
    import cv2
    import librosa

    tiles = []
    for label, audio, rate in rows:
        x = resample(np.asarray(audio, np.float32), rate, 16000)[: 3 * 16000]
        mel = librosa.power_to_db(librosa.feature.melspectrogram(y=np.pad(x, (0, 3 * 16000 - x.size)), sr=16000,
                                                                 n_fft=512, hop_length=80, n_mels=96), ref=1.0)
        img = np.clip((mel - (mel.max() - 70)) / 70 * 255, 0, 255).astype(np.uint8)[::-1]
        img = cv2.applyColorMap(cv2.resize(img, (600, 192), interpolation=cv2.INTER_NEAREST), cv2.COLORMAP_MAGMA)
        cv2.putText(img, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(img)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.vstack(tiles))
    return path


def identification(results: list[Result], verifier: GmmUbm, held: dict[str, np.ndarray]) -> dict:
    """speaker -> voice -> (resemblyzer ranks, similarities, gmm ranks)."""
    out = {}
    for res in results:
        own = res.speaker.name
        out[own] = {}
        for voice in VOICES:
            rate = SAMPLE_RATE if voice == "base" else SR
            ranks, sims, gmm = [], [], []
            for audio in res.sentences[voice]:
                vec = embed(audio, rate)
                scores = {name: similarity(vec, h) for name, h in held.items()}
                ranks.append(rank_of(own, scores))
                sims.append(scores[own])
                gmm.append(rank_of(own, verifier.scores(audio, rate)))
            out[own][voice] = (ranks, sims, gmm)
    return out


def print_tables(results: list[Result], ident: dict, ceiling: dict[str, float]) -> None:
    top = lambda ranks: float(np.mean([r == 1 for r in ranks]))  # noqa: E731
    print("\n### Speaker identification (own speaker's rank among all seven; share ranked first)\n")
    print("| speaker | Resemblyzer base | before | after | GMM-UBM base | before | after |")
    print("|---|---|---|---|---|---|---|")
    for res in results:
        row = ident[res.speaker.name]
        cells = [f"{top(row[v][0]):.0%} (rank {np.mean(row[v][0]):.1f})" for v in VOICES]
        cells += [f"{top(row[v][2]):.0%} (rank {np.mean(row[v][2]):.1f})" for v in VOICES]
        print(f"| {res.speaker.name} | " + " | ".join(cells) + " |")
    for label, pick in (("all seven", lambda r: True), ("six real", lambda r: r.speaker.real)):
        chosen = [ident[r.speaker.name] for r in results if pick(r)]
        cells = [f"**{top(sum((c[v][0] for c in chosen), [])):.0%}**" for v in VOICES]
        cells += [f"**{top(sum((c[v][2] for c in chosen), [])):.0%}**" for v in VOICES]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n### Similarity to held-out speech (Resemblyzer cosine), words, speed, learning\n")
    print("| speaker | SIM base | before | after | after - base | ceiling | CER/WER before | after | by pinyin | "
          "re-said / flagged | RTF | learning | model | base voice | fit (distance) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for res in results:
        row, name = ident[res.speaker.name], res.speaker.name
        sim = {v: float(np.mean(row[v][1])) for v in VOICES}
        metric = "CER" if res.speaker.language == "zh" else "WER"
        print(f"| {name} | {sim['base']:.3f} | {sim['before']:.3f} | {sim['after']:.3f} | {sim['after'] - sim['base']:+.3f} | "
              f"{ceiling[name]:.3f} | {metric} {np.mean(res.errors['before']):.1%} | {np.mean(res.errors['after']):.1%} | "
              f"{np.mean(res.phonetic['after']):.1%} | {res.retried} / {res.flagged} | {res.rtf:.2f} | {res.learn_s:.0f} s | {res.model_kb:.0f} KB | {res.base_voice} | {res.fit} |")
    mean = lambda v: float(np.mean([np.mean(ident[r.speaker.name][v][1]) for r in results]))  # noqa: E731
    print(f"| **mean** | {mean('base'):.3f} | {mean('before'):.3f} | {mean('after'):.3f} | "
          f"{mean('after') - mean('base'):+.3f} | | | | | | | | | | |")
    print("\nTargets: own speaker first >= 80 %; SIM after >= base + 0.08 on every real speaker; "
          "CER <= 5 %, WER <= 3 %; RTF <= 0.6; learning <= 2 min.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="synthesise only speakers whose name contains this (all are still candidates)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    check = SpeechCheckSettings(model_dir=whisper_dir(work / "models"))
    catalog = Catalog(LocalStore(work / "store"), work / "cache")
    kokoro()  # the model and the G2P dictionaries load once, outside the timings
    phonemes("你好", "zh"), phonemes("hello", "en")
    everyone = speakers(work)
    for sp in everyone:
        audio = load_audio(sp.path, SR)
        sp.material, sp.held_out = audio[: int(sp.material_s * SR)], audio[int(sp.material_s * SR) :]
    held = {sp.name: embed(sp.held_out, SR) for sp in everyone}
    ceiling = {sp.name: similarity(embed(sp.material, SR), held[sp.name]) for sp in everyone}
    verifier = GmmUbm([np.concatenate([sp.material, sp.held_out]) for sp in everyone if sp.real], SR)
    for sp in everyone:
        verifier.enrol(sp.name, sp.held_out, SR)
    results = []
    for sp in everyone:
        if args.only and args.only not in sp.name:
            continue
        res = run_speaker(sp, work, catalog, check)
        results.append(res)
        panel = spectrogram_panel([("person (held out)", sp.held_out, SR), ("before: no timbre", res.sentences["before"][-1], SR),
                                   ("after: learned timbre", res.sentences["after"][-1], SR)],
                                  OUT / f"{sp.path.stem}.png")
        print(f"  {sp.name}: done ({panel.relative_to(ROOT)})", file=sys.stderr, flush=True)
    print_tables(results, identification(results, verifier, held), ceiling)


if __name__ == "__main__":
    main()
