"""The voice backends that call servers: the OpenAI-compatible adapter against the studio's own
`studio voice serve` (a real process on 127.0.0.1), and the CosyVoice and GPT-SoVITS adapters
against local servers that follow those projects' documented formats. Prompts are real speech
from ../shared/data; each sentence must come back at the pitch of its own style's prompt."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from media.analysis import median_f0
from media.ffmpeg_io import load_audio
from script.sentences import Cue, Sentence
from tests.conftest import free_port
from tests.voice_servers import LocalServer, cosyvoice_app, gptsovits_app, studio_server
from voice.assembly import VoiceServiceError, synthesize
from voice.contract import PromptClip, VoiceRequest

ROOT = Path(__file__).resolve().parents[1]
LOW_EN = "Some call me nature, others call me mother nature."


@pytest.fixture(scope="module")
def prompts(shared_data) -> list[PromptClip]:
    """Two styles from two real speakers: a low English voice (~122 Hz), a high Mandarin one (~242 Hz)."""
    low, high = shared_data / "speech" / "f5_ref_en.wav", shared_data / "speech" / "f5_ref_zh.wav"
    return [PromptClip(path=low, style="warm", median_f0_hz=median_f0(load_audio(low, 16000), 16000), transcript=LOW_EN),
            PromptClip(path=high, style="teasing", median_f0_hz=median_f0(load_audio(high, 16000), 16000))]


def _request(prompts, out: Path, notes=(), language="en") -> VoiceRequest:
    return VoiceRequest(
        sentences=[Sentence(text="Happy birthday, my dear family.", style="warm", cues_after=[Cue(kind="pause", seconds=0.8)]),
                   Sentence(text="Come home for dinner soon.", style="teasing", cues_before=[Cue(kind="laugh")])],
        language=language, prompts=prompts, median_f0_hz=150, notes=list(notes), out_path=out)


def _sentence_f0(result, index: int) -> float:
    audio = load_audio(result.path, 16000)
    t = result.sentence_timings[index]
    return median_f0(audio[int(t.start_s * 16000):int(t.end_s * 16000)], 16000)


def _check_follows_prompts(result, prompts) -> None:
    assert [t.index for t in result.sentence_timings] == [0, 1]
    first, second = result.sentence_timings
    assert second.start_s - first.end_s > 0.8 + 0.3  # the pause, the gap and the laugh lie between them
    assert result.duration_s >= second.end_s
    for i, prompt in enumerate(prompts):
        assert abs(_sentence_f0(result, i) / prompt.median_f0_hz - 1) < 0.2, (i, _sentence_f0(result, i), prompt.median_f0_hz)


@pytest.fixture(scope="module")
def voice_serve():
    with studio_server("voice", "serve", "--api-key", "test-key", ready="/health") as url:
        yield url


def test_openai_adapter_against_studio_voice_serve(voice_serve, prompts, tmp_path):
    from voice.backends.openai_speech import OpenAISpeechVoice

    voice = OpenAISpeechVoice(f"{voice_serve}/v1", "test-key", "tts-1", "persona", timeout_s=60, max_retries=0)
    result = synthesize(voice, _request(prompts, tmp_path / "a.wav"))
    assert result.backend == "openai"
    _check_follows_prompts(result, prompts)
    slower = synthesize(voice, _request(prompts, tmp_path / "b.wav", notes=["a little slower please"]))
    first = lambda r: r.sentence_timings[0].end_s - r.sentence_timings[0].start_s  # noqa: E731
    assert first(slower) > first(result) * 1.05  # `speed` reached the server
    assert httpx.get(f"{voice_serve}/v1/models").json()["data"][0]["id"] == "studio-offline-voice"

    with pytest.raises(VoiceServiceError, match=r"refused the request \(401\)"):
        synthesize(OpenAISpeechVoice(f"{voice_serve}/v1", "wrong", "tts-1", "persona", max_retries=0),
                   _request(prompts, tmp_path / "c.wav"))
    bad = httpx.post(f"{voice_serve}/v1/audio/speech", headers={"Authorization": "Bearer test-key"},
                     json={"input": "hi", "reference_audio": "bm90IGF1ZGlv"})  # base64 of "not audio"
    assert bad.status_code == 400 and "not readable audio" in bad.json()["error"]["message"]


def test_cosyvoice_adapter_sends_the_prompt_and_reads_raw_pcm(prompts, tmp_path):
    from voice.backends.cosyvoice import CosyVoiceVoice

    received: list[dict] = []
    with LocalServer(cosyvoice_app(received, sample_rate=22050)) as server:
        result = synthesize(CosyVoiceVoice(server.url, sample_rate=22050, max_retries=0), _request(prompts, tmp_path / "a.wav"))
    _check_follows_prompts(result, prompts)
    speech = [r for r in received if r["tts_text"] != "Ha ha ha!"]
    warm, teasing = speech
    assert warm["endpoint"] == "zero_shot" and warm["prompt_text"] == LOW_EN  # the transcript goes with the clip
    assert warm["prompt_wav"] == prompts[0].path.read_bytes()
    assert teasing["endpoint"] == "cross_lingual" and teasing["prompt_wav"] == prompts[1].path.read_bytes()  # no transcript
    assert [r["tts_text"] for r in speech] == ["Happy birthday, my dear family.", "Come home for dinner soon."]


def test_gptsovits_adapter_shares_the_reference_and_reports_errors(prompts, tmp_path):
    from voice.backends.gptsovits import GPTSoVITSVoice

    received: list[dict] = []
    refs = tmp_path / "shared-refs"
    with LocalServer(gptsovits_app(received)) as server:
        voice = GPTSoVITSVoice(server.url, refs, max_retries=0)
        result = synthesize(voice, _request(prompts, tmp_path / "a.wav", notes=["slower"]))
        _check_follows_prompts(result, prompts)
        first = received[0]
        assert Path(first["ref_audio_path"]).parent == refs.resolve()
        assert Path(first["ref_audio_path"]).read_bytes() == prompts[0].path.read_bytes()
        assert (first["text_lang"], first["prompt_text"], first["speed_factor"]) == ("en", LOW_EN, 0.88)
        with pytest.raises(VoiceServiceError, match="text_lang: fr is not supported"):
            synthesize(voice, _request(prompts, tmp_path / "b.wav", language="fr"))
    with pytest.raises(ValueError, match="GPTSOVITS_REF_DIR"):
        GPTSoVITSVoice(server.url, None)


def test_an_unreachable_voice_server_says_so(prompts, tmp_path, settings):
    from voice.registry import voice_backend

    dead = f"http://127.0.0.1:{free_port()}"
    s = settings.model_copy(update={"voice": settings.voice.model_copy(update={
        "backend": "cosyvoice", "base_url": dead, "max_retries": 0})})
    backend = voice_backend(s)
    assert backend.name == "cosyvoice"
    with pytest.raises(VoiceServiceError, match=f"CosyVoice server at {dead}/inference_zero_shot did not answer"):
        synthesize(backend, _request(prompts, tmp_path / "a.wav"))
    assert not (tmp_path / "a.wav").exists()  # nothing half-written


def test_kokoro_voice_speaks_at_each_prompts_pitch_and_reads_polyphones(prompts, tmp_path):
    from voice.backends.kokoro import KokoroVoice, kokoro, phonemes

    vocab = kokoro().vocab
    english = phonemes("Happy birthday, my dear family. Come home!", "en")
    assert set(english) - set(vocab) == set(), english  # every symbol is one the model knows
    assert english.count(",") == 1 and english.endswith("!")
    words = phonemes("银行的行长很行。", "zh").rstrip("。.").split(" ")
    assert words == ["i↗nxa↗ŋ", "tɤ", "xa↗ŋꭧa↓ŋ", "xə↓nɕi↗ŋ"], words  # yínháng de hángzhǎng hěn xíng
    # a syllable with no initial stays apart from the coda before it: qīn'ài, not qí nèi; numbers read out
    assert phonemes("亲爱的", "zh").startswith("ʨʰi→n ai↘") and phonemes("西安", "zh") == "ɕi→ a→n"
    assert phonemes("3个", "zh") == "sa→nkɤ↘"

    result = synthesize(KokoroVoice(), _request(prompts, tmp_path / "a.wav"))
    assert result.backend == "kokoro"
    _check_follows_prompts(result, prompts)
    zh = synthesize(KokoroVoice(), VoiceRequest(sentences=[Sentence(text="祝大家春节快乐，身体健康。", style="teasing")],
                                               language="zh", prompts=prompts, median_f0_hz=150, out_path=tmp_path / "zh.wav"))
    assert 1.2 < zh.duration_s < 6 and abs(_sentence_f0(zh, 0) / prompts[1].median_f0_hz - 1) < 0.2
