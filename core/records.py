"""The base of every stored record (``Record``, ``AssetRef``) and the audit log's line.

Every record that the studio stores is a ``Record`` subclass, serialised as JSON under
``records/<kind>/<id>.json``. Media never travels inside a record: records hold ``AssetRef``s
(content-addressed keys) instead. Each capability keeps its own records in its ``records.py``."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


class AssetRef(BaseModel):
    """A stored, content-addressed media object: where it is, what it is, its hash."""

    model_config = ConfigDict(frozen=True)

    key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str
    size: int = Field(ge=0)
    name: str | None = None  # the original file name, for people


class TakeChunk(BaseModel):
    """One chunk of a voice or video take: its key, the script's sentences it holds (first and
    last, from 0), where it lies in the take, where and when it was made, and whether an earlier
    take of the production already had it (reused, not made again)."""

    key: str
    sentences: tuple[int, int]
    start_s: float
    end_s: float
    made_on: str
    made_at: datetime
    reused: bool = False
    asset: AssetRef | None = None  # the chunk's own media (a voice chunk's sound, a video chunk's picture)


class Record(BaseModel):
    """Base of every stored record. ``kind`` names the folder, ``id`` the object."""

    kind: ClassVar[str] = "record"
    # Records of an immutable kind are written once; a second write is refused.
    immutable: ClassVar[bool] = False

    id: str
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(
                f"id {value!r} must be 1-80 characters of lowercase letters, digits, '.', '_' or '-'"
            )
        return value

    @classmethod
    def key_for(cls, record_id: str) -> str:
        return f"records/{cls.kind}/{record_id}.json"

    @property
    def key(self) -> str:
        return self.key_for(self.id)


class AuditEvent(BaseModel):
    """One line of the append-only audit log; ``hash`` chains it to the line before."""

    seq: int = Field(ge=0)
    at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str
    subject: str  # "<kind>/<id>"
    details: dict = Field(default_factory=dict)
    prev_hash: str
    hash: str = ""
    sig: str = ""  # the studio's signature of seq and hash (``storage.audit_anchor``)
