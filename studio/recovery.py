"""Recovery by Prefect, not by hand.

- A run whose process died (runner or machine killed) stops sending heartbeats; an automation
  on the server marks it Crashed, and a second one reschedules it (``AwaitingRetry``): the
  next runner replays it from the top, its finished steps from their persisted results.
- A runner stopped with SIGTERM (``studio down``) cancels its runs "Runner is shutting down.";
  those are rescheduled as soon as the runner is gone, and again whenever a runner starts.
- A runner also looks every 30 s for crashed runs the automation has not rescheduled (a server
  that crashed holds back, for up to 15 minutes, events that follow ones it lost).
- A run crashing over and over (a bug, not a fault) fails after ``MAX_RESTARTS`` instead.
- The production record follows its run through the flow's state hooks.
- The ``video-render`` slot is a lease that expires when its holder dies; the server keeps
  leases on disk (``studio.services``), so a server crash does not leak it either.
"""

from __future__ import annotations

from datetime import timedelta

from studio.prefect_client import call_prefect, runs_in_states
from studio.settings import StudioSettings

ZOMBIES = "studio: crash runs whose heartbeats stopped"
RESCHEDULE = "studio: reschedule crashed runs"
RESCHEDULED = "rescheduled by the studio after a crash"
SHUTDOWN = "Runner is shutting down."  # the message Prefect's runner cancels its runs with
FLOWS = ("produce", "rerun-template")
MAX_RESTARTS = 3


def _automations(settings: StudioSettings) -> list:
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore as Automation
    from prefect.events.schemas.automations import EventTrigger, Posture

    ours = {"prefect.resource.id": "prefect.flow-run.*"}
    flows = {"prefect.resource.role": "flow", "prefect.resource.name": list(FLOWS)}
    alive = {f"prefect.flow-run.{name}" for name in (
        "heartbeat", "Completed", "Failed", "Cancelled", "Cancelling", "Crashed", "Paused", "Suspended", "AwaitingRetry",
        "Scheduled", "Late")}
    return [
        Automation(name=ZOMBIES, description="A run whose process died sends no heartbeat: mark it Crashed.",
                   trigger=EventTrigger(match=ours, match_related=flows, after={"prefect.flow-run.heartbeat"},
                                        expect=alive, for_each={"prefect.resource.id"}, posture=Posture.Proactive,
                                        threshold=1, within=timedelta(seconds=settings.prefect.zombie_after_seconds)),
                   actions=[ChangeFlowRunState(state=StateType.CRASHED, force=True,
                                               message="its heartbeats stopped: the process running it died")]),
        Automation(name=RESCHEDULE, description="A crashed studio run is rescheduled; the next runner replays it.",
                   trigger=EventTrigger(match=ours, match_related=flows, expect={"prefect.flow-run.Crashed"},
                                        for_each={"prefect.resource.id"}, posture=Posture.Reactive, threshold=1),
                   actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name="AwaitingRetry", force=True,
                                               message=RESCHEDULED)]),
    ]


def ensure_automations(settings: StudioSettings) -> None:
    """Create (or bring up to date) the two automations on the studio's server."""
    from prefect import get_client

    wanted = _automations(settings)

    async def sync():
        async with get_client() as client:
            for automation in wanted:
                for old in await client.read_automations_by_name(automation.name):
                    await client.delete_automation(old.id)
                await client.create_automation(automation)

    call_prefect(settings, sync)


def reschedule_interrupted_runs(settings: StudioSettings, crashed_for_s: float = 20.0) -> list[str]:
    """Runs put back in the queue: those a stopped runner cancelled ("Runner is shutting down."),
    and crashed ones the automation has not rescheduled within ``crashed_for_s`` (after a server
    crash the server holds back events that follow ones it lost, for up to 15 minutes) - unless
    their production was stopped since (consent revoked) or delivered."""
    from datetime import datetime, timezone

    from prefect import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.states import AwaitingRetry

    from storage import open_catalog
    from studio.models import Production

    stopped = {p.flow_run_id for p in open_catalog(settings).find(Production)
               if p.status in ("stopped", "delivered") and p.flow_run_id}

    async def requeue() -> list[str]:
        async with get_client() as client:
            runs = await runs_in_states(client, StateType.CANCELLED, StateType.CRASHED)
            done = []
            now = datetime.now(timezone.utc)
            for run in runs:
                state, ours = run.state, {"production_id", "template_id"} & set(run.parameters or {})
                if state is None or not ours or str(run.id) in stopped:
                    continue
                if state.type == StateType.CANCELLED and state.message == SHUTDOWN:
                    message = "rescheduled after the runner stopped"
                elif state.type == StateType.CRASHED and (now - state.timestamp).total_seconds() >= crashed_for_s:
                    message = RESCHEDULED
                else:
                    continue
                await client.set_flow_run_state(run.id, AwaitingRetry(message=message), force=True)
                done.append(str(run.id))
            return done

    return call_prefect(settings, requeue)


def keep_catching_up(settings: StudioSettings, every_s: float = 30.0) -> None:
    """In the runner, for as long as it runs: reschedule what the automations missed."""
    import threading
    import time

    def loop():
        while True:
            time.sleep(every_s)
            try:
                reschedule_interrupted_runs(settings)
            except Exception:  # the server is down for now: next time
                pass

    threading.Thread(target=loop, name="studio-catch-up", daemon=True).start()


def crash_restarts(flow_run_id: str, settings: StudioSettings) -> int:
    """How many times the studio has rescheduled this run after a crash."""
    from uuid import UUID

    from prefect import get_client

    async def count() -> int:
        async with get_client() as client:
            states = await client.read_flow_run_states(UUID(flow_run_id))
            return sum(1 for s in states if s.message == RESCHEDULED)

    return call_prefect(settings, count)


# ------------------------------------------------------------------ the production follows its run
def _set_status(flow_run, status: str, why: str) -> None:
    from storage import open_catalog
    from studio.models import Production
    from studio.settings import get_settings

    production_id = (flow_run.parameters or {}).get("production_id")
    catalog = open_catalog(get_settings())
    if not production_id or not catalog.exists(Production, production_id):
        return
    production = catalog.load(Production, production_id)
    if production.status in ("stopped", "delivered") or production.status == status:
        return
    catalog.save(production.model_copy(update={"status": status}))
    catalog.audit("studio", f"production.{status}", f"production/{production_id}", flow_run=str(flow_run.id), why=why)


def on_crashed(flow, flow_run, state) -> None:
    _set_status(flow_run, "interrupted", state.message or "crashed")


def on_cancellation(flow, flow_run, state) -> None:
    message = state.message or ""
    _set_status(flow_run, "interrupted" if SHUTDOWN in message else "stopped", message or "cancelled")


def on_failure(flow, flow_run, state) -> None:
    _set_status(flow_run, "failed", state.message or "failed")
