"""What keeps the audit log honest beyond its hash chain.

A hash chain alone shows a changed line, but not a log whose tail was cut off, nor one whose
lines after a change were all hashed again. So every event is signed (HMAC-SHA256 with a key
derived from the studio key), and after each write the signed head (sequence number and hash)
is kept twice, apart from the log: in the store (``audit-anchor/head.json``, for the other
machines) and on this machine next to the key (``<home>/keys/audit-anchor.json``). Each only
ever moves forward. ``check`` then finds:

- re-chaining: events whose signature does not match (the key is needed to sign);
- truncation: an anchor further on than the log's last event, or an anchor whose event was
  rewritten.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
from pathlib import Path
from typing import TYPE_CHECKING

from storage.base import ObjectNotFound

if TYPE_CHECKING:
    from core.records import AuditEvent
    from storage.base import ObjectStore

STORE_KEY = "audit-anchor/head.json"


class AuditAnchor:
    def __init__(self, key: bytes, local_path: Path | None):
        self.key = key
        self.local_path = Path(local_path) if local_path else None

    def sign(self, seq: int, event_hash: str) -> str:
        return hmac.new(self.key, f"{seq}:{event_hash}".encode(), hashlib.sha256).hexdigest()

    def _valid(self, head: dict) -> bool:
        try:
            return hmac.compare_digest(head["sig"], self.sign(int(head["seq"]), head["hash"]))
        except (KeyError, TypeError, ValueError):
            return False

    # ------------------------------------------------------------------ writing
    def advance(self, store: ObjectStore, event: AuditEvent) -> None:
        """Move both anchors to ``event`` unless they already stand further on."""
        head = {"seq": event.seq, "hash": event.hash, "sig": self.sign(event.seq, event.hash)}
        data = json.dumps(head).encode()
        current = self._store_head(store)
        if current is None or int(current.get("seq", -1)) < event.seq:
            store.put(STORE_KEY, data, "application/json")  # a racing writer may leave an older head: never a false alarm
        if self.local_path is not None:
            self.local_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.local_path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                mine = self._local_head()
                if mine is None or int(mine.get("seq", -1)) < event.seq:
                    tmp = self.local_path.with_suffix(".tmp")
                    tmp.write_bytes(data)
                    tmp.replace(self.local_path)

    def _store_head(self, store: ObjectStore) -> dict | None:
        try:
            return json.loads(store.get(STORE_KEY))
        except (ObjectNotFound, ValueError):
            return None

    def _local_head(self) -> dict | None:
        if self.local_path is None or not self.local_path.is_file():
            return None
        try:
            return json.loads(self.local_path.read_text())
        except ValueError:
            return {}

    # ----------------------------------------------------------------- checking
    def check(self, store: ObjectStore, events: list[AuditEvent]) -> list[str]:
        """Problems with the log that its hash chain cannot show; empty when there are none."""
        problems = []
        signed_from = next((e.seq for e in events if e.sig), None)
        for event in events:
            if signed_from is not None and event.seq >= signed_from and not (
                    event.sig and hmac.compare_digest(event.sig, self.sign(event.seq, event.hash))):
                problems.append(f"event {event.seq} does not carry this studio's signature: the log was rewritten "
                                "from there on")
                break
        by_seq = {e.seq: e for e in events}
        last = events[-1].seq if events else -1
        for where, head in (("the store", self._store_head(store)), ("this machine", self._local_head())):
            if head is None:
                continue
            if not self._valid(head):
                problems.append(f"the audit anchor kept in {where} is not signed by this studio's key")
                continue
            seq = int(head["seq"])
            if seq > last:
                problems.append(f"the log ends at event {last}, but the anchor kept in {where} was signed at event "
                                f"{seq}: {seq - last} event(s) were removed")
            elif by_seq.get(seq) is None or by_seq[seq].hash != head["hash"]:
                problems.append(f"event {seq} is not the one the anchor kept in {where} was signed at: the log was "
                                "rewritten")
        return problems
