"""Issue 14, defects 1-3 and 5 (the CLI part): decisions are facts the studio keeps.

On a real Prefect server: forged and replayed resumes decide nothing; concurrent approvals all
land (10 trials in each order); an approval racing a request for changes has one defined
outcome, changes (10 trials in each order); an operator's CLI decision is recorded as theirs,
on the reviewer's behalf. The race trials use real runs paused in Prefect at a gate key, with
the gate's records made as ``open_review`` makes them, so each trial takes a second; the whole
production (``test_a_production_through_forgery_and_races``) shows the same end to end."""

from __future__ import annotations

import threading
import time

import pytest
from prefect import flow

from app.demo import approve_as_every_role, wait_for_review
from delivery.records import Delivery
from review.records import ReviewDecision, ReviewRequest
from script.records import ScriptVersion
from script.sentences import Brief, Sentence
from tests.conftest import new_production

pytestmark = pytest.mark.slow


@flow(name="gate-probe")
def gate_probe(production_id: str) -> None:  # pragma: no cover - never run: its runs are only paused
    pass


def _paused_gate(api, production, gate_key="script-1", roles=None):
    """A real flow run paused in Prefect at ``gate_key``, and the gate's request as the flow records it."""
    from prefect.states import Paused

    with api.runs.client() as client:
        run = client.create_flow_run(gate_probe, parameters={"production_id": production.id})
        client.set_flow_run_state(run.id, Paused(timeout_seconds=None, pause_key=gate_key), force=True)
        run_id = str(run.id)
    api.catalog.save(production.model_copy(update={"flow_run_id": run_id, "status": "waiting_review"}))
    if not api.catalog.exists(ScriptVersion, ScriptVersion.id_for(production.id, 1)):
        api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id,
                                       version=1, language="en", backend="composer",
                                       sentences=[Sentence(text="Happy birthday, my dear.")]))
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, gate_key), production_id=production.id,
                            flow_run_id=run_id, gate="script", round=int(gate_key.rsplit("-", 1)[1]), gate_key=gate_key,
                            roles=roles or {"stakeholder": ["Mei"], "family": ["Lan"]}, script_version=1)
    api.catalog.save(request)
    return request


@pytest.fixture(scope="module")
def race_world(studio_stack, tmp_path_factory):
    from app.api import StudioAPI

    api = StudioAPI(studio_stack)
    evidence = tmp_path_factory.mktemp("evidence") / "form.txt"
    evidence.write_text("signed form")
    persona = api.create_persona("Race Persona (fictional)", ["en"], fictional=True)
    api.add_consent(persona.id, "Race Persona", "self", ["greeting"], [evidence])
    return api, persona


def _production(api, persona):
    return api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family"), ["Mei"], ["Lan"])


