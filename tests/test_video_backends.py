"""The video backends on real footage: the re-enactment's mouth follows the speech from the
persona's own mouth shapes (and does not without speech), the photo blinks, and the HeyGem
adapter against a server on 127.0.0.1 that follows HeyGem's documented API."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import SecretStr

from media.analysis import envelope_per_frame
from media.ffmpeg_io import load_audio, probe, read_frames, write_wav
from tests.voice_servers import LocalServer, heygem_app, lipsync_app
from video.contract import FootageClip, VideoRequest
from voice.assembly import synthesize


def _mouth_and_eyes(path, width, height):
    from media.backends.dlib_face import find_face, landmarks, measure

    mouth, eyes = [], []
    for frame in read_frames(path, 0, probe(path).duration_s, width, height, 25):
        box = find_face(frame)
        m = measure(landmarks(frame, box), width, height) if box else None
        mouth.append(m.mouth_open if m else np.nan)
        eyes.append(m.eyes_open if m else np.nan)
    return np.array(mouth), np.array(eyes)


def _corr(a, b) -> float:
    n = min(len(a), len(b))
    ok = ~np.isnan(a[:n])
    return float(np.corrcoef(a[:n][ok], b[:n][ok])[0, 1])


@pytest.fixture(scope="module")
def speech(shared_data, tmp_path_factory):
    """Real speech (5.3 s) with a second of silence in the middle."""
    audio = load_audio(shared_data / "speech" / "f5_ref_en.wav", 16000)
    mid = audio.size // 2
    return write_wav(tmp_path_factory.mktemp("speech") / "speech.wav",
                     np.concatenate([audio[:mid], np.zeros(16000, np.float32), audio[mid:]]), 16000)


def test_reenacted_mouth_follows_the_speech_with_the_persons_own_mouth(shared_data, speech, tmp_path):
    from video.backends.reenact import ReenactVideo

    clip = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    done: list[float] = []
    out = ReenactVideo().render(VideoRequest(audio_path=speech, footage=[clip], max_height=384, out_path=tmp_path / "talk.mp4"),
                                progress=done.append)
    assert done[0] == 0 and done == sorted(done) and 50 < done[-1] < 100  # every 2 s of video
    info = probe(out.path)
    assert (info.width, info.height) == (384, 384) and info.video_codec == "h264" and info.audio_codec == "aac"
    mouth, _ = _mouth_and_eyes(out.path, 384, 384)
    env = envelope_per_frame(load_audio(speech, 16000), 16000, 25, len(mouth))
    assert np.mean(~np.isnan(mouth)) > 0.95  # the face stays a face
    assert _corr(mouth, env) > 0.6
    # the silent second in the middle: the mouth rests near closed
    quiet = slice(int(2.75 * 25), int(3.55 * 25))
    assert np.nanmedian(mouth[quiet]) < np.nanpercentile(mouth, 75)
    # without speech the same footage's mouth follows nothing
    silent = write_wav(tmp_path / "silent.wav", np.zeros(load_audio(speech, 16000).size, np.float32), 16000)
    loop = ReenactVideo().render(VideoRequest(audio_path=silent, footage=[clip], max_height=384, out_path=tmp_path / "loop.mp4"))
    loop_mouth, _ = _mouth_and_eyes(loop.path, 384, 384)
    assert abs(_corr(loop_mouth, env)) < 0.4


def test_two_footage_segments_are_joined_without_a_jump(shared_data, tmp_path):
    from video.base_track import FrameSource

    path = shared_data / "footage" / "lp_d3.mp4"
    clips = [FootageClip(path=path, start_s=0, duration_s=4, face_box=(130, 164, 309, 310)),
             FootageClip(path=path, start_s=7, duration_s=4, face_box=(130, 164, 309, 310))]
    source = FrameSource(VideoRequest(audio_path=tmp_path / "unused.wav", footage=clips, max_height=256,
                                      out_path=tmp_path / "unused.mp4"), duration_s=9.0)
    assert len(source.base) > 4 * 25 + 2 * 25  # both segments are in the track
    change = lambda f: np.abs(np.diff(f.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))  # noqa: E731
    own = change(read_frames(path, 0, 11.8, 256, 256, 25)).max()
    a, b = read_frames(path, 0, 4, 256, 256, 25), read_frames(path, 7, 4, 256, 256, 25)
    assert np.abs(b[0].astype(np.int16) - a[-1]).mean() > 1.5 * own  # cut there, the jump would show
    assert change(source.base).max() <= own + 0.5  # joined, nothing jumps more than the footage itself does
    # nor do the brows and eyes (a dissolve doubles them, a cut where only the head matches moves them)
    from video.face_motion import track_landmarks
    from video.quality import upper_face_jump

    footage_jump = upper_face_jump(track_landmarks(read_frames(path, 0, 11.8, 256, 256, 25)))
    assert upper_face_jump(track_landmarks(source.base)) <= 1.05 * footage_jump  # within the measure's noise


def test_the_lips_close_where_the_words_say_m_b_p(shared_data, speech, speech_check, tmp_path):
    from media.asr import transcribe
    from video.backends.reenact import ReenactVideo
    from video.visemes import mouth_plan, shapes_of
    from voice.records import WordTiming

    assert shapes_of("mother") == ["closed", "round", "neutral", "neutral", "spread", "neutral"]
    assert shapes_of("妈妈") == ["closed", "open", "closed", "open"]  # mā: lips shut for m, then open for a
    heard = transcribe(load_audio(speech, 16000), 16000, speech_check, language="en", words=True)
    words = [WordTiming(word=w.strip(), start_s=a, end_s=b) for w, a, b in heard.words]
    assert any(w.word.lower().startswith("mother") for w in words)
    clip = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    opened = {}
    for label, given in (("loudness", []), ("words", words)):
        out = ReenactVideo().render(VideoRequest(audio_path=speech, footage=[clip], words=given, max_height=384,
                                                 out_path=tmp_path / f"{label}.mp4"))
        opened[label] = _mouth_and_eyes(out.path, 384, 384)[0]
    allow, _ = mouth_plan(words, 25, len(opened["words"]))
    shut = allow < 0.3
    assert shut.sum() >= 5
    # loudness alone keeps the mouth open through a voiced m; the words close it
    assert np.nanmean(opened["words"][shut]) < 0.6 * np.nanmean(opened["loudness"][shut])


def test_a_photo_talks_sways_and_blinks(persona_media, speech, tmp_path):
    from video.backends.reenact import ReenactVideo
    from video.face_motion import blink_times

    out = ReenactVideo().render(VideoRequest(audio_path=speech, photo_path=persona_media["photo"], max_height=384,
                                             out_path=tmp_path / "photo.mp4"))
    mouth, eyes = _mouth_and_eyes(out.path, 384, 384)
    env = envelope_per_frame(load_audio(speech, 16000), 16000, 25, len(mouth))
    assert _corr(mouth, env) > 0.6
    blinks = blink_times(out.duration_s)
    assert blinks.size >= 1
    at_blink = [eyes[int(round(t * 25))] for t in blinks if int(round(t * 25)) < len(eyes)]
    assert np.nanmax(at_blink) < 0.7 * np.nanmedian(eyes)  # the eyes close at each blink


def test_a_real_photo_blinks_with_its_own_lids_and_lashes(shared_data, speech, tmp_path):
    """A blink hides the iris under lid skin and keeps the detail around the eye (lashes, crease),
    never a flat pale oval."""
    import cv2

    from video.backends.reenact import ReenactVideo
    from video.face_motion import blink_times, track_landmarks

    photo = tmp_path / "sun.png"
    cv2.imwrite(str(photo), read_frames(shared_data / "footage" / "musetalk_sun.mp4", 1.0, 0.1, 576, 768, 25)[0])
    out = ReenactVideo().render(VideoRequest(audio_path=speech, photo_path=photo, max_height=384, out_path=tmp_path / "p.mp4"))
    frames = read_frames(out.path, 0, out.duration_s, out.width, out.height, 25)
    points = track_landmarks(frames, every=1)

    def eyes(i):  # (share of dark pixels: the iris and pupil; detail) around both eyes
        found = []
        for eye in (points[i, 36:42], points[i, 42:48]):
            x0, x1 = int(eye[:, 0].min()), int(eye[:, 0].max())
            cy, h = int(eye[:, 1].mean()), int(0.35 * (x1 - x0))
            gray = cv2.cvtColor(frames[i][cy - h : cy + h, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float64)
            skin = np.median(cv2.cvtColor(frames[i][cy + h : cy + 3 * h, x0:x1], cv2.COLOR_BGR2GRAY))
            found.append(((gray < 0.55 * skin).mean(), cv2.Laplacian(gray, cv2.CV_64F).var()))
        return np.mean(found, axis=0)

    dark_open, detail_open = eyes(0)
    for t in blink_times(out.duration_s):
        dark, detail = eyes(int(round(t * 25)))
        assert dark < 0.6 * dark_open  # the iris is under the lid
        assert detail > 0.5 * detail_open  # lashes and crease, not a flat oval (the drawn lid of before: 0.09)


def test_a_drink_cue_cuts_to_the_drinking_footage_for_its_length(shared_data, tmp_path):
    from script.markup import parse_markup
    from video.backends.reenact import ReenactVideo
    from voice.backends.espeak import EspeakVoice
    from voice.contract import PromptClip, VoiceRequest

    voice = synthesize(EspeakVoice(), VoiceRequest(
        sentences=parse_markup("Thank you all. [drink]\nNow, where was I?"), language="en",
        prompts=[PromptClip(path=tmp_path / "none.wav", style="neutral", median_f0_hz=120)], median_f0_hz=120,
        cue_seconds={"drink": 2.4}, out_path=tmp_path / "voice.wav"))
    [drink] = voice.cue_timings
    assert drink.kind == "drink" and drink.sentence == 0 and drink.end_s - drink.start_s == pytest.approx(2.4, abs=0.01)
    assert voice.sentence_timings[0].end_s <= drink.start_s < drink.end_s <= voice.sentence_timings[1].start_s
    base = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    # another upload, another shape (576x768 into 256x256): it is fitted whole, not stretched
    drinking = FootageClip(path=shared_data / "footage" / "musetalk_sun.mp4", start_s=5, duration_s=3, face_box=(0, 0, 576, 768),
                           label="drinking")
    out = ReenactVideo().render(VideoRequest(audio_path=voice.path, footage=[base], actions=[drinking], cues=voice.cue_timings,
                                             max_height=256, out_path=tmp_path / "drink.mp4"))
    frames = read_frames(out.path, 0, out.duration_s, 256, 256, 25).astype(np.float32)
    action = read_frames(drinking.path, 5, 3, 192, 256, 25).astype(np.float32)
    mid = int((drink.start_s + drink.end_s) / 2 * 25)
    k = mid - int(round(drink.start_s * 25))
    assert np.abs(frames[mid][:, 32:224] - action[k]).mean() < 8  # the drinking footage itself, letterboxed
    before = frames[int(drink.start_s * 25) - 10]
    assert np.abs(before[:, 32:224] - action[0]).mean() > 25  # the base footage until the cue
    # fades, not cuts: no frame-to-frame change at the cue's edges beyond the fade's share
    steps = np.abs(np.diff(frames[int(drink.start_s * 25) - 2 : int(drink.start_s * 25) + 9], axis=0)).mean(axis=(1, 2, 3))
    assert steps.max() < 0.5 * np.abs(before - frames[mid]).mean()


def test_heygem_adapter_sends_the_base_track_and_reads_the_result(shared_data, speech, tmp_path, settings):
    from video.registry import video_backend

    data = tmp_path / "heygem-data"
    received: list[dict] = []
    clip = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    with LocalServer(heygem_app(data, received, busy_first=1)) as server:
        backend = video_backend(settings.model_copy(update={"video": settings.video.model_copy(update=dict(
            backend="heygem", base_url=server.url, heygem_data_dir=data, heygem_data_dir_on_server="/code/data",
            poll_s=0.2))}))
        done: list[float] = []
        out = backend.render(VideoRequest(audio_path=speech, footage=[clip], max_height=256, out_path=tmp_path / "hg.mp4"),
                             progress=done.append)
        assert done[-1] == 100 and 20 in done  # the server's own figures
        info = probe(out.path)
        assert out.backend == "heygem" and (info.width, info.height) == (256, 256)
        assert info.video_codec == "h264" and info.audio_codec == "aac"
        assert abs(info.duration_s - load_audio(speech, 16000).size / 16000) < 0.2
        # busy at first: the adapter waited and sent the same job again
        assert len(received) == 2 and received[0] == received[1]
        job = received[1]
        assert job["video_url"].startswith("/code/data/studio/") and job["audio_url"].endswith("audio.wav")
        assert (job["chaofen"], job["watermark_switch"], job["pn"]) == (0, 0, 1)
        assert not (data / "studio").exists() or not any((data / "studio").iterdir())  # its inputs are cleaned up

        from video.backends.heygem import HeyGemVideo
        from video.server_take import LipSyncServiceError

        wall = tmp_path / "wall.mp4"  # footage with no face: the server says so, and so does the adapter
        import subprocess

        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=4",
                        "-c:v", "libx264", "-preset", "ultrafast", str(wall)], check=True)
        with pytest.raises(LipSyncServiceError, match="no face detected"):
            HeyGemVideo(server.url, data, "/code/data", poll_s=0.2).render(VideoRequest(
                audio_path=speech, footage=[FootageClip(path=wall, start_s=0, duration_s=4, face_box=(0, 0, 320, 240))],
                max_height=240, out_path=tmp_path / "x.mp4"))
    with pytest.raises(LipSyncServiceError, match="did not answer"):
        HeyGemVideo(server.url, data, "/code/data", max_retries=0).render(
            VideoRequest(audio_path=speech, footage=[clip], max_height=256, out_path=tmp_path / "y.mp4"))
    with pytest.raises(ValueError, match="HEYGEM_DATA_DIR"):
        HeyGemVideo(server.url, None, None)


def test_lipsync_adapter_posts_video_and_speech_and_reads_either_answer(shared_data, speech, tmp_path, settings):
    from video.backends.lipsync_http import LipSyncHTTPVideo
    from video.registry import video_backend
    from video.server_take import LipSyncServiceError

    clip = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    for answer in ("video", "json"):
        received: list[dict] = []
        with LocalServer(lipsync_app(received, api_key="k3y", answer=answer)) as server:
            backend = video_backend(settings.model_copy(update={"video": settings.video.model_copy(update=dict(
                backend="lipsync", base_url=server.url, api_key=SecretStr("k3y")))}))
            out = backend.render(VideoRequest(audio_path=speech, footage=[clip], max_height=256, out_path=tmp_path / f"{answer}.mp4"))
            info = probe(out.path)
            assert out.backend == "lipsync" and (info.width, info.height) == (256, 256) and info.audio_codec == "aac"
            assert abs(info.duration_s - load_audio(speech, 16000).size / 16000) < 0.2
            assert received == [{"video": "reference.mp4", "audio": "audio.wav", "authorization": "Bearer k3y"}]
            with pytest.raises(LipSyncServiceError, match="refused the request \\(401\\)"):
                LipSyncHTTPVideo(server.url, api_key="wrong", max_retries=0).render(
                    VideoRequest(audio_path=speech, footage=[clip], max_height=256, out_path=tmp_path / "no.mp4"))
    with pytest.raises(LipSyncServiceError, match="did not answer"):
        LipSyncHTTPVideo(server.url, max_retries=0).render(
            VideoRequest(audio_path=speech, footage=[clip], max_height=256, out_path=tmp_path / "gone.mp4"))
