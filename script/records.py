"""Script versions and what the checks and revisions record on them."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from core.records import Record
from script.markup import render_markup
from script.sentences import Sentence

ScriptFlagKind = Literal["format", "forbidden_topic", "endorsement", "unmade_claim", "length", "language"]


class ScriptFlag(BaseModel):
    """Something the studio's checks found in a script before reviewers saw it."""

    kind: ScriptFlagKind
    sentence: int | None = Field(default=None, ge=1)  # 1-based; None: the whole script
    text: str = ""  # what was found
    why: str


class ScriptChange(BaseModel):
    """What one reviewer comment changed in the next version."""

    comment: str
    asked_by: str | None = None
    sentences: list[int] = Field(default_factory=list)  # 1-based, in the new version
    applied: bool = True
    how: Literal["rule", "model", "none"] = "rule"


class ScriptVersion(Record):
    """One version of a production's script. Versions are never overwritten."""

    kind: ClassVar[str] = "script"
    immutable: ClassVar[bool] = True

    production_id: str
    version: int = Field(ge=1)
    language: Literal["en", "zh"]
    sentences: list[Sentence] = Field(min_length=1)
    based_on: int | None = None
    comments: list[str] = Field(default_factory=list)  # what this version answers
    requested_by: str | None = None
    backend: str
    changes: list[ScriptChange] = Field(default_factory=list)  # per comment: what it changed, who asked
    flags: list[ScriptFlag] = Field(default_factory=list)  # found by the checks before review
    passages_used: list[str] = Field(default_factory=list)  # the corpus passages the drafter was given

    @staticmethod
    def id_for(production_id: str, version: int) -> str:
        return f"{production_id}-v{version:03d}"

    @property
    def markup(self) -> str:
        return render_markup(self.sentences)
