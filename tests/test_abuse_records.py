"""Issue 14: records that tell the truth. The audit log cannot be shortened or re-chained unseen
(defect 5); concurrent saves of one record keep every version (defect 2's `ObjectExists` on
history); the S3 store's faults surface as one clear `StoreError` (defect 14)."""

from __future__ import annotations

import json
import threading

import pytest

from core.records import AuditEvent
from production.records import Production
from storage import StoreError, open_catalog


@pytest.fixture
def logged(settings):
    catalog = open_catalog(settings)
    for n in range(30):
        catalog.audit("Lan (daughter)" if n % 2 else "operator", "review.approved_by", f"review/prod-x-script-{n}", n=n)
    assert catalog.verify_audit() == []
    return catalog


def _rewrite(catalog, event: AuditEvent) -> None:
    catalog.store.put(f"audit/{event.seq:012d}.json", event.model_dump_json().encode())


def test_truncating_the_audit_log_is_found(logged, abuse):
    for key in list(logged.store.list("audit/"))[-10:]:
        logged.store.delete(key)
    problems = logged.verify_audit()
    abuse.record("5", "last 10 audit events deleted", "refused cleanly" if problems else "accepted wrongly")
    assert any("10 event(s) were removed" in p for p in problems), problems


def test_rechaining_the_audit_log_is_found(logged, abuse):
    events = logged.audit_events()
    prev = events[4].hash
    for event in events[5:]:  # change an actor, then hash every later event again, as an attacker would
        event = event.model_copy(update={"prev_hash": prev, "actor": "someone else" if event.seq == 5 else event.actor})
        event.hash = logged._event_hash(event)
        _rewrite(logged, event)
        prev = event.hash
    problems = logged.verify_audit()
    abuse.record("5", "actor changed and the chain re-hashed after it", "refused cleanly" if problems else "accepted wrongly")
    assert any("signature" in p for p in problems) and any("rewritten" in p for p in problems), problems


def test_a_stale_anchor_put_back_is_still_found(logged, settings, abuse):
    """Putting an older signed head into the store does not hide a cut: this machine's anchor stands further on."""
    stale = {"seq": 19, "hash": logged.audit_events()[19].hash}
    stale["sig"] = logged.anchor.sign(stale["seq"], stale["hash"])
    for key in list(logged.store.list("audit/"))[20:]:
        logged.store.delete(key)
    logged.store.put("audit-anchor/head.json", json.dumps(stale).encode())
    problems = logged.verify_audit()
    abuse.record("5", "tail cut and an older anchor put back", "refused cleanly" if problems else "accepted wrongly")
    assert any("this machine" in p and "removed" in p for p in problems), problems


def test_an_intact_log_checks_clean_with_concurrent_writers(settings):
    catalog = open_catalog(settings)
    threads = [threading.Thread(target=lambda i=i: [catalog.audit("op", "x", f"t/{i}-{k}") for k in range(5)])
               for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(catalog.audit_events()) == 30 and catalog.verify_audit() == []


def test_concurrent_saves_keep_every_version(settings, abuse):
    """Two writers saving one mutable record at the same moment: both land, history keeps the older ones."""
    from script.sentences import Brief

    catalog = open_catalog(settings)
    production = Production(id="prod-race", persona_id="p", use="greeting", brief=Brief(occasion="x", audience="y"),
                            script_reviewers=["Mei"], family_reviewers=["Lan"])
    catalog.save(production)
    errors = []

    def save(status):
        try:
            for _ in range(5):
                catalog.save(production.model_copy(update={"status": status}))
        except Exception as exc:  # pragma: no cover - shows in the assertion
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(s,)) for s in ("running", "waiting_review", "delivered")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    abuse.record("2", "three writers saving one record at once", "crashed" if errors else "fault survived")
    assert not errors, errors
    assert catalog.load(Production, "prod-race").status in ("running", "waiting_review", "delivered")


def test_an_s3_server_that_goes_away_is_a_store_error(tmp_path, abuse):
    """The S3 store's faults surface as one StoreError that says what to check, quickly."""
    import time

    from storage.s3 import S3Store
    from tests.conftest import start_seaweedfs, stop_process

    server, endpoint = start_seaweedfs(tmp_path / "s3", "k", "secret-s")
    store = S3Store(endpoint, "k", "secret-s", "bucket")
    store.put("records/x.json", b"kept")
    stop_process(server)
    for verb, call in (("get", lambda: store.get("records/x.json")), ("put", lambda: store.put("a/b", b"x")),
                           ("put_new", lambda: store.put_new("a/c", b"x")), ("exists", lambda: store.exists("a/b")),
                           ("list", lambda: list(store.list("a/"))), ("delete", lambda: store.delete("a/b"))):
        t0 = time.time()
        try:
            call()
            outcome = "accepted wrongly"
        except StoreError as exc:
            outcome = "refused cleanly" if "S3 server" in str(exc) and "\n" not in str(exc) else "crashed"
        except Exception:
            outcome = "crashed"
        abuse.record("14", f"S3 server gone: {verb}", outcome)
        assert outcome == "refused cleanly", verb
        assert time.time() - t0 < 20, verb
