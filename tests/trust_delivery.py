"""One delivery rendered from real footage and speech (20 s of lp_d3 with a real speaker),
registered in a real catalog with its watermark, approvals and manifests: ``tests/conftest.py``'s
session fixture ``delivered``, shared by test_trust and test_public_verifier."""

from __future__ import annotations

import subprocess

from app.api import StudioAPI
from core.settings import StudioSettings
from delivery.records import Delivery, WatermarkRecord
from review.records import Approval

KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _record_approvals(api, persona_id: str) -> list[Approval]:
    """The production behind the delivery, and Lan's approval of its script and take, recorded as the studio does."""
    from production.records import Production
    from review import gates
    from review.records import ReviewDecision, ReviewRequest
    from script.sentences import Brief

    production = Production(id="prod-t", persona_id=persona_id, use="greeting", brief=Brief(occasion="x", audience="family"),
                            script_reviewers=["Lan"], family_reviewers=["Lan"],
                            gate_roles={"script": ["family"], "video": ["family"]})
    api.catalog.save(production)
    approvals = []
    for gate, take in (("script", None), ("video", "take")):
        request = ReviewRequest(id=f"prod-t-{gate}-1", production_id="prod-t", flow_run_id="x", gate=gate, round=1,
                                gate_key=f"{gate}-1", roles={"family": ["Lan"]}, script_version=1, video_take_id=take)
        api.catalog.save(request)
        gates.record_approval(api.catalog, request, ReviewDecision(decision="approve", reviewer="Lan", role="family"), "Lan")
        approvals += gates.seal(api.catalog, request).approvals
    return approvals


def make_delivery(tmp_path_factory, shared_data) -> dict:
    """A delivery rendered from real footage and speech, registered in a real catalog (the
    session's ``delivered`` fixture: test_trust and test_public_verifier share one rendering)."""
    from delivery.credentials import disclosure
    from delivery.manifests import keep_manifests
    from delivery.render import render_delivery
    from delivery.trust.aigc_metadata import make_label
    from delivery.trust.keys import c2pa_credentials, watermark_key

    home = tmp_path_factory.mktemp("trust-home")
    # a fixed key keeps the run reproducible (keys are random per studio otherwise)
    settings = StudioSettings(home=home, trust={"watermark_key": KEY.hex()})
    src = home / "take.mp4"
    ffmpeg("-stream_loop", "1", "-i", str(shared_data / "footage" / "lp_d3.mp4"),
           "-i", str(shared_data / "footage" / "musetalk_sun.wav"), "-map", "0:v", "-map", "1:a", "-t", "20",
           "-c:v", "libx264", "-crf", "18", "-c:a", "aac", "-b:a", "160k", str(src))
    api = StudioAPI(settings)
    persona = api.create_persona("Test Person", ["en"])
    evidence = home / "form.txt"
    evidence.write_text("signed consent form")
    consent = api.add_consent(persona.id, "Test Person", "self", ["greeting"], [evidence])
    key = watermark_key(settings)
    delivery_id = "prod-t-delivery-v001-t1"
    record = WatermarkRecord(id=WatermarkRecord.id_for(0x0BADF00D), content_id=0x0BADF00D, production_id="prod-t",
                             delivery_id=delivery_id, persona_id=persona.id, consent_id=consent.id, script_version=1)
    api.catalog.save(record)
    label = make_label(c2pa_credentials(settings).key_pem, "studio-test", delivery_id)
    approvals = _record_approvals(api, persona.id)
    files = render_delivery(src, home / "out", delivery_id, delivery=settings.delivery, trust=settings.trust, key=key,
                            content_id=record.content_id, language="en", title="Test Person: a greeting",
                            delivery_id=delivery_id, aigc_label=label, credentials=c2pa_credentials(settings),
                            provenance={"consent_id": consent.id, "script_version": 1},
                            disclosure=disclosure({"script": "edit", "voice": "kokoro", "video": "reenact"}, approvals, 1, 1))
    manifests = keep_manifests(api.catalog, delivery_id, files.signed, files.marks)
    delivery = Delivery(id=delivery_id, production_id="prod-t", persona_id=persona.id, consent_id=consent.id,
                        script_version=1, video_take_id="take", video=api.catalog.put_media_file(files.video, "video/mp4"),
                        duration_s=files.duration_s,
                        label_text="x", approvals=approvals, watermark_id=record.id, manifests=manifests)
    api.catalog.save(delivery)
    return dict(settings=settings, api=api, files=files, src=src, consent=consent, label=label, home=home)
