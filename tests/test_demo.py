"""`studio demo` end to end, as `make demo` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from media.ffmpeg_io import probe

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_studio_demo_end_to_end(tmp_path):
    """The default demo: Chinese, written by the shipped Qwen, a reviewer's Chinese comments applied."""
    env = dict(os.environ, STUDIO_HOME=str(tmp_path / "home"))
    report_path = tmp_path / "demo.json"
    proc = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--json", str(report_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert "Delivered MP4:" in proc.stdout and report["delivered"] in proc.stdout
    srt, vtt = (Path(p).read_text(encoding="utf-8") for p in report["subtitles"])
    assert "这段视频是人工智能生成的。" in srt and vtt.startswith("WEBVTT") and "老房子后面的梅花" in vtt.replace("\n", "")
    assert report["verify"]["verdict"] == "authorised" and report["audit_chain_ok"]
    assert report["verify"]["approvers"] == [  # every role approved each gate
        "小梅（助理） (stakeholder, script)", "兰兰（女儿） (family, script)",
        "兰兰（女儿） (family, video)", "小梅（助理） (stakeholder, video)"]
    assert report["verify"]["c2pa"] == "Trusted" and report["verify"]["aigc"]["Label"] == "1"
    # the label's integrity code is a signature anyone can check with the certificate; the
    # digital human's identity code is in the label, and verify names it
    assert report["verify"]["aigc_integrity"] == "signature"
    identity = report["verify"]["identity_code"]
    assert identity.startswith("DH1-") and report["verify"]["aigc"]["ProduceID"] == f"{identity}/{report['verify']['delivery_id']}"
    copy = report["verify_copy"]  # half size, CRF 28, AAC 64k, metadata stripped
    assert copy["identity_code"] == identity  # found again from the watermark alone
    assert copy["verdict"] == "authorised" and copy["c2pa"] == "none" and copy["aigc"] is None
    assert copy["watermark_video"] == report["verify"]["watermark_video"] is not None
    # the same copy through the public verifier's HTTP API: its credentials come back, no names
    public = report["public_verifier"]
    assert public["matches"] and public["verdict"]["verdict"] == "authorised"
    assert public["verdict"]["digital_human_id"] == identity and "兰兰" not in json.dumps(public, ensure_ascii=False)
    [mp4, *_] = public["verdict"]["credentials"]
    assert mp4["trusted"] and not mp4["covers_these_bytes"] and mp4["manifest_id"] == public["matches"][0]
    assert [b["value"] for b in mp4["soft_bindings"]] == [copy["watermark_video"]] * 2
    assert "POST /matches/byContent -> urn:c2pa:" in proc.stdout and "signed by the studio's certificate" in proc.stdout
    info = probe(Path(report["delivered"]))
    assert (info.video_codec, info.audio_codec) == ("h264", "aac") and info.duration_s > 10
    actions = [e["action"] for e in report["events"]]
    assert actions.count("review.changes_requested") == 1 and actions.count("review.approved") == 2
    assert actions.count("review.approved_by") == 4
    assert actions[-1] == "delivery.created"
    # Whisper listened to every sentence of the approved script
    checks = report["speech_check"]
    assert [c["index"] for c in checks] == list(range(report["script_sentences"]))
    assert all(c["metric"] == "CER" and c["heard"] for c in checks)
    assert "style derived from" in proc.stdout and "(model)" in proc.stdout, proc.stdout[:4000]  # the model rewrote sentence 2
    assert "'第2句更温馨一点' -> sentences [2] (model)" in proc.stdout, proc.stdout[:4000]  # that sentence and no other
    assert "老房子后面的梅花今年开得特别早。" in proc.stdout  # 加上：... applied by rule
    assert "speech check (Whisper) per sentence" in proc.stdout
    # the demo stops what it started
    assert not list((tmp_path / "home" / "demo" / "run").glob("*.pid"))
