"""A run whose process dies just after a warm gate resumed it (issue 20: the cluster test lost a
worker host seconds after two roles approved the script, and the run stayed Running for good).

Two approvals in a row pause and resume the run twice within a second. Prefect's crash automation
(``runs.recovery``) arms on a heartbeat or on the run going Running, but a Running that comes while
its window is already satisfied by the pause opens no new one; with the next heartbeat up to 30 s
away, a process killed in between was never marked Crashed."""

from __future__ import annotations

import time

import pytest

from app.demo import approve_as_every_role, wait_for_review
from tests.conftest import new_production
from tests.test_faults import _wait_state, kill_runner_and_run

pytestmark = pytest.mark.slow

WARM_GATE_S = 120  # the decision resumes the waiting process itself
LLM_BACKEND = "composer"


def test_a_run_killed_just_after_a_warm_gate_resumed_it_is_crashed_and_rescheduled(studio_stack, persona_media):
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
