"""Records of a production's materials: voice prompts, footage segments and analysis, operators' choices and tags."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from core.records import AssetRef, Record


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
    transcript: str | None = None  # zero-shot servers take it as the reference text, the timbre learning too
    transcript_confidence: float | None = None  # how sure the recogniser was of it (0-1)
    transcript_by: str | None = None  # the operator who corrected it; None: as the recogniser heard it
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
    level_db: float | None = None  # its loudness against the person's speech in the recording (RMS)


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

    label: Literal["looking_down", "laughing", "gesture", "idle", "drinking"]
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


ActionLabel = Literal["drinking", "looking_down", "laughing", "gesture", "idle"]


class VoiceChoice(Record):
    """An operator's override of the voice prompt selection for a persona (id = persona id):
    the picks are used instead of the automatic choice in the persona's next productions;
    no picks: back to the automatic choice."""

    kind: ClassVar[str] = "voice_choice"

    persona_id: str
    picks: list[PromptPick] = Field(default_factory=list, max_length=8)
    chosen_by: str


class BankFrame(BaseModel):
    """One frame of a footage upload (as the mouth bank uses it)."""

    source: AssetRef
    time_s: float


class MouthBankChoice(Record):
    """Frames an operator struck out of a persona's mouth bank (id = persona id): the video step
    never picks them; an empty list: the bank's own choice again."""

    kind: ClassVar[str] = "mouth_bank_choice"

    persona_id: str
    dropped: list[BankFrame] = Field(default_factory=list, max_length=500)
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


class TranscriptCorrection(Record):
    """What the person really says in one stretch of a voice recording, as an operator wrote it
    with the audio beside them. The materials step puts it in place of the recogniser's text on
    the prompt cut from that stretch; zero-shot servers and the timbre learning read it."""

    kind: ClassVar[str] = "transcript_correction"

    persona_id: str
    source: AssetRef
    start_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    text: str = Field(min_length=1, max_length=500)
    heard: str | None = None  # what the recogniser had written
    corrected_by: str

    @staticmethod
    def id_for(source: AssetRef, start_s: float) -> str:
        return f"tc-{source.sha256[:32]}-{int(round(start_s * 100))}"

    def covers(self, prompt: VoicePrompt) -> bool:
        return self.source.sha256 == prompt.source.sha256 and abs(self.start_s - prompt.start_s) < 0.15


class DerivedArray(Record):
    """An array a named, versioned step computed from stored content (a recording's denoised
    sound, the speaker embeddings of its clips), kept so that the same upload is never analysed
    twice, whichever persona or production it serves. ``id`` is ``<step>-<content sha256>``."""

    kind: ClassVar[str] = "derived-array"
    immutable: ClassVar[bool] = True

    step: str
    array: AssetRef  # an NPY in the store
