"""Waiting at a review gate: first with the run's process held, so a decision made while people
are at their screens resumes the run within a second or two; then suspended with no process
held, so a gate can wait for days (a later decision resumes the run in a fresh process)."""

from __future__ import annotations

from prefect import __version__ as prefect_version
from prefect import get_client
from prefect.context import FlowRunContext
from prefect.events import emit_event
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.states import Running

from review.gates import PAUSE_KEY_SEPARATOR

WARM = "warm"


def wait_at_gate(key: str, warm_s: int) -> None:
    """Return once the run is resumed at the gate ``key`` (the caller then reads the decision
    from the studio's records). ``warm_s``: how long to wait with the process held first."""
    if warm_s >= 1:
        try:
            pause_flow_run(key=f"{key}{PAUSE_KEY_SEPARATOR}{WARM}", timeout=warm_s, poll_interval=1)
            heartbeat()
            return
        except FlowPauseTimeout:
            # Prefect lets no run leave a pause whose deadline has passed, but into Failed: the
            # run takes itself back (forced) to suspend there instead
            with get_client(sync_client=True) as client:
                client.set_flow_run_state(FlowRunContext.get().flow_run.id, Running(), force=True)
    suspend_flow_run(key=key, timeout=None)


def heartbeat() -> None:
    """A heartbeat of this run now, as Prefect's engine sends every 30 s. The crash automation
    (``runs.recovery``) arms on a heartbeat or on the run going Running, but a Running that comes
    while its window is already satisfied (a pause and a resume within a second, as two roles
    approving at once make) opens no new window: a process killed before its next heartbeat was
    never marked Crashed. A heartbeat always opens a new one."""
    context = FlowRunContext.get()
    run = context.flow_run
    related = [{"prefect.resource.id": f"prefect.flow.{run.flow_id}", "prefect.resource.role": "flow",
                "prefect.resource.name": context.flow.name}]
    if run.deployment_id:
        related.append({"prefect.resource.id": f"prefect.deployment.{run.deployment_id}", "prefect.resource.role": "deployment"})
    emit_event(event="prefect.flow-run.heartbeat", related=related,
               resource={"prefect.resource.id": f"prefect.flow-run.{run.id}", "prefect.resource.name": run.name or "",
                         "prefect.version": prefect_version})
