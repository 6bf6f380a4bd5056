"""Prefect result storage backed by the studio's own object store, so that persisted task
results live beside the records and media they describe (``prefect-results/`` prefix)."""

from __future__ import annotations

from typing import Any

from prefect.filesystems import WritableFileSystem
from pydantic import Field

from core.settings import get_settings
from storage import open_store
from storage.base import ObjectNotFound

# the block the flows and the chunk tasks persist their results through (saved by ``studio up``)
RESULT_STORAGE = "studio-result-storage/results"


class StudioResultStorage(WritableFileSystem):
    """Reads and writes Prefect results through ``open_store(get_settings())``.

    The block holds no credentials: each process builds its store from its own settings.
    """

    _block_type_name = "Studio Result Storage"
    _block_type_slug = "studio-result-storage"

    prefix: str = Field(default="prefect-results", description="Key prefix inside the studio store.")

    def _store(self):
        return open_store(get_settings())

    def _key(self, path: str) -> str:
        return f"{self.prefix}/{str(path).lstrip('/')}"

    # Prefect calls ``aread_path``/``awrite_path`` from async code and the plain methods with
    # ``_sync=True`` from sync code (as its own file systems take it); both work the same here.
    async def aread_path(self, path: str) -> bytes:
        return self.read_path(path)

    def read_path(self, path: str, _sync: bool = True) -> bytes:
        try:
            return self._store().get(self._key(path))
        except ObjectNotFound:
            raise ValueError(f"Path {path} does not exist.") from None

    async def awrite_path(self, path: str, content: bytes) -> str:
        return self.write_path(path, content)

    def write_path(self, path: str, content: bytes, _sync: bool = True) -> str:
        self._store().put(self._key(path), content)
        return path

    def __reduce__(self) -> Any:
        return (StudioResultStorage, (), {"prefix": self.prefix})
