"""Records of the person: persona, consent, uploads, corpus and style profile."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from core.records import AssetRef, Record, utcnow
from persona.topics import forbidden_hits


class Persona(Record):
    """The person whose digital human is made. ``fictional`` marks generated demo people."""

    kind: ClassVar[str] = "persona"

    display_name: str = Field(min_length=1, max_length=120)
    languages: list[Literal["en", "zh"]] = Field(default_factory=lambda: ["en"])
    deceased: bool = False
    fictional: bool = False
    description: str = ""


Use = Literal["greeting", "memorial", "annual_meeting"]


Relationship = Literal["self", "next_of_kin", "estate", "authorised_operator"]


class ConsentScope(BaseModel):
    uses: list[Use] = Field(min_length=1)
    languages: list[Literal["en", "zh"]] = Field(default_factory=lambda: ["en", "zh"])
    audiences: list[str] = Field(default_factory=list)
    forbidden_topics: list[str] = Field(default_factory=list)
    # may the persona recommend products, brands or services, or ask people to buy?
    endorsements: bool = False
    # True: the persona may state as their own views, memories, sayings and figures only what
    # their corpus (past talks, posts, transcripts) or the brief supports
    own_words_only: bool = False

    def forbidden_in(self, text: str) -> list[str]:
        """The forbidden topics that ``text`` speaks of (``persona.topics``: the one matcher)."""

        return forbidden_hits(self.forbidden_topics, text)


class FamilyMember(BaseModel):
    """One person whose agreement a family consent names (a spouse, an adult child, the executor)."""

    name: str = Field(min_length=1, max_length=120)
    relationship: str = Field(min_length=1, max_length=60)


class FamilyQuorum(BaseModel):
    """Who must agree for a deceased person, and how many of them: nothing is generated until
    ``needed`` of ``members`` have each agreed with their own evidence; any one of them can
    withdraw at any time, which revokes the consent."""

    members: list[FamilyMember] = Field(min_length=1, max_length=20)
    needed: int = Field(ge=1)

    @model_validator(mode="after")
    def _check(self) -> FamilyQuorum:
        names = [m.name.casefold() for m in self.members]
        if len(set(names)) != len(names):
            raise ValueError("each family member is named once")
        if self.needed > len(self.members):
            raise ValueError(f"{self.needed} must agree, but only {len(self.members)} are named")
        return self

    def member(self, name: str) -> tuple[int, FamilyMember] | None:
        return next(((i, m) for i, m in enumerate(self.members) if m.name.casefold() == name.strip().casefold()), None)


class ConsentRecord(Record):
    """Permission to make a persona's digital human, from the person or their family.

    A record is valid for a use and language inside its validity window until revoked.
    Evidence files (a signed form, a recorded statement) are stored content-addressed.
    """

    kind: ClassVar[str] = "consent"

    persona_id: str
    subject_name: str = Field(min_length=1)
    grantor_name: str = Field(min_length=1)
    relationship: Relationship
    scope: ConsentScope
    valid_from: datetime = Field(default_factory=utcnow)
    valid_until: datetime
    evidence: list[AssetRef] = Field(min_length=1)
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    quorum: FamilyQuorum | None = None  # a family's agreement, each member's own (``FamilyGrant``)
    withdrawn_by: str | None = None  # the family member whose withdrawal revoked it
    # corrections: each makes the next version (a new record); the one it replaces stops counting
    version: int = Field(default=1, ge=1)
    replaces: str | None = None
    correction_reason: str | None = None
    superseded_by: str | None = None
    superseded_at: datetime | None = None

    @model_validator(mode="after")
    def _check_window(self) -> ConsentRecord:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    def problem(self, use: str, language: str, at: datetime | None = None, audience: str | None = None) -> str | None:
        """Why this record does not allow ``use`` in ``language`` (for ``audience``) at ``at``; None if it does."""
        at = at or utcnow()
        if self.revoked_at is not None and self.revoked_at <= at:
            return f"consent {self.id} was revoked on {self.revoked_at:%Y-%m-%d}: {self.revocation_reason}"
        if self.superseded_at is not None and self.superseded_at <= at:
            return f"consent {self.id} was replaced by {self.superseded_by} on {self.superseded_at:%Y-%m-%d}"
        if at < self.valid_from:
            return f"consent {self.id} is valid only from {self.valid_from:%Y-%m-%d}"
        if at >= self.valid_until:
            return f"consent {self.id} expired on {self.valid_until:%Y-%m-%d}"
        if use not in self.scope.uses:
            return f"consent {self.id} covers {', '.join(self.scope.uses)}, not {use}"
        if language not in self.scope.languages:
            return f"consent {self.id} covers languages {', '.join(self.scope.languages)}, not {language}"
        if audience is not None and self.scope.audiences and not any(
                a.casefold() in audience.casefold() or audience.casefold() in a.casefold() for a in self.scope.audiences):
            return f"consent {self.id} covers audiences {', '.join(self.scope.audiences)}, not {audience!r}"
        return None

    def forbidden_in(self, text: str) -> list[str]:
        """The forbidden topics that ``text`` speaks of (``persona.topics``: the one matcher)."""
        return self.scope.forbidden_in(text)


class FamilyGrant(Record):
    """One named family member's agreement to a consent, with their own evidence
    (id ``<consent>-agree-<member index>``: a member agrees once)."""

    kind: ClassVar[str] = "family-grant"
    immutable: ClassVar[bool] = True

    consent_id: str
    member: str
    relationship: str
    evidence: list[AssetRef] = Field(min_length=1)
    statement: str = ""  # what they declared, in their words
    invitation_id: str | None = None  # the link they used; None when an operator recorded a paper form
    recorded_by: str

    @staticmethod
    def id_for(consent_id: str, index: int) -> str:
        return f"{consent_id}-agree-{index}"


class Upload(Record):
    """A file an operator added for a persona: a voice recording, footage, a photo, a text."""

    kind: ClassVar[str] = "upload"
    immutable: ClassVar[bool] = True

    persona_id: str
    role: Literal["voice", "footage", "photo", "text"]
    asset: AssetRef
    note: str = ""
    # found when it was checked: kept (and shown), but the selection leaves it out
    problem: str | None = None
    duration_s: float | None = None
    # stored and usable, but the operator should look (a face that is not the persona's)
    warnings: list[str] = Field(default_factory=list)
    face_signature: list[float] | None = None  # photos and footage: the face's identity embedding


class UploadWithdrawal(Record):
    """An operator took an upload out of use (id = the upload's). The file and its record stay
    for the audit; no selection, corpus or analysis uses it again."""

    kind: ClassVar[str] = "upload-withdrawal"
    immutable: ClassVar[bool] = True

    persona_id: str
    withdrawn_by: str
    reason: str = Field(min_length=1)


class CorpusPassage(BaseModel):
    """A passage the person said or wrote: from a text upload, or transcribed from a recording."""

    text: str = Field(min_length=1)
    upload_id: str
    origin: Literal["text", "transcript"]
    start_s: float | None = None  # where a transcript passage starts in its recording


class PersonaCorpus(Record):
    """Everything a persona is known to have said (id = persona id), rebuilt when uploads change."""

    kind: ClassVar[str] = "corpus"

    persona_id: str
    language: Literal["en", "zh"]
    passages: list[CorpusPassage]
    sources: dict[str, str] = Field(default_factory=dict)  # upload id -> the upload's sha256, as built

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.passages]


class HumourDevice(BaseModel):
    name: str  # "rhetorical question", "film reference", "self-mockery" ...
    example: str = ""


class StyleProfile(Record):
    """How a persona talks (id = persona id): derived from the corpus, then editable by an
    operator. Fields an operator set (``edited_fields``) survive re-derivation."""

    kind: ClassVar[str] = "style"

    persona_id: str
    language: Literal["en", "zh"]
    catchphrases: list[str] = Field(default_factory=list)
    fillers: list[str] = Field(default_factory=list)
    sentence_length: float = Field(default=14.0, gt=0)  # mean words (en) / characters (zh) per sentence
    humour: list[HumourDevice] = Field(default_factory=list)
    forms_of_address: list[str] = Field(default_factory=list)
    regional_words: list[str] = Field(default_factory=list)  # 咱们, 甭, 巴适: where the corpus has them
    notes: str = ""  # anything else an operator wants the drafter to know ("teaches through films")
    passages: int = 0  # how many corpus passages it was derived from
    edited_fields: list[str] = Field(default_factory=list)
    edited_by: str | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("catchphrases", "fillers", "sentence_length", "humour", "forms_of_address",
                                           "regional_words", "notes")
