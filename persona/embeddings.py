"""Sentence embeddings for retrieval: the contract and its registry, a backend imported only
when first used. ``e5`` (multilingual-e5-small, Chinese and English, the default) and
``minilm`` (all-MiniLM-L6-v2, English only)."""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np


class Embedder(Protocol):
    """Texts -> unit vectors, one row per text (float32); ``query``: the texts are search queries
    (models trained with query/passage prefixes use them)."""

    def encode(self, texts: list[str], query: bool = False) -> np.ndarray: ...


def _e5() -> Embedder:
    from persona.backends.e5 import e5

    return e5()


def _minilm() -> Embedder:
    from persona.backends.embed_minilm import minilm

    return minilm()


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"e5": _e5, "minilm": _minilm}
LANGUAGES: dict[str, tuple[str, ...]] = {"e5": ("en", "zh"), "minilm": ("en",)}  # what each embeds well
# the cosine below which a passage sharing no word with the query means something else; e5's
# cosines crowd high (unrelated Chinese sentences score up to ~0.83, right answers from ~0.85;
# measured with bench/retrieval.py)
RELATED: dict[str, dict[str, float]] = {"e5": {"en": 0.78, "zh": 0.84}, "minilm": {"en": 0.25}}


def embedder(name: str = "e5") -> Embedder:
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedding model {name!r}; choose one of {sorted(EMBEDDERS)}")
    return EMBEDDERS[name]()
