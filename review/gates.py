"""Review gates' decisions as facts the studio keeps, never as input it is handed.

A gate round (``ReviewRequest``, e.g. ``prod-x-script-2``) is decided by write-once records:

- ``GateApproval``: one per gate round and role, written with the store's atomic create, so
  two roles approving at the same moment both land and a second approval of one role is told
  "decided already";
- ``GateOutcome``: one per gate round, ``approved`` or ``changes_requested``. A request for
  changes writes it at once (so it wins over an approval that has not been sealed yet); the
  flow writes ``approved`` when it finds every role's approval. Whoever writes first decides;
  the other is told what was decided.

A resumed run reads its gate's outcome here (``seal``), whatever it was resumed with; delivery
and ``verify`` read the approvals for the very script version and take here
(``recorded_approvals``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from core.records import Record
from production.records import Gate, Production, Template
from review.records import Approval, ReviewDecision, ReviewRequest
from storage.base import ObjectExists

if TYPE_CHECKING:
    from storage.catalog import Catalog


PAUSE_KEY_SEPARATOR = "#"  # a gate suspended again after a resume that decided nothing: script-1#1


def gate_key_of(pause_key: str) -> str:
    """The gate a run's pause key belongs to (``script-1#2`` -> ``script-1``)."""
    return pause_key.split(PAUSE_KEY_SEPARATOR, 1)[0]


def paused_at(state, gate_key: str) -> bool:
    """Whether a run in Prefect ``state`` waits at ``gate_key`` (first suspended there, or again)."""
    return state.type.value == "PAUSED" and gate_key_of(state.state_details.pause_key or "") == gate_key


class ReviewError(RuntimeError):
    """A review decision could not be taken; the message says why."""


class DecidedAlready(ReviewError):
    """The gate, or this role at the gate, has already decided."""


class UnapprovedError(ReviewError):
    """What is about to be delivered lacks the recorded approval of a role."""


class _GateRecord(Record):
    """What every decision record says of the gate round it decides."""

    immutable: ClassVar[bool] = True

    review_id: str
    production_id: str
    gate: Gate
    round: int
    script_version: int
    video_take_id: str | None = None


class GateApproval(_GateRecord):
    """One role's approval of one gate round (id: ``<review id>.<role>``); written once."""

    kind: ClassVar[str] = "gate-approval"

    role: str
    reviewer: str
    recorded_by: str  # who sent it: the reviewer through their invitation, or an operator for them
    reason: str | None = None  # why an operator recorded it on the reviewer's behalf
    comments: list[str] = Field(default_factory=list)

    @staticmethod
    def id_for(review_id: str, role: str) -> str:
        return f"{review_id}.{role}"

    def as_approval(self) -> Approval:
        return Approval(gate=self.gate, round=self.round, reviewer=self.reviewer, role=self.role, at=self.created_at,
                        recorded_by=self.recorded_by, reason=self.reason)


class GateOutcome(_GateRecord):
    """How one gate round ended (id: the review id); written once, by whoever decided first."""

    kind: ClassVar[str] = "gate-outcome"

    status: Literal["approved", "changes_requested"]
    decision: ReviewDecision
    approvals: list[Approval] = Field(default_factory=list)  # approved: one per required role
    recorded_by: str
    reason: str | None = None

    @property
    def decided_at(self) -> datetime:
        return self.created_at


def _gate_fields(request: ReviewRequest) -> dict:
    return dict(review_id=request.id, production_id=request.production_id, gate=request.gate, round=request.round,
                script_version=request.script_version, video_take_id=request.video_take_id)


def outcome_of(catalog: Catalog, review_id: str) -> GateOutcome | None:
    return catalog.get(GateOutcome, review_id)


def approvals_of(catalog: Catalog, request: ReviewRequest) -> list[GateApproval]:
    """The recorded approvals of the gate's required roles, by named reviewers, in the gate's role order."""
    found = {a.role: a for a in catalog.find(GateApproval, f"{request.id}.") if a.review_id == request.id}
    return [found[role] for role in request.roles if role in found and found[role].reviewer in request.roles[role]]


def view(catalog: Catalog, request: ReviewRequest) -> ReviewRequest:
    """The request as its records stand now: approvals so far, and the outcome once decided."""
    outcome = outcome_of(catalog, request.id)
    if outcome is not None and outcome.status == "approved":
        approvals = outcome.approvals
    else:
        approvals = [a.as_approval() for a in approvals_of(catalog, request)]
    return request.model_copy(update={
        "approvals": approvals, "status": outcome.status if outcome else "waiting",
        "decision": outcome.decision if outcome else None, "decided_at": outcome.decided_at if outcome else None})


def _describe(outcome: GateOutcome) -> str:
    if outcome.status == "approved":
        return (f"approved by {', '.join(f'{a.reviewer} ({a.role})' for a in outcome.approvals)} "
                f"at {outcome.decided_at:%Y-%m-%d %H:%M} UTC")
    return (f"sent back for changes by {outcome.decision.reviewer} ({outcome.decision.role}) "
            f"at {outcome.decided_at:%Y-%m-%d %H:%M} UTC")


def _refuse_if_decided(catalog: Catalog, request: ReviewRequest) -> None:
    outcome = outcome_of(catalog, request.id)
    if outcome is not None:
        raise DecidedAlready(f"the {request.gate} review {request.id} was decided already: {_describe(outcome)}")


