"""Opening a review gate: the request that names what to review and who, and the notice."""

from __future__ import annotations

from core.settings import StudioSettings
from production.records import Gate, Production
from review.notify import notify
from review.records import ReviewRequest
from storage.catalog import Catalog
from video.records import VideoTake


def open_request(catalog: Catalog, settings: StudioSettings, production: Production, gate: Gate, round: int,
                 script_version: int, flow_run_id: str, previous_version: int | None = None,
                 video: VideoTake | None = None) -> ReviewRequest:
    """The gate's request (the stored one, keeping approvals so far, on a retry or a resume);
    a new one marks the production waiting and tells the reviewers."""
    key = f"{gate}-{round}"
    request = ReviewRequest(
        id=ReviewRequest.id_for(production.id, key), production_id=production.id, flow_run_id=flow_run_id,
        gate=gate, round=round, gate_key=key,
        roles={role: production.reviewers_for(role) for role in production.gate_roles[gate]},
        script_version=script_version, previous_script_version=previous_version,
        voice_take_id=video.voice_take_id if video else None, video_take_id=video.id if video else None)
    if catalog.exists(ReviewRequest, request.id):
        return catalog.load(ReviewRequest, request.id)
    catalog.save(request)
    catalog.save(production.model_copy(update={"status": "waiting_review", "flow_run_id": request.flow_run_id}))
    catalog.audit("studio", "review.requested", f"review/{request.id}", roles=request.roles,
                  script_version=script_version)
    notify(settings.notify, catalog, "review.waiting", f"review/{request.id}",
           f"{production.brief.occasion}: the {gate} (round {round}) waits for {', '.join(request.reviewers)}\n"
           f"Open the portal ({settings.portal.public_url}) through your invitation link.",
           {"production_id": production.id, "review_id": request.id, "gate": gate, "round": round,
            "reviewers": request.reviewers, "roles": request.roles})
    return request
