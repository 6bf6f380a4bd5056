"""Voice benchmark: speed, speaker similarity and intelligibility of the offline voice.

Run with ``make bench-voice`` (or ``uv run python bench/voice.py``). For each persona (real
speech from ../shared/data, and the project's fictional persona) the recording is split in
two: the first part is the material the voice is made from (prompts chosen by the studio's
own selection), the second is held out. Figures:

- RTF: seconds of computing per second of speech (Kokoro + WORLD, warm, 2 threads);
- SIM: Resemblyzer cosine of the generated speech to the held-out speech; beside it the
  unconverted Kokoro base voice (``base``) and the persona's own material against its
  held-out part (``ceiling``: the same person);
- CER (zh) / WER (en) of Whisper-base on the output against the script (``phon``: Chinese
  compared by pinyin, so the recogniser's homophones do not count).

Targets (issue 5): RTF <= 0.5, SIM >= 0.80 and >= base + 0.15, CER/WER <= 5 %.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.settings import SpeechCheckSettings
from materials.voice_prompts import select_voice_prompts
from media.asr import error_rate, transcribe, whisper_dir
from media.backends.resemblyzer_speaker import embed, similarity
from media.ffmpeg_io import load_audio, write_wav
from persona.synthetic import make_voice_recording
from script.markup import parse_markup
from storage import Catalog
from storage.local import LocalStore
from voice.assembly import synthesize
from voice.backends.kokoro import SAMPLE_RATE, KokoroVoice, base_speaker, kokoro, phonemes
from voice.contract import PromptClip, VoiceRequest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SCRIPTS = {
    "en": ["Dear friends, happy Spring Festival to all of you.",
           "I promised myself a short speech this year, and I intend to keep that promise.",
           "Thank you for thirty years of hard work and good humour."],
    "zh": ["亲爱的朋友们，大家新春快乐！",
           "今年我答应自己，讲话一定要短一点。",
           "感谢大家三十年来的辛勤工作和欢声笑语。"],
}


def personas(work: Path) -> list[tuple[str, str, Path, float]]:
    """(name, language, recording, seconds used as material; the rest is held out)."""

    uncle, _ = make_voice_recording(work / "uncle_bo.wav")
    return [
        ("sun (real, zh, f)", "zh", SHARED / "footage" / "musetalk_sun.wav", 15.0),
        ("f5 zh (real, m)", "zh", SHARED / "speech" / "f5_ref_zh.wav", 4.0),
        ("f5 en (real, f)", "en", SHARED / "speech" / "f5_ref_en.wav", 3.0),
        ("Uncle Bo (fictional)", "en", uncle, 20.0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run only personas whose name contains this")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    check = SpeechCheckSettings(model_dir=whisper_dir(work / "models"))
    catalog = Catalog(LocalStore(work / "store"), work / "cache")
    kokoro()  # load the model and the G2P dictionaries once, outside the timings
    phonemes("你好", "zh"), phonemes("hello", "en")
    rows = []
    for name, language, path, split_s in personas(work):
        if args.only and args.only not in name:
            continue
        audio = load_audio(path, 24000)
        material, held_out = audio[: int(split_s * 24000)], audio[int(split_s * 24000) :]
        ref = catalog.put_media_file(write_wav(work / f"{len(rows)}-material.wav", material, 24000), "audio/wav")
        selection = select_voice_prompts(catalog, [ref], work)
        prompts = [PromptClip(path=catalog.media_path(p.clip), style=p.style, median_f0_hz=p.median_f0_hz)
                   for p in selection.prompts]
        sentences = parse_markup("\n".join(f"{{{prompts[i % len(prompts)].style}}} {s}" for i, s in enumerate(SCRIPTS[language])))
        request = VoiceRequest(sentences=sentences, language=language, prompts=prompts,
                               median_f0_hz=float(np.median([p.median_f0_hz for p in prompts])),
                               speaking_rate_wpm=selection.speaking_rate_wpm, out_path=work / f"{len(rows)}-out.wav")
        started = time.perf_counter()
        result = synthesize(KokoroVoice(), request)
        rtf = (time.perf_counter() - started) / result.duration_s
        out = load_audio(result.path, 24000)
        base = np.concatenate([kokoro().infer(phonemes(s, language), base_speaker(request.median_f0_hz), 1.0)
                               for s in SCRIPTS[language]])
        target = embed(held_out, 24000)
        sim_out, sim_base = similarity(embed(out, 24000), target), similarity(embed(base, SAMPLE_RATE), target)
        sim_ceiling = similarity(embed(material, 24000), target)
        errors, phon = [], []
        for timing, text in zip(result.sentence_timings, SCRIPTS[language]):
            seg = out[int(timing.start_s * 24000) : int(timing.end_s * 24000)]
            heard = transcribe(seg, 24000, check, language=language).text
            errors.append(error_rate(text, heard, language))
            phon.append(error_rate(text, heard, language, phonetic=True))
        rows.append((name, language, len(prompts), rtf, sim_out, sim_base, sim_ceiling, float(np.mean(errors)),
                     float(np.mean(phon)), len(held_out) / 24000))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    print("| persona | lang | prompts | RTF | SIM out | SIM base | SIM ceiling | out - base | CER/WER | CER phon | held out |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, lang, n, rtf, so, sb, sc, err, ph, held in rows:
        metric = "CER" if lang == "zh" else "WER"
        print(f"| {name} | {lang} | {n} | {rtf:.2f} | {so:.3f} | {sb:.3f} | {sc:.3f} | {so - sb:+.3f} | "
              f"{metric} {err:.1%} | {ph:.1%} | {held:.1f} s |")
    if rows:
        mean = lambda i: float(np.mean([r[i] for r in rows]))  # noqa: E731
        print(f"| **mean** | | | {mean(3):.2f} | {mean(4):.3f} | {mean(5):.3f} | {mean(6):.3f} | {mean(4) - mean(5):+.3f} | "
              f"{mean(7):.1%} | {mean(8):.1%} | |")
        print("\nTargets: RTF <= 0.5; SIM >= 0.80 and >= base + 0.15; CER/WER <= 5 %.")


if __name__ == "__main__":
    main()