def record_approval(catalog: Catalog, request: ReviewRequest, decision: ReviewDecision, recorded_by: str,
                    reason: str | None = None) -> ReviewRequest:
    """One role's approval, written once; the request as it stands after it."""
    _refuse_if_decided(catalog, request)
    vote = GateApproval(id=GateApproval.id_for(request.id, decision.role), role=decision.role, reviewer=decision.reviewer,
                        recorded_by=recorded_by, reason=reason, comments=decision.comments, **_gate_fields(request))
    try:
        catalog.save(vote)
    except ObjectExists:
        earlier = catalog.load(GateApproval, vote.id)
        raise DecidedAlready(f"the {decision.role} role already approved this {request.gate} version "
                             f"({earlier.reviewer}, {earlier.created_at:%Y-%m-%d %H:%M} UTC)") from None
    after = view(catalog, request)
    catalog.audit(recorded_by, "review.approved_by", f"review/{request.id}", reviewer=decision.reviewer,
                  role=decision.role, on_behalf=recorded_by != decision.reviewer, reason=reason,
                  comments=decision.comments, script_version=request.script_version, video_take=request.video_take_id,
                  still_needed=after.missing_roles)
    return after


def record_changes(catalog: Catalog, request: ReviewRequest, decision: ReviewDecision, recorded_by: str,
                   reason: str | None = None) -> GateOutcome:
    """A request for changes decides the gate at once (changes win over approvals not yet sealed)."""
    _refuse_if_decided(catalog, request)
    outcome = GateOutcome(id=request.id, status="changes_requested", decision=decision, recorded_by=recorded_by,
                          reason=reason, **_gate_fields(request))
    try:
        catalog.save(outcome)
    except ObjectExists:
        _refuse_if_decided(catalog, request)
        raise
    voided = approvals_of(catalog, request)
    catalog.audit(recorded_by, "review.changes_requested", f"review/{request.id}", reviewer=decision.reviewer,
                  role=decision.role, on_behalf=recorded_by != decision.reviewer, reason=reason,
                  comments=decision.comments, redo=decision.redo, edited=decision.edited_script is not None,
                  script_version=request.script_version, video_take=request.video_take_id)
    if voided:
        catalog.audit(recorded_by, "review.approvals_voided", f"review/{request.id}",
                      voided=[f"{a.reviewer} ({a.role})" for a in voided])
    return outcome


def seal(catalog: Catalog, request: ReviewRequest) -> GateOutcome | None:
    """The gate's outcome: the one recorded, or ``approved`` once every role's approval is
    recorded (written now, once); None while the gate still waits."""
    outcome = outcome_of(catalog, request.id)
    if outcome is not None:
        return outcome
    votes = approvals_of(catalog, request)
    if {v.role for v in votes} != set(request.roles):
        return None
    last = max(votes, key=lambda v: v.created_at)
    outcome = GateOutcome(id=request.id, status="approved", approvals=[v.as_approval() for v in votes],
                          decision=ReviewDecision(decision="approve", reviewer=last.reviewer, role=last.role,
                                                  comments=[c for v in votes for c in v.comments]),
                          recorded_by="studio", **_gate_fields(request))
    try:
        catalog.save(outcome)
    except ObjectExists:  # a request for changes got there first
        return catalog.load(GateOutcome, request.id)
    catalog.audit("studio", "review.approved", f"review/{request.id}", script_version=request.script_version,
                  video_take=request.video_take_id, approved_by=[f"{a.reviewer} ({a.role})" for a in outcome.approvals])
    return outcome


def _approved_gate(catalog: Catalog, production: Production, gate: str, script_version: int,
                   video_take_id: str | None) -> list[Approval]:
    """The role-complete approvals recorded for ``gate`` of this very version (and take)."""
    outcomes = [o for o in catalog.find(GateOutcome, f"{production.id}-{gate}-") if o.production_id == production.id
                and o.gate == gate and o.status == "approved" and o.script_version == script_version
                and (gate == "script" or o.video_take_id == video_take_id)]
    what = f"script v{script_version}" + (f", take {video_take_id}" if gate == "video" else "")
    if not outcomes:
        raise UnapprovedError(f"no recorded {gate} approval of {what}")
    outcome = outcomes[-1]
    request = catalog.load(ReviewRequest, outcome.review_id)
    votes = {v.role: v for v in approvals_of(catalog, request)}
    needed = production.gate_roles[gate]
    for role in needed:
        vote = votes.get(role)
        claimed = next((a for a in outcome.approvals if a.role == role), None)
        if vote is None or claimed is None or claimed.reviewer != vote.reviewer:
            raise UnapprovedError(f"the {gate} approval of {what} lacks the {role} role's recorded approval")
        if vote.reviewer not in production.reviewers_for(role):
            raise UnapprovedError(f"{vote.reviewer} is not a named {role} reviewer of {production.id}")
    return [votes[role].as_approval() for role in needed]


def recorded_approvals(catalog: Catalog, production: Production, script_version: int, video_take_id: str) -> list[Approval]:
    """Every approval that lets this script version and take be delivered, from the records
    alone; ``UnapprovedError`` naming what is missing. A template re-run carries the approvals
    that made its template, and its light review's video approval."""
    if production.template_id:
        template = catalog.load(Template, production.template_id)
        approvals = [Approval(gate="template", round=0, reviewer=who, role="family", at=template.created_at)
                     for who in template.approved_by]
        if template.delivery == "light_review":
            approvals += _approved_gate(catalog, production, "video", script_version, video_take_id)
        return approvals
    return (_approved_gate(catalog, production, "script", script_version, None)
            + _approved_gate(catalog, production, "video", script_version, video_take_id))
