"""Consent binds every entry point: each CLI command, Prefect task and portal action (a review
decision, resuming a template schedule) that generates or delivers is listed here and shown to
refuse without valid consent, leaving nothing generated behind. A new command or task fails
``test_every_entry_point_is_classified`` until it is added to one of the lists below (and, if
it generates, to a refusal test)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from app.api import StudioAPI
from core.records import utcnow
from delivery.records import Delivery
from materials.records import MaterialSet
from persona.consent import ConsentError
from persona.records import ConsentRecord
from production.records import Template
from review.records import ReviewDecision, ReviewRequest
from script.records import ScriptVersion
from script.sentences import Brief, Sentence
from tests.conftest import shown
from video.chunks import VideoChunkJob, VideoPlan
from video.records import VideoTake
from voice.chunks import VoiceChunkJob, VoicePlan
from voice.records import VoiceTake, VoiceTimbre

pytestmark = pytest.mark.usefixtures("one_browser")

GENERATING_COMMANDS = {"up", "demo", "produce", "review approve", "review request-changes", "review edit", "template run",
                       "template schedule", "template resume"}
OTHER_COMMANDS = {"down", "persona create", "persona list", "consent add", "consent revoke", "consent list", "consent correct",
                  "consent family", "consent invite", "consent agree", "consent withdraw", "materials add",
                  "materials withdraw", "materials list", "invite reissue",
                  "review list", "review show", "verify", "status", "audit", "invite create", "invite revoke",
                  "operator set-password", "template save", "template list", "template pause", "review comment",
                  "review history", "materials tag", "materials prompts", "materials choose", "materials transcript", "materials analyse",
                  "voice serve", "llm serve", "delivery list", "delivery get", "persona corpus", "persona style", "persona search"}  # a component: the calling studio's steps check consent before they call it
GENERATING_TASKS = {"select_materials", "study_persona", "draft_script", "revise_script", "plan_voice", "speak_chunk",
                    "assemble_voice", "plan_video", "render_carefully", "render_chunk", "assemble_video", "deliver",
                    "production_from_template", "learn_voice"}
OTHER_TASKS = {"load_production", "check_consent", "open_review", "record_decision", "refuse_resume", "load_script",
               "template_delivery_mode"}


def _commands() -> set[str]:
    import typer

    from app.cli import app

    names = set()

    def walk(group, prefix=""):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                walk(cmd, f"{prefix}{name} ")
            else:
                names.add(f"{prefix}{name}")

    walk(typer.main.get_command(app))
    return names


def _task_objects() -> dict:
    """Every Prefect task of the studio, by name, from every module of ``tasks``."""
    import importlib
    import pkgutil

    from prefect import Task

    import tasks

    found = {}
    for info in pkgutil.iter_modules(tasks.__path__, "tasks."):
        found.update({name: obj for name, obj in vars(importlib.import_module(info.name)).items() if isinstance(obj, Task)})
    return found


def _tasks() -> set[str]:
    return set(_task_objects())


def test_every_entry_point_is_classified():
    assert _commands() == GENERATING_COMMANDS | OTHER_COMMANDS
    assert _tasks() == GENERATING_TASKS | OTHER_TASKS
    from flows.produce import produce, review_gate
    from flows.takes import make_video, make_voice
    from flows.template import rerun_template

    def names(code) -> set[str]:  # with those of comprehensions inside
        return set(code.co_names).union(*(names(c) for c in code.co_consts if hasattr(c, "co_names")))

    used = set().union(*(names(f.__code__) for f in (produce.fn, review_gate, rerun_template.fn, make_voice, make_video)))
    assert used & (GENERATING_TASKS | OTHER_TASKS) == GENERATING_TASKS | OTHER_TASKS  # the flows run only these


@pytest.fixture
def world(settings, tmp_path):
    """A persona with one production under a consent that is then revoked, and one with none."""
    api = StudioAPI(settings)
    evidence = tmp_path / "form.txt"
    evidence.write_text("signed form")
    persona = api.create_persona("Grandpa Test (fictional)", ["en"], fictional=True)
    consent = api.add_consent(persona.id, "Grandpa Test", "self", ["greeting"], [evidence], forbidden_topics=["money"])
    brief = Brief(occasion="birthday", audience="family", points=["Happy birthday"])
    production = api.create_production(persona.id, "greeting", brief, ["Mei"], ["Lan"])
    script = ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                           language="en", sentences=[Sentence(text="Happy birthday, everyone.")], backend="composer")
    api.catalog.save(script)
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, "script-1"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="script", round=1,
                            gate_key="script-1", roles={"stakeholder": ["Mei"]}, script_version=1)
    api.catalog.save(request)
    template = Template(id="tpl-test", name="birthday", persona_id=persona.id, use="greeting", source_production_id=production.id,
                        source_script_version=1, sentences=[Sentence(text="Happy birthday, {name}.")],
                        placeholders={"name": "everyone"}, occasion="birthday", audience="family",
                        family_reviewers=["Lan"], approved_by=["Lan"], delivery="direct", schedule_cron="0 8 * * *",
                        schedule_values={"name": "Bo"})
    api.catalog.save(template)
    api.revoke_consent(consent.id, "withdrawn for the test")
    unconsented = api.create_persona("No Consent (fictional)", ["en"], fictional=True)
    return dict(api=api, persona=persona, consent=consent, production=production, script=script, request=request,
                unconsented=unconsented, brief=brief, template=template)


def _generated(api: StudioAPI) -> dict:
    return {kind.kind: len(api.catalog.find(kind)) for kind in (ScriptVersion, VoiceTake, VideoTake, Delivery, MaterialSet,
                                                                 VoiceTimbre)}


def test_cli_generating_commands_refuse_without_consent(world, monkeypatch):
    from app import demo, services
    from app.cli import app

    api, before = world["api"], _generated(world["api"])
    runner = CliRunner()
    for persona in (world["persona"].id, world["unconsented"].id):
        result = runner.invoke(app, ["produce", persona, "--occasion", "x", "--audience", "family",
                                     "--script-reviewer", "Mei", "--family-reviewer", "Lan"])
        assert result.exit_code == 1 and "consent" in result.output, result.output
    for verb in ("approve", "request-changes"):
        result = runner.invoke(app, ["review", verb, world["request"].id, "--on-behalf-of", "Mei", "--role", "stakeholder",
                                     "--reason", "by phone", "--comment", "shorter"])
        assert result.exit_code == 1 and "revoked" in result.output, result.output
    for command in (["template", "run", "tpl-test", "--value", "name=Bo"],
                    ["template", "schedule", "tpl-test", "--cron", "0 8 * * *", "--value", "name=Bo"],
                    ["template", "resume", "tpl-test"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and "consent" in result.output, (command, result.output)
    # `up` and `demo` make their own fictional persona with self-consent; without that
    # consent they refuse like everything else
    for name in ("start_prefect_server", "prepare_prefect", "start_runner", "start_portal", "stop"):
        monkeypatch.setattr(services, name, lambda *a, **k: None)
    monkeypatch.setattr(StudioAPI, "add_consent", lambda self, *a, **k: None)
    monkeypatch.setattr(demo, "create_demo_persona", lambda api, d, story=None: (api.create_persona("Demo", ["en"]), None))
    for command in (["up"], ["demo"]):
        result = runner.invoke(app, command)
        assert result.exit_code != 0 and "consent" in (result.output + repr(result.exception)), result.output
    assert _generated(api) == before


def test_flow_tasks_refuse_without_consent(world):
    steps = SimpleNamespace(**_task_objects())

    api, production, script = world["api"], world["production"], world["script"]
    before = _generated(api)
    materials = MaterialSet(id="m", persona_id=production.persona_id, voice_prompts=[], footage=[], median_f0_hz=120)
    voice = VoiceTake(id="v", production_id=production.id, script_version=1, take=1, audio=script_ref(api),
                      duration_s=1, sample_rate=24000, sentence_timings=[], backend="espeak")
    video = VideoTake(id="vt", production_id=production.id, script_version=1, take=1, voice_take_id="v",
                      video=script_ref(api), duration_s=1, width=64, height=64, fps=25, backend="reenact")
    decision = ReviewDecision(decision="request_changes", reviewer="Mei", role="stakeholder", comments=["shorter"])
    voice_job = VoiceChunkJob(key="k", position=0, first=0, sentences=script.sentences, frame_s=0.04)
    voice_plan = VoicePlan(jobs=[voice_job], notes=[], made_at=utcnow())
    video_job = VideoChunkJob(key="k", position=0, sentences=(0, 0), audio=script_ref(api), start_s=0, seconds=1)
    video_plan = VideoPlan(jobs=[video_job], made_at=utcnow())
    calls = {
        "select_materials": lambda: steps.select_materials.fn(production),
        "study_persona": lambda: steps.study_persona.fn(production),
        "draft_script": lambda: steps.draft_script.fn(production, materials),
        "revise_script": lambda: steps.revise_script.fn(production, materials, script, decision),
        "plan_voice": lambda: steps.plan_voice.fn(production, materials, script, 1, []),
        "speak_chunk": lambda: steps.speak_chunk.fn(production, materials, "en", voice_job),
        "assemble_voice": lambda: steps.assemble_voice.fn(production, script, 1, voice_plan, []),
        "learn_voice": lambda: steps.learn_voice.fn(production, materials),
        "plan_video": lambda: steps.plan_video.fn(production, materials, voice),
        "render_carefully": lambda: steps.render_carefully.fn(production, materials, video_plan),
        "render_chunk": lambda: steps.render_chunk.fn(production, materials, video_job),
        "assemble_video": lambda: steps.assemble_video.fn(production, materials, voice, 1, video_plan, []),
        "deliver": lambda: steps.deliver.fn(production, script, video),
        "production_from_template": lambda: steps.production_from_template.fn(world["template"].id, {"name": "Bo"}),
    }
    assert set(calls) == GENERATING_TASKS
    for name, call in calls.items():
        with pytest.raises(ConsentError, match="revoked"):
            call()
    with pytest.raises(ConsentError, match="revoked"):
        steps.check_consent.fn(production)
    assert _generated(api) == before


def script_ref(api):
    return api.catalog.put_media(b"not used: the consent check comes first", "application/octet-stream")


def test_consent_scope_window_audience_and_forbidden_topics(settings, tmp_path):
    api = StudioAPI(settings)
    evidence = tmp_path / "statement.txt"
    evidence.write_text("recorded statement transcript")
    persona = api.create_persona("Late Founder (fictional)", ["zh", "en"], deceased=True, fictional=True)
    with pytest.raises(ValueError, match="next of kin"):
        api.add_consent(persona.id, "Founder", "self", ["memorial"], [evidence])
    with pytest.raises(ValueError, match="evidence"):
        api.add_consent(persona.id, "Daughter", "next_of_kin", ["memorial"], [])
    later = api.add_consent(persona.id, "Daughter", "next_of_kin", ["annual_meeting"], [evidence],
                            valid_from=utcnow() + timedelta(days=30), audiences=["employees"])
    memo = Brief(occasion="annual meeting", audience="employees", language="zh")
    with pytest.raises(ConsentError, match="valid only from"):
        api.create_production(persona.id, "annual_meeting", memo, ["CEO"], ["Daughter"])
    api.add_consent(persona.id, "Daughter", "next_of_kin", ["annual_meeting"], [evidence], audiences=["employees"],
                    forbidden_topics=["stock price"])
    with pytest.raises(ConsentError, match="audiences"):
        api.create_production(persona.id, "annual_meeting", memo.model_copy(update={"audience": "the press"}), ["CEO"], ["D"])
    with pytest.raises(ConsentError, match="covers annual_meeting, not greeting"):
        api.create_production(persona.id, "greeting", memo, ["CEO"], ["D"])
    production = api.create_production(persona.id, "annual_meeting", memo, ["CEO"], ["Daughter"])
    consent = [c for c in api.catalog.find(ConsentRecord) if c.persona_id == persona.id and c.id != later.id][0]
    assert consent.forbidden_in("Our Stock Price will double") == ["stock price"]
    assert production.persona_id == persona.id
    stored = api.catalog.read_media(consent.evidence[0])
    assert stored == evidence.read_bytes()  # evidence is kept, content-addressed and immutable


def test_portal_decisions_refuse_without_consent(world, monkeypatch):
    """The portal's generating actions are decisions (approve, request changes, send an edit);
    with consent revoked each is refused on the page (the gate would normally have vanished already: revocation cancels the run)."""
    from streamlit.testing.v1 import AppTest

    from review.access import invite
    from review_ui.session import get_api

    api = world["api"]
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [world["request"]])
    get_api.clear()
    _, link = invite(api.catalog, api.settings, world["production"].id, "Mei", "stakeholder", "operator")
    before = _generated(api)
    for button in ("approve", "request_changes", "send_edit"):
        at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
        at.query_params["invite"] = link.split("invite=")[1]
        at.run()
        at.text_area(key="comment").input("make it shorter")
        at.text_area(key="edit_markup").input("{warm} A different greeting.")
        at.button(key=button).click().run()
        assert not at.exception and at.error and "revoked" in shown(at.error[0].value), [shown(e.value) for e in at.error]
    assert _generated(api) == before
    assert api.review(world["request"].id).status == "waiting"
    get_api.clear()


def _templates_page():
    from review_ui.templates_page import templates_page

    templates_page()


def test_portal_cannot_resume_a_schedule_without_consent(world):
    """The portal's other generating action: resuming a template's schedule."""
    from streamlit.testing.v1 import AppTest

    from review.access import Identity
    from review_ui.session import get_api

    get_api.clear()
    at = AppTest.from_function(_templates_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.button(key="schedule-tpl-test").click().run()
    assert not at.exception and at.error and "revoked" in shown(at.error[0].value), [shown(e.value) for e in at.error]
    assert world["api"].catalog.load(Template, "tpl-test").schedule_active is False
    get_api.clear()


def test_a_family_consent_from_the_command_line(settings, tmp_path):
    """`consent add --member NAME:RELATIONSHIP --needed N`, invite, agree (a paper form), family, withdraw."""
    from app.cli import app

    api = StudioAPI(settings)
    persona = api.create_persona("Grandma Test (fictional)", ["en"], deceased=True, fictional=True)
    living = api.create_persona("Aunt Test (fictional)", ["en"], fictional=True)
    form = tmp_path / "estate.txt"
    form.write_text("the estate's instruction")
    runner = CliRunner()
    family = ["--member", "Mei:spouse", "--member", "Bo:son"]
    add = ["consent", "add", "--grantor", "the Test family", "--relationship", "next_of_kin", "--evidence", str(form)]
    added = runner.invoke(app, [*add[:2], persona.id, *add[2:], *family, "--needed", "2"])
    assert added.exit_code == 0, added.output
    consent_id = added.output.strip()
    for args, problem in (([*add[:2], persona.id, *add[2:], "--member", "Mei"], "NAME:RELATIONSHIP"),
                          ([*add[:2], persona.id, *add[2:], *family, "--needed", "3"], "only 2 are named"),
                          (["consent", "add", living.id, "--grantor", "Aunt Test", "--evidence", str(form), *family],
                           "living person consents themselves"),
                          (["consent", "invite", consent_id, "--member", "Eve"], "Eve is not named")):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 1 and problem in refused.output, (args, refused.output)
    assert "waits for the family: 0 of the 2 needed" in runner.invoke(app, ["consent", "list", persona.id]).output
    link = runner.invoke(app, ["consent", "invite", consent_id, "--member", "bo"])  # names match whatever the case
    assert link.exit_code == 0 and "\tBo\t" in link.output and "?invite=" in link.output, link.output
    agreed = runner.invoke(app, ["consent", "agree", consent_id, "--member", "Mei", "--evidence", str(form)])
    assert agreed.exit_code == 0 and "Mei (spouse) agreed" in agreed.output, agreed.output
    status = runner.invoke(app, ["consent", "family", consent_id]).output
    assert "1 of the 2 needed have agreed" in status and "Bo (son)\tnot yet" in status, status
    withdrawn = runner.invoke(app, ["consent", "withdraw", consent_id, "--member", "Bo", "--reason", "not what she wanted"])
    assert withdrawn.exit_code == 0 and "Bo (son) withdrew: not what she wanted" in withdrawn.output, withdrawn.output
    assert "\trevoked" in runner.invoke(app, ["consent", "list", persona.id]).output
    assert [e.actor for e in api.catalog.audit_events(f"consent/{consent_id}")][-2:] == ["Bo", "Bo"]
