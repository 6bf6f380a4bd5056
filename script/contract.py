"""The script writer's contract: draft and revise requests, the result, the ``ScriptBackend`` protocol."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from persona.records import ConsentScope, StyleProfile
from script.records import ScriptChange, ScriptFlag
from script.sentences import Brief, Sentence


class PersonaStyle(BaseModel):
    """What the drafter knows of how the persona speaks: the style profile (derived from their
    corpus, edited by operators) and the corpus passages most relevant to the brief."""

    name: str
    past_passages: list[str] = Field(default_factory=list)  # retrieved for this brief, best first
    profile: StyleProfile | None = None
    styles: list[str] = Field(default_factory=lambda: ["neutral"])  # voice prompt styles available
    speaking_rate_wpm: float | None = None  # their measured pace, which a talk's length is planned at

    @property
    def catchphrases(self) -> list[str]:
        return self.profile.catchphrases if self.profile else []


class DraftRequest(BaseModel):
    brief: Brief
    persona: PersonaStyle
    forbidden_topics: list[str] = Field(default_factory=list)
    scope: ConsentScope | None = None  # what the consent allows: drafts are checked against it
    corpus: list[str] = Field(default_factory=list)  # everything the person said, for the claims check


class ReviseRequest(BaseModel):
    brief: Brief
    persona: PersonaStyle
    previous: list[Sentence]
    comments: list[str] = Field(min_length=1)
    authors: list[str] = Field(default_factory=list)  # who asked for each comment (same order), when known
    forbidden_topics: list[str] = Field(default_factory=list)
    scope: ConsentScope | None = None
    corpus: list[str] = Field(default_factory=list)


class ScriptResult(BaseModel):
    sentences: list[Sentence] = Field(min_length=1)
    backend: str
    notes: list[str] = Field(default_factory=list)  # e.g. comments the backend could not apply
    changes: list[ScriptChange] = Field(default_factory=list)  # what each comment changed
    flags: list[ScriptFlag] = Field(default_factory=list)  # what the checks found, for reviewers


class ScriptBackend(Protocol):
    """Drafts and revises scripts in the studio markup (see ``script.markup``)."""

    name: str

    def draft(self, request: DraftRequest) -> ScriptResult: ...

    def revise(self, request: ReviseRequest) -> ScriptResult: ...
