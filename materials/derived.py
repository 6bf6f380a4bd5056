"""Costly analyses of stored content, computed once per content: the first caller computes and
keeps the array (``DerivedArray``); every later one, in any process, reads it back."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import numpy as np

from materials.records import DerivedArray
from storage.base import ObjectExists
from storage.catalog import Catalog


def content_key(*arrays: np.ndarray) -> str:
    """A sha256 of arrays' bytes, shapes and types: the key of an analysis of them."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def derived(catalog: Catalog, step: str, content_sha256: str, compute: Callable[[], np.ndarray],
            dtype: str | None = None) -> np.ndarray:
    """``compute()``'s array for this content, computed at most once (``step`` names the
    analysis and its version: change it when the analysis changes). ``dtype="int16"`` keeps
    sound in [-1, 1] at half the size; it comes back as float32, the same on the first call as
    on every later one."""
    record_id = f"{step}-{content_sha256[:40]}"
    found = catalog.get(DerivedArray, record_id)
    if found is not None:
        return _as_used(np.load(io.BytesIO(catalog.read_media(found.array)), allow_pickle=False))
    value = compute()
    kept = np.clip(np.round(value * 32767.0), -32767, 32767).astype(np.int16) if dtype == "int16" else value
    buffer = io.BytesIO()
    np.save(buffer, kept, allow_pickle=False)
    try:
        catalog.save(DerivedArray(id=record_id, step=step, array=catalog.put_media(buffer.getvalue(), "application/x-npy",
                                                                                    name=f"{record_id}.npy")))
    except ObjectExists:  # another process kept the same analysis meanwhile
        pass
    return _as_used(kept)


def _as_used(kept: np.ndarray) -> np.ndarray:
    return kept.astype(np.float32) / 32767.0 if kept.dtype == np.int16 else kept
