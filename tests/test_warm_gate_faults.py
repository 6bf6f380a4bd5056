"""A run whose process dies just after a warm gate resumed it (issue 20: the cluster test lost a
worker host seconds after two roles approved the script, and the run stayed Running for good).

Two approvals in a row pause and resume the run twice within a second. Prefect's crash automation
(``runs.recovery``) arms on a heartbeat or on the run going Running, but a Running that comes while
its window is already satisfied by the pause opens no new one; with the next heartbeat up to 30 s
away, a process killed in between was never marked Crashed.

A run waiting warm holds its process too, and the crash automation took its Paused state for a
sign of life: a process killed while it held a gate left the run Paused for good, with nothing
behind it to go on when the gate is decided (CI's run of the first test ended so: found Paused 150 s
after the kill, its run having reached its video gate within the 3 s on that machine)."""

from __future__ import annotations

import time

import pytest

from app import services
from app.demo import approve_as_every_role, wait_for_review
from tests.conftest import new_production
from tests.test_faults import _wait_state, kill_runner_and_run

pytestmark = pytest.mark.slow

WARM_GATE_S = 300  # the decision resumes the waiting process itself
LLM_BACKEND = "composer"


def _with_a_runner(settings) -> None:
    if not services.pid_file(settings, "runner").exists():  # an earlier test killed it
        services.start_runner(settings)


def test_a_run_killed_just_after_a_warm_gate_resumed_it_is_crashed_and_rescheduled(studio_stack, persona_media):
    _with_a_runner(studio_stack)
    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    approve_as_every_role(api, wait_for_review(api, production.id, "script-1", timeout_s=300))
    api.wait_past_gate(run_id, "script-1", timeout_s=60)
    time.sleep(3)  # the run is on its way to its voice, its next heartbeat up to 30 s away
    kill_runner_and_run(studio_stack, run_id)  # the whole host goes, the runner too
    seen = _wait_state(api, run_id, {"Crashed", "AwaitingRetry"}, timeout_s=studio_stack.prefect.zombie_after_seconds + 60)
    assert seen, api.run_state(run_id)
    assert _wait_state(api, run_id, {"AwaitingRetry"}, timeout_s=60)  # rescheduled for the next runner
    api.revoke_consent(consent.id, "the test is over")


def test_a_run_whose_process_dies_while_it_holds_a_warm_gate_is_rescheduled_and_the_gate_still_decides(
        studio_stack, persona_media):
    """A run waiting warm holds its process; if that process dies, the run is crashed and
    rescheduled, comes back to the same gate, and moves on when the gate is decided."""
    _with_a_runner(studio_stack)
    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    approve_as_every_role(api, wait_for_review(api, production.id, "script-1", timeout_s=300))
    video = wait_for_review(api, production.id, "video-1", timeout_s=300)
    waited = time.time() + studio_stack.prefect.zombie_after_seconds + 15
    while time.time() < waited:  # a live process waiting warm is not taken for dead: its heartbeats go on
        assert api.run_state(run_id).name == "Paused"
        time.sleep(5)
    kill_runner_and_run(studio_stack, run_id)
    seen = _wait_state(api, run_id, {"Crashed", "AwaitingRetry"}, timeout_s=studio_stack.prefect.zombie_after_seconds + 60)
    assert seen, api.run_state(run_id)
    assert _wait_state(api, run_id, {"AwaitingRetry"}, timeout_s=60)
    services.start_runner(studio_stack)
    again = wait_for_review(api, production.id, "video-1", timeout_s=300)
    assert again.id == video.id
    approve_as_every_role(api, again)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)
