"""Registries of generator backends, keyed by settings values. Backends are imported only
when chosen, so torch and vendor SDKs load only where they are used."""

from __future__ import annotations

from typing import Callable

from studio.contracts import LLMBackend, ScriptBackend, VideoBackend, VoiceBackend
from studio.settings import StudioSettings


def _llamacpp(settings: StudioSettings) -> LLMBackend:
    from tasks.backends.llm_llamacpp import LlamaCppChat

    s = settings.llm
    return LlamaCppChat(s.model_path, s.context_tokens, s.threads,
                        tuple(s.languages) if s.languages else (("en", "zh") if s.model_path else ("en",)))


def _openai_chat(settings: StudioSettings) -> LLMBackend:
    from tasks.backends.llm_openai import OpenAIChat

    s = settings.llm
    return OpenAIChat(s.base_url, s.api_key.get_secret_value(), s.model, s.timeout_s, s.max_retries,
                      tuple(s.languages or ("en", "zh")))


def _composer(settings: StudioSettings) -> ScriptBackend:
    from tasks.backends.script_composer import ComposerScript

    return ComposerScript()


def _llm_script(settings: StudioSettings) -> ScriptBackend:
    from tasks.backends.script_llm import LLMScript

    s = settings.llm
    mode = s.draft_mode if s.draft_mode != "auto" else ("outline" if s.backend == "llamacpp" and not s.model_path else "whole")
    return LLMScript(llm_backend(settings), s.temperature, s.seed, mode=mode, tries=s.tries)


def _espeak(settings: StudioSettings) -> VoiceBackend:
    from tasks.backends.voice_espeak import EspeakVoice

    return EspeakVoice()


def _kokoro(settings: StudioSettings) -> VoiceBackend:
    from tasks.backends.voice_kokoro import KokoroVoice

    return KokoroVoice()


def _openai_voice(settings: StudioSettings) -> VoiceBackend:
    from tasks.backends.voice_openai import OpenAISpeechVoice

    v = settings.voice
    return OpenAISpeechVoice(v.base_url, v.api_key.get_secret_value(), v.model, v.voice, v.timeout_s, v.max_retries)


def _cosyvoice(settings: StudioSettings) -> VoiceBackend:
    from tasks.backends.voice_cosyvoice import CosyVoiceVoice

    v = settings.voice
    return CosyVoiceVoice(v.base_url, v.cosyvoice_sample_rate, v.timeout_s, v.max_retries)


def _gptsovits(settings: StudioSettings) -> VoiceBackend:
    from tasks.backends.voice_gptsovits import GPTSoVITSVoice

    v = settings.voice
    return GPTSoVITSVoice(v.base_url, v.gptsovits_ref_dir, v.gptsovits_ref_dir_on_server, v.timeout_s, v.max_retries)


def _reenact(settings: StudioSettings) -> VideoBackend:
    from tasks.backends.video_reenact import ReenactVideo

    return ReenactVideo()


def _heygem(settings: StudioSettings) -> VideoBackend:
    from tasks.backends.video_heygem import HeyGemVideo

    v = settings.video
    return HeyGemVideo(v.base_url, v.heygem_data_dir, v.heygem_data_dir_on_server, v.timeout_s, v.poll_s, v.max_retries)


def _lipsync(settings: StudioSettings) -> VideoBackend:
    from tasks.backends.video_lipsync_http import LipSyncHTTPVideo

    v = settings.video
    return LipSyncHTTPVideo(v.base_url, v.lipsync_path, v.api_key.get_secret_value(), v.timeout_s, v.max_retries)


LLM_BACKENDS: dict[str, Callable[[StudioSettings], LLMBackend]] = {"llamacpp": _llamacpp, "openai": _openai_chat}
SCRIPT_BACKENDS: dict[str, Callable[[StudioSettings], ScriptBackend]] = {
    "composer": _composer, "llamacpp": _llm_script, "openai": _llm_script}
VOICE_BACKENDS: dict[str, Callable[[StudioSettings], VoiceBackend]] = {
    "espeak": _espeak, "kokoro": _kokoro, "openai": _openai_voice, "cosyvoice": _cosyvoice, "gptsovits": _gptsovits}
VIDEO_BACKENDS: dict[str, Callable[[StudioSettings], VideoBackend]] = {"reenact": _reenact, "heygem": _heygem, "lipsync": _lipsync}


def _pick(registry: dict, key: str, what: str, settings: StudioSettings):
    if key not in registry:
        raise ValueError(f"unknown {what} backend {key!r}; choose one of {sorted(registry)} (STUDIO_{what.upper()}__BACKEND)")
    return registry[key](settings)


def llm_backend(settings: StudioSettings) -> LLMBackend:
    return _pick(LLM_BACKENDS, settings.llm.backend, "llm", settings)


def script_backend(settings: StudioSettings) -> ScriptBackend:
    return _pick(SCRIPT_BACKENDS, settings.llm.backend, "llm", settings)


def voice_backend(settings: StudioSettings) -> VoiceBackend:
    return _pick(VOICE_BACKENDS, settings.voice.backend, "voice", settings)


def video_backend(settings: StudioSettings) -> VideoBackend:
    return _pick(VIDEO_BACKENDS, settings.video.backend, "video", settings)
