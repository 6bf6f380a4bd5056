"""What left the studio (deliveries), the watermark registry, the manifest repository, and verify reports."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from core.records import AssetRef, Record
from review.records import Approval

PICTURE_MARK_ALG = "org.digital-human-studio.luma-spread.1"  # delivery.trust.video_mark
SOUND_MARK_ALG = "org.digital-human-studio.stft-spread.1"  # delivery.trust.audio_mark
MARK_ALGORITHMS = {PICTURE_MARK_ALG: "picture", SOUND_MARK_ALG: "sound"}


class SoftBinding(BaseModel):
    """One mark as the manifest names it: which algorithm, which value, over which time span."""

    alg: str
    value: str
    start_ms: int = 0
    end_ms: int

    def assertion(self) -> dict:
        """The ``c2pa.soft-binding`` assertion's data for this mark."""
        return {"alg": self.alg, "name": f"the studio's invisible {MARK_ALGORITHMS.get(self.alg, 'content')} mark",
                "blocks": [{"scope": {"timespan": {"start": self.start_ms, "end": self.end_ms}}, "value": self.value}],
                "pad": []}


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
    subtitles_srt: AssetRef | None = None  # sidecars, timed to the delivered files (notice included)
    subtitles_vtt: AssetRef | None = None
    subtitles_burned: bool = False  # also in the picture (STUDIO_DELIVERY__BURN_SUBTITLES)
    duration_s: float
    spoken_notice_s: float = 0.0
    label_text: str
    approvals: list[Approval]
    watermark_id: str | None = None
    aigc: dict = Field(default_factory=dict)
    c2pa_signed: bool = False
    video_psnr_db: float | None = None
    audio_snr_db: float | None = None
    loudness_lufs: float | None = None  # integrated (EBU R128), before the lossy encodes
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    manifests: list[str] = Field(default_factory=list)  # the C2PA manifest ids of the MP4, MP3, WAV and VTT


class ManifestRecord(Record):
    """One delivered file's C2PA manifest store, kept in the manifest repository: what a
    verifier gets back for a copy whose metadata was stripped, found through its marks."""

    kind: ClassVar[str] = "c2pa-manifest"
    immutable: ClassVar[bool] = True

    manifest_id: str  # urn:c2pa:<uuid>, the active manifest's label
    delivery_id: str
    file: Literal["mp4", "mp3", "wav", "vtt"]
    asset_sha256: str  # the signed file's bytes
    store: AssetRef  # application/c2pa
    bindings: list[SoftBinding]

    @staticmethod
    def id_for(manifest_id: str) -> str | None:
        """The record id for a manifest id (``urn:c2pa:<uuid>``), or None if it is not one."""
        head, _, uuid = manifest_id.strip().lower().rpartition(":")
        if head not in ("urn:c2pa", "urn:uuid") or len(uuid) != 36 or any(c not in "0123456789abcdef-" for c in uuid):
            return None
        return f"c2pa-{uuid}"


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
    identity_code: str = ""  # the digital human's code (``persona.identity``); empty in older records

    @staticmethod
    def id_for(content_id: int) -> str:
        return f"wm-{content_id:08x}"


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
    delivered_files: list[str] = Field(default_factory=list)  # what the delivery holds: "mp4 <sha256>", "srt <sha256>", ...
    watermark_video: str | None = None  # content id found in the picture, hex
    watermark_audio: str | None = None
    c2pa: str = "none"  # none | Invalid | Valid | Trusted
    aigc: dict | None = None
    identity_code: str | None = None  # the digital human the registry names (``persona.identity``)
    aigc_integrity: Literal["signature", "hmac", "none", "invalid"] | None = None  # ReservedCode1, where there is a label
    details: list[str] = Field(default_factory=list)
