"""The operator's and the family's journey in the portal without the CLI (Streamlit AppTest,
real catalog): a production started from a brief with its reviewers' links, the approvals list
that shows an approval at once, and the decision box that says what each button does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from app.api import StudioAPI
from production.records import Production
from review.access import Identity
from review.records import ReviewRequest
from script.records import ScriptVersion
from script.sentences import Brief, Sentence
from tests.conftest import shown

pytestmark = pytest.mark.usefixtures("one_browser")


@pytest.fixture
def family(settings, tmp_path):
    from review_ui.session import get_api

    get_api.clear()
    api = StudioAPI(settings)
    form = tmp_path / "授权书.txt"
    form.write_text("本人王丽同意。", encoding="utf-8")
    persona = api.create_persona("王建国", ["zh"], deceased=True)
    api.add_consent(persona.id, "王丽", "next_of_kin", ["greeting"], [form], languages=["zh"])
    yield api, persona
    get_api.clear()


def _start():
    from review_ui.start_page import start_page

    start_page()


def test_an_operator_starts_a_production_from_a_brief_in_chinese(family, monkeypatch):
    api, persona = family
    started = []
    monkeypatch.setattr(StudioAPI, "start_production", lambda self, pid: started.append(pid) or "run-id")
    at = AppTest.from_function(_start, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "新建制作"
    k = persona.id
    at.text_input(key=f"brief_occasion-{k}").input("春节")
    at.text_input(key=f"brief_audience-{k}").input("孩子们")
    at.text_area(key=f"brief_points-{k}").input("梅花开了\n回家吃饭")
    at.number_input(key=f"brief_seconds-{k}").set_value(35)
    at.text_area(key=f"brief_notes-{k}").input("他说话慢，爱开玩笑。")
    at.text_input(key=f"brief_family-{k}").input("王丽")
    at.text_input(key=f"brief_stakeholders-{k}").input("张秘书，李总")
    at.button(key=f"brief_start-{k}").click().run()
    assert not at.exception, at.exception
    [production] = api.catalog.find(Production)
    assert started == [production.id] and production.persona_id == persona.id
    b = production.brief
    assert (b.occasion, b.audience, b.points, b.target_seconds, b.language, b.notes) == (
        "春节", "孩子们", ["梅花开了", "回家吃饭"], 35, "zh", "他说话慢，爱开玩笑。")
    assert (production.family_reviewers, production.script_reviewers) == (["王丽"], ["张秘书", "李总"])
    assert "已开始：王建国 · 春节" in shown(at.success[0].value)
    links = [c.value for c in at.code]
    assert len(links) == 3 and all("invite=" in link for link in links)


def test_a_brief_without_a_family_reviewer_or_consent_is_refused_with_a_reason(family, monkeypatch):
    api, persona = family
    monkeypatch.setattr(StudioAPI, "start_production", lambda self, pid: "run-id")
    at = AppTest.from_function(_start, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    k = persona.id
    at.text_input(key=f"brief_occasion-{k}").input("Spring Festival")
    at.text_input(key=f"brief_audience-{k}").input("the children")
    at.button(key=f"brief_start-{k}").click().run()
    assert "family reviewer" in shown(at.error[0].value) and not api.catalog.find(Production)
    at.text_input(key=f"brief_family-{k}").input("Lan")
    at.selectbox(key=f"brief_use-{k}").set_value("memorial")  # the consent covers greetings only
    at.button(key=f"brief_start-{k}").click().run()
    assert "Not started" in shown(at.error[0].value) and "memorial" in shown(at.error[0].value)
    assert not api.catalog.find(Production)


def test_an_approval_shows_in_the_approvals_list_at_once(family, monkeypatch):
    from review.access import invite

    api, persona = family
    production = api.create_production(persona.id, "greeting", Brief(occasion="春节", audience="家人", language="zh"),
                                       ["张秘书"], ["王丽"])
    api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                                   language="zh", backend="composer", sentences=[Sentence(text="孩子们，过年好！")]))
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, "script-1"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="script", round=1,
                            gate_key="script-1", roles={"stakeholder": ["张秘书"], "family": ["王丽"]}, script_version=1)
    api.catalog.save(request)
    paused = SimpleNamespace(type=SimpleNamespace(value="PAUSED"), state_details=SimpleNamespace(pause_key="script-1"),
                             name="Suspended")
    monkeypatch.setattr(StudioAPI, "run_state", lambda self, run_id: paused)
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [self.review(request.id)])
    monkeypatch.setattr(StudioAPI, "_resume", lambda self, request: None)
    _, link = invite(api.catalog, api.settings, production.id, "王丽", "family", "ops", language="zh")
    at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
    at.query_params["invite"] = link.split("invite=")[1]
    at.run()
    assert not at.exception, at.exception
    captions = [shown(c.value) for c in at.caption]
    assert any("“批准”记录您这一方的同意" in c for c in captions)  # the decision box says what it does
    assert any("改成：" in c and "更温馨一点" in c and "慢一点" in c and "停顿" in c for c in captions)
    assert not [x for x in at.text_area if "必填" in x.label]
    assert any("家属：等待 王丽" in shown(m.value) for m in at.markdown)
    at.button(key="approve").click().run()
    assert not at.exception, at.exception
    assert any("家属：王丽 已于" in shown(m.value) for m in at.markdown)  # drawn again after the decision
    assert any("您的批准已记录。仍在等待：相关负责人。" in shown(s.value) for s in at.success)


def _productions():
    from review_ui.productions_page import productions_page

    productions_page()


def test_operators_invite_a_recipient_after_delivery_and_revoke_a_link_in_the_portal(family, shared_data):
    from delivery.records import Delivery
    from review.records import Invitation

    api, persona = family
    production = api.create_production(persona.id, "greeting", Brief(occasion="春节", audience="家人", language="zh"),
                                       ["张秘书"], ["王丽"])
    at = AppTest.from_function(_productions, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.session_state["lang"] = "zh"
    at.run()
    assert at.selectbox(key=f"inv_role-{production.id}").options == ["家属", "相关负责人"]  # no recipient before delivery
    at.text_input(key=f"inv_name-{production.id}").input("王丽")
    at.button(key=f"inv_send-{production.id}").click().run()
    assert not at.exception, at.exception
    [link] = [c.value for c in at.code]
    assert "invite=" in link
    api.catalog.save(Delivery(id=f"{production.id}-delivery-v001-t1", production_id=production.id, persona_id=persona.id,
                              consent_id="c", script_version=1, video_take_id="v", duration_s=11.8, label_text="AI生成",
                              video=api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4"),
                              approvals=[]))
    at.run()
    at.text_input(key=f"inv_name-{production.id}").input("陈叔叔")
    at.selectbox(key=f"inv_role-{production.id}").set_value("recipient")
    at.button(key=f"inv_send-{production.id}").click().run()
    assert not at.exception, at.exception
    recipient = next(i for i in api.invitations(production.id) if i.role == "recipient")
    assert recipient.reviewer == "陈叔叔" and recipient.language == "zh"
    at.button(key=f"inv_revoke-{recipient.id}").click().run()
    assert not at.exception, at.exception
    assert api.catalog.load(Invitation, recipient.id).revoked_at is not None
    assert any("陈叔叔" in shown(m.value) and "已撤销" in shown(m.value) for m in at.markdown)


def test_an_expired_or_revoked_delivery_link_shows_no_files(family, shared_data, monkeypatch):
    from datetime import timedelta

    from core.records import utcnow
    from delivery.records import Delivery
    from review.records import Invitation

    api, persona = family
    production = api.create_production(persona.id, "greeting", Brief(occasion="春节", audience="家人", language="zh"),
                                       ["张秘书"], ["王丽"])
    api.catalog.save(Delivery(id=f"{production.id}-delivery-v001-t1", production_id=production.id, persona_id=persona.id,
                              consent_id="c", script_version=1, video_take_id="v", duration_s=11.8, label_text="AI生成",
                              video=api.catalog.put_media_file(shared_data / "footage" / "lp_d3.mp4", "video/mp4"),
                              approvals=[]))
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [])
    for spoil in ("expires_at", "revoked_at"):
        invitation, link = api.invite(production.id, "陈叔叔", "recipient", language="zh")
        stored = api.catalog.load(Invitation, invitation.id)
        api.catalog.save(stored.model_copy(update={spoil: utcnow() - timedelta(seconds=1)}))
        at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
        at.query_params["invite"] = link.split("invite=")[1]
        at.run()
        assert not at.exception, at.exception
        assert not at.get("download_button") and not [h for h in at.subheader if h.value == "成片"]
        [error] = [shown(e.value) for e in at.error]  # in English and Chinese: the reader is not known yet
        assert ("expired" in error and "过期" in error) or ("withdrawn" in error and "撤回" in error), error
