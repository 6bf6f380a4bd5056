"""Stopping a production's runs (consent revoked), also while Prefect is down: the stop is
recorded and applied as soon as the server answers again."""

from __future__ import annotations

from core.records import new_id
from production.records import PendingCancellation, Production
from runs.client import PrefectRuns
from storage.catalog import Catalog


def cancel_runs(runs: PrefectRuns, catalog: Catalog, actor: str, message: str, *, production_id: str | None = None,
                template_id: str | None = None, remember: bool = True) -> list[str] | None:
    """Cancel every not-finished flow run (scheduled, waiting at a gate, running) of a
    production, or of a template's re-runs. With Prefect down: None, and (``remember``)
    the cancellation is kept to be applied when the server answers again."""
    wanted = {k: v for k, v in (("production_id", production_id), ("template_id", template_id)) if v}
    run_ids = {p.flow_run_id for p in catalog.find(Production) if production_id and p.id == production_id}

    def ours(run) -> bool:
        params = run.parameters or {}
        return str(run.id) in run_ids or any(params.get(k) == v for k, v in wanted.items())

    try:
        return runs.cancel(ours, message)
    except Exception as exc:  # Prefect down: the runs still fail their own consent checks
        if remember:
            subject = f"production/{production_id}" if production_id else f"template/{template_id}"
            catalog.save(PendingCancellation(id=new_id("cancel"), production_id=production_id or template_id,
                                             template_id=template_id, message=message))
            catalog.audit(actor, "production.cancel_failed", subject, error=str(exc)[:300], will_retry=True)
        return None


def apply_pending_cancellations(runs: PrefectRuns, catalog: Catalog, actor: str) -> list[str]:
    """Cancel the runs of productions stopped while Prefect could not be told; returns the
    productions dealt with."""
    done = []
    for pending in catalog.find(PendingCancellation):
        if pending.done:
            continue
        cancelled = cancel_runs(runs, catalog, actor, pending.message, production_id=pending.production_id,
                                template_id=pending.template_id, remember=False)
        if cancelled is None:
            break  # still down
        catalog.save(pending.model_copy(update={"done": True}))
        catalog.audit(actor, "production.cancel_reapplied", f"production/{pending.production_id}",
                      cancelled_runs=cancelled)
        done.append(pending.production_id)
    return done
