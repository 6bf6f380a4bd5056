"""The portal's pages (Streamlit AppTest, real catalog, real media): reviewing in Chinese,
comments anchored to a sentence with replies, the history from the audit log, personas and
consent with evidence and revocation, and action segments tagged on the materials page."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from app.api import StudioAPI
from materials.records import ActionTag, TranscriptCorrection
from persona.records import ConsentRecord, Persona
from review.access import Identity, invite
from review.records import ReviewComment, ReviewRequest
from script.records import ScriptVersion
from script.sentences import Brief, Sentence
from tests.conftest import shown

pytestmark = pytest.mark.usefixtures("one_browser")


@pytest.fixture
def review(settings, tmp_path):
    """A production waiting at its script gate for a stakeholder and a family member."""
    from review_ui.session import get_api

    get_api.clear()
    api = StudioAPI(settings)
    evidence = tmp_path / "form.txt"
    evidence.write_text("signed consent form")
    persona = api.create_persona("Grandma A (fictional)", ["en", "zh"], fictional=True)
    api.add_consent(persona.id, "Grandma A (fictional)", "self", ["greeting"], [evidence])
    production = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family"),
                                       ["Mei"], ["Lan"])
    api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                                   language="en", backend="composer",
                                   sentences=[Sentence(text="Happy birthday, my dears."), Sentence(text="Eat well.")]))
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, "script-1"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="script", round=1,
                            gate_key="script-1", roles={"stakeholder": ["Mei"], "family": ["Lan"]}, script_version=1)
    api.catalog.save(request)
    yield api, production, request
    get_api.clear()


def _reviewer(api, production, request, monkeypatch, name, role, language="en") -> AppTest:
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [api.catalog.load(ReviewRequest, request.id)])
    _, link = invite(api.catalog, api.settings, production.id, name, role, "ops", language=language)
    at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
    at.query_params["invite"] = link.split("invite=")[1]
    return at.run()


def test_a_family_member_invited_in_chinese_sees_the_portal_in_chinese(review, monkeypatch):
    api, production, request = review
    at = _reviewer(api, production, request, monkeypatch, "Lan", "family", language="zh")
    assert not at.exception
    assert at.title[0].value == "等待您的审阅"
    assert {b.label for b in at.button} >= {"批准", "要求修改"}
    assert any("家属：等待 Lan" in shown(m.value) for m in at.markdown)
    at.selectbox(key="lang").set_value("en").run()  # the switch in the sidebar
    assert at.title[0].value == "Waiting for your review"


def test_comments_anchor_to_a_sentence_and_take_replies(review, monkeypatch):
    api, production, request = review
    at = _reviewer(api, production, request, monkeypatch, "Lan", "family")
    at.radio(key="comment_kind").set_value("sentence")
    at.selectbox(key="comment_sentence").set_value(2)
    at.text_area(key="comment_text").input("say: Eat well and sleep early.")
    at.button(key="comment_add").click().run()
    assert not at.exception, at.exception
    [comment] = api.comments(request.id)
    assert (comment.author, comment.role, comment.sentence) == ("Lan", "family", 2)
    assert comment.as_instruction() == "[sentence 2] say: Eat well and sleep early."
    assert any("Eat well." in shown(m.value) and "Sentence 2" in shown(m.value) for m in at.markdown)

    at = _reviewer(api, production, request, monkeypatch, "Mei", "stakeholder")  # another reviewer replies
    at.text_input(key=f"reply-text-{comment.id}").input("Yes, she always said that.")
    at.button(key=f"reply-send-{comment.id}").click().run()
    reply = next(c for c in api.comments(request.id) if c.reply_to == comment.id)
    assert (reply.author, reply.text) == ("Mei", "Yes, she always said that.")
    assert any("Yes, she always said that." in shown(m.value) for m in at.markdown)
    history = at.dataframe[0].value  # who did what and when, from the audit log
    assert {"comment added", "comment replied", "invitation used"} <= set(history["What"])  # the codes as words
    with pytest.raises(Exception, match="not a family reviewer"):
        api.add_comment(request.id, "Mei", "family", "posing as family")
    assert len(api.catalog.find(ReviewComment)) == 2


def _personas_page():
    from review_ui.personas_page import personas_page

    personas_page()


def test_operator_adds_a_persona_sees_the_evidence_and_revokes_consent(review):
    api, production, _ = review
    at = AppTest.from_function(_personas_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.text_input(key="persona_name").input("Uncle C (fictional)")
    at.checkbox(key="persona_fictional").check()
    at.button(key="persona_add").click().run()
    assert not at.exception and "Added Uncle C (fictional)" in shown(at.success[0].value)
    assert "Uncle C (fictional)" in [p.display_name for p in api.catalog.find(Persona)]

    consent = next(c for c in api.catalog.find(ConsentRecord) if c.persona_id == production.persona_id)
    at.selectbox(key="consent_persona").set_value(production.persona_id).run()
    assert any(consent.id in shown(m.value) and "valid" in shown(m.value) for m in at.markdown)
    assert any("signed consent form" in t.value for t in at.text)  # the evidence itself, shown
    at.button(key=f"revoke-{consent.id}").click().run()  # no reason: refused
    assert at.error and "say why" in shown(at.error[0].value)
    at.text_input(key=f"revoke-reason-{consent.id}").input("the family asked us to stop")
    at.button(key=f"revoke-{consent.id}").click().run()
    assert not at.exception
    assert api.catalog.load(ConsentRecord, consent.id).revocation_reason == "the family asked us to stop"
    assert any("revoked" in shown(m.value) for m in at.markdown)


def _materials_page():
    from review_ui.materials_page import materials_page

    materials_page()


def test_operator_tags_an_action_segment_on_the_timeline(review, shared_data, tmp_path):
    api, production, _ = review
    upload = api.add_material(production.persona_id, "footage", shared_data / "footage" / "lp_d3.mp4")
    at = AppTest.from_function(_materials_page, default_timeout=120)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    assert not at.exception, at.exception
    at.slider(key="tag_span").set_value((2.0, 4.5))
    at.selectbox(key="tag_label").set_value("drinking")
    at.button(key="tag_add").click().run()
    assert not at.exception, at.exception
    [tag] = api.catalog.find(ActionTag)
    assert (tag.label, tag.start_s, tag.end_s, tag.source.sha256) == ("drinking", 2.0, 4.5, upload.asset.sha256)
    assert any("drinking: 2.0-4.5 s" in shown(c.value) for c in at.caption)
    with pytest.raises(ValueError, match="lasts"):
        api.tag_action(production.persona_id, upload.id, 10.0, 99.0, "laughing")

    from materials.selection import action_segments

    [segment] = action_segments(api.catalog, [tag], tmp_path)
    assert segment.label == "drinking" and segment.duration_s == 2.5 and segment.face_ratio > 0.5


def test_operator_analyses_footage_and_accepts_a_suggested_action(review, shared_data):
    api, production, _ = review
    upload = api.add_material(production.persona_id, "footage", shared_data / "footage" / "lp_d3.mp4")
    at = AppTest.from_function(_materials_page, default_timeout=180)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.button(key="analyse_footage").click().run()
    assert not at.exception, at.exception
    assert any("between the eyes" in shown(c.value) for c in at.caption)
    suggested = [shown(m.value) for m in at.markdown if shown(m.value).startswith("Suggested")]
    idle = next(n for n, text in enumerate(suggested) if text.startswith("Suggested **idle**"))
    at.button(key=f"accept_suggestion_{idle}").click().run()
    assert not at.exception, at.exception
    [tag] = [t for t in api.catalog.find(ActionTag) if t.source.sha256 == upload.asset.sha256]
    assert tag.label == "idle" and tag.tagged_by == "ops" and tag.end_s - tag.start_s > 3


def test_operator_hears_the_selection_and_picks_prompts_by_hand(review, shared_data, tmp_path):
    from materials.records import MaterialSet, VoiceChoice
    from materials.voice_prompts import select_voice_prompts

    api, production, _ = review
    upload = api.add_material(production.persona_id, "voice", shared_data / "footage" / "musetalk_sun.wav")
    selection = select_voice_prompts(api.catalog, [upload.asset], tmp_path)
    api.catalog.save(MaterialSet(id=f"{production.id}-materials", persona_id=production.persona_id,
                                 voice_prompts=selection.prompts, footage=[], median_f0_hz=160,
                                 prompt_candidates=selection.candidates, sound_bank=selection.sound_bank))
    at = AppTest.from_function(_materials_page, default_timeout=120)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    assert not at.exception, at.exception
    assert any("style cluster" in shown(m.value) for m in at.markdown)
    at.multiselect(key="prompt_picks").set_value([1, 3])
    at.text_input(key="prompt_styles").set_value("warm, teasing")
    next(b for b in at.button if "next production" in b.label).click().run()
    assert not at.exception, at.exception
    choice = api.catalog.load(VoiceChoice, production.persona_id)
    assert [(p.style, p.start_s) for p in choice.picks] == [("warm", selection.candidates[1].start_s),
                                                            ("teasing", selection.candidates[3].start_s)]
    assert choice.chosen_by == "ops"
    at.button(key="prompt_auto").click().run()
    assert api.catalog.load(VoiceChoice, production.persona_id).picks == []

    # the prompt's transcript, corrected beside its audio; what the operator types stays text
    at.text_input(key="transcript_text_1").set_value("<img src=x onerror=alert(1)> 对，就是我")
    next(b for b in at.button if b.label == "Save the transcript").click().run()
    assert not at.exception, at.exception
    fix = api.catalog.load(TranscriptCorrection, TranscriptCorrection.id_for(selection.prompts[0].source,
                                                                             selection.prompts[0].start_s))
    assert fix.text == "<img src=x onerror=alert(1)> 对，就是我" and fix.corrected_by == "ops"
    [caption] = [c.value for c in at.caption if "corrected by ops" in c.value]
    assert "img src" in caption and re.search(r"(?<!\\)<", caption) is None  # every < escaped: shown, never run


def _productions_page():
    from review_ui.productions_page import productions_page

    productions_page()


def test_operators_get_the_delivered_files_from_the_productions_page(review, shared_data):
    from delivery.records import Delivery

    api, production, _ = review
    video = api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4")
    delivery = Delivery(id=f"{production.id}-delivery-v001-t1", production_id=production.id,
                        persona_id=production.persona_id, consent_id="consent-x", script_version=1, video_take_id="v",
                        video=video, duration_s=11.8, label_text="AI生成", approvals=[])
    api.catalog.save(delivery)
    at = AppTest.from_function(_productions_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    assert not at.exception, at.exception
    assert any("Delivered" in shown(m.value) for m in at.markdown)
    assert not at.get("download_button")  # the files are read only when asked for
    at.button(key=f"prepare_{delivery.id}").click().run()
    assert not at.exception, at.exception
    [button] = at.get("download_button")
    assert shown(button.proto.label) == f"Download {delivery.id}.mp4"


def test_the_family_and_a_recipient_watch_and_download_the_delivery_from_their_link(review, shared_data, monkeypatch):
    from delivery.records import Delivery

    api, production, _ = review
    with pytest.raises(ValueError, match="no delivery in force"):
        api.invite(production.id, "Uncle Wang", "recipient")
    delivery = Delivery(id=f"{production.id}-delivery-v001-t1", production_id=production.id,
                        persona_id=production.persona_id, consent_id="consent-x", script_version=1, video_take_id="v",
                        video=api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4"),
                        duration_s=11.8, label_text="AI生成", approvals=[])
    api.catalog.save(delivery)
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [])  # delivered: nothing waits any more
    for name, role in (("Lan", "family"), ("Uncle Wang", "recipient")):
        _, link = api.invite(production.id, name, role, language="zh")
        at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
        at.query_params["invite"] = link.split("invite=")[1]
        at.run()
        assert not at.exception, at.exception
        assert [h.value for h in at.subheader][:1] == ["成片"]
        [button] = at.get("download_button")
        assert shown(button.proto.label) == f"下载 {delivery.id}.mp4"
        assert not [b for b in at.button if b.label in ("批准", "要求修改")]  # nothing to decide


def _speech_check(voice, script):
    from review_ui.review_page import show_speech_check

    show_speech_check(voice, script)


def test_reviewers_see_sentences_the_speech_check_flagged(review):
    from core.records import AssetRef
    from voice.records import SentenceCheck, SentenceTiming, VoiceTake

    api, production, _ = review
    script = api.script(production.id, 1)
    voice = VoiceTake(id="v-1", production_id=production.id, script_version=1,
                      audio=AssetRef(key="media/x", sha256="0" * 64, media_type="audio/wav", size=1), duration_s=3,
                      sample_rate=24000, backend="kokoro",
                      sentence_timings=[SentenceTiming(index=0, start_s=0, end_s=1), SentenceTiming(index=1, start_s=1, end_s=2)],
                      checks=[SentenceCheck(index=0, heard="Happy birthday my dears", metric="WER", error=0.0),
                              SentenceCheck(index=1, heard="Eat wheel", metric="WER", error=0.5, attempts=2, flagged=True)])
    at = AppTest.from_function(_speech_check, args=(voice, script), default_timeout=30).run()
    assert not at.exception, at.exception
    [warning] = at.warning
    assert "Sentence 2" in shown(warning.value) and "Eat wheel" in shown(warning.value) and "50%" in shown(warning.value)


def test_operator_corrects_the_derived_style_and_reviewers_see_checks_and_changes(review, tmp_path, monkeypatch):
    from persona.records import StyleProfile
    from script.records import ScriptChange, ScriptFlag

    api, production, request = review
    talks = tmp_path / "talks.txt"
    talks.write_text("My dear friends, a family is a garden.\nWell, my dear friends, a family is a garden, I say.\n")
    api.add_material(production.persona_id, "text", talks)
    at = AppTest.from_function(_materials_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.button(key=f"style_derive-{production.persona_id}").click().run()
    assert not at.exception, at.exception
    assert at.text_area(key=f"style_catchphrases-{production.persona_id}").value == "a family is a garden\nmy dear friends"
    at.text_area(key=f"style_catchphrases-{production.persona_id}").input("a family is a garden\ngardens need patience")
    at.text_area(key=f"style_notes-{production.persona_id}").input("Teaches through films.")
    at.button(key=f"style_save-{production.persona_id}").click().run()
    assert not at.exception, at.exception
    profile = api.catalog.load(StyleProfile, production.persona_id)
    assert profile.catchphrases == ["a family is a garden", "gardens need patience"]
    assert profile.edited_fields == ["catchphrases", "notes"] and profile.edited_by == "ops"

    v2 = ScriptVersion(id=ScriptVersion.id_for(production.id, 2), production_id=production.id, version=2,
                       language="en", backend="llm:llamacpp", based_on=1, requested_by="Mei",
                       sentences=[Sentence(text="Happy birthday, my dears."), Sentence(text="Buy Acme tea.")],
                       changes=[ScriptChange(comment="[sentence 2] make it shorter", asked_by="Lan", sentences=[2], how="model")],
                       flags=[ScriptFlag(kind="endorsement", sentence=2, text="Buy", why="reads as an endorsement")])
    api.catalog.save(v2)
    second = request.model_copy(update={"id": ReviewRequest.id_for(production.id, "script-2"), "gate_key": "script-2",
                                        "round": 2, "script_version": 2, "previous_script_version": 1})
    api.catalog.save(second)
    at = _reviewer(api, production, second, monkeypatch, "Mei", "stakeholder")
    assert not at.exception, at.exception
    assert any("flagged sentence 2: reads as an endorsement" in shown(w.value) for w in at.warning)
    assert any("Lan: “[sentence 2] make it shorter” → changed sentences 2" in shown(c.value) for c in at.caption)


def test_operator_sees_the_mouth_bank_as_a_sheet_and_strikes_frames_out(review, shared_data):
    """The bank the video step would use, numbered on a sheet; struck-out frames are never picked
    again (the renderer's bank leaves them out and says so), and all can be brought back."""
    from materials.records import FootageSegment, MaterialSet, MouthBankChoice
    from video.base_track import FrameSource
    from video.contract import FootageClip, VideoRequest
    from video.sources import bank_drops

    api, production, _ = review
    upload = api.add_material(production.persona_id, "footage", shared_data / "footage" / "lp_d3.mp4")
    from media.ffmpeg_io import frame_jpeg

    still = api.catalog.put_media(frame_jpeg(shared_data / "footage" / "lp_d3.mp4", 1.0), "image/jpeg", name="still.jpg")
    segment = FootageSegment(source=upload.asset, start_s=0, duration_s=11.8, face_ratio=1, steadiness=1, sharpness=100,
                             face_box=(130, 164, 309, 310), still=still, score=1, why="test")
    api.catalog.save(MaterialSet(id=f"{production.id}-materials", persona_id=production.persona_id, voice_prompts=[],
                                 footage=[segment], median_f0_hz=160))
    at = AppTest.from_function(_materials_page, default_timeout=180)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.button(key=f"bank-{production.persona_id}-show").click().run()
    assert not at.exception, at.exception
    frames, sheet, summary = at.session_state[f"bank-{production.persona_id}"]
    assert sheet[:4] == b"\x89PNG" and len(frames) > 10 and "rejected" in summary
    at.multiselect(key=f"bank-{production.persona_id}-pick").set_value([1, 2]).run()
    at.button(key=f"bank-{production.persona_id}-drop").click().run()
    assert not at.exception, at.exception
    choice = api.catalog.load(MouthBankChoice, production.persona_id)
    assert choice.dropped == frames[:2] and choice.chosen_by == "ops"
    # the video step's bank no longer picks them
    clip = FootageClip(path=api.catalog.media_path(upload.asset), start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    source = FrameSource(VideoRequest(audio_path=shared_data / "x.wav", footage=[clip], max_height=api.settings.video.max_height,
                                      bank_drops=bank_drops(api.catalog, production.persona_id), out_path=shared_data / "x.mp4"), 1.0)
    picked = {(str(source.origins[i][0]), round(source.origins[i][1], 3)) for i in source.bank.report.chosen}
    assert not picked & {(str(api.catalog.media_path(f.source)), f.time_s) for f in frames[:2]}
    assert source.bank.report.rejected["dropped by the operator"] == 2
    at.button(key=f"bank-{production.persona_id}-reset").click().run()
    assert api.catalog.load(MouthBankChoice, production.persona_id).dropped == []


def _video_gate(api, production, voice, video, round: int) -> ReviewRequest:
    """``voice`` and ``video`` stored, and the family's video gate of ``round`` open on them."""
    api.catalog.save(voice)
    api.catalog.save(video)
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, f"video-{round}"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="video", round=round,
                            gate_key=f"video-{round}", roles={"family": ["Lan"]}, script_version=1, video_take_id=video.id)
    api.catalog.save(request)
    return request


def test_reviewers_and_the_cli_see_the_takes_quality_report(review, monkeypatch, shared_data):
    from typer.testing import CliRunner

    from app.cli import app
    from video.records import QualityMeasure, TakeQuality, VideoTake
    from voice.records import VoiceTake

    api, production, _ = review
    voice = VoiceTake(id=f"{production.id}-v001-voice-t1", production_id=production.id, script_version=1,
                      audio=api.catalog.put_media_file(shared_data / "speech" / "f5_ref_en.wav", "audio/wav"),
                      duration_s=5.3, sample_rate=24000, sentence_timings=[], backend="kokoro")
    quality = TakeQuality(measures=[QualityMeasure(name="lip sync", value=0.71, limit=0.5),
                                    QualityMeasure(name="mouth sharpness", value=0.72, limit=0.8, unit="x the footage's")],
                          flags=["mouth sharpness 0.72 is below 0.80: the mouth is softer than in the footage"], remade=True,
                          seconds_measured=5.3)
    video = VideoTake(id=f"{production.id}-v001-video-t1", production_id=production.id, script_version=1,
                      voice_take_id=voice.id, video=api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4"),
                      duration_s=11.8, width=512, height=512, fps=25, backend="reenact", quality=quality)
    request = _video_gate(api, production, voice, video, 1)
    at = _reviewer(api, production, request, monkeypatch, "Lan", "family")
    assert not at.exception, at.exception
    assert any("Quality report" in shown(m.value) for m in at.markdown)
    assert any("Check this before approving: mouth sharpness 0.72" in shown(w.value) for w in at.warning)
    assert any("safer choices" in shown(i.value) for i in at.info)
    result = CliRunner().invoke(app, ["review", "show", request.id])
    assert result.exit_code == 0, result.output
    assert "quality report of" in result.output and "(made again with safer choices)" in result.output
    assert "LOW mouth sharpness: 0.72 x the footage's (limit >= 0.8)" in result.output
    assert "flag: mouth sharpness 0.72 is below 0.80" in result.output


def test_a_long_take_jumps_to_a_picked_sentence_and_names_what_was_made_again(review, monkeypatch, shared_data):
    """Issue 20: every sentence listed with its time and speech check; picking one starts the
    player there and puts the comment form on it; a revision says which chunks were re-made."""
    from core.records import TakeChunk, utcnow
    from video.records import VideoTake
    from voice.records import SentenceCheck, SentenceTiming, VoiceTake

    api, production, _ = review
    audio = api.catalog.put_media_file(shared_data / "speech" / "f5_ref_en.wav", "audio/wav")
    chunk = lambda first, last, a, b, reused: TakeChunk(key=f"k{first}", sentences=(first, last), start_s=a, end_s=b,  # noqa: E731
                                                        made_on="w1", made_at=utcnow(), reused=reused, asset=audio)
    voice = VoiceTake(id=f"{production.id}-v001-voice-t2", production_id=production.id, script_version=1, take=2, audio=audio,
                      duration_s=5.3, sample_rate=24000, backend="kokoro",
                      sentence_timings=[SentenceTiming(index=0, start_s=0.3, end_s=2.5), SentenceTiming(index=1, start_s=2.8, end_s=4.9)],
                      checks=[SentenceCheck(index=0, heard="Happy birthday my dears", metric="WER", error=0.0),
                              SentenceCheck(index=1, heard="Eat wheel", metric="WER", error=0.5, flagged=True)],
                      chunks=[chunk(0, 0, 0.0, 2.76, True), chunk(1, 1, 2.76, 5.3, False)])
    video = VideoTake(id=f"{production.id}-v001-video-t2", production_id=production.id, script_version=1, take=2,
                      voice_take_id=voice.id, video=api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4"),
                      duration_s=5.3, width=512, height=512, fps=25, backend="reenact")
    request = _video_gate(api, production, voice, video, 2)
    at = _reviewer(api, production, request, monkeypatch, "Lan", "family")
    assert not at.exception, at.exception
    assert any("Made again for this take: sentences 2. Everything else is exactly as in the take before." in shown(i.value)
               for i in at.info)
    [table] = [d for d in at.dataframe if "Speech check" in d.value.columns]
    rows = table.value.to_dict("records")
    assert [(r["Time"], r["#"], r["Speech check"], r["New"]) for r in rows] == [("0:00.3", 1, "✓ WER 0%", ""),
                                                                               ("0:02.8", 2, "⚠ WER 50%", "●")]
    at.session_state[f"jump-{request.id}"] = 1  # what picking the second row does
    at.run()
    assert any("From sentence 2 at 0:02.8." in shown(c.value) for c in at.caption)
    assert [v.proto.start_time for v in at.get("video")] == [2]  # the player starts there (whole seconds)
    assert at.selectbox(key="comment_sentence").value == 2 and at.slider(key="comment_span").value == (2.8, 4.9)
