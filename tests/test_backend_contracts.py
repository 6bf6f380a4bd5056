"""One shared test per capability, run over every backend its registry names (in the spirit of
diffusers' PipelineTesterMixin): the offline backends for real, the HTTP adapters against the
local servers that follow their projects' documented APIs (or the studio's own `studio voice
serve` / `studio llm serve`). A new backend proves itself by passing its capability's test: add
how to run it to the builders below, or the test says what is missing."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from media.analysis import median_f0
from media.ffmpeg_io import load_audio, probe, write_wav
from persona.embeddings import EMBEDDERS, embedder
from script.contract import DraftRequest, PersonaStyle, ReviseRequest
from script.llm.contract import ChatMessage, ChatRequest
from script.registry import LLM_BACKENDS, SCRIPT_BACKENDS, llm_backend, script_backend
from script.sentences import Brief, Sentence
from tests.voice_servers import LocalServer, cosyvoice_app, gptsovits_app, heygem_app, lipsync_app, studio_server
from video.contract import FootageClip, VideoRequest
from video.registry import VIDEO_BACKENDS, video_backend
from voice.assembly import synthesize
from voice.contract import Line, PromptClip, VoiceRequest
from voice.registry import VOICE_BACKENDS, voice_backend

ROOT = Path(__file__).resolve().parents[1]


def with_group(settings, group: str, **values):
    return settings.model_copy(update={group: getattr(settings, group).model_copy(update=values)})


def _missing(registry: dict, builders: dict) -> list[str]:
    return sorted(set(registry) - set(builders))


# ------------------------------------------------------------------ voice
@contextlib.contextmanager
def _offline(settings, name):
    yield with_group(settings, "voice", backend=name)


@contextlib.contextmanager
def _openai_voice(settings, name):
    with studio_server("voice", "serve", "--api-key", "k", ready="/health", token="k") as url:
        yield with_group(settings, "voice", backend=name, base_url=f"{url}/v1", api_key=SecretStr("k"))


@contextlib.contextmanager
def _cosyvoice(settings, name):
    with LocalServer(cosyvoice_app([], sample_rate=22050)) as server:
        yield with_group(settings, "voice", backend=name, base_url=server.url, cosyvoice_sample_rate=22050)


@contextlib.contextmanager
def _gptsovits(settings, name):
    with LocalServer(gptsovits_app([])) as server:
        yield with_group(settings, "voice", backend=name, base_url=server.url,
                         gptsovits_ref_dir=settings.work_dir / "gptsovits-refs")


VOICE_BUILDERS = {"espeak": _offline, "kokoro": _offline, "openai": _openai_voice, "cosyvoice": _cosyvoice,
                  "gptsovits": _gptsovits}


def test_every_voice_backend_has_a_shared_test():
    assert not _missing(VOICE_BACKENDS, VOICE_BUILDERS), "add how to run these voice backends to VOICE_BUILDERS"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VOICE_BACKENDS))
def test_voice_backend_contract(name, settings, shared_data, tmp_path):
    """The one hook: a line comes back as mono audio at a real rate, near the prompt's pitch;
    the studio's assembly then makes every sentence, in order, into the requested WAV."""
    clip = shared_data / "speech" / "f5_ref_en.wav"
    prompt = PromptClip(path=clip, style="warm", median_f0_hz=median_f0(load_audio(clip, 16000), 16000),
                        transcript="Some call me nature, others call me mother nature.")
    with VOICE_BUILDERS[name](settings, name) as configured:
        backend = voice_backend(configured)
        assert backend.name == name and isinstance(backend.reads_pinyin, bool)
        audio, rate = backend.speak(Line(text="Happy birthday, my dear family.", prompt=prompt, speed=1.0, pitch=1.0,
                                         language="en"))
        audio = np.asarray(audio, dtype=np.float32)
        assert audio.ndim == 1 and 8000 <= rate <= 48000 and 0.4 < audio.size / rate < 8 and np.isfinite(audio).all()
        assert np.abs(audio).max() > 0.01  # not silence
        result = synthesize(backend, VoiceRequest(
            sentences=[Sentence(text="Happy birthday, my dear family."), Sentence(text="Come home for dinner soon.")],
            language="en", prompts=[prompt], median_f0_hz=prompt.median_f0_hz, out_path=tmp_path / "voice.wav"))
    assert result.backend == name and result.path.is_file()
    first, second = result.sentence_timings
    assert 0 <= first.start_s < first.end_s <= second.start_s < second.end_s <= result.duration_s + 0.01
    assert abs(load_audio(result.path, 16000).size / 16000 - result.duration_s) < 0.05


# ------------------------------------------------------------------ video
@contextlib.contextmanager
def _reenact(settings, name):
    yield with_group(settings, "video", backend=name)


@contextlib.contextmanager
def _heygem(settings, name):
    data = settings.work_dir / "heygem-data"
    with LocalServer(heygem_app(data, [])) as server:
        yield with_group(settings, "video", backend=name, base_url=server.url, heygem_data_dir=data,
                         heygem_data_dir_on_server="/code/data", poll_s=0.2)


