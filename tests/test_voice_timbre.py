"""The persona's timbre, learned from real speech: the conversion brings the offline voice nearer
the person's held-out speech and keeps the words; it is stored once per set of prompts and
transcripts, audited, and learned anew when a transcript is corrected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.records import AssetRef
from materials.records import MaterialSet, VoicePrompt
from media.asr import error_rate, transcribe
from media.backends.resemblyzer_speaker import embed, similarity
from media.ffmpeg_io import load_audio, write_wav
from storage import Catalog
from storage.local import LocalStore
from voice.contract import Line, PromptClip, TimbreLearned
from voice.records import VoiceTimbre
from voice.timbre import learn_persona_timbre

SR = 24000


@pytest.fixture
def catalog(tmp_path):
    return Catalog(LocalStore(tmp_path / "store"), tmp_path / "cache")


def test_the_timbre_learned_from_real_prompts_brings_the_voice_to_the_person(shared_data, tmp_path, speech_check):
    from voice.backends.kokoro import KokoroVoice
    from voice.backends.kokoro_learn import KokoroTimbreLearner

    audio = load_audio(shared_data / "speech" / "f5_multi_town.flac", SR)
    material, held_out = audio[: 6 * SR], audio[6 * SR :]
    prompt = PromptClip(path=write_wav(tmp_path / "prompt.wav", material, SR), style="neutral", median_f0_hz=113,
                        transcript="The difference in the rainbow depends considerably upon the size of the drops")
    learned = KokoroTimbreLearner().learn([prompt], tmp_path / "timbre.npz")
    assert learned.base_voice == "jm_kumo" and learned.frames >= 400
    assert learned.distance_after < learned.distance_before
    assert learned.path.stat().st_size < 64_000

    texts = ["Dear friends, happy Spring Festival to all of you.", "Thank you for thirty years of hard work and good humour."]

    def say(**timbre) -> np.ndarray:
        return np.concatenate([KokoroVoice().speak(Line(text=text, prompt=prompt, speed=1.0, pitch=1.0, language="en",
                                                        **timbre))[0] for text in texts])

    before, half, after = say(), say(timbre=learned.path, timbre_strength=0.5), say(timbre=learned.path)
    person = embed(held_out, SR)
    sims = [similarity(embed(audio, SR), person) for audio in (before, half, after)]
    assert sims[2] > sims[0] + 0.05 and sims[0] < sims[1] < sims[2], sims  # nearer the person, step by step
    heard = transcribe(after, SR, speech_check, language="en").text
    assert error_rate(" ".join(texts), heard, "en") <= 0.1, heard


def test_a_prompt_without_a_transcript_teaches_nothing(shared_data, tmp_path):
    from voice.backends.kokoro_learn import KokoroTimbreLearner
    from voice.contract import TimbreError

    prompt = PromptClip(path=shared_data / "speech" / "f5_ref_en.wav", style="neutral", median_f0_hz=110)
    with pytest.raises(TimbreError, match="transcript"):
        KokoroTimbreLearner().learn([prompt], tmp_path / "timbre.npz")


class CountingLearner:
    name = "kokoro"

    def __init__(self):
        self.calls: list[list[str]] = []

    def learn(self, prompts: list[PromptClip], out_path: Path) -> TimbreLearned:
        self.calls.append([p.transcript or "" for p in prompts])
        out_path.write_bytes(("learned from " + "|".join(self.calls[-1])).encode())
        return TimbreLearned(path=out_path, backend=self.name, base_voice="jm_kumo", frames=400, distance_before=2.0,
                             distance_after=1.5, seconds=0.1)


def _materials(catalog, transcripts: list[str | None], persona: str = "grandpa-li") -> MaterialSet:
    clip: AssetRef = catalog.put_media(b"RIFF not really audio", "audio/wav")
    prompts = [VoicePrompt(clip=clip, source=clip, start_s=i, duration_s=4, style="neutral", median_f0_hz=120, snr_db=30,
                           score=1, why="test", transcript=t) for i, t in enumerate(transcripts)]
    return MaterialSet(id=f"m-{len(catalog.find(MaterialSet))}", persona_id=persona, voice_prompts=prompts, footage=[],
                       median_f0_hz=120)


def test_the_timbre_is_learned_once_per_prompts_and_again_after_a_correction(catalog, tmp_path):
    learner = CountingLearner()
    materials = _materials(catalog, ["收购内下公司"])
    first = learn_persona_timbre(catalog, learner, materials, tmp_path)
    again = learn_persona_timbre(catalog, learner, materials, tmp_path)
    assert first.id == again.id and len(learner.calls) == 1
    assert catalog.read_media(first.conversion) == "learned from 收购内下公司".encode()
    corrected = learn_persona_timbre(catalog, learner, _materials(catalog, ["收购那家公司"]), tmp_path)
    assert corrected.id != first.id and learner.calls[-1] == ["收购那家公司"]
    assert {v.id for v in catalog.find(VoiceTimbre)} == {first.id, corrected.id}  # both versions kept
    learned = [e for e in catalog.audit_events("persona/grandpa-li") if e.action == "voice.timbre_learned"]
    assert len(learned) == 2
    assert learn_persona_timbre(catalog, learner, _materials(catalog, [None]), tmp_path) is None
    [skipped] = [e for e in catalog.audit_events("persona/grandpa-li") if e.action == "voice.timbre_skipped"]
    assert "transcript" in skipped.details["reason"]
    assert learn_persona_timbre(catalog, None, materials, tmp_path) is None  # zero-shot servers learn nothing here
