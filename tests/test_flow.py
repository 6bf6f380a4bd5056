"""The production flow with its review gates, on a real Prefect server and runner: suspend,
request changes, resume with comments, approve, deliver; resume after a server restart;
decisions refused without a named reviewer or valid consent; a family's quorum and veto; and the
portal (AppTest)."""

from __future__ import annotations

import pytest

from app import services
from app.api import ReviewError
from app.demo import approve_as_every_role, wait_for_review
from delivery.records import Delivery
from media.ffmpeg_io import probe
from persona.consent import ConsentError
from production.records import Production
from review.records import ReviewDecision
from script.records import ScriptVersion
from tests.conftest import new_production, shown
from video.records import VideoTake
from voice.records import VoiceTake

pytestmark = pytest.mark.slow


def decide(api, request, decision, reviewer, role, comments=(), redo=None, edited_script=None):
    return api.submit_decision(request.id, ReviewDecision(decision=decision, reviewer=reviewer, role=role,
                                                          comments=list(comments), redo=redo, edited_script=edited_script))


def test_gates_loop_back_with_comments_and_deliver(studio_stack, persona_media):
    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)

    first = wait_for_review(api, production.id, "script-1", timeout_s=300)
    assert api.run_state(run_id).name == "Suspended"
    assert first.roles == {"stakeholder": ["Mei"], "family": ["Lan"]}
    v1 = api.script(production.id, 1)
    closing = len(v1.sentences)
    note = api.add_comment(first.id, "Lan", "family", "remove", sentence=closing)  # anchored to the last sentence
    api.add_comment(first.id, "Mei", "stakeholder", "Agreed, it is too formal.", reply_to=note.id)
    with pytest.raises(ValueError, match="sentences 1-"):
        api.add_comment(first.id, "Lan", "family", "?", sentence=closing + 1)
    with pytest.raises(ValueError, match="anchor the comment to a sentence"):
        api.add_comment(first.id, "Lan", "family", "too fast", start_s=0, end_s=1)
    decide(api, first, "approve", "Lan", "family")  # one role of two: the run stays suspended
    assert api.run_state(run_id).name == "Suspended"
    assert api.review(first.id).missing_roles == ["stakeholder"]
    decide(api, first, "request_changes", "Mei", "stakeholder", ["add: The tea is ready, come in."])

    second = wait_for_review(api, production.id, "script-2", timeout_s=300)
    v2 = api.script(production.id, 2)
    assert "The tea is ready, come in." in [s.text for s in v2.sentences]
    assert "The tea is ready, come in." not in [s.text for s in v1.sentences]
    assert v1.sentences[-1].text not in [s.text for s in v2.sentences]  # the anchored comment removed it
    assert second.previous_script_version == 1 and second.approvals == []  # Lan's approval of v1 is void
    assert v2.comments == ["add: The tea is ready, come in.", f"[sentence {closing}] remove"]
    added = [s.text for s in v2.sentences].index("The tea is ready, come in.") + 1
    assert [(c.asked_by, c.sentences) for c in v2.changes] == [("Mei", [added]), ("Lan", [])]  # who asked for what
    assert "review.approvals_voided" in [e.action for e in api.history(production.id)]
    decide(api, second, "request_changes", "Lan", "family", ["my own words"],
           edited_script=v2.markup.replace("The tea is ready, come in.", "The dumplings are ready."))

    third = wait_for_review(api, production.id, "script-3", timeout_s=300)
    v3 = api.script(production.id, 3)
    assert v3.backend == "edit" and "The dumplings are ready." in [s.text for s in v3.sentences]
    approve_as_every_role(api, third)

    video1 = wait_for_review(api, production.id, "video-1", timeout_s=300)
    framed = api.add_comment(video1.id, "Lan", "family", "his smile here", start_s=1.0, end_s=2.5)
    assert framed.frame and api.catalog.read_media(framed.frame)[:2] == b"\xff\xd8"  # the JPEG frame at 1.0 s
    decide(api, video1, "request_changes", "Lan", "family", ["a little slower please"], redo="voice")
    video2 = wait_for_review(api, production.id, "video-2", timeout_s=300)
    takes = {t.take: t for t in api.catalog.find(VoiceTake, f"{production.id}-v003-voice")}
    assert set(takes) == {1, 2} and takes[2].notes[0] == "a little slower please"
    assert takes[2].duration_s > takes[1].duration_s * 1.05  # slower, as asked
    # a graceful server restart while the run waits (test_faults kills it); then "go back to: video"
    # makes the picture again from the same voice take (the voice stays as approved)
    services.stop(studio_stack, ("prefect-server",))
    services.start_prefect_server(studio_stack)
    assert api.run_state(run_id).type.value == "PAUSED"
    decide(api, video2, "request_changes", "Lan", "family", ["the picture once more, please"], redo="video")
    video3 = wait_for_review(api, production.id, "video-3", timeout_s=300)
    second, third = (api.catalog.load(VideoTake, r.video_take_id) for r in (video2, video3))
    assert third.id != second.id and third.voice_take_id == second.voice_take_id
    assert len(api.catalog.find(VoiceTake, f"{production.id}-v003-voice")) == 2
    approve_as_every_role(api, video3)

    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)
    delivery = next(d for d in api.catalog.find(Delivery) if d.production_id == production.id)
    assert delivery.consent_id == consent.id and delivery.script_version == 3
    assert [(a.reviewer, a.gate) for a in delivery.approvals] == [
        ("Mei", "script"), ("Lan", "script"), ("Lan", "video"), ("Mei", "video")]
    path = api.catalog.media_path(delivery.video)
    info = probe(path)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert abs(info.duration_s - takes[2].duration_s - delivery.spoken_notice_s) < 0.3
    assert delivery.c2pa_signed and delivery.aigc["Label"] == "1" and delivery.audio_mp3 and delivery.audio_wav
    from delivery.verify import verify_file

    report = verify_file(api.catalog, studio_stack, path)
    assert report.verdict == "authorised" and report.c2pa == "Trusted"
    assert [f.split()[0] for f in report.delivered_files] == ["mp4", "mp3", "wav", "srt", "vtt"]
    vtt = api.catalog.read_media(delivery.subtitles_vtt).decode()
    srt = api.catalog.read_media(delivery.subtitles_srt).decode()
    assert vtt.startswith("WEBVTT") and "This video was generated by AI." in srt  # the notice, then the talk
    from delivery.backends.c2pa_vtt_manifest import read_vtt
    from delivery.trust.keys import c2pa_credentials

    credentials, problems = read_vtt(vtt, c2pa_credentials(studio_stack).anchors_pem)  # its own signed manifest
    assert problems == [] and credentials["active_manifest"] in delivery.manifests and len(delivery.manifests) == 4
    assert "The dumplings are ready." in vtt.replace("\n", " ")
    assert report.watermark_video == delivery.watermark_id.removeprefix("wm-")
    # finished work is never recomputed on resume: one selection, one draft per version
    actions = [e.action for e in api.catalog.audit_events(f"production/{production.id}")]
    assert actions.count("materials.selected") == 1
    assert len(api.catalog.find(ScriptVersion, f"{production.id}-v")) == 3
    assert api.catalog.verify_audit() == []


