"""Pydantic contracts shared by flows, tasks, storage, the CLI and the portal.

Every record that the studio stores is one of these models, serialised as JSON under
``records/<kind>/<id>.json``. Media never travels inside a record: records hold
``AssetRef``s (content-addressed keys) instead.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


class AssetRef(BaseModel):
    """A stored, content-addressed media object: where it is, what it is, its hash."""

    model_config = ConfigDict(frozen=True)

    key: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str
    size: int = Field(ge=0)
    name: str | None = None  # the original file name, for people


class Record(BaseModel):
    """Base of every stored record. ``kind`` names the folder, ``id`` the object."""

    kind: ClassVar[str] = "record"
    # Records of an immutable kind are written once; a second write is refused.
    immutable: ClassVar[bool] = False

    id: str
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(
                f"id {value!r} must be 1-80 characters of lowercase letters, digits, '.', '_' or '-'"
            )
        return value

    @classmethod
    def key_for(cls, record_id: str) -> str:
        return f"records/{cls.kind}/{record_id}.json"

    @property
    def key(self) -> str:
        return self.key_for(self.id)


# ---------------------------------------------------------------- persona and consent


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
        """The forbidden topics that ``text`` speaks of (``studio.topics``: the one matcher)."""
        from studio.topics import forbidden_hits

        return forbidden_hits(self.forbidden_topics, text)


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
        """The forbidden topics that ``text`` speaks of (``studio.topics``: the one matcher)."""
        return self.scope.forbidden_in(text)


# ---------------------------------------------------------------- materials


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


class UploadWithdrawal(Record):
    """An operator took an upload out of use (id = the upload's). The file and its record stay
    for the audit; no selection, corpus or analysis uses it again."""

    kind: ClassVar[str] = "upload-withdrawal"
    immutable: ClassVar[bool] = True

    persona_id: str
    withdrawn_by: str
    reason: str = Field(min_length=1)


class VoicePrompt(BaseModel):
    """A 3-5 s clip of the persona's speech used as the voice reference."""

    clip: AssetRef
    source: AssetRef
    start_s: float
    duration_s: float
    style: str
    median_f0_hz: float
    snr_db: float
    score: float
    why: str
    transcript: str | None = None  # what Whisper heard; zero-shot servers take it as the reference text
    # quality and style figures the choice was made on (shown to operators)
    clipping_pct: float | None = None
    reverb: float | None = None  # 0 dry .. 1 very reverberant
    f0_range_st: float | None = None  # semitones between the 10th and 90th pitch percentile
    syllables_per_s: float | None = None
    level_db: float | None = None
    speaker_similarity: float | None = None  # to the recordings' main speaker
    chosen_by: Literal["selection", "operator"] = "selection"


SoundKind = Literal["cough", "laugh", "breath", "sigh"]


class SoundEvent(BaseModel):
    """A non-verbal sound of the persona found in the recordings (the cue sound bank)."""

    kind: SoundKind
    clip: AssetRef
    source: AssetRef
    start_s: float
    duration_s: float
    why: str


class PromptPick(BaseModel):
    """One prompt an operator chose by hand: a stretch of an uploaded recording and its style."""

    source: AssetRef
    start_s: float = Field(ge=0)
    duration_s: float = Field(ge=1.0, le=15.0)
    style: str = Field(pattern=r"^[a-z_]+$")


class FootageSegment(BaseModel):
    """A stretch of footage with the face visible, usable as base footage."""

    source: AssetRef
    start_s: float
    duration_s: float
    face_ratio: float = Field(ge=0, le=1)
    steadiness: float
    sharpness: float
    face_box: tuple[int, int, int, int]  # x, y, w, h in source pixels, median over the segment
    still: AssetRef  # a JPEG frame with the face, for people to look at
    label: Literal["base", "drinking", "looking_down", "laughing", "gesture", "idle"] = "base"
    score: float
    why: str
    # from the footage analysis (absent in selections made before it)
    speech_ratio: float | None = None  # share of the segment with speech in the footage's own sound
    head_motion_deg: float | None = None  # spread of yaw and pitch
    talking: bool | None = None


class AnalysedSegment(BaseModel):
    """A continuous stretch of one shot with the face found in (nearly) every analysed frame."""

    start_s: float
    duration_s: float
    face_ratio: float = Field(ge=0, le=1)
    face_box: tuple[int, int, int, int]  # x, y, w, h in source pixels, median
    face_size_px: float  # outer eye corners' distance in source pixels, median
    steadiness: float = Field(ge=0, le=1)  # 1: no camera shake at all
    shake_px: float  # camera motion per frame, px at source size, median
    sharpness: float  # Laplacian variance of the face, median
    head_motion_deg: float  # spread (std) of yaw and pitch
    frontal_deg: float  # median angle away from facing the camera
    speech_ratio: float = Field(ge=0, le=1)
    mouth_activity: float  # spread of the mouth opening
    talking: bool
    score: float
    why: str


class ActionSuggestion(BaseModel):
    """A stretch the analysis believes shows an action; an operator confirms it by tagging."""

    label: Literal["looking_down", "laughing", "gesture", "idle"]
    start_s: float
    end_s: float
    confidence: float = Field(ge=0, le=1)
    why: str


class FootageAnalysis(Record):
    """What one footage upload holds, frame by frame (landmarks, pose, mouth, blur, shake,
    speech, in ``tracks``: an NPZ in the store) and in summary: its shots, its usable segments
    ranked for base footage with the reasons, and the actions it seems to show."""

    kind: ClassVar[str] = "footage-analysis"
    immutable: ClassVar[bool] = True

    source: AssetRef
    width: int
    height: int
    fps: float
    duration_s: float
    analysed_fps: float
    has_audio: bool
    shot_changes_s: list[float]
    face_ratio: float = Field(ge=0, le=1)
    speech_s: float
    segments: list[AnalysedSegment]  # best first
    suggestions: list[ActionSuggestion]
    tracks: AssetRef
    seconds_taken: float


class MaterialSet(Record):
    kind: ClassVar[str] = "materials"
    immutable: ClassVar[bool] = True

    persona_id: str
    voice_prompts: list[VoicePrompt]
    footage: list[FootageSegment]
    photo: AssetRef | None = None
    median_f0_hz: float
    speaking_rate_wpm: float | None = None
    sound_bank: list[SoundEvent] = Field(default_factory=list)
    # every clip the selection scored, chosen or not, so an operator can pick others
    prompt_candidates: list[VoicePrompt] = Field(default_factory=list)


# ---------------------------------------------------------------- persona corpus and style


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
    notes: str = ""  # anything else an operator wants the drafter to know ("teaches through films")
    passages: int = 0  # how many corpus passages it was derived from
    edited_fields: list[str] = Field(default_factory=list)
    edited_by: str | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("catchphrases", "fillers", "sentence_length", "humour", "forms_of_address",
                                           "notes")


# ---------------------------------------------------------------- script

CueKind = Literal["pause", "cough", "laugh", "breath", "sigh", "drink"]


class Cue(BaseModel):
    kind: CueKind
    seconds: float | None = Field(default=None, ge=0, le=10)


class Reading(BaseModel):
    """How to say one character: ``行`` at ``index`` read ``hang2`` (tone-numbered pinyin)."""

    index: int = Field(ge=0)
    pinyin: str = Field(pattern=r"^[a-zü]+[1-5]$")


class Sentence(BaseModel):
    text: str = Field(min_length=1)
    style: str = "neutral"
    cues_before: list[Cue] = Field(default_factory=list)
    cues_after: list[Cue] = Field(default_factory=list)
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    emphasis: list[tuple[int, int]] = Field(default_factory=list)  # (start, end) character spans to stress
    readings: list[Reading] = Field(default_factory=list)  # pronunciation overrides

    @model_validator(mode="after")
    def _marks_in_text(self) -> "Sentence":
        for r in self.readings:
            if r.index >= len(self.text):
                raise ValueError(f"reading {r.pinyin} points past the sentence ({r.index} >= {len(self.text)})")
        for start, end in self.emphasis:
            if not 0 <= start < end <= len(self.text):
                raise ValueError(f"stressed span {start}-{end} is outside the sentence")
        return self

    @property
    def stressed(self) -> list[str]:
        return [self.text[a:b] for a, b in self.emphasis]


class Brief(BaseModel):
    """What the production should say: the occasion, audience, points, length."""

    occasion: str = Field(min_length=1)
    audience: str = Field(min_length=1)
    points: list[str] = Field(default_factory=list)
    language: Literal["en", "zh"] = "en"
    target_seconds: float = Field(default=30, gt=0, le=900)


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
        from studio.script_markup import render_markup

        return render_markup(self.sentences)


# ---------------------------------------------------------------- takes


class WordTiming(BaseModel):
    word: str
    start_s: float
    end_s: float


class SentenceTiming(BaseModel):
    index: int
    start_s: float
    end_s: float
    words: list[WordTiming] = Field(default_factory=list)  # heard by the self-check, or estimated


class CueTiming(BaseModel):
    """Where a cue sounds in the voice track ([drink] 12.4-15.9 s), for the video's actions."""

    kind: CueKind
    start_s: float
    end_s: float
    sentence: int  # the sentence it stands before or after


class SentenceCheck(BaseModel):
    """The voice self-check of one sentence: what the recogniser heard and how far it is off."""

    index: int
    heard: str
    metric: Literal["CER", "WER"]
    error: float
    attempts: int = 1
    flagged: bool = False  # still above the limit after the retries: reviewers are told


class VoiceTake(Record):
    kind: ClassVar[str] = "voice"
    immutable: ClassVar[bool] = True

    production_id: str
    script_version: int
    take: int = 1
    audio: AssetRef
    duration_s: float
    sample_rate: int
    sentence_timings: list[SentenceTiming]
    backend: str
    notes: list[str] = Field(default_factory=list)
    checks: list[SentenceCheck] = Field(default_factory=list)
    cue_timings: list[CueTiming] = Field(default_factory=list)  # absent in takes made before

    @property
    def flagged(self) -> list[SentenceCheck]:
        return [c for c in self.checks if c.flagged]


class VideoTake(Record):
    kind: ClassVar[str] = "video"
    immutable: ClassVar[bool] = True

    production_id: str
    script_version: int
    take: int = 1
    voice_take_id: str
    video: AssetRef  # picture with the take's audio, not yet labelled
    duration_s: float
    width: int
    height: int
    fps: float
    backend: str


# ---------------------------------------------------------------- reviews

Gate = Literal["script", "video"]
Step = Literal["script", "voice", "video"]


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
    where to go back to, or their own edit of the script). ``studio.gates`` records it; a
    suspended run never takes it as input."""

    decision: Literal["approve", "request_changes"]
    reviewer: str = Field(min_length=1)
    role: str = Field(min_length=1)
    comments: list[str] = Field(default_factory=list)
    # Where a request for changes sends the production back to.
    redo: Step | None = None
    # A reviewer's own edit of the script (markup, see studio.script_markup): the next version
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
    # never stored: filled from the gate's records by ``studio.gates.view``
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


ActionLabel = Literal["drinking", "looking_down", "laughing", "gesture", "idle"]


class VoiceChoice(Record):
    """An operator's override of the voice prompt selection for a persona (id = persona id):
    the picks are used instead of the automatic choice in the persona's next productions;
    no picks: back to the automatic choice."""

    kind: ClassVar[str] = "voice_choice"

    persona_id: str
    picks: list[PromptPick] = Field(default_factory=list, max_length=8)
    chosen_by: str


class ActionTag(Record):
    """An operator's mark on a footage upload: from ``start_s`` to ``end_s`` the person does
    ``label`` (sips water, laughs...). Tagged stretches join the material selection as action
    segments for the video step to cut to on cue."""

    kind: ClassVar[str] = "action"

    persona_id: str
    source: AssetRef
    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    label: ActionLabel
    tagged_by: str

    @model_validator(mode="after")
    def _check_range(self) -> ActionTag:
        if self.end_s - self.start_s < 0.3:
            raise ValueError("an action segment must last at least 0.3 s (end after start)")
        return self


# ---------------------------------------------------------------- production and delivery


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


class Delivery(Record):
    """What left the studio: the labelled, watermarked and signed MP4, MP3 and WAV.

    Mutable only to be marked revoked (its history keeps the original record)."""

    kind: ClassVar[str] = "delivery"

    production_id: str
    persona_id: str
    consent_id: str
    script_version: int
    video_take_id: str
    video: AssetRef
    audio_mp3: AssetRef | None = None
    audio_wav: AssetRef | None = None
    duration_s: float
    spoken_notice_s: float = 0.0
    label_text: str
    approvals: list[Approval]
    watermark_id: str | None = None
    aigc: dict = Field(default_factory=dict)
    c2pa_signed: bool = False
    video_psnr_db: float | None = None
    audio_snr_db: float | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


class WatermarkRecord(Record):
    """The registry entry behind an invisible watermark: which content id means what."""

    kind: ClassVar[str] = "watermark"
    immutable: ClassVar[bool] = True

    content_id: int = Field(ge=0, lt=2 ** 32)
    production_id: str
    delivery_id: str
    persona_id: str
    consent_id: str
    script_version: int

    @staticmethod
    def id_for(content_id: int) -> str:
        return f"wm-{content_id:08x}"


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


class Invitation(Record):
    """A link that lets one named reviewer see and decide one production, in one role.

    Only the token's SHA-256 is stored; the token itself is shown once, inside the link."""

    kind: ClassVar[str] = "invitation"

    production_id: str
    reviewer: str = Field(min_length=1, max_length=120)
    role: Literal["stakeholder", "family"]
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


class AuditEvent(BaseModel):
    """One line of the append-only audit log; ``hash`` chains it to the line before."""

    seq: int = Field(ge=0)
    at: datetime = Field(default_factory=utcnow)
    actor: str
    action: str
    subject: str  # "<kind>/<id>"
    details: dict = Field(default_factory=dict)
    prev_hash: str
    hash: str = ""
    sig: str = ""  # the studio's signature of seq and hash (``storage.audit_anchor``)


class VerifyReport(BaseModel):
    """What ``studio verify`` found in a file, and the verdict it draws."""

    path: str
    sha256: str
    verdict: Literal["authorised", "revoked", "unapproved", "unknown_watermark", "no_watermark", "not_a_media_file"]
    delivery_id: str | None = None
    production_id: str | None = None
    persona: str | None = None
    consent_id: str | None = None
    script_version: int | None = None
    approvers: list[str] = Field(default_factory=list)
    identical_to_delivery: bool = False
    watermark_video: str | None = None  # content id found in the picture, hex
    watermark_audio: str | None = None
    c2pa: str = "none"  # none | Invalid | Valid | Trusted
    aigc: dict | None = None
    details: list[str] = Field(default_factory=list)
