"""The manifest repository: every delivered file's C2PA manifest store, kept in the studio's
store, found by manifest id or through the soft bindings its marks carry.

A copy stripped of its metadata still carries the invisible marks; their value (the content
id, ``delivery.credentials``) leads to the watermark registry, the registry to the delivery,
and the delivery to the manifests of its MP4, MP3, WAV and VTT. This is the look-up behind the
C2PA Soft Binding Resolution API (``delivery.verifier_server``).
"""

from __future__ import annotations

from delivery.backends.c2pa_manifest import SignedFile
from delivery.credentials import content_id_of
from delivery.records import MARK_ALGORITHMS, Delivery, ManifestRecord, SoftBinding, WatermarkRecord
from storage.base import ObjectExists, ObjectNotFound
from storage.catalog import Catalog, sha256_file


def keep_manifests(catalog: Catalog, delivery_id: str, signed: dict[str, SignedFile],
                   marks: dict[str, list[SoftBinding]]) -> list[str]:
    """Store each signed file's manifest store with the soft bindings it names; the manifest
    ids, in the order of ``signed``."""
    ids = []
    for kind, file in signed.items():
        record_id = ManifestRecord.id_for(file.manifest_id)
        if record_id is None:
            raise ValueError(f"c2pa gave the manifest an unexpected label {file.manifest_id!r}")
        store = catalog.put_media(file.store, "application/c2pa", name=f"{delivery_id}.{kind}.c2pa")
        try:
            catalog.save(ManifestRecord(id=record_id, manifest_id=file.manifest_id, delivery_id=delivery_id, file=kind,
                                        asset_sha256=sha256_file(file.path), store=store, bindings=marks[kind]))
        except ObjectExists:
            pass  # a retried step: the same manifest is kept already
        ids.append(file.manifest_id)
    return ids


def manifest_by_id(catalog: Catalog, manifest_id: str) -> ManifestRecord | None:
    record_id = ManifestRecord.id_for(manifest_id)
    if record_id is None:
        return None
    try:
        return catalog.load(ManifestRecord, record_id)
    except ObjectNotFound:
        return None


def manifests_of(catalog: Catalog, delivery: Delivery) -> list[ManifestRecord]:
    return [m for m in (manifest_by_id(catalog, i) for i in delivery.manifests) if m is not None]


def delivery_for_content_id(catalog: Catalog, content_id: int) -> Delivery | None:
    try:
        record = catalog.load(WatermarkRecord, WatermarkRecord.id_for(content_id))
        return catalog.load(Delivery, record.delivery_id)
    except ObjectNotFound:
        return None


def matches_by_binding(catalog: Catalog, alg: str, value: str) -> list[ManifestRecord]:
    """The manifests whose soft binding ``alg`` has this ``value`` (none for an unknown
    algorithm or a value that is not a content id)."""
    content_id = content_id_of(value)
    if alg not in MARK_ALGORITHMS or content_id is None:
        return []
    delivery = delivery_for_content_id(catalog, content_id)
    if delivery is None:
        return []
    return [m for m in manifests_of(catalog, delivery) if any(b.alg == alg and b.value == value.lower() for b in m.bindings)]
