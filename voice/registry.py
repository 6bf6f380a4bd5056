"""The voice backends, keyed by ``STUDIO_VOICE__BACKEND``, imported only when chosen."""

from __future__ import annotations

from typing import Callable

from core.registry import pick_backend
from core.settings import StudioSettings
from voice.contract import NoticeVoice, TimbreLearner, VoiceBackend


def _espeak(settings: StudioSettings) -> VoiceBackend:
    from voice.backends.espeak import EspeakVoice

    return EspeakVoice()


def _kokoro(settings: StudioSettings) -> VoiceBackend:
    from voice.backends.kokoro import KokoroVoice

    return KokoroVoice()


def _openai_voice(settings: StudioSettings) -> VoiceBackend:
    from voice.backends.openai_speech import OpenAISpeechVoice

    v = settings.voice
    return OpenAISpeechVoice(v.base_url, v.api_key.get_secret_value(), v.model, v.voice, v.timeout_s, v.max_retries)


def _cosyvoice(settings: StudioSettings) -> VoiceBackend:
    from voice.backends.cosyvoice import CosyVoiceVoice

    v = settings.voice
    return CosyVoiceVoice(v.base_url, v.cosyvoice_sample_rate, v.timeout_s, v.max_retries)


def _gptsovits(settings: StudioSettings) -> VoiceBackend:
    from voice.backends.gptsovits import GPTSoVITSVoice

    v = settings.voice
    return GPTSoVITSVoice(v.base_url, v.gptsovits_ref_dir, v.gptsovits_ref_dir_on_server, v.timeout_s, v.max_retries)


VOICE_BACKENDS: dict[str, Callable[[StudioSettings], VoiceBackend]] = {
    "espeak": _espeak, "kokoro": _kokoro, "openai": _openai_voice, "cosyvoice": _cosyvoice, "gptsovits": _gptsovits}


def voice_backend(settings: StudioSettings, name: str | None = None) -> VoiceBackend:
    """The backend named by ``name``, else by ``STUDIO_VOICE__BACKEND``."""
    return pick_backend(VOICE_BACKENDS, name or settings.voice.backend, "voice", settings)


def timbre_learner(settings: StudioSettings, name: str | None = None) -> TimbreLearner | None:
    """The learner of the backend's conversion to a persona's timbre; None for backends that
    clone a voice from the prompt clip themselves (zero-shot servers) or cannot (espeak)."""
    if (name or settings.voice.backend) != "kokoro":
        return None
    from voice.backends.kokoro_learn import KokoroTimbreLearner

    return KokoroTimbreLearner()


def notice_voice(name: str) -> NoticeVoice:
    """The voice of the studio's spoken AI notice (``delivery.notice_voice``): kokoro or espeak."""
    if name == "espeak":
        from voice.backends.espeak import EspeakNoticeVoice

        return EspeakNoticeVoice()
    if name == "kokoro":
        from voice.backends.kokoro import KokoroNoticeVoice

        return KokoroNoticeVoice()
    raise ValueError(f"unknown notice voice {name!r}: set STUDIO_DELIVERY__NOTICE_VOICE to kokoro or espeak")
