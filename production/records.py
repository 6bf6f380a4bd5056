"""A production, its pending cancellations, and templates for re-runs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from core.records import Record
from persona.records import Use
from script.sentences import Brief, Sentence

Gate = Literal["script", "video"]
Step = Literal["script", "voice", "video"]


class Production(Record):
    kind: ClassVar[str] = "production"

    persona_id: str
    use: Use
    brief: Brief
    script_reviewers: list[str] = Field(min_length=1)
    family_reviewers: list[str] = Field(min_length=1)
    # The roles whose approval each gate needs ("stakeholder": script_reviewers, "family": family_reviewers).
    gate_roles: dict[Gate, list[Literal["stakeholder", "family"]]] = Field(
        default_factory=lambda: {"script": ["stakeholder", "family"], "video": ["family", "stakeholder"]})
    flow_run_id: str | None = None
    template_id: str | None = None  # a re-run of an approved template
    status: Literal[
        "created", "running", "waiting_review", "delivered", "failed", "stopped", "interrupted"
    ] = "created"

    def reviewers_for(self, role: str) -> list[str]:
        return self.script_reviewers if role == "stakeholder" else self.family_reviewers


class PendingCancellation(Record):
    """A production stopped (its consent revoked) while Prefect could not be told: its runs are
    cancelled as soon as the server answers again."""

    kind: ClassVar[str] = "pending-cancellation"

    production_id: str  # or the template id of a template's re-runs
    template_id: str | None = None
    message: str
    done: bool = False


class Template(Record):
    """An approved production saved for re-use (a yearly greeting): its approved sentences with
    ``{placeholders}``, and how a re-run may be delivered. Re-runs re-check consent each time."""

    kind: ClassVar[str] = "template"

    name: str = Field(min_length=1, max_length=80)
    persona_id: str
    use: Use
    language: Literal["en", "zh"] = "en"
    source_production_id: str
    source_script_version: int
    sentences: list[Sentence] = Field(min_length=1)
    placeholders: dict[str, str] = Field(default_factory=dict)  # name -> value in the approved original
    occasion: str
    audience: str
    family_reviewers: list[str] = Field(min_length=1)
    # "direct": a re-run is delivered without a new review (the family approved that when the
    # template was saved); "light_review": one family review of the finished video.
    delivery: Literal["light_review", "direct"] = "light_review"
    approved_by: list[str] = Field(default_factory=list)
    schedule_cron: str | None = None
    schedule_timezone: str = "Asia/Shanghai"
    schedule_active: bool = False
    schedule_values: dict[str, str] = Field(default_factory=dict)

    def fill(self, values: dict[str, str]) -> list[Sentence]:
        """The sentences with every placeholder filled; a missing value is an error."""
        missing = sorted(set(self.placeholders) - set(values))
        if missing:
            raise ValueError(f"template {self.name} needs values for {', '.join(missing)} (e.g. --value {missing[0]}=...)")
        unknown = sorted(set(values) - set(self.placeholders))
        if unknown:
            raise ValueError(f"template {self.name} has no placeholder {', '.join(unknown)}")
        return [s.model_copy(update={"text": s.text.format(**values)}) for s in self.sentences]
