"""The production flow with its review gates, on a real Prefect server and runner: suspend,
request changes, resume with comments, approve, deliver; resume after a server restart;
decisions refused without a named reviewer or valid consent; and the portal (AppTest)."""

from __future__ import annotations

import pytest

from studio import services
from studio.api import ReviewError, StudioAPI
from studio.consent import ConsentError
from studio.demo import wait_for_review
from tests.conftest import new_production
from studio.models import Brief, Delivery, Production, ReviewDecision, ScriptVersion, VoiceTake
from tasks.media import probe

pytestmark = pytest.mark.slow


def decide(api, request, decision, reviewer, role, comments=(), redo=None):
    api.submit_decision(request.id, ReviewDecision(decision=decision, reviewer=reviewer, role=role,
                                                   comments=list(comments), redo=redo))


def test_gates_loop_back_with_comments_and_deliver(studio_stack, persona_media):
    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)

    first = wait_for_review(api, production.id, "script-1", timeout_s=300)
    assert api.run_state(run_id).name == "Suspended"
    decide(api, first, "request_changes", "Mei", "stakeholder", ["add: The tea is ready, come in."])

    second = wait_for_review(api, production.id, "script-2", timeout_s=300)
    v1, v2 = api.script(production.id, 1), api.script(production.id, 2)
    assert "The tea is ready, come in." in [s.text for s in v2.sentences]
    assert "The tea is ready, come in." not in [s.text for s in v1.sentences]
    assert second.previous_script_version == 1 and v2.comments == ["add: The tea is ready, come in."]
    decide(api, second, "approve", "Mei", "stakeholder")

    video1 = wait_for_review(api, production.id, "video-1", timeout_s=300)
    decide(api, video1, "request_changes", "Lan", "family", ["a little slower please"], redo="voice")
    video2 = wait_for_review(api, production.id, "video-2", timeout_s=300)
    takes = {t.take: t for t in api.catalog.find(VoiceTake, f"{production.id}-v002-voice")}
    assert set(takes) == {1, 2} and takes[2].notes == ["a little slower please"]
    assert takes[2].duration_s > takes[1].duration_s * 1.05  # slower, as asked
    decide(api, video2, "approve", "Lan", "family")

    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)
    delivery = next(d for d in api.catalog.find(Delivery) if d.production_id == production.id)
    assert delivery.consent_id == consent.id and delivery.script_version == 2
    assert [(a.reviewer, a.gate) for a in delivery.approvals] == [("Mei", "script"), ("Lan", "video")]
    path = api.catalog.media_path(delivery.video)
    info = probe(path)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert abs(info.duration_s - takes[2].duration_s - delivery.spoken_notice_s) < 0.3
    assert delivery.c2pa_signed and delivery.aigc["Label"] == "1" and delivery.audio_mp3 and delivery.audio_wav
    from tasks.verify import verify_file

    report = verify_file(api.catalog, studio_stack, path)
    assert report.verdict == "authorised" and report.c2pa == "Trusted"
    assert report.watermark_video == delivery.watermark_id.removeprefix("wm-")
    # finished work is never recomputed on resume: one selection, one draft per version
    actions = [e.action for e in api.catalog.audit_events(f"production/{production.id}")]
    assert actions.count("materials.selected") == 1
    assert len(api.catalog.find(ScriptVersion, f"{production.id}-v")) == 2
    assert api.catalog.verify_audit() == []


def test_decisions_need_a_named_reviewer_and_valid_consent(studio_stack, persona_media):
    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    with pytest.raises(ReviewError, match="not a reviewer"):
        decide(api, request, "approve", "Stranger", "stakeholder")
    api.revoke_consent(consent.id, "the family withdrew consent")
    # revocation stops the waiting run: it is cancelled, and the gate leaves every inbox
    assert api.run_state(run_id).type.value == "CANCELLED"
    assert api.catalog.load(Production, production.id).status == "stopped"
    assert request.id not in [r.id for r in api.pending_reviews()]
    with pytest.raises(ConsentError, match="revoked"):
        decide(api, request, "approve", "Mei", "stakeholder")
    with pytest.raises(ConsentError):
        api.start_production(production.id)


def test_waiting_run_survives_a_prefect_server_restart(studio_stack, persona_media):
    api, production, _ = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    services.stop(studio_stack, ("prefect-server",))
    services.start_prefect_server(studio_stack)
    assert api.run_state(run_id).type.value == "PAUSED"
    decide(api, request, "approve", "Mei", "stakeholder")
    video = wait_for_review(api, production.id, "video-1", timeout_s=300)
    decide(api, video, "approve", "Lan", "family")
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)


def test_portal_lists_and_approves_a_waiting_review(studio_stack, persona_media):
    from streamlit.testing.v1 import AppTest

    from review_ui.pages import get_api

    api, production, _ = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    from studio.access import invite

    get_api.clear()
    _, link = invite(api.catalog, studio_stack, production.id, "Mei", "stakeholder", "operator")
    at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
    at.query_params["invite"] = link.split("invite=")[1]
    at.run()
    assert not at.exception and "invite" not in at.query_params  # the token leaves the address bar
    at.selectbox(key="review_pick").set_value(request.id).run()
    assert any("Come home for dinner." in m.value for m in at.markdown)
    at.text_area(key="comment").input("")
    at.button(key="request_changes").click().run()  # request changes without a comment: refused, shown, not raised
    assert not at.exception and "needs at least one comment" in at.error[0].value
    at.button(key="approve").click().run()  # approve
    assert not at.exception and at.success, [e.value for e in at.error]
    api.wait_past_gate(run_id, "script-1", timeout_s=120)
    wait_for_review(api, production.id, "video-1", timeout_s=300)


def test_portal_shows_prefect_errors_instead_of_raising(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from review_ui.pages import get_api
    from studio.access import Identity
    from studio.settings import get_settings
    from tests.conftest import free_port

    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("STUDIO_PREFECT__API_URL", f"http://127.0.0.1:{free_port()}/api")
    get_settings.cache_clear()
    get_api.clear()
    at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
    at.session_state["identity"] = Identity(name="op", kind="operator")
    at.run()
    assert not at.exception and at.error and "Could not read" in at.error[0].value
    get_settings.cache_clear()
    get_api.clear()
