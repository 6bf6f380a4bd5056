"""Voice materials on real speech (../shared/data): prompts, quality figures, another speaker
left out, denoising, reverberation, the sound bank, transcripts and the operator's override."""

from __future__ import annotations

import numpy as np
import pytest

from materials.records import PromptPick
from media.ffmpeg_io import MediaError, load_audio, write_wav
from storage import Catalog
from storage.local import LocalStore

SR = 16000


@pytest.fixture
def catalog(tmp_path):
    return Catalog(LocalStore(tmp_path / "store"), tmp_path / "cache")


def _put(catalog, path, audio=None, name=None):
    if audio is not None:
        path = write_wav(path, audio, SR)
    return catalog.put_media_file(path, "audio/wav", name=name or path.name)


def test_prompts_cover_distinct_styles_of_one_speaker_with_transcripts(catalog, shared_data, tmp_path, speech_check):
    from materials.voice_prompts import select_voice_prompts

    sun = _put(catalog, shared_data / "footage" / "musetalk_sun.wav")
    other = _put(catalog, shared_data / "speech" / "f5_ref_en.wav")  # somebody else in the same upload set
    selection = select_voice_prompts(catalog, [sun, other], tmp_path, check=speech_check)
    prompts = selection.prompts
    assert 3 <= len(prompts) <= 5
    assert len({p.style for p in prompts}) == len(prompts), "each prompt should stand for its own style"
    for p in prompts:
        assert p.source == sun, f"a clip of the other speaker was chosen: {p.why}"
        assert 2.5 <= p.duration_s <= 5.2
        clip = load_audio(catalog.media_path(p.clip), SR)
        assert abs(clip.size / SR - p.duration_s) < 0.1
        assert p.speaker_similarity > 0.85 and p.snr_db > 25 and p.clipping_pct == 0
        assert p.transcript and len(p.transcript) >= 5, "Whisper should write the prompt's words"
        assert "style cluster" in p.why
    left_out = [c for c in selection.candidates if c.source == other]
    assert left_out and all(c.style == "other_speaker" and "another speaker" in c.why for c in left_out)
    assert selection.speaking_rate_wpm and 80 < selection.speaking_rate_wpm < 300


def test_noisy_recording_is_denoised_before_its_clips_are_scored(catalog, shared_data, tmp_path, monkeypatch):
    import materials.voice_prompts
    from materials.voice_prompts import select_voice_prompts
    from media.backends.deepfilternet import denoise

    clean48 = load_audio(shared_data / "speech" / "f5_ref_en.wav", 48000)
    rng = np.random.default_rng(0)
    noisy48 = (clean48 + rng.normal(0, 0.03, clean48.size)).astype(np.float32)
    cleaned = denoise(noisy48)
    assert cleaned.size == clean48.size

    def snr(x):
        return 10 * np.log10(np.sum(clean48**2) / np.sum((clean48 - x) ** 2))

    assert snr(cleaned) > snr(noisy48) + 5, (snr(noisy48), snr(cleaned))
    ref = catalog.put_media_file(write_wav(tmp_path / "noisy.wav", noisy48, 48000), "audio/wav")
    selection = select_voice_prompts(catalog, [ref], tmp_path)
    assert all("(denoised)" in p.why for p in selection.prompts)

    # the same upload again (another persona, another production): nothing is denoised or
    # embedded twice, and the choice is the same
    def computed_again(*args):
        raise AssertionError("analysed twice")

    monkeypatch.setattr(materials.voice_prompts, "denoise", computed_again)
    monkeypatch.setattr(materials.voice_prompts, "embed", computed_again)
    (tmp_path / "again").mkdir()
    again = select_voice_prompts(catalog, [ref], tmp_path / "again")
    assert [p.why for p in again.prompts] == [p.why for p in selection.prompts]


def test_reverberation_rises_with_the_room(shared_data):
    from materials.voice_prompts import reverberation

    dry = load_audio(shared_data / "speech" / "f5_ref_en.wav", SR)
    rng = np.random.default_rng(3)
    figures = [reverberation(dry)]
    for t60 in (0.3, 0.8, 1.2):
        t = np.arange(int(t60 * 1.2 * SR)) / SR
        rir = rng.normal(0, 1, t.size) * np.exp(-6.9 * t / t60)
        rir[0] = 8
        figures.append(reverberation(np.convolve(dry, rir)[: dry.size]))
    assert figures[0] < 0.1 and figures == sorted(figures) and figures[-1] > 0.6, figures


