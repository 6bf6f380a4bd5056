"""Tasks of a review gate: open it, read its recorded decision, refuse a resume nobody decided."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from production.records import Production
from review.gates import GateOutcome, seal
from review.records import ReviewRequest
from review.requests import open_request
from script.records import ScriptVersion
from tasks.context import PERSISTED, studio
from video.records import VideoTake


@task(**PERSISTED)
def open_review(production: Production, gate: str, round: int, script: ScriptVersion,
                previous_version: int | None = None, video: VideoTake | None = None) -> ReviewRequest:
    """Record what a gate asks a reviewer to look at, before the flow suspends."""
    settings, catalog = studio()
    return open_request(catalog, settings, production, gate, round, script.version, str(flow_run.get_id()),
                        previous_version, video)


@task(cache_policy=NO_CACHE)
def record_decision(request: ReviewRequest) -> GateOutcome | None:
    """The gate's outcome as the studio's records hold it (never what the run was resumed
    with): a recorded request for changes, or every required role's recorded approval. None:
    nobody has decided, so whoever resumed the run decided nothing."""
    _, catalog = studio()
    outcome = seal(catalog, request)
    if outcome is not None:
        production = catalog.load(Production, request.production_id)
        if production.status == "waiting_review":
            catalog.save(production.model_copy(update={"status": "running"}))
    return outcome


@task(**PERSISTED)
def refuse_resume(request: ReviewRequest, attempt: int) -> None:
    """A run resumed at a gate nobody decided (through Prefect's API, by hand or forged) goes
    back to waiting; the audit log says so, once per such resume."""
    _, catalog = studio()
    catalog.audit("studio", "review.resume_refused", f"review/{request.id}", attempt=attempt,
                  why="the run was resumed without a recorded decision; it waits again")
