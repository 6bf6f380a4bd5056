"""Durable content credentials and the public verifier (issue 21, items 1-2): every delivered
file's manifest names its marks (c2pa.soft-binding, c2pa.watermarked.bound) and how it was made;
the manifest repository gives them back through the C2PA Soft Binding Resolution API, over real
HTTP, for a stripped, half-size, CRF 28 copy; a stranger sees the verdict and the public part,
an operator the names; bad input, big or long files and floods get clear answers."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from delivery.records import PICTURE_MARK_ALG, SOUND_MARK_ALG
from tests.voice_servers import LocalServer

VALUE = f"{0x0BADF00D:08x}"  # the fixture's registered content id


@pytest.fixture(scope="module")
def stripped_copy(delivered, tmp_path_factory):
    """What a stranger finds online: half size, CRF 28, AAC 64k, every metadata stripped."""
    out = tmp_path_factory.mktemp("copy") / "found-online.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(delivered["files"].video), "-map_metadata", "-1",
                    "-vf", "scale=iw/2:ih/2", "-c:v", "libx264", "-crf", "28", "-c:a", "aac", "-b:a", "64k", str(out)],
                   check=True)
    return out


def _server(delivered, **limits):
    from core.settings import VerifierSettings
    from delivery.verifier_server import make_app

    settings = delivered["settings"]
    settings = settings.model_copy(update={"verifier": VerifierSettings(**{**settings.verifier.model_dump(), **limits})})
    return LocalServer(make_app(settings, delivered["api"].catalog))


def test_every_delivered_file_names_its_marks_and_how_it_was_made(delivered):
    from delivery.backends.c2pa_manifest import read_manifest
    from delivery.trust.keys import c2pa_credentials

    files = delivered["files"]
    anchors = c2pa_credentials(delivered["settings"]).anchors_pem
    for path, algs in ((files.video, [PICTURE_MARK_ALG, SOUND_MARK_ALG]), (files.mp3, [SOUND_MARK_ALG]),
                       (files.wav, [SOUND_MARK_ALG])):
        manifest = read_manifest(path, anchors)  # c2pa reads the assertions back and validates them
        assert manifest.state == "Trusted", manifest.problems
        assert manifest.actions == ["c2pa.created", "c2pa.watermarked.bound"]
        assert [b["alg"] for b in manifest.soft_bindings] == algs
        for binding in manifest.soft_bindings:
            [block] = binding["blocks"]
            span = block["scope"]["timespan"]
            assert block["value"] == VALUE and span["start"] == 0
            assert abs(span["end"] / 1000 - probe_duration(path)) < 0.2
        made = manifest.disclosure
        assert made["digital_source_type"] == "trainedAlgorithmicMedia" and made["models"]["voice"] == "kokoro"
        assert [(o["gate"], o["role"]) for o in made["human_oversight"]] == [("script", "family"), ("video", "family")]
        assert "Lan" not in json.dumps(made) + json.dumps(manifest.studio)  # names stay in the studio's records


def probe_duration(path) -> float:
    from media.ffmpeg_io import probe

    return probe(path).duration_s


def test_a_stranger_recovers_the_credentials_of_a_stripped_copy_over_http(delivered, stripped_copy):
    from delivery.backends.c2pa_manifest import read_manifest, read_store
    from delivery.trust.keys import c2pa_credentials

    assert not read_manifest(stripped_copy).present  # nothing left in the file itself
    files = delivered["files"]
    with _server(delivered, operator_token="op-secret") as server, httpx.Client(base_url=server.url, timeout=120) as http:
        algs = http.get("/services/supportedAlgorithms").json()
        assert {a["alg"] for a in algs["watermarks"]} == {PICTURE_MARK_ALG, SOUND_MARK_ALG}

        # by content: the marks in the copy lead to the manifests
        found = http.post("/matches/byContent", content=stripped_copy.read_bytes(), headers={"content-type": "video/mp4"})
        assert found.status_code == 200, found.text
        ids = [m["manifestId"] for m in found.json()["matches"]]
        mp4_id = files.signed["mp4"].manifest_id
        assert mp4_id in ids and all(i.startswith("urn:c2pa:") for i in ids)

        # by binding value: the picture's names the MP4 only, the sound's all three files
        picture = http.get("/matches/byBinding", params={"alg": PICTURE_MARK_ALG, "value": VALUE}).json()["matches"]
        sound = http.get("/matches/byBinding", params={"alg": SOUND_MARK_ALG, "value": VALUE.upper()}).json()["matches"]
        assert [m["manifestId"] for m in picture] == [mp4_id]
        assert {m["manifestId"] for m in sound} == {f.manifest_id for f in files.signed.values()}

        # by id: the manifest store itself, which c2pa validates against the original file
        store = http.get(f"/manifests/{mp4_id}")
        assert store.headers["content-type"] == "application/c2pa"
        read, state = read_store(store.content, files.video, c2pa_credentials(delivered["settings"]).anchors_pem)
        assert state == "Trusted" and read["active_manifest"] == mp4_id
        described = http.get(f"/manifests/{mp4_id}", params={"format": "json"}).json()
        assert described["trusted"] and described["soft_bindings"][0]["value"] == VALUE

        # the plain verdict: what a stranger sees, and what an operator sees for the same clip
        stranger = http.post("/verdict", params={"name": "found-online.mp4"}, content=stripped_copy.read_bytes())
        operator = http.post("/verdict", params={"name": "found-online.mp4"}, content=stripped_copy.read_bytes(),
                             headers={"authorization": "Bearer op-secret"})
    seen = stranger.json()
    assert seen["verdict"] == "authorised" and seen["summary"].startswith("An authorised production of")
    assert seen["digital_human_id"].startswith("DH1-") and seen["digital_human"] == "Test Person"
    assert seen["approved_by_roles"] == ["family (script)", "family (video)"]
    assert "operator_report" not in seen and '"Lan' not in stranger.text and "Lan (" not in stranger.text
    [first, *_] = seen["credentials"]
    assert first["file"] == "mp4" and first["trusted"] and not first["covers_these_bytes"]
    assert "signed by the studio's certificate, trusted" in first["signature"]
    report = operator.json()["operator_report"]
    assert report["approvers"] == ["Lan (family, script)", "Lan (family, video)"]
    assert report["consent_id"] == delivered["consent"].id
    print("stranger:", json.dumps({k: seen[k] for k in ("verdict", "summary", "digital_human_id", "approved_by_roles")}))
    print("operator adds:", report["approvers"], report["consent_id"])


def test_the_page_answers_in_plain_words_and_revocation_shows(delivered, stripped_copy):
    api = delivered["api"]
    [delivery] = api.deliveries("prod-t")
    with _server(delivered) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        page = http.get("/")
        assert page.status_code == 200 and 'type=file name=file' in page.text
        files = {"file": ("<script>alert(1)</script>.mp4", stripped_copy.read_bytes(), "video/mp4")}
        answer = http.post("/check", files=files)
        assert answer.status_code == 200 and "<b>authorised</b>" in answer.text and "<script>" not in answer.text
        api.catalog.save(delivery.model_copy(update={"revoked_at": delivery.created_at, "revocation_reason": "withdrawn"}))
        try:
            revoked = http.post("/verdict", content=stripped_copy.read_bytes(), headers={"content-type": "video/mp4"})
        finally:
            api.catalog.save(delivery)
    assert revoked.json()["verdict"] == "revoked" and "must not be used" in revoked.json()["summary"]


def test_bad_input_big_and_long_files_and_floods_get_clear_answers(delivered, stripped_copy, tmp_path):
    with _server(delivered, checks_per_minute=2, lookups_per_minute=5) as server, \
            httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/matches/byBinding", params={"alg": "someone.else", "value": VALUE}).status_code == 400
        assert http.get("/matches/byBinding", params={"alg": SOUND_MARK_ALG, "value": "'; drop"}).json() == {"matches": []}
        assert http.get("/matches/byBinding", params={"alg": SOUND_MARK_ALG, "value": "00000001"}).json() == {"matches": []}
        missing = http.get("/manifests/urn:c2pa:00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404 and "no manifest" in missing.json()["error"]
        assert http.get("/manifests/../../records").status_code == 404
        flood = [http.get("/manifests/nope").status_code for _ in range(3)]
        assert flood[-1] == 429  # five look-ups a minute: the sixth is refused

        empty = http.post("/verdict", content=b"")
        garbage = http.post("/verdict", content=b"\x00\x01 not a video " * 1000, headers={"content-type": "video/mp4"})
        assert (empty.status_code, garbage.status_code) == (400, 422)
        assert "not a video or sound file" in garbage.json()["error"]
        refused = http.post("/verdict", content=b"x")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0 and "a minute" in refused.json()["error"]
    with _server(delivered, max_upload_mb=0.1, max_minutes=0.2) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        big = http.post("/verdict", content=stripped_copy.read_bytes())
        assert big.status_code == 413 and "larger than 0.1 MB" in big.json()["error"]
        short = tmp_path / "short.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(stripped_copy), "-t", "14", "-vf", "scale=64:64",
                        "-c:v", "libx264", "-crf", "40", "-c:a", "aac", "-b:a", "16k", str(short)], check=True)
        long = http.post("/verdict", content=short.read_bytes())
        assert long.status_code == 413 and "min long" in long.json()["error"], long.text


def test_the_subtitles_carry_a_manifest_bound_to_their_bytes(delivered):
    """WebVTT: the manifest in a NOTE after the header (c2pa-vtt), a data hash over every other
    byte; c2pa validates signature, certificate and hash; an edited cue or another studio's
    certificate is caught."""
    from delivery.backends.c2pa_manifest import create_chain
    from delivery.backends.c2pa_vtt_manifest import read_vtt, sign_vtt
    from delivery.trust.keys import c2pa_credentials

    credentials = c2pa_credentials(delivered["settings"])
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n这段视频是人工智能生成的。\n\n00:00:04.000 --> 00:00:07.000\nCome home for dinner.\n"
    signed, manifest = sign_vtt(vtt, credentials, "Test Person: a greeting", {"delivery_id": "d"}, {"models": {"voice": "kokoro"}})
    lines = signed.splitlines()
    assert lines[0] == "WEBVTT" and lines[2].startswith("NOTE -----BEGIN C2PA MANIFEST----- data:application/c2pa;base64,")
    assert signed.endswith(vtt.split("\n\n", 1)[1])  # the cues as they were
    read, problems = read_vtt(signed, credentials.anchors_pem)
    assert problems == [] and read["active_manifest"] == manifest.manifest_id
    assert read_vtt(signed.replace("Come home", "Stay away"), credentials.anchors_pem)[1]
    assert any("not one this verifier trusts" in p for p in read_vtt(signed, create_chain(delivered["home"] / "other-ca").anchors_pem)[1])
    assert read_vtt(vtt, credentials.anchors_pem)[1] == ["no C2PA manifest in these subtitles"]
