"""Review gates' records: requests, decisions, approvals, comments and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from core.records import AssetRef, Record, utcnow
from production.records import Gate, Step


class Approval(BaseModel):
    gate: Literal["script", "video", "template"]
    round: int
    reviewer: str
    role: str
    at: datetime
    recorded_by: str | None = None  # who sent it, when not the reviewer themselves (an operator)
    reason: str | None = None  # why the operator recorded it for them


class ReviewDecision(BaseModel):
    """One reviewer's answer at a gate: an approval, or a request for changes (with comments,
    where to go back to, or their own edit of the script). ``review.gates`` records it; a
    suspended run never takes it as input."""

    decision: Literal["approve", "request_changes"]
    reviewer: str = Field(min_length=1)
    role: str = Field(min_length=1)
    comments: list[str] = Field(default_factory=list)
    # Where a request for changes sends the production back to.
    redo: Step | None = None
    # A reviewer's own edit of the script (markup, see script.markup): the next version
    # is exactly this text, and every approval of the version before is void.
    edited_script: str | None = None

    @model_validator(mode="after")
    def _changes_need_comments(self) -> ReviewDecision:
        if self.decision == "request_changes" and not any(c.strip() for c in self.comments) and not self.edited_script:
            raise ValueError("a request for changes needs at least one comment saying what to change, or an edit")
        if self.edited_script is not None and self.decision != "request_changes":
            raise ValueError("an edited script is a request for changes: its new version needs approving again")
        return self


class ReviewRequest(Record):
    """A gate waiting for a named reviewer: what to review and who should review it."""

    kind: ClassVar[str] = "review"
    immutable: ClassVar[bool] = True

    production_id: str
    flow_run_id: str
    gate: Gate
    round: int = Field(ge=1)
    gate_key: str
    # Every required role must approve before the flow continues: role -> the people named for it.
    roles: dict[str, list[str]] = Field(min_length=1)
    script_version: int
    previous_script_version: int | None = None
    voice_take_id: str | None = None
    video_take_id: str | None = None
    # never stored: filled from the gate's records by ``review.gates.view``
    status: Literal["waiting", "approved", "changes_requested"] = "waiting"
    approvals: list[Approval] = Field(default_factory=list)  # so far, one per role at most
    decision: ReviewDecision | None = None
    decided_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_role_records(cls, data):
        """Requests stored before gates named several roles had one ``role`` and its ``reviewers``."""
        if isinstance(data, dict) and "roles" not in data and "role" in data:
            data = {**data, "roles": {data.pop("role"): data.pop("reviewers", [])}}
        return data

    @property
    def reviewers(self) -> list[str]:
        return [name for names in self.roles.values() for name in names]

    def roles_of(self, reviewer: str) -> list[str]:
        return [role for role, names in self.roles.items() if reviewer in names]

    @property
    def missing_roles(self) -> list[str]:
        done = {a.role for a in self.approvals}
        return [role for role in self.roles if role not in done]

    @staticmethod
    def id_for(production_id: str, gate_key: str) -> str:
        return f"{production_id}-{gate_key}"


class ReviewComment(Record):
    """A reviewer's comment on one version, anchored to a sentence or to a time range of the
    take (with the frame at its start), or a reply to another comment."""

    kind: ClassVar[str] = "comment"
    immutable: ClassVar[bool] = True

    production_id: str
    review_id: str
    script_version: int
    author: str = Field(min_length=1)
    role: str  # "stakeholder", "family" or "operator"
    text: str = Field(min_length=1, max_length=4000)
    sentence: int | None = Field(default=None, ge=1)  # 1-based
    start_s: float | None = Field(default=None, ge=0)
    end_s: float | None = Field(default=None, ge=0)
    frame: AssetRef | None = None
    reply_to: str | None = None

    @model_validator(mode="after")
    def _check_anchor(self) -> ReviewComment:
        if (self.start_s is None) != (self.end_s is None):
            raise ValueError("a time range needs both a start and an end")
        if self.start_s is not None and self.end_s < self.start_s:
            raise ValueError("a time range must end after it starts")
        if self.reply_to and (self.sentence is not None or self.start_s is not None):
            raise ValueError("a reply follows its comment's anchor; give none")
        return self

    @property
    def anchor(self) -> str:
        if self.sentence is not None:
            return f"sentence {self.sentence}"
        if self.start_s is not None:
            return f"{_clock(self.start_s)}-{_clock(self.end_s)}"
        return ""

    def as_instruction(self) -> str:
        """How the comment reaches the script reviser: ``[sentence 2] make it warmer``."""
        return f"[{self.anchor}] {self.text}" if self.anchor else self.text


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class Invitation(Record):
    """A link that lets one named reviewer see and decide one production, in one role, or one
    named family member agree to (or withdraw from) one consent.

    Only the token's SHA-256 is stored; the token itself is shown once, inside the link."""

    kind: ClassVar[str] = "invitation"

    production_id: str = ""  # empty for a family member asked to agree to a consent
    reviewer: str = Field(min_length=1, max_length=120)
    # recipient: sees and downloads the delivery, decides nothing; consent: a family member named in a consent's quorum
    role: Literal["stakeholder", "family", "recipient", "consent"]
    consent_id: str | None = None
    language: Literal["en", "zh"] = "en"
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    expires_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def problem(self, at: datetime | None = None) -> str | None:
        at = at or utcnow()
        if self.revoked_at is not None:
            return "this invitation was withdrawn; ask the studio for a new link"
        if at >= self.expires_at:
            return f"this invitation expired on {self.expires_at:%Y-%m-%d}; ask the studio for a new link"
        return None


class InvitationRedemption(Record):
    """The first opening of an invitation link (id = the invitation's), binding it to that browser."""

    kind: ClassVar[str] = "invitation-redemption"
    immutable: ClassVar[bool] = True

    browser_sha256: str | None = None  # None: no browser cookie was sent, so the link opened once
