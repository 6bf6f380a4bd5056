"""The object-store contract that every storage backend implements."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Protocol, runtime_checkable


class StoreError(RuntimeError):
    """The store could not do what was asked; the message says what to check."""


class ObjectNotFound(StoreError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0] if self.args else "object not found"


class ObjectExists(StoreError):
    """A write-once object already exists; nothing was overwritten."""


@runtime_checkable
class ObjectStore(Protocol):
    """A flat key -> bytes store with '/'-separated keys (a directory, MinIO, any S3 API).

    Implementations must make ``put_new`` atomic: of two concurrent writers of the same key,
    exactly one succeeds and the other gets ``ObjectExists``.
    """

    name: str

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Create or replace ``key``."""

    def put_new(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Create ``key``; raise ``ObjectExists`` if it is already there."""

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        """Create or replace ``key`` from a local file, streaming it."""

    def get(self, key: str) -> bytes:
        """The bytes of ``key``; ``ObjectNotFound`` if missing."""

    def get_file(self, key: str, path: Path) -> None:
        """Write ``key`` to a local file, streaming it."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under ``prefix``, sorted."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (used only for scratch and Prefect result data, never for records)."""


def check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/") or "\\" in key or "//" in key:
        raise StoreError(f"invalid object key {key!r}: use relative '/'-separated names without '..'")
    return key
