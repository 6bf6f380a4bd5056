"""Each step's offline default on small real media (../shared/data) and the fictional persona."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from media.analysis import detect_face, envelope_per_frame, median_f0
from media.ffmpeg_io import MediaError, load_audio, probe, read_frames
from script.contract import DraftRequest, PersonaStyle, ReviseRequest
from script.markup import parse_markup
from script.sentences import Brief
from storage import Catalog
from storage.local import LocalStore
from video.contract import FootageClip, VideoRequest
from voice.assembly import synthesize
from voice.contract import PromptClip, VoiceRequest


@pytest.fixture
def catalog(tmp_path):
    return Catalog(LocalStore(tmp_path / "store"), tmp_path / "cache")


def test_footage_selection_finds_the_face_in_real_footage(catalog, shared_data, tmp_path):
    from materials.selection import select_footage

    ref = catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4")
    segments = select_footage(catalog, [ref], tmp_path)
    assert segments, "no segment found in footage that shows a face throughout"
    best = segments[0]
    assert best.duration_s >= 10
    x, y, w, h = best.face_box
    assert 0 <= x < 512 and 0 <= y < 512 and 150 < w < 512
    still = catalog.media_path(best.still)
    import cv2

    assert detect_face(cv2.imread(str(still))) is not None


def test_photo_without_a_face_is_refused(tmp_path):
    import cv2

    from materials.selection import face_box_of_photo

    path = tmp_path / "wall.jpg"
    cv2.imwrite(str(path), np.full((256, 256, 3), 180, np.uint8))
    with pytest.raises(MediaError, match="no face found"):
        face_box_of_photo(path)


def test_composer_drafts_from_brief_and_applies_comments():
    from script.backends.composer import ComposerScript

    persona = PersonaStyle(name="Bo", past_passages=["The plum tree blooms in the coldest month.", "Unrelated words."],
                           styles=["warm", "teasing"])
    brief = Brief(occasion="Spring Festival", audience="family", points=["The plum tree bloomed early"])
    draft = ComposerScript().draft(DraftRequest(brief=brief, persona=persona))
    texts = [s.text for s in draft.sentences]
    assert "Spring Festival" in texts[0] and "The plum tree bloomed early." in texts
    assert any("coldest month" in t for t in texts)  # the persona's own words
    revised = ComposerScript().revise(ReviseRequest(brief=brief, persona=persona, previous=draft.sentences, comments=[
        "add: Grandma's dumplings are still the best.", 'replace "family" with "dear ones"', "remove: coldest month",
        "make it rhyme"]))
    texts = [s.text for s in revised.sentences]
    assert "Grandma's dumplings are still the best." in texts
    assert "dear ones" in texts[0] and not any("coldest" in t for t in texts)
    assert revised.notes and "make it rhyme" in revised.notes[0]


def test_espeak_voice_follows_cues_and_persona_pitch(tmp_path, shared_data):
    from voice.backends.espeak import EspeakVoice

    sentences = parse_markup("{low} Hello my dear family. [pause 1.0s]\n{high} [laugh] It is good to see you. [drink 2s]\nGoodbye.")
    prompts = [PromptClip(path=tmp_path / "p.wav", style="low", median_f0_hz=95),
               PromptClip(path=tmp_path / "p.wav", style="high", median_f0_hz=160)]
    result = synthesize(EspeakVoice(), VoiceRequest(sentences=sentences, language="en", prompts=prompts,
                                                   median_f0_hz=120, out_path=tmp_path / "v.wav"))
    audio = load_audio(result.path, 16000)
    assert abs(audio.size / 16000 - result.duration_s) < 0.05
    t = result.sentence_timings
    assert len(t) == 3 and t[0].end_s + 1.0 <= t[1].start_s  # the pause sits between sentences 1 and 2
    assert t[1].end_s + 2.0 <= t[2].start_s  # the drink silence
    gap = audio[int((t[1].end_s + 0.3) * 16000): int((t[1].end_s + 1.8) * 16000)]
    assert np.sqrt(np.mean(gap**2)) < 1e-3
    f_low = median_f0(audio[int(t[0].start_s * 16000): int(t[0].end_s * 16000)], 16000)
    f_high = median_f0(audio[int(t[1].start_s * 16000): int(t[1].end_s * 16000)], 16000)
    assert f_high > f_low * 1.3, (f_low, f_high)
    assert abs(f_low - 95) / 95 < 0.25, f_low


def _mouth_motion(path: Path, box, fps=25.0) -> float:
    info = probe(path)
    frames = read_frames(path, 0, info.duration_s, info.width, info.height, fps).astype(np.float32)
    x, y, w, h = box
    mouth = frames[:, int(y + 0.65 * h): int(y + 1.0 * h), int(x + 0.3 * w): int(x + 0.7 * w)]
    return float(np.mean(np.abs(np.diff(mouth, axis=0))))


def test_reenact_video_moves_the_mouth_with_the_speech(tmp_path, shared_data):
    from video.backends.reenact import ReenactVideo
    from voice.backends.espeak import EspeakVoice

    speech = synthesize(EspeakVoice(), VoiceRequest(
        sentences=parse_markup("One, two, three. [pause 1.5s]\nFour, five, six, seven."), language="en",
        prompts=[PromptClip(path=tmp_path / "p.wav", style="neutral", median_f0_hz=120)], median_f0_hz=120,
        out_path=tmp_path / "speech.wav"))
    photo = tmp_path / "face.jpg"
    import cv2

    from persona.synthetic import make_photo

    make_photo(photo)
    out = ReenactVideo().render(VideoRequest(audio_path=speech.path, photo_path=photo, out_path=tmp_path / "photo.mp4"))
    info = probe(out.path)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert abs(info.duration_s - speech.duration_s) < 0.2
    # mouth region changes more while speaking than during the pause
    frames = read_frames(out.path, 0, info.duration_s, info.width, info.height, 25)
    box = detect_face(cv2.imread(str(photo)))
    env = envelope_per_frame(load_audio(speech.path, 16000), 16000, 25, len(frames))
    x, y, w, h = box
    mouth = frames[:, int(y + 0.7 * h): int(y + 1.0 * h), int(x + 0.3 * w): int(x + 0.7 * w)].astype(np.float32)
    dark = (mouth.mean(axis=3) < 80).mean(axis=(1, 2))
    assert np.corrcoef(dark, env)[0, 1] > 0.5

    real = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(105, 128, 346, 346))
    out = ReenactVideo().render(VideoRequest(audio_path=speech.path, footage=[real], out_path=tmp_path / "real.mp4", max_height=256))
    info = probe(out.path)
    assert (info.width, info.height) == (256, 256) and abs(info.duration_s - speech.duration_s) < 0.2


def test_video_without_footage_or_photo_is_refused(tmp_path):
    from media.ffmpeg_io import write_wav
    from video.backends.reenact import ReenactVideo

    audio = write_wav(tmp_path / "a.wav", np.zeros(16000), 16000)
    with pytest.raises(MediaError, match="needs footage or a photo"):
        ReenactVideo().render(VideoRequest(audio_path=audio, out_path=tmp_path / "x.mp4"))