def test_decisions_need_a_named_reviewer_and_valid_consent(studio_stack, persona_media):
    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    with pytest.raises(ReviewError, match="not a stakeholder reviewer"):
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


def test_portal_shows_prefect_errors_instead_of_raising(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    from core.settings import get_settings
    from review.access import Identity
    from review_ui.session import get_api
    from tests.conftest import free_port

    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("STUDIO_PREFECT__API_URL", f"http://127.0.0.1:{free_port()}/api")
    get_settings.cache_clear()
    get_api.clear()
    at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
    at.session_state["identity"] = Identity(name="op", kind="operator")
    at.run()
    assert not at.exception and at.error and "Could not read" in shown(at.error[0].value)
    get_settings.cache_clear()
    get_api.clear()


def test_a_family_quorum_must_agree_and_one_members_withdrawal_stops_a_waiting_production(studio_stack, persona_media):
    """For a deceased person: two of three named family members must each agree (through their own
    link, or a paper form an operator records) before anything is made; the third, who never
    agreed, withdraws through his link while the production waits for review: it is stopped at
    once, and its reviewers are told why."""
    from streamlit.testing.v1 import AppTest

    from app.api import StudioAPI
    from review.access import AccessError, invite
    from review_ui.session import get_api
    from script.sentences import Brief

    api = StudioAPI(studio_stack)
    persona = api.create_persona("Grandpa Wang (fictional)", ["en"], deceased=True, fictional=True)
    family = [{"name": "Mei", "relationship": "spouse"}, {"name": "Lan", "relationship": "daughter"},
              {"name": "Bo", "relationship": "son"}]
    consent = api.add_consent(persona.id, "the Wang family", "next_of_kin", ["greeting"], [persona_media["text"]],
                              quorum={"members": family, "needed": 2})
    for role in ("voice", "footage", "text"):
        api.add_material(persona.id, role, persona_media[role])
    brief = Brief(occasion="birthday", audience="family", points=["Come home for dinner"], target_seconds=12)
    with pytest.raises(ConsentError, match="waits for the family: 0 of the 2 needed"):
        api.create_production(persona.id, "greeting", brief, ["Mei"], ["Lan"])

    def portal_as(link: str) -> AppTest:
        get_api.clear()
        at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
        at.query_params["invite"] = link.split("invite=")[1]
        return at.run()

    mei = portal_as(api.invite_family_member(consent.id, "Mei")[1])  # Mei agrees through her own link
    assert not mei.exception and mei.title[0].value.startswith("Consent for Grandpa Wang")
    mei.text_area(key="family_words").input("Yes, for the grandchildren's birthday.")
    mei.checkbox(key="family_sure").check()
    mei.button(key="family_agree_button").click().run()
    assert not mei.exception and "your agreement is recorded" in shown(mei.success[0].value), [e.value for e in mei.error]
    mei_identity = mei.session_state["identity"]
    with pytest.raises(AccessError, match="only they can answer"):
        api.agree_to_consent(consent.id, "Lan", identity=mei_identity, statement="yes")  # nobody agrees for another
    with pytest.raises(ConsentError, match="1 of the 2 needed"):
        api.create_production(persona.id, "greeting", brief, ["Mei"], ["Lan"])
    api.agree_to_consent(consent.id, "Lan", evidence=[persona_media["text"]])  # her paper form, recorded by the operator
    assert api.family_status(consent.id).complete

    production = api.create_production(persona.id, "greeting", brief, ["Mei"], ["Lan"])
    run_id = api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    # the stakeholder reviews in the portal: her link leaves the address bar, an empty request
    # for changes is refused on the page, her approval is one role of two
    mei_review = portal_as(invite(api.catalog, studio_stack, production.id, "Mei", "stakeholder", "operator")[1])
    assert not mei_review.exception and "invite" not in mei_review.query_params
    mei_review.selectbox(key="review_pick").set_value(request.id).run()
    closing = api.script(production.id, 1).sentences[-1].text
    assert any(closing in shown(m.value) for m in mei_review.markdown)
    mei_review.text_area(key="comment").input("")
    mei_review.button(key="request_changes").click().run()
    assert not mei_review.exception and "needs at least one comment" in shown(mei_review.error[0].value)
    mei_review.button(key="approve").click().run()
    assert "Still waiting for: family" in shown(mei_review.success[0].value), [shown(e.value) for e in mei_review.error]
    assert api.run_state(run_id).name == "Suspended"

    bo = portal_as(api.invite_family_member(consent.id, "Bo")[1])  # Bo never agreed; he objects
    bo.text_input(key="family_reason").input("Father would not have wanted a birthday video.")
    bo.checkbox(key="family_withdraw_sure").check()
    bo.button(key="family_withdraw_button").click().run()
    assert not bo.exception and "stopped everything" in shown(bo.success[0].value), [e.value for e in bo.error]

    assert api.run_state(run_id).type.value == "CANCELLED"
    assert api.catalog.load(Production, production.id).status == "stopped"
    assert request.id not in [r.id for r in api.pending_reviews()]
    record = api.catalog.load(type(consent), consent.id)
    assert record.withdrawn_by == "Bo" and record.revocation_reason.startswith("Bo (son) withdrew: Father")
    events = [(e.actor, e.action) for e in api.catalog.audit_events(f"consent/{consent.id}")]
    assert events == [("operator", "consent.added"), ("Mei", "consent.family_agreed"), ("Lan", "consent.family_agreed"),
                      ("Lan", "consent.quorum_complete"), ("Bo", "consent.withdrawn_by_family"), ("Bo", "consent.revoked")]
    with pytest.raises(ValueError, match="was revoked"):
        api.agree_to_consent(consent.id, "Bo", statement="I changed my mind")  # a new consent is needed now
    _, link = invite(api.catalog, studio_stack, production.id, "Lan", "family", "operator")
    lan = portal_as(link)  # her review is gone; she is told why
    assert not lan.exception and any("This production was stopped: Bo (son) withdrew" in shown(e.value) for e in lan.error)