def _at_once(*calls):
    """Run the calls on threads released together; what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    return results


def _decide(api, request, decision, reviewer, role, comments=()):
    return lambda: api.submit_decision(request.id, ReviewDecision(decision=decision, reviewer=reviewer, role=role,
                                                                  comments=list(comments)))


def _left_gate(api, request, timeout_s=10) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if api.run_state(request.flow_run_id).type.value != "PAUSED":
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("first", ["stakeholder", "family"])
def test_concurrent_approvals_all_land(race_world, first, abuse):
    from app.api import ReviewError

    api, persona = race_world
    names = {"stakeholder": "Mei", "family": "Lan"}
    order = [first, "family" if first == "stakeholder" else "stakeholder"]
    for trial in range(10):
        request = _paused_gate(api, _production(api, persona))
        results = _at_once(*(_decide(api, request, "approve", names[r], r) for r in order))
        errors = [r for r in results if isinstance(r, Exception)]
        resumed = _left_gate(api, request)  # the last approval resumed the run
        outcome = None
        if resumed and not errors:
            from review import gates

            outcome = gates.seal(api.catalog, request)  # what the resumed run reads
        landed = outcome is not None and sorted(a.role for a in outcome.approvals) == ["family", "stakeholder"]
        ok = resumed and landed and not errors
        abuse.record("2", f"approvals at once, {first} first, trial {trial + 1}",
                     "fault survived" if ok else "crashed" if any(not isinstance(e, ReviewError) for e in errors)
                     else "accepted wrongly")
        assert ok, (trial, results, outcome)


@pytest.mark.parametrize("first", ["approve", "request_changes"])
def test_changes_win_over_a_simultaneous_approval(race_world, first, abuse):
    from review import gates
    from review.gates import DecidedAlready

    api, persona = race_world
    for trial in range(10):
        request = _paused_gate(api, _production(api, persona))
        api.submit_decision(request.id, ReviewDecision(decision="approve", reviewer="Lan", role="family"))
        calls = {"approve": _decide(api, request, "approve", "Mei", "stakeholder"),
                 "request_changes": _decide(api, request, "request_changes", "Lan", "family", ["warmer, please"])}
        results = _at_once(calls[first], calls["approve" if first == "request_changes" else "request_changes"])
        outcome = gates.seal(api.catalog, request)
        told = [type(r).__name__ for r in results]
        clean = all(not isinstance(r, Exception) or isinstance(r, DecidedAlready) for r in results)
        ok = (outcome is not None and outcome.status == "changes_requested" and outcome.decision.comments[:1]
              == ["warmer, please"] and clean and _left_gate(api, request))
        actions = [e.action for e in api.catalog.audit_events(f"review/{request.id}")]
        ok = ok and "review.approved" not in actions  # the log never says the gate was approved
        abuse.record("3", f"approve vs request changes, {first} first, trial {trial + 1}",
                     "fault survived" if ok else "accepted wrongly" if clean else "crashed")
        assert ok, (trial, told, outcome, actions)


def test_cli_decisions_are_recorded_as_the_operator_on_behalf(race_world, abuse):
    from typer.testing import CliRunner

    from app.cli import app

    api, persona = race_world
    request = _paused_gate(api, _production(api, persona))
    runner = CliRunner()
    impersonation = runner.invoke(app, ["review", "approve", request.id, "--reviewer", "Lan", "--role", "family"])
    abuse.record("5", "CLI approve --reviewer as someone else", "refused cleanly" if impersonation.exit_code == 2
                 else "accepted wrongly")
    assert impersonation.exit_code == 2, impersonation.output
    no_reason = runner.invoke(app, ["review", "approve", request.id, "--on-behalf-of", "Lan", "--role", "family"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    done = runner.invoke(app, ["review", "approve", request.id, "--on-behalf-of", "Lan", "--role", "family",
                               "--reason", "she approved by phone on Sunday"])
    assert done.exit_code == 0, done.output
    [event] = [e for e in api.catalog.audit_events(f"review/{request.id}") if e.action == "review.approved_by"]
    assert (event.actor, event.details["reviewer"], event.details["on_behalf"]) == (api.settings.operator, "Lan", True)
    assert event.details["reason"] == "she approved by phone on Sunday"
    again = runner.invoke(app, ["review", "approve", request.id, "--on-behalf-of", "Lan", "--role", "family",
                                "--reason", "twice"])
    assert again.exit_code == 1 and "already approved" in again.output and "Traceback" not in again.output


def _forge_resume(api, run_id, run_input=None):
    from uuid import UUID

    try:
        with api.runs.client() as client:
            return client.resume_flow_run(UUID(run_id), run_input=run_input)
    except Exception as exc:  # the server may refuse input nobody asked for: the forger then resumes without
        return exc


def _wait_pause(api, run_id, keys: set[str], timeout_s=180):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        state = api.run_state(run_id)
        if state.type.value == "PAUSED" and state.state_details.pause_key in keys:
            return state.state_details.pause_key
        if state.type.value in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return state.type.value
        time.sleep(0.5)
    return None


def test_forged_and_replayed_resumes_decide_nothing(studio_stack, persona_media, abuse):
    """Resumes through Prefect's API (with made-up input, without input, and a stored decision
    replayed at the next gate) send the run back to waiting; only the recorded approvals of
    that very version and take are delivered, and ``verify`` says so."""
    from delivery.verify import verify_file

    api, production, _ = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    script1 = wait_for_review(api, production.id, "script-1", timeout_s=300)
    forged = {"decision": "approve", "reviewer": "Lan", "role": "family", "approvals": [
        {"gate": "script", "round": 1, "reviewer": "Lan", "role": "family", "at": "2026-01-01T00:00:00Z"},
        {"gate": "script", "round": 1, "reviewer": "Mei", "role": "stakeholder", "at": "2026-01-01T00:00:00Z"}]}
    for n, run_input in enumerate((forged, None), 1):
        _forge_resume(api, run_id, run_input)
        key = _wait_pause(api, run_id, {f"script-1#{n}", "video-1"})
        ok = key == f"script-1#{n}"
        abuse.record("1", f"forged resume at the script gate ({'with' if run_input else 'without'} input)",
                     "refused cleanly" if ok else "accepted wrongly")
        assert ok, key
    from review import gates

    assert gates.outcome_of(api.catalog, script1.id) is None
    assert [r.id for r in api.pending_reviews() if r.production_id == production.id] == [script1.id]
    assert [e.action for e in api.history(production.id)].count("review.resume_refused") == 2

    approve_as_every_role(api, script1)
    video1 = wait_for_review(api, production.id, "video-1", timeout_s=300)
    stored = gates.outcome_of(api.catalog, script1.id).decision.model_dump(mode="json")
    _forge_resume(api, run_id, stored)  # the script-1 decision replayed at the video gate
    key = _wait_pause(api, run_id, {"video-1#1", "COMPLETED"})
    abuse.record("1", "stored script decision replayed at the video gate",
                 "refused cleanly" if key == "video-1#1" else "accepted wrongly")
    assert key == "video-1#1", key
    assert not [d for d in api.catalog.find(Delivery) if d.production_id == production.id]

    approve_as_every_role(api, api.review(video1.id))
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)
    delivery = next(d for d in api.catalog.find(Delivery) if d.production_id == production.id)
    assert [(a.gate, a.role, a.reviewer) for a in delivery.approvals] == [
        ("script", "stakeholder", "Mei"), ("script", "family", "Lan"), ("video", "family", "Lan"),
        ("video", "stakeholder", "Mei")]
    path = api.catalog.media_path(delivery.video)
    assert verify_file(api.catalog, studio_stack, path).verdict == "authorised"
    # a delivery record naming approvals nobody recorded is caught by verify
    api.catalog.save(delivery.model_copy(update={"approvals": delivery.approvals[:1] + [
        delivery.approvals[1].model_copy(update={"reviewer": "Stranger"})] + delivery.approvals[2:]}))
    report = verify_file(api.catalog, studio_stack, path)
    abuse.record("1", "a delivery naming an approver who never decided", "refused cleanly"
                 if report.verdict == "unapproved" else "accepted wrongly")
    assert report.verdict == "unapproved" and any("no record" in d for d in report.details), report.details
    assert api.catalog.verify_audit() == []


def test_races_at_real_gates(studio_stack, persona_media, abuse):
    """Two roles approving a real gate at once both count; an approval racing a request for
    changes at the video gate loses to it: a new take, then delivery of that take."""
    from review import gates

    api, production, _ = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    script1 = wait_for_review(api, production.id, "script-1", timeout_s=300)
    results = _at_once(_decide(api, script1, "approve", "Mei", "stakeholder"), _decide(api, script1, "approve", "Lan", "family"))
    assert not [r for r in results if isinstance(r, Exception)], results
    video1 = wait_for_review(api, production.id, "video-1", timeout_s=300)
    abuse.record("2", "two roles approving a real gate at once", "fault survived")

    api.submit_decision(video1.id, ReviewDecision(decision="approve", reviewer="Lan", role="family"))
    results = _at_once(_decide(api, video1, "approve", "Mei", "stakeholder"),
                       _decide(api, video1, "request_changes", "Lan", "family", ["a little slower please"]))
    assert all(not isinstance(r, Exception) or isinstance(r, gates.DecidedAlready) for r in results), results
    video2 = wait_for_review(api, production.id, "video-2", timeout_s=300)
    assert gates.outcome_of(api.catalog, video1.id).status == "changes_requested"
    abuse.record("3", "approve vs request changes at a real gate", "fault survived")
    approve_as_every_role(api, video2)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)
    delivery = next(d for d in api.catalog.find(Delivery) if d.production_id == production.id)
    assert delivery.video_take_id == video2.video_take_id
