"""Sentence embeddings for retrieval: the contract and its registry (one backend today,
all-MiniLM-L6-v2, imported only when first used)."""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np


class Embedder(Protocol):
    """Texts -> unit vectors, one row per text (float32)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _minilm() -> Embedder:
    from persona.backends.embed_minilm import minilm

    return minilm()


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"minilm": _minilm}


def embedder(name: str = "minilm") -> Embedder:
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedding model {name!r}; choose one of {sorted(EMBEDDERS)}")
    return EMBEDDERS[name]()
