"""The runner: serves the production flow and the template re-run flow as deployments and
runs their flow runs (each run, and each resume after a review, in a fresh process). Each
template with a cron gets a schedule on the ``rerun-template/templates`` deployment."""

from prefect import serve

from flows.produce import produce
from flows.template import rerun_template

TEMPLATE_DEPLOYMENT = "rerun-template/templates"


def template_schedules():
    from prefect.schedules import Cron

    from storage import open_catalog
    from studio.models import Template
    from studio.settings import get_settings

    return [Cron(t.schedule_cron, timezone=t.schedule_timezone, active=t.schedule_active, slug=t.id,
                 parameters={"template_id": t.id, "values": t.schedule_values})
            for t in open_catalog(get_settings()).find(Template) if t.schedule_cron]


def catch_up() -> None:
    """What happened while no runner ran: runs a stopped runner left cancelled go back in the
    queue, and productions stopped while Prefect was down have their runs cancelled now."""
    from studio.api import StudioAPI
    from studio.recovery import keep_catching_up, reschedule_interrupted_runs
    from studio.settings import get_settings

    settings = get_settings()
    StudioAPI(settings).apply_pending_cancellations()
    reschedule_interrupted_runs(settings)
    keep_catching_up(settings)


if __name__ == "__main__":  # the runner's child processes re-import this module
    catch_up()
    serve(produce.to_deployment(name="produce", concurrency_limit=None),
          rerun_template.to_deployment(name="templates", schedules=template_schedules(), concurrency_limit=1), limit=4)
