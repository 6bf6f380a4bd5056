"""Registries of chat models and script writers, keyed by ``STUDIO_LLM__BACKEND``. Backends are
imported only when chosen, so llama.cpp and vendor SDKs load only where they are used."""

from __future__ import annotations

from typing import Callable

from core.registry import pick_backend
from core.settings import StudioSettings
from script.contract import ScriptBackend
from script.llm.contract import LLMBackend


def _llamacpp(settings: StudioSettings) -> LLMBackend:
    from script.llm.backends.llamacpp import LlamaCppChat
    from script.llm.backends.shipped import SHIPPED

    s = settings.llm
    shipped = SHIPPED.get(s.shipped) if s.model_path is None else None
    written = ("en", "zh") if s.model_path else shipped.languages if shipped else ("en",)
    return LlamaCppChat(s.model_path, s.context_tokens, s.threads, tuple(s.languages) if s.languages else written,
                        shipped=shipped, models_dir=settings.models_dir)


def _openai_chat(settings: StudioSettings) -> LLMBackend:
    from script.llm.backends.openai_chat import OpenAIChat

    s = settings.llm
    return OpenAIChat(s.base_url, s.api_key.get_secret_value(), s.model, s.timeout_s, s.max_retries,
                      tuple(s.languages or ("en", "zh")))


def _composer(settings: StudioSettings) -> ScriptBackend:
    from script.backends.composer import ComposerScript

    return ComposerScript()


def _llm_script(settings: StudioSettings) -> ScriptBackend:
    from script.backends.llm_writer import LLMScript

    s = settings.llm
    # a shipped model (135M or 1.5B) fills the studio's outline; measured with the 1.5B on a 40 s
    # brief, whole-talk drafts came out 2-3 sentences (~7 s spoken), outlines 7 (~20-25 s)
    shipped = s.backend == "llamacpp" and not s.model_path
    mode = s.draft_mode if s.draft_mode != "auto" else ("outline" if shipped else "whole")
    return LLMScript(llm_backend(settings), s.temperature, s.seed, mode=mode, tries=s.tries, fallback=_composer(settings))


LLM_BACKENDS: dict[str, Callable[[StudioSettings], LLMBackend]] = {"llamacpp": _llamacpp, "openai": _openai_chat}


SCRIPT_BACKENDS: dict[str, Callable[[StudioSettings], ScriptBackend]] = {
    "composer": _composer, "llamacpp": _llm_script, "openai": _llm_script}


def llm_backend(settings: StudioSettings) -> LLMBackend:
    return pick_backend(LLM_BACKENDS, settings.llm.backend, "llm", settings)


def script_backend(settings: StudioSettings) -> ScriptBackend:
    return pick_backend(SCRIPT_BACKENDS, settings.llm.backend, "llm", settings)


def local_model_path(settings: StudioSettings):
    """The GGUF the local llama.cpp backend runs: ``STUDIO_LLM__MODEL_PATH``, else the shipped model."""
    from script.llm.backends.llamacpp import default_model_path
    from script.llm.backends.shipped import SHIPPED, assembled

    if settings.llm.model_path:
        return settings.llm.model_path
    shipped = SHIPPED.get(settings.llm.shipped)
    return assembled(shipped, settings.models_dir) if shipped else default_model_path()