@contextlib.contextmanager
def _lipsync(settings, name):
    with LocalServer(lipsync_app([], api_key="k")) as server:
        yield with_group(settings, "video", backend=name, base_url=server.url, api_key=SecretStr("k"))


VIDEO_BUILDERS = {"reenact": _reenact, "heygem": _heygem, "lipsync": _lipsync}


def test_every_video_backend_has_a_shared_test():
    assert not _missing(VIDEO_BACKENDS, VIDEO_BUILDERS), "add how to run these video backends to VIDEO_BUILDERS"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VIDEO_BACKENDS))
def test_video_backend_contract(name, settings, shared_data, tmp_path):
    """An H.264/AAC MP4 as long as the speech, at an even size within the requested height, its
    progress reported as it goes."""
    speech = load_audio(shared_data / "speech" / "f5_ref_en.wav", 16000)[: 3 * 16000]
    audio = write_wav(tmp_path / "speech.wav", speech, 16000)
    clip = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    done: list[float] = []
    with VIDEO_BUILDERS[name](settings, name) as configured:
        result = video_backend(configured).render(
            VideoRequest(audio_path=audio, footage=[clip], max_height=256, out_path=tmp_path / "take.mp4"),
            progress=done.append)
    info = probe(result.path)
    assert result.backend == name and (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.height <= 256 and info.width % 2 == 0 and info.height % 2 == 0
    assert (result.width, result.height) == (info.width, info.height)
    assert abs(info.duration_s - 3.0) < 0.25 and abs(result.duration_s - info.duration_s) < 0.25
    assert done == sorted(done) and all(0 <= d <= 100 for d in done)  # how far it has got, never back


# ------------------------------------------------------------- language models
@contextlib.contextmanager
def _llamacpp(settings, name):
    yield with_group(settings, "llm", backend=name)


@contextlib.contextmanager
def _openai_chat(settings, name):
    # the server runs the fast shipped model: this is about the HTTP adapter, not the writing
    env = dict(os.environ, STUDIO_LLM__SHIPPED="smollm2-135m")
    with studio_server("llm", "serve", "--api-key", "k", ready="/v1/models", token="k", env=env) as url:
        yield with_group(settings, "llm", backend=name, base_url=f"{url}/v1", api_key=SecretStr("k"), model="local")


@contextlib.contextmanager
def _composer(settings, name):
    yield with_group(settings, "llm", backend=name)


LLM_BUILDERS = {"llamacpp": _llamacpp, "openai": _openai_chat}
SCRIPT_BUILDERS = {"composer": _composer, "llamacpp": _llamacpp, "openai": _openai_chat}


def test_every_language_backend_has_a_shared_test():
    assert not _missing(LLM_BACKENDS, LLM_BUILDERS), "add how to run these chat backends to LLM_BUILDERS"
    assert not _missing(SCRIPT_BACKENDS, SCRIPT_BUILDERS), "add how to run these script writers to SCRIPT_BUILDERS"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LLM_BACKENDS))
def test_chat_backend_contract(name, settings):
    """An answer within the token budget, with who answered and how it ended."""
    with LLM_BUILDERS[name](settings, name) as configured:
        chat = llm_backend(configured)
        result = chat.chat(ChatRequest(messages=[ChatMessage(role="user", content="Say hello to my family.")],
                                       max_tokens=24, temperature=0, seed=1))
    assert chat.name == result.backend and "en" in chat.languages
    assert result.text.strip() and result.finish_reason in ("stop", "length") and result.seconds > 0
    assert result.completion_tokens is None or result.completion_tokens <= 24


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCRIPT_BACKENDS))
def test_script_backend_contract(name, settings):
    """A draft in the studio's sentences, and a revision that answers a comment and carries the
    sentences nobody asked about over unchanged."""
    brief = Brief(occasion="Spring Festival", audience="the family", points=["the plum tree flowered"], target_seconds=15)
    persona = PersonaStyle(name="Uncle Bo", past_passages=["The plum tree by the gate flowered early this year."])
    with SCRIPT_BUILDERS[name](settings, name) as configured:
        writer = script_backend(configured)
        draft = writer.draft(DraftRequest(brief=brief, persona=persona))
        assert draft.sentences and all(s.text.strip() for s in draft.sentences)
        revised = writer.revise(ReviseRequest(brief=brief, persona=persona, previous=draft.sentences,
                                              comments=["add: See you all at dinner."]))
    added = [s for s in revised.sentences if s.text == "See you all at dinner."]
    assert len(added) == 1 and revised.changes and revised.changes[0].applied
    assert [s for s in revised.sentences if s not in added] == draft.sentences  # the rest exactly as it was


# ------------------------------------------------------------------ embeddings
@pytest.mark.parametrize("name", sorted(EMBEDDERS))
def test_embedding_backend_contract(name):
    """Unit vectors, one per text, that put a paraphrase nearer than an unrelated sentence."""
    vectors = embedder(name).encode(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    assert vectors.shape[0] == 3 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
