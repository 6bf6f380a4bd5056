"""The one adapter between the studio and its Prefect server: start, read, resume and cancel
flow runs, keep template schedules and the recovery automations. Everything goes through
Prefect's sync client (no event loop of our own, so it works inside Streamlit and Playwright
threads too), and a server that does not answer is one clear error."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, FlowRunFilterState, FlowRunFilterStateType
from prefect.client.schemas.objects import FlowRun, State, StateType, TaskRun
from prefect.client.schemas.schedules import CronSchedule
from prefect.client.schemas.sorting import TaskRunSort
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE, temporary_settings
from prefect.states import Cancelled

from core.settings import StudioSettings

TEMPLATE_DEPLOYMENT = "rerun-template/templates"  # flows/serve.py serves it


class PrefectUnavailable(RuntimeError):
    """The Prefect server did not answer; nothing was changed there."""


@contextmanager
def prefect_api(settings: StudioSettings) -> Iterator[None]:
    """Point Prefect's client at the studio's server for the duration (never an ephemeral one)."""
    with temporary_settings(updates={PREFECT_API_URL: settings.prefect.api_url,
                                     PREFECT_SERVER_ALLOW_EPHEMERAL_MODE: False}):
        yield


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the server could not be reached."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _in_states(*state_types: StateType) -> FlowRunFilter:
    return FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(state_types))))


class PrefectRuns:
    """What the studio asks of Prefect, as plain sync calls on the studio's server."""

    def __init__(self, settings: StudioSettings):
        self.settings = settings

    @contextmanager
    def client(self) -> Iterator[SyncPrefectClient]:
        """Prefect's sync client on the studio's server; ``PrefectUnavailable`` with what to do
        when the server does not answer."""
        with self._answering():
            with get_client(sync_client=True) as client:
                yield client

    @contextmanager
    def _answering(self) -> Iterator[None]:
        """On the studio's server; a server that does not answer is ``PrefectUnavailable``."""
        with prefect_api(self.settings):
            try:
                yield
            except Exception as exc:
                if unreachable(exc):
                    raise PrefectUnavailable(f"the Prefect server at {self.settings.prefect.api_url} is not answering; "
                                             "start it with `make up` (studio up)") from None
                raise

    # ------------------------------------------------------------------ runs
    def start(self, deployment: str, parameters: dict, name: str | None = None) -> str:
        """A new run of ``deployment`` (``flow/deployment``), scheduled now; its id."""
        with self.client() as client:
            target = client.read_deployment_by_name(deployment)
            run = client.create_flow_run_from_deployment(target.id, parameters=parameters, name=name)
        return str(run.id)

    def state(self, flow_run_id: str) -> State | None:
        with self.client() as client:
            return client.read_flow_run(UUID(flow_run_id)).state

    def states(self, flow_run_id: str) -> list[State]:
        """Every state the run has been in, oldest first."""
        with self.client() as client:
            return client.read_flow_run_states(UUID(flow_run_id))

    def task_runs(self, flow_run_id: str) -> list[TaskRun]:
        with self.client() as client:
            return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])),
                                         sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=200)

    def runs_in_states(self, *state_types: StateType) -> list[FlowRun]:
        """Every flow run on the server in one of ``state_types``."""
        with self.client() as client:
            return client.read_flow_runs(flow_run_filter=_in_states(*state_types))

    def paused(self) -> list[FlowRun]:
        """Runs waiting at a review gate (suspended: no process held)."""
        return self.runs_in_states(StateType.PAUSED)

    def resume(self, flow_run_id: str) -> None:
        """Resume a paused run (with no input: the studio's records say what was decided)."""
        with self.client() as client:
            response = client.resume_flow_run(UUID(flow_run_id))
        if response.status.value == "REJECT":
            raise RuntimeError(f"Prefect did not resume run {flow_run_id}: {response.details.reason}")

    def set_state(self, flow_run_id: str, state: State) -> None:
        with self.client() as client:
            client.set_flow_run_state(UUID(flow_run_id), state, force=True)

    def cancel(self, which: Callable[[FlowRun], bool], message: str) -> list[str]:
        """Cancel every run not yet finished (scheduled, waiting at a gate, running) that ``which`` picks."""
        live = [StateType.SCHEDULED, StateType.PENDING, StateType.PAUSED, StateType.RUNNING]
        done = []
        with self.client() as client:
            for run in client.read_flow_runs(flow_run_filter=_in_states(*live)):
                if which(run):
                    client.set_flow_run_state(run.id, Cancelled(message=message), force=True)
                    done.append(str(run.id))
        return done

    # ------------------------------------------------------- schedules, automations
    def keep_schedule(self, deployment: str, slug: str, cron: str, timezone: str, active: bool, parameters: dict) -> None:
        """Create or update the cron schedule named ``slug`` on ``deployment``."""
        schedule = CronSchedule(cron=cron, timezone=timezone)
        with self.client() as client:
            target = client.read_deployment_by_name(deployment)
            existing = [s for s in client.read_deployment_schedules(target.id) if s.slug == slug]
            if existing:
                client.update_deployment_schedule(target.id, existing[0].id, active=active, schedule=schedule,
                                                  parameters=parameters)
            else:
                client.create_deployment_schedules(target.id, [DeploymentScheduleCreate(
                    schedule=schedule, active=active, parameters=parameters, slug=slug)])

    def has_deployment(self, deployment: str) -> bool:
        """Whether ``deployment`` (``flow/deployment``) is registered (a runner serves it); False
        while the server does not answer."""
        try:
            with self.client() as client:
                client.read_deployment_by_name(deployment)
            return True
        except Exception:
            return False

    def limit_concurrency(self, tag: str, limit: int) -> None:
        """At most ``limit`` task runs tagged ``tag`` at once, server-wide."""
        with self.client() as client:
            client.create_concurrency_limit(tag=tag, concurrency_limit=limit)

    def save_block(self, block, name: str) -> None:
        """Register ``block`` (e.g. the studio's result storage) under ``name`` on the server."""
        with self._answering():
            block.save(name, overwrite=True)

    def replace_automations(self, automations: list) -> None:
        """Create each automation, replacing any of the same name."""
        with self.client() as client:
            for automation in automations:
                for old in client.read_automations_by_name(automation.name):
                    client.delete_automation(old.id)
                client.create_automation(automation)
