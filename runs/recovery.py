"""Recovery by Prefect, not by hand.

- A run whose process died (runner or machine killed), running or waiting warm at a gate, stops
  sending heartbeats; an automation on the server marks it Crashed, and a second one reschedules
  it (``AwaitingRetry``): the next runner replays it from the top, its finished steps from their
  persisted results.
- A runner stopped with SIGTERM (``studio down``) cancels its runs "Runner is shutting down.";
  those are rescheduled as soon as the runner is gone, and again whenever a runner starts.
- A runner also looks every 30 s for crashed runs the automation has not rescheduled (a server
  that crashed holds back, for up to 15 minutes, events that follow ones it lost).
- A run crashing over and over (a bug, not a fault) fails after ``MAX_RESTARTS`` instead.
- The production record follows its run through the flow's state hooks.
- The ``video-render`` slot is a lease that expires when its holder dies; the server keeps
  leases on disk (``app.services``), so a server crash does not leak it either.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prefect.client.schemas.objects import StateType
from prefect.states import AwaitingRetry

from core.settings import StudioSettings, get_settings
from production.records import Production
from runs.client import PrefectRuns
from storage import open_catalog

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
    # not "Paused": a run waiting warm at a gate holds its process, whose heartbeats go on; if it
    # dies there, only their silence tells (a suspended run holds none, and says "Suspended")
    alive = {f"prefect.flow-run.{name}" for name in (
        "heartbeat", "Completed", "Failed", "Cancelled", "Cancelling", "Crashed", "Suspended", "AwaitingRetry",
        "Scheduled", "Late")}
    return [
        Automation(name=ZOMBIES, description="A run whose process died sends no heartbeat: mark it Crashed.",
                   # armed by a heartbeat or by the run starting or resuming: a process killed
                   # before its first heartbeat after a warm gate is a zombie too
                   trigger=EventTrigger(match=ours, match_related=flows,
                                        after={"prefect.flow-run.heartbeat", "prefect.flow-run.Running"},
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
    PrefectRuns(settings).replace_automations(_automations(settings))


def reschedule_interrupted_runs(settings: StudioSettings, crashed_for_s: float = 20.0) -> list[str]:
    """Runs put back in the queue: those a stopped runner cancelled ("Runner is shutting down."),
    and crashed ones the automation has not rescheduled within ``crashed_for_s`` (after a server
    crash the server holds back events that follow ones it lost, for up to 15 minutes) - unless
    their production was stopped since (consent revoked) or delivered."""
    stopped = {p.flow_run_id for p in open_catalog(settings).find(Production)
               if p.status in ("stopped", "delivered") and p.flow_run_id}

    runs = PrefectRuns(settings)
    done = []
    now = datetime.now(timezone.utc)
    for run in runs.runs_in_states(StateType.CANCELLED, StateType.CRASHED):
        state, ours = run.state, {"production_id", "template_id"} & set(run.parameters or {})
        if state is None or not ours or str(run.id) in stopped:
            continue
        if state.type == StateType.CANCELLED and state.message == SHUTDOWN:
            message = "rescheduled after the runner stopped"
        elif state.type == StateType.CRASHED and (now - state.timestamp).total_seconds() >= crashed_for_s:
            message = RESCHEDULED
        else:
            continue
        runs.set_state(str(run.id), AwaitingRetry(message=message))
        done.append(str(run.id))
    return done


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
    return sum(1 for s in PrefectRuns(settings).states(flow_run_id) if s.message == RESCHEDULED)


# ------------------------------------------------------------------ the production follows its run
def _set_status(flow_run, status: str, why: str) -> None:
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