def test_coughs_and_breaths_between_sentences_go_to_the_sound_bank(catalog, shared_data, tmp_path):
    from materials.voice_prompts import select_voice_prompts
    from voice.assembly import _noise_burst

    rng = np.random.default_rng(1)
    speech = load_audio(shared_data / "speech" / "f5_ref_en.wav", SR)
    burst = _noise_burst(0.22, SR, 200, 2500, 0.005, rng)
    cough = 0.5 * np.concatenate([burst, np.zeros(int(0.12 * SR)), 0.7 * burst])
    breath = 0.03 * _noise_burst(0.45, SR, 300, 3000, 0.15, rng)
    gap = np.zeros(int(0.7 * SR))
    audio = np.concatenate([speech, gap, cough, gap, speech, gap, breath, gap, speech]).astype(np.float32)
    audio += rng.normal(0, 0.0005, audio.size).astype(np.float32)
    ref = _put(catalog, tmp_path / "with-sounds.wav", audio)
    bank = select_voice_prompts(catalog, [ref], tmp_path).sound_bank
    kinds = {s.kind: s for s in bank}
    assert set(kinds) == {"cough", "breath"}, [(s.kind, s.start_s, s.why) for s in bank]
    cough_at = speech.size / SR + 0.7
    assert abs(kinds["cough"].start_s - cough_at) < 0.2
    # each sound's level against the person's speech is kept, so it plays back as loud as it was
    speech_db = 20 * np.log10(np.sqrt(np.mean(speech[np.abs(speech) > 0.01] ** 2)))
    assert kinds["breath"].level_db < kinds["cough"].level_db
    assert kinds["breath"].level_db == pytest.approx(20 * np.log10(np.sqrt(np.mean(breath**2))) - speech_db, abs=6)
    assert catalog.media_path(kinds["cough"].clip).stat().st_size > 1000


def test_operator_picks_replace_the_selection_and_bad_picks_are_refused(catalog, shared_data, tmp_path):
    from materials.voice_prompts import select_voice_prompts

    sun = _put(catalog, shared_data / "footage" / "musetalk_sun.wav")
    picks = [PromptPick(source=sun, start_s=6.0, duration_s=4.0, style="warm")]
    selection = select_voice_prompts(catalog, [sun], tmp_path, picks=picks, picked_by="ops@example.org")
    [prompt] = selection.prompts
    assert prompt.chosen_by == "operator" and prompt.style == "warm" and prompt.start_s == 6.0
    assert "ops@example.org" in prompt.why and 100 < prompt.median_f0_hz < 300
    assert len(selection.candidates) >= 3  # the automatic figures are still there to compare
    late = [PromptPick(source=sun, start_s=21.0, duration_s=4.0, style="warm")]
    with pytest.raises(MediaError, match="runs past the end"):
        select_voice_prompts(catalog, [sun], tmp_path, picks=late)


def test_silence_and_corrupt_files_are_refused(catalog, tmp_path):
    from materials.voice_prompts import select_voice_prompts

    silent = _put(catalog, tmp_path / "silent.wav", np.zeros(SR * 5, np.float32))
    with pytest.raises(MediaError, match="no speech"):
        select_voice_prompts(catalog, [silent], tmp_path)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(MediaError, match="not a readable media file"):
        load_audio(junk)


def test_whisper_hears_the_real_speech_samples(shared_data, speech_check):
    from media.asr import error_rate, transcribe

    en = load_audio(shared_data / "speech" / "f5_ref_en.wav", SR)
    heard = transcribe(en, SR, speech_check, language="en", words=True)
    assert error_rate("Some call me nature, others call me mother nature.", heard.text, "en") == 0, heard.text
    starts = [s for _, s, _ in heard.words]
    assert starts == sorted(starts) and heard.words[-1][2] <= en.size / SR + 0.1
    zh = load_audio(shared_data / "speech" / "f5_ref_zh.wav", SR)
    heard = transcribe(zh, SR, speech_check, language="zh")
    # Whisper-base writes homophones for the proper name (太以 for 太乙): by sound it is right
    assert error_rate("对，这就是我，万人敬仰的太乙真人。", heard.text, "zh", phonetic=True) <= 0.1, heard.text
