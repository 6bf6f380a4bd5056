"""Approved templates on a schedule, on a real Prefect server and runner: a schedule fires,
re-runs the template with consent checked again, reuses the cached materials, voice and video
on the next run, delivers directly (the family approved that), and pauses."""

from __future__ import annotations

import time

import pytest

from delivery.records import Delivery
from production.records import Template
from runs.client import PrefectRuns
from script.records import ScriptVersion
from script.sentences import Sentence
from tests.conftest import new_production

pytestmark = pytest.mark.slow


def _delivered_production(api, production):
    """A production whose approved script v1 says 2026, delivered (records as the flow writes them)."""
    script = ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                           language="en", backend="composer", sentences=[
                               Sentence(text="Happy Spring Festival 2026, my dears!", style="warm"),
                               Sentence(text="Come home for the reunion dinner.")])
    api.catalog.save(script)
    ref = api.catalog.put_media(b"stands for the delivered mp4", "video/mp4")
    api.catalog.save(Delivery(id=f"{production.id}-delivery-v001-t1", production_id=production.id,
                              persona_id=production.persona_id, consent_id="c", script_version=1, video_take_id="v",
                              video=ref, duration_s=1, label_text="x", approvals=[]))


def _template_runs(settings, template_id):
    with PrefectRuns(settings).client() as client:
        return [r for r in client.read_flow_runs() if (r.parameters or {}).get("template_id") == template_id]


def _wait_completed(settings, template_id, count, timeout_s=480):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        runs = _template_runs(settings, template_id)
        bad = [r for r in runs if r.state and r.state.type.value in ("FAILED", "CRASHED")]
        assert not bad, bad[0].state.message
        done = [r for r in runs if r.state and r.state.type.value == "COMPLETED"]
        if len(done) >= count:
            return done
        time.sleep(2)
    raise TimeoutError(f"{count} scheduled run(s) of {template_id} did not complete in {timeout_s} s")


def _prefect_schedule(settings, template_id):
    with PrefectRuns(settings).client() as client:
        deployment = client.read_deployment_by_name("rerun-template/templates")
        return next(s for s in client.read_deployment_schedules(deployment.id) if s.slug == template_id)


def _pause_in_portal(template):
    from streamlit.testing.v1 import AppTest

    from review.access import Identity
    from review_ui.session import get_api

    get_api.clear()
    at = AppTest.from_function(_templates_only, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.button(key=f"schedule-{template.id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def _templates_only():
    from review_ui.templates_page import templates_page

    templates_page()


def test_a_schedule_reruns_a_template_with_cached_assets(studio_stack, persona_media):
    api, production, consent = new_production(studio_stack, persona_media)
    _delivered_production(api, production)
    with pytest.raises(ValueError, match="family reviewers"):
        api.save_template(production.id, "spring", {"year": "2026"}, approved_by=["Mei"], delivery="direct")
    with pytest.raises(ValueError, match="never says"):
        api.save_template(production.id, "spring", {"year": "1999"}, approved_by=["Lan"])
    template = api.save_template(production.id, "spring festival", {"year": "2026"}, approved_by=["Lan"],
                                 delivery="direct")
    assert template.sentences[0].text == "Happy Spring Festival {year}, my dears!"

    api.schedule_template(template.id, "* * * * *", {"year": "2027"}, timezone="UTC")
    _wait_completed(studio_stack, template.id, 2)
    _pause_in_portal(template)  # an operator pauses it from the portal
    assert api.catalog.load(Template, template.id).schedule_active is False
    assert not _prefect_schedule(studio_stack, template.id).active

    runs = [p for p in api.productions() if p.template_id == template.id]
    deliveries = [d for d in api.catalog.find(Delivery) if d.production_id in {p.id for p in runs}]
    assert len(deliveries) >= 2
    first = deliveries[0]
    script = api.script(first.production_id, 1)
    assert script.sentences[0].text == "Happy Spring Festival 2027, my dears!" and script.backend == "template"
    assert [(a.gate, a.reviewer) for a in first.approvals] == [("template", "Lan")]
    assert first.watermark_id and first.c2pa_signed
    events = api.catalog.audit_events()
    checks = [e for e in events if e.action == "consent.checked" and e.subject.split("/")[1] in {p.id for p in runs}]
    assert len(checks) >= 4  # each run checked consent at its start and before delivery
    # the second run reused the first one's material selection, and every chunk of its voice and video
    ours = lambda action: [e for e in events if e.action == action and template.id.removeprefix("tpl-") in e.subject]  # noqa: E731
    assert len(ours("materials.selected")) == 1
    for action in ("voice.synthesized", "video.rendered"):
        made = ours(action)
        assert len(made) == 2 and made[0].details["remade"] == made[0].details["chunks"] and made[1].details["remade"] == 0, made

    api.revoke_consent(consent.id, "the family withdrew consent")
    with pytest.raises(Exception, match="consent"):
        api.schedule_template(template.id, active=True)
