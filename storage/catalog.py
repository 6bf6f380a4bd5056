"""The studio's view of an object store: records, content-addressed media, the audit log.

Layout inside any ObjectStore:
    records/<kind>/<id>.json         current version of a record
    history/<kind>/<id>/<n>.json     earlier versions of a mutable record (never deleted)
    media/<ab>/<sha256>.<ext>        media, content-addressed, written once
    audit/<seq>.json                 append-only, hash-chained audit events
    prefect-results/...              Prefect's persisted task results
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from core.records import AssetRef, AuditEvent, Record
from storage.audit_anchor import AuditAnchor
from storage.base import ObjectExists, ObjectNotFound, ObjectStore, StoreError

R = TypeVar("R", bound=Record)

_EXT = {
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/flac": ".flac",
    "audio/ogg": ".ogg",
    "audio/aac": ".aac",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/json": ".json",
    "application/pdf": ".pdf",
}
GENESIS = "0" * 64


def guess_media_type(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    for media_type, ext in _EXT.items():
        if ext == suffix:
            return media_type
    return mimetypes.guess_type(str(path))[0] or "application/octet-stream"


def safe_file_name(name: str, limit: int = 100) -> str:
    """A name as people gave it, made safe to keep and to write: the last path part only, no
    control or path characters, no leading dots, at most ``limit`` characters (extension kept)."""
    import re
    import unicodedata

    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", str(name)))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r'[<>:"|?*]', "_", base).strip().lstrip(".").strip()
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem or len(ext) > 12:
        stem, ext = base, ""
    stem = stem[: max(1, limit - len(ext) - 1)].rstrip() or "upload"
    return f"{stem}.{ext}" if ext else stem


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class IntegrityError(StoreError):
    """Stored bytes do not match their recorded hash."""


class Catalog:
    def __init__(self, store: ObjectStore, cache_dir: Path, anchor: AuditAnchor | None = None):
        self.store = store
        self.cache_dir = Path(cache_dir)
        self.anchor = anchor  # signs the audit log and keeps its head (``storage.audit_anchor``)

    # ------------------------------------------------------------------ media
    @staticmethod
    def media_key(sha: str, media_type: str) -> str:
        return f"media/{sha[:2]}/{sha}{_EXT.get(media_type, '.bin')}"

    def put_media(self, data: bytes, media_type: str, name: str | None = None) -> AssetRef:
        sha = hashlib.sha256(data).hexdigest()
        key = self.media_key(sha, media_type)
        try:
            self.store.put_new(key, data, media_type)
        except ObjectExists:
            pass  # same bytes already stored
        return AssetRef(key=key, sha256=sha, media_type=media_type, size=len(data), name=name)

    def put_media_file(self, path: Path, media_type: str | None = None, name: str | None = None) -> AssetRef:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist or is not a file")
        media_type = media_type or guess_media_type(path)
        sha = sha256_file(path)
        key = self.media_key(sha, media_type)
        if not self.store.exists(key):
            self.store.put_file(key, path, media_type)
        return AssetRef(key=key, sha256=sha, media_type=media_type, size=path.stat().st_size,
                        name=safe_file_name(name or path.name))

    def read_media(self, ref: AssetRef) -> bytes:
        data = self.store.get(ref.key)
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise IntegrityError(f"{ref.key} does not match its sha256; the stored copy is damaged")
        return data

    def media_path(self, ref: AssetRef) -> Path:
        """A local file with the asset's bytes (downloaded once into the cache, hash-checked)."""
        local = self.cache_dir / Path(ref.key).name
        if local.is_file() and local.stat().st_size == ref.size:
            return local
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_suffix(local.suffix + ".part")
        self.store.get_file(ref.key, tmp)
        if sha256_file(tmp) != ref.sha256:
            tmp.unlink(missing_ok=True)
            raise IntegrityError(f"{ref.key} does not match its sha256; the stored copy is damaged")
        tmp.replace(local)
        return local

    # ---------------------------------------------------------------- records
    def save(self, record: Record) -> Record:
        data = record.model_dump_json(indent=2).encode()
        if type(record).immutable:
            try:
                self.store.put_new(record.key, data, "application/json")
            except ObjectExists:
                raise ObjectExists(
                    f"{record.kind} {record.id} already exists and is never overwritten; create a new version"
                ) from None
            return record
        try:
            old = self.store.get(record.key)
        except ObjectNotFound:
            old = None
        if old is not None and old != data:
            n = sum(1 for _ in self.store.list(f"history/{record.kind}/{record.id}/"))
            while True:  # a concurrent save took that number: the next one is free
                try:
                    self.store.put_new(f"history/{record.kind}/{record.id}/{n:06d}.json", old, "application/json")
                    break
                except ObjectExists:
                    n += 1
        self.store.put(record.key, data, "application/json")
        return record

    def create(self, record: Record) -> Record:
        """Save ``record`` only if no record of its id exists yet (``ObjectExists`` otherwise): the
        one writer of a new version wins, a concurrent second one learns it lost."""
        self.store.put_new(record.key, record.model_dump_json(indent=2).encode(), "application/json")
        return record

    def get(self, cls: type[R], record_id: str) -> R | None:
        """The record, or None where there is none."""
        return self.load(cls, record_id) if self.exists(cls, record_id) else None

    def keep(self, record: R, actor: str, action: str, subject: str | None = None, **details) -> R:
        """The stored record of ``record``'s id if there is one (a retried or resumed step finds its
        own earlier write), else ``record``, saved and audited (``subject`` defaults to kind/id)."""
        cls = type(record)
        if self.exists(cls, record.id):
            return self.load(cls, record.id)
        try:
            self.save(record)
        except ObjectExists:  # a concurrent writer of an immutable record won: theirs stands
            return self.load(cls, record.id)
        self.audit(actor, action, subject or f"{record.kind}/{record.id}", **details)
        return record

    def load(self, cls: type[R], record_id: str) -> R:
        try:
            raw = self.store.get(cls.key_for(record_id))
        except ObjectNotFound:
            raise ObjectNotFound(f"no {cls.kind} with id {record_id!r}") from None
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            raise StoreError(f"{cls.kind} {record_id} is stored in a form this version cannot read: {exc}") from exc

    def find(self, cls: type[R], id_prefix: str = "") -> list[R]:
        out = []
        for key in self.store.list(f"records/{cls.kind}/{id_prefix}"):
            if key.endswith(".json"):
                out.append(cls.model_validate_json(self.store.get(key)))
        return out

    def exists(self, cls: type[Record], record_id: str) -> bool:
        return self.store.exists(cls.key_for(record_id))

    def history(self, cls: type[R], record_id: str) -> list[R]:
        """Earlier versions of a mutable record, oldest first, then the current one."""
        out = [cls.model_validate_json(self.store.get(k)) for k in self.store.list(f"history/{cls.kind}/{record_id}/")]
        if self.exists(cls, record_id):
            out.append(self.load(cls, record_id))
        return out

    # ------------------------------------------------------------------ audit
    @staticmethod
    def _event_hash(event: AuditEvent) -> str:
        body = event.model_dump(mode="json", exclude={"hash", "sig"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def audit(self, actor: str, action: str, subject: str, **details) -> AuditEvent:
        """Append one event. Concurrent writers race on the next sequence number; the loser
        re-reads the head and tries again, so the chain never forks."""
        for _ in range(50):
            head = self._audit_head()
            event = AuditEvent(
                seq=0 if head is None else head.seq + 1,
                actor=actor,
                action=action,
                subject=subject,
                details=json.loads(json.dumps(details, default=str)),
                prev_hash=GENESIS if head is None else head.hash,
            )
            event.hash = self._event_hash(event)
            if self.anchor is not None:
                event.sig = self.anchor.sign(event.seq, event.hash)
            try:
                self.store.put_new(f"audit/{event.seq:012d}.json", event.model_dump_json().encode(), "application/json")
            except ObjectExists:
                continue
            if self.anchor is not None:
                self.anchor.advance(self.store, event)
            return event
        raise StoreError("could not append to the audit log: too many concurrent writers")

    def _audit_head(self) -> AuditEvent | None:
        keys = list(self.store.list("audit/"))
        if not keys:
            return None
        return AuditEvent.model_validate_json(self.store.get(keys[-1]))

    def audit_events(self, subject_prefix: str = "") -> list[AuditEvent]:
        events = [AuditEvent.model_validate_json(self.store.get(k)) for k in self.store.list("audit/")]
        return [e for e in events if e.subject.startswith(subject_prefix)]

    def verify_audit(self) -> list[str]:
        """Problems in the audit log (a changed, removed or inserted event; a tail cut off; the
        events re-chained after a change); empty if intact."""
        problems = []
        prev = GENESIS
        events = self.audit_events()
        for i, event in enumerate(events):
            if event.seq != i:
                problems.append(f"event {i} is missing (found seq {event.seq})")
            if event.prev_hash != prev:
                problems.append(f"event {event.seq} does not follow the event before it")
            if self._event_hash(event) != event.hash:
                problems.append(f"event {event.seq} was changed after it was written")
            prev = event.hash
        if self.anchor is not None:
            problems += self.anchor.check(self.store, events)
        return problems
