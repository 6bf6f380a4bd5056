"""Issue 14, defects 10-12: faults an unlucky operator meets, on a real Prefect server and
runner. A runner killed (SIGKILL) or stopped (SIGTERM, as `studio down` does) in the middle of
a render leaves a run that Prefect resumes once a runner is back; a server killed while a run
waits, or while one renders, loses neither the run nor the render slot; consent revoked while
the server is down stops the run when it answers again."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from app import services
from app.demo import approve_as_every_role, wait_for_review
from production.records import Production
from tests.conftest import new_production

pytestmark = pytest.mark.slow


def _pid(settings, name: str) -> int:
    return int(services.pid_file(settings, name).read_text())


def _flow_processes(run_id: str) -> list[int]:
    """The processes running a flow run (the runner starts each with PREFECT__FLOW_RUN_ID set)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"PREFECT__FLOW_RUN_ID={run_id}".encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _wait_until_rendering(api, run_id: str, timeout_s: float = 300) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if any(s["step"] == "render_chunk" and s["state"] == "Running" for s in api.step_states(run_id)):
            return
        time.sleep(0.5)
    raise TimeoutError("the render never started")


def _kill_server(settings) -> None:
    """SIGKILL the Prefect server, as a crash would, and wait until its port is free."""
    import socket
    from urllib.parse import urlparse

    os.killpg(_pid(settings, "prefect-server"), signal.SIGKILL)
    services.pid_file(settings, "prefect-server").unlink()
    port = urlparse(settings.prefect.api_url).port
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.2)


def _kill(pids: list[int], sig=signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _to_the_render(settings, media):
    api, production, _ = new_production(settings, media)
    run_id = api.start_production(production.id)
    approve_as_every_role(api, wait_for_review(api, production.id, "script-1", timeout_s=300))
    _wait_until_rendering(api, run_id)
    return api, production, run_id


def _wait_state(api, run_id: str, names: set[str], timeout_s: float) -> str | None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        state = api.run_state(run_id)
        if state.name in names:
            return state.name
        time.sleep(1)
    return None


def kill_runner_and_run(settings, run_id: str) -> None:
    """The runner and the run's processes SIGKILLed at once, as when their machine loses power:
    only the server's automations can then tell that the run is dead."""
    flow_pids = _flow_processes(run_id)
    assert flow_pids
    os.killpg(_pid(settings, "runner"), signal.SIGKILL)
    _kill(flow_pids)
    services.pid_file(settings, "runner").unlink()


def test_a_runner_killed_mid_render_is_crashed_rescheduled_and_resumed(studio_stack, persona_media, abuse):
    api, production, run_id = _to_the_render(studio_stack, persona_media)
    kill_runner_and_run(studio_stack, run_id)
    seen = _wait_state(api, run_id, {"AwaitingRetry", "Crashed"}, timeout_s=studio_stack.prefect.zombie_after_seconds + 120)
    assert seen, api.run_state(run_id)
    assert _wait_state(api, run_id, {"AwaitingRetry"}, timeout_s=60)  # the second automation rescheduled it
    assert api.catalog.load(Production, production.id).status in ("interrupted", "running")
    services.start_runner(studio_stack)
    video = wait_for_review(api, production.id, "video-1", timeout_s=400)
    abuse.record("10", "runner and its flow process SIGKILLed mid-render", "fault survived")
    assert api.catalog.load(Production, production.id).status == "waiting_review"
    approve_as_every_role(api, video)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)


def test_a_runner_stopped_mid_render_leaves_a_run_that_resumes(studio_stack, persona_media, abuse):
    api, production, run_id = _to_the_render(studio_stack, persona_media)
    services.stop(studio_stack, ("runner",))  # what `studio down` does to the runner
    state = _wait_state(api, run_id, {"AwaitingRetry", "Scheduled"}, timeout_s=60)
    assert state, api.run_state(run_id)
    assert api.catalog.load(Production, production.id).status in ("interrupted", "running")
    services.start_runner(studio_stack)
    video = wait_for_review(api, production.id, "video-1", timeout_s=400)
    abuse.record("10", "runner stopped (SIGTERM) mid-render", "fault survived")
    approve_as_every_role(api, video)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)


def test_a_server_killed_while_waiting_and_while_rendering(studio_stack, persona_media, abuse):
    """Killed while a run waits at a gate: the run still waits after the restart. Killed during
    a render (its process dies too): the render slot is freed and the render is done again."""
    api, production, _ = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    script1 = wait_for_review(api, production.id, "script-1", timeout_s=300)
    _kill_server(studio_stack)
    services.start_prefect_server(studio_stack)
    assert api.run_state(run_id).type.value == "PAUSED"
    abuse.record("11", "server SIGKILLed while a run waits at a gate", "fault survived")

    approve_as_every_role(api, api.review(script1.id))
    _wait_until_rendering(api, run_id)
    _kill(_flow_processes(run_id))
    _kill_server(studio_stack)
    services.start_prefect_server(studio_stack)
    video = wait_for_review(api, production.id, "video-1", timeout_s=600)  # the slot came back, the render ran again
    abuse.record("11", "server and the rendering process SIGKILLed mid-render", "fault survived")
    approve_as_every_role(api, video)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=300)


def test_revocation_while_the_server_is_down_is_applied_when_it_returns(studio_stack, persona_media, abuse):
    from production.records import PendingCancellation

    api, production, consent = new_production(studio_stack, persona_media)
    run_id = api.start_production(production.id)
    request = wait_for_review(api, production.id, "script-1", timeout_s=300)
    services.stop(studio_stack, ("prefect-server",))
    api.revoke_consent(consent.id, "the family withdrew consent")
    assert api.catalog.load(Production, production.id).status == "stopped"
    assert [p.production_id for p in api.catalog.find(PendingCancellation) if not p.done] == [production.id]
    services.start_prefect_server(studio_stack)
    assert request.id not in [r.id for r in api.pending_reviews()]  # the gate never comes back
    state = api.run_state(run_id)
    abuse.record("12", "consent revoked with the server down", "fault survived" if state.type.value == "CANCELLED"
                 else "fault not survived")
    assert state.type.value == "CANCELLED", state
    assert all(p.done for p in api.catalog.find(PendingCancellation))
