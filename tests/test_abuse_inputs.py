"""Issue 14, defect 15 (and 9's `--days`): the bad-input table, through the `studio` command
line as an operator types it. Every case is refused in one line that says what to do (exit
code 1, no traceback, no pydantic internals), or taken as it should be; a useless recording is
kept but left out of the voice; nothing stored is lost."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from app.api import StudioAPI
from persona.records import Upload
from review.records import ReviewRequest
from script.sentences import Brief

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory, shared_data) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("inputs")
    sr = 16000
    t = np.arange(8 * sr) / sr
    sf.write(d / "tone.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr, subtype="PCM_16")
    white = np.random.default_rng(1).normal(0, 1, t.size)
    pink = np.fft.irfft(np.fft.rfft(white) / np.sqrt(np.maximum(np.arange(t.size // 2 + 1), 1)), t.size)
    sf.write(d / "pink_noise.wav", (0.3 * pink / np.abs(pink).max()).astype(np.float32), sr, subtype="PCM_16")
    for name, seconds in (("silence_2h.wav", 7200), ("silence_20min.wav", 1200)):
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", str(seconds),
                        "-c:a", "pcm_s16le", str(d / name)], check=True)
    (d / "photo.jpg").write_text("this is a text file, not a photo")
    whole = d / "whole.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_data / "footage" / "lp_d3.mp4"), "-c", "copy",
                    "-movflags", "+faststart", str(whole)], check=True)
    data = whole.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: int(len(data) * 0.6)])
    (d / "latin1.txt").write_bytes("Très chère famille, à bientôt. Où êtes-vous ?".encode("latin-1"))
    (d / "talks_gb.txt").write_bytes("亲爱的家人们，春节快乐。我们一家人要团团圆圆。".encode("gb18030"))
    (d / "talks.txt").write_text("My dear friends, a family is a garden.")
    (d / "empty.wav").write_bytes(b"")
    return {p.name: p for p in d.iterdir()} | {"speech.wav": shared_data / "speech" / "f5_ref_en.wav",
                                               "folder": d}


def _classify(result, expect_ok: bool) -> str:
    out = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "crashed"
    if "Traceback" in out or "errors.pydantic.dev" in out:
        return "crashed"
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    if expect_ok:
        return "accepted (valid)" if result.exit_code == 0 and not errors else "accepted wrongly"
    if result.exit_code == 0:
        return "refused cleanly" if "left out" in out else "accepted wrongly"
    if result.exit_code == 2 and '"verdict": "not_a_media_file"' in out:  # verify's verdict, as JSON
        return "refused cleanly"
    clean = result.exit_code in (1, 2) and len(errors) == 1 and len(errors[0]) > len("error: ") + 10
    return "refused cleanly" if clean else "crashed"


def test_the_bad_input_table(settings, files, monkeypatch, abuse):
    import resource

    from app.cli import app
    from tests.conftest import free_port

    monkeypatch.setenv("STUDIO_PREFECT__API_URL", f"http://127.0.0.1:{free_port()}/api")  # nobody answers there
    from core.settings import get_settings

    get_settings.cache_clear()
    api = StudioAPI(get_settings())
    persona = api.create_persona("Grandpa Test (fictional)", ["en", "zh"], fictional=True)
    consent = api.add_consent(persona.id, "Grandpa Test", "self", ["greeting"], [files["talks.txt"]])
    production = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family"),
                                       ["Mei"], ["Lan"])
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, "script-1"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="script", round=1,
                            gate_key="script-1", roles={"stakeholder": ["Mei"]}, script_version=1)
    api.catalog.save(request)
    p = persona.id
    add = lambda name, role: ["materials", "add", p, str(files[name]), "--role", role]  # noqa: E731
    cases = [
        ("a text file named .jpg as a photo", add("photo.jpg", "photo"), False),
        ("a truncated fast-start MP4 as footage", add("truncated.mp4", "footage"), False),
        ("a 440 Hz tone as voice", add("tone.wav", "voice"), False),
        ("pink noise as voice", add("pink_noise.wav", "voice"), False),
        ("a 2-hour silent WAV as voice", add("silence_2h.wav", "voice"), False),
        ("a 20-minute silent WAV as voice", add("silence_20min.wav", "voice"), False),
        ("an empty file", add("empty.wav", "voice"), False),
        ("Latin-1 text as a past talk", add("latin1.txt", "text"), False),
        ("a folder as footage", ["materials", "add", p, str(files["folder"]), "--role", "footage"], False),
        ("an unknown role", add("speech.wav", "music"), False),
        ("real speech as voice", add("speech.wav", "voice"), True),
        ("GB18030 Chinese text", add("talks_gb.txt", "text"), True),
        ("UTF-8 text", add("talks.txt", "text"), True),
        ("consent --days 0", ["consent", "add", p, "--grantor", "G", "--evidence", str(files["talks.txt"]), "--days", "0"], False),
        ("consent --days -1", ["consent", "add", p, "--grantor", "G", "--evidence", str(files["talks.txt"]), "--days", "-1"], False),
        ("consent --days 100000000", ["consent", "add", p, "--grantor", "G", "--evidence", str(files["talks.txt"]),
                                      "--days", "100000000"], False),
        ("invite --days 0", ["invite", "create", production.id, "--reviewer", "Lan", "--role", "family", "--days", "0"], False),
        ("invite --days -1", ["invite", "create", production.id, "--reviewer", "Lan", "--role", "family", "--days", "-1"], False),
        ("invite --days 100000000", ["invite", "create", production.id, "--reviewer", "Lan", "--role", "family",
                                     "--days", "100000000"], False),
        ("an empty persona name", ["persona", "create", ""], False),
        ("a persona language nobody speaks here", ["persona", "create", "X", "--language", "fr"], False),
        ("review list with Prefect down", ["review", "list"], False),
        ("review approve with Prefect down", ["review", "approve", request.id, "--on-behalf-of", "Mei", "--role",
                                              "stakeholder", "--reason", "by phone"], False),
        ("verify a text file", ["verify", str(files["talks.txt"])], False),
        ("verify a folder", ["verify", str(files["folder"])], False),
        ("status with Prefect down", ["status"], True),
    ]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name, args, valid in cases:
        result = RUNNER.invoke(app, args)
        outcome = _classify(result, valid)
        abuse.record("15", name, outcome)
        assert outcome == ("accepted (valid)" if valid else "refused cleanly"), (name, result.exit_code, result.output,
                                                                                  result.exception)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"bad-input table: memory grew by {grown_mb:.0f} MB over {len(cases)} cases (the 20-minute file is decoded in blocks)")
    uploads = {u.asset.name: u for u in api.catalog.find(Upload)}
    assert set(uploads) == {"tone.wav", "pink_noise.wav", "silence_20min.wav", "f5_ref_en.wav", "talks_gb.txt", "talks.txt"}
    assert {n for n, u in uploads.items() if u.problem} == {"tone.wav", "pink_noise.wav", "silence_20min.wav"}
    assert "left out: no speech found" in RUNNER.invoke(app, ["materials", "list", p]).output
    assert not re.search(r"Traceback", RUNNER.invoke(app, ["review", "list"]).output)
    assert api.catalog.exists(type(consent), consent.id)  # nothing stored was lost
    get_settings.cache_clear()
