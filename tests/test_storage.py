"""One contract, two backends: LocalStore and S3Store (against a real S3 server on 127.0.0.1)."""

from __future__ import annotations

import threading
import uuid

import pytest
from pydantic import SecretStr

from persona.records import Persona
from script.markup import parse_markup
from script.records import ScriptVersion
from storage import STORE_BACKENDS, Catalog, ObjectExists, ObjectNotFound, StoreError, open_store
from storage.catalog import IntegrityError


def _local(request, settings):
    return settings


def _s3(request, settings):
    return settings.model_copy(update={"storage": settings.storage.model_copy(update=dict(
        backend="s3", s3_endpoint=request.getfixturevalue("s3_endpoint"), s3_access_key="testing",
        s3_secret_key=SecretStr("testing"), s3_bucket=f"studio-{uuid.uuid4().hex[:8]}"))})


# how to run each registered storage backend here: a new one proves itself by passing this file's tests
STORE_BUILDERS = {"local": _local, "s3": _s3}


def test_every_storage_backend_has_a_shared_test():
    assert set(STORE_BACKENDS) <= set(STORE_BUILDERS), "add how to run the new storage backend to STORE_BUILDERS"


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store(request, settings):
    return open_store(STORE_BUILDERS[request.param](request, settings))


@pytest.fixture
def catalog(store, tmp_path):
    return Catalog(store, tmp_path / "cache")


def test_put_get_list_delete(store):
    store.put("records/a/1.json", b"one")
    store.put("records/a/2.json", b"two")
    store.put("records/b/1.json", b"three")
    assert store.get("records/a/1.json") == b"one"
    assert list(store.list("records/a/")) == ["records/a/1.json", "records/a/2.json"]
    assert store.exists("records/b/1.json") and not store.exists("records/b/9.json")
    store.delete("records/a/2.json")
    assert list(store.list("records/a/")) == ["records/a/1.json"]
    with pytest.raises(ObjectNotFound):
        store.get("records/a/2.json")


def test_put_new_never_overwrites(store):
    store.put_new("audit/000000000000.json", b"first")
    with pytest.raises(ObjectExists):
        store.put_new("audit/000000000000.json", b"second")
    assert store.get("audit/000000000000.json") == b"first"


def test_put_new_is_atomic_under_concurrency(store):
    wins, errors = [], []

    def writer(i):
        try:
            store.put_new("race/key", f"writer {i}".encode())
            wins.append(i)
        except ObjectExists:
            pass
        except Exception as exc:  # pragma: no cover - shows in the assertion
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and len(wins) == 1
    assert store.get("race/key") == f"writer {wins[0]}".encode()


def test_bad_keys_are_refused(store):
    for key in ["", "/abs", "a/../b", "a//b"]:
        with pytest.raises(StoreError):
            store.put(key, b"x")


def test_media_is_content_addressed_and_hash_checked(catalog, tmp_path):
    src = tmp_path / "clip.wav"
    src.write_bytes(b"RIFF....fake wav bytes")
    a = catalog.put_media_file(src)
    b = catalog.put_media(src.read_bytes(), "audio/wav")
    assert a.key == b.key and a.sha256 == b.sha256 and a.media_type == "audio/wav"
    assert catalog.read_media(a) == src.read_bytes()
    assert catalog.media_path(a).read_bytes() == src.read_bytes()
    catalog.store.put(a.key, b"tampered")
    with pytest.raises(IntegrityError):
        catalog.read_media(a)


def test_records_immutable_versions_and_mutable_history(catalog):
    v1 = ScriptVersion(id="p-v001", production_id="p", version=1, language="en", sentences=parse_markup("Hi."), backend="t")
    catalog.save(v1)
    with pytest.raises(ObjectExists, match="never overwritten"):
        catalog.save(v1.model_copy(update={"sentences": parse_markup("Changed.")}))
    assert catalog.load(ScriptVersion, "p-v001").sentences[0].text == "Hi."
    persona = Persona(id="uncle-bo", display_name="Bo")
    catalog.save(persona)
    catalog.save(persona.model_copy(update={"display_name": "Uncle Bo"}))
    assert [p.display_name for p in catalog.history(Persona, "uncle-bo")] == ["Bo", "Uncle Bo"]
    assert [p.id for p in catalog.find(Persona)] == ["uncle-bo"]
    with pytest.raises(ObjectNotFound, match="no persona"):
        catalog.load(Persona, "nobody")


def test_audit_log_is_hash_chained_and_detects_tampering(catalog):
    for i in range(5):
        catalog.audit("tester", "thing.done", f"thing/{i}", n=i)
    events = catalog.audit_events()
    assert [e.seq for e in events] == list(range(5))
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:]))
    assert catalog.verify_audit() == []
    key = "audit/000000000002.json"
    forged = events[2].model_copy(update={"actor": "mallory"})
    catalog.store.put(key, forged.model_dump_json().encode())
    assert any("changed" in p for p in catalog.verify_audit())


def test_audit_appends_concurrently_without_forking(catalog):
    threads = [threading.Thread(target=catalog.audit, args=("t", "a", f"s/{i}")) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(catalog.audit_events()) == 6 and catalog.verify_audit() == []


def test_prefect_results_live_in_the_studio_store(settings):
    from runs.result_storage import StudioResultStorage
    from storage import open_store

    block = StudioResultStorage()
    block.write_path("abc123", b"result bytes")
    assert block.read_path("abc123") == b"result bytes"
    assert open_store(settings).get("prefect-results/abc123") == b"result bytes"
    with pytest.raises(ValueError):
        block.read_path("missing")
