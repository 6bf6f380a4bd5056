"""The runner: serves the production flow and the template re-run flow as deployments and
runs their flow runs (each run, and each resume after a review, in a fresh process). Each
template with a cron gets a schedule on the ``rerun-template/templates`` deployment."""

from prefect import serve
from prefect.schedules import Cron

from core.settings import get_settings
from flows.produce import produce
from flows.template import rerun_template
from production.records import Template
from runs.cancellations import apply_pending_cancellations
from runs.client import PrefectRuns
from runs.recovery import keep_catching_up, reschedule_interrupted_runs
from storage import open_catalog


def template_schedules():
    return [Cron(t.schedule_cron, timezone=t.schedule_timezone, active=t.schedule_active, slug=t.id,
                 parameters={"template_id": t.id, "values": t.schedule_values})
            for t in open_catalog(get_settings()).find(Template) if t.schedule_cron]


def catch_up() -> None:
    """What happened while no runner ran: runs a stopped runner left cancelled go back in the
    queue, and productions stopped while Prefect was down have their runs cancelled now."""
    settings = get_settings()
    apply_pending_cancellations(PrefectRuns(settings), open_catalog(settings), settings.operator)
    reschedule_interrupted_runs(settings)
    keep_catching_up(settings)


if __name__ == "__main__":  # the runner's child processes re-import this module
    catch_up()
    # runs waiting warm at a gate hold their process (``runs.waiting``): room for them and for work
    serve(produce.to_deployment(name="produce", concurrency_limit=None),
          rerun_template.to_deployment(name="templates", schedules=template_schedules(), concurrency_limit=1), limit=8)
