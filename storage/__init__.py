"""Object storage: one contract (``ObjectStore``), two backends, and the ``Catalog`` on top."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from core.keys import derived_key
from storage.audit_anchor import AuditAnchor
from storage.base import ObjectExists, ObjectNotFound, ObjectStore, StoreError
from storage.catalog import Catalog
from storage.local import LocalStore
from storage.s3 import S3Store

if TYPE_CHECKING:
    from core.settings import StudioSettings


def _local(settings: StudioSettings) -> ObjectStore:
    return LocalStore(settings.store_root)


def _s3(settings: StudioSettings) -> ObjectStore:
    s = settings.storage
    return S3Store(s.s3_endpoint, s.s3_access_key, s.s3_secret_key.get_secret_value(), s.s3_bucket, s.s3_secure, s.s3_region)


STORE_BACKENDS: dict[str, Callable[[StudioSettings], ObjectStore]] = {"local": _local, "s3": _s3}


def open_store(settings: StudioSettings) -> ObjectStore:
    try:
        factory = STORE_BACKENDS[settings.storage.backend]
    except KeyError:
        raise StoreError(
            f"unknown storage backend {settings.storage.backend!r}; choose one of {sorted(STORE_BACKENDS)}"
        ) from None
    return factory(settings)


def open_catalog(settings: StudioSettings) -> Catalog:
    """The studio's catalog over its store, its audit log signed and anchored with the studio key."""

    anchor = AuditAnchor(derived_key(settings, "audit-log"), settings.keys_dir / "audit-anchor.json")
    return Catalog(open_store(settings), settings.work_dir / "cache", anchor)


__all__ = ["STORE_BACKENDS", "Catalog", "ObjectExists", "ObjectNotFound", "ObjectStore", "StoreError", "open_catalog", "open_store"]
