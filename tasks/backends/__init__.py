"""Registries of generator backends, keyed by settings values. Backends are imported only
when chosen, so torch and vendor SDKs load only where they are used."""

from __future__ import annotations

from typing import Callable

from studio.contracts import ScriptBackend, VideoBackend, VoiceBackend
from studio.settings import StudioSettings


def _composer(settings: StudioSettings) -> ScriptBackend:
    from tasks.backends.script_composer import ComposerScript

    return ComposerScript()


def _openai(settings: StudioSettings) -> ScriptBackend:
    from tasks.backends.script_openai import OpenAIScript

    s = settings.llm
    return OpenAIScript(s.base_url, s.api_key.get_secret_value(), s.model, s.timeout_s, s.max_retries, s.temperature)


def _espeak(settings: StudioSettings) -> VoiceBackend:
    from tasks.backends.voice_espeak import EspeakVoice

    return EspeakVoice()


def _reenact(settings: StudioSettings) -> VideoBackend:
    from tasks.backends.video_reenact import ReenactVideo

    return ReenactVideo()


SCRIPT_BACKENDS: dict[str, Callable[[StudioSettings], ScriptBackend]] = {"composer": _composer, "openai": _openai}
VOICE_BACKENDS: dict[str, Callable[[StudioSettings], VoiceBackend]] = {"espeak": _espeak}
VIDEO_BACKENDS: dict[str, Callable[[StudioSettings], VideoBackend]] = {"reenact": _reenact}


def _pick(registry: dict, key: str, what: str, settings: StudioSettings):
    if key not in registry:
        raise ValueError(f"unknown {what} backend {key!r}; choose one of {sorted(registry)} (STUDIO_{what.upper()}__BACKEND)")
    return registry[key](settings)


def script_backend(settings: StudioSettings) -> ScriptBackend:
    return _pick(SCRIPT_BACKENDS, settings.llm.backend, "llm", settings)


def voice_backend(settings: StudioSettings) -> VoiceBackend:
    return _pick(VOICE_BACKENDS, settings.voice.backend, "voice", settings)


def video_backend(settings: StudioSettings) -> VideoBackend:
    return _pick(VIDEO_BACKENDS, settings.video.backend, "video", settings)
