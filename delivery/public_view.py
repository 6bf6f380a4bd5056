"""What the public verifier tells a stranger about a clip, and what it keeps for operators.

A stranger learns the verdict (an authorised production of this studio, revoked, not
authorised, or unknown), which digital human it shows and who produced it, which roles
approved it (not who), and the delivery's content credentials from the manifest repository,
checked against the studio's certificate, even for a copy stripped of its metadata. The
studio's full ``VerifyReport`` (reviewers' names, consent, details) is added for operators only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from core.settings import StudioSettings
from delivery.backends.c2pa_manifest import DISCLOSURE_ASSERTION, STUDIO_ASSERTION, read_store, validation_codes
from delivery.manifests import manifests_of
from delivery.records import Delivery, ManifestRecord, SoftBinding, VerifyReport
from delivery.trust.keys import c2pa_credentials
from storage.catalog import Catalog

PublicVerdictKind = Literal["authorised", "revoked", "not_authorised", "unknown", "not_a_media_file"]
_VERDICTS: dict[str, PublicVerdictKind] = {
    "authorised": "authorised", "revoked": "revoked", "unapproved": "not_authorised",
    "unknown_watermark": "unknown", "no_watermark": "unknown", "not_a_media_file": "not_a_media_file"}
_HASH_MISMATCH = ("assertion.dataHash.mismatch", "assertion.bmffHash.mismatch", "assertion.boxesHash.mismatch")


class Credentials(BaseModel):
    """One delivered file's manifest, as the repository keeps it and c2pa validates it."""

    manifest_id: str
    file: str
    href: str  # GET it: the manifest store (application/c2pa)
    title: str | None = None
    signer: str | None = None
    signed_at: str | None = None
    signature: str  # one line: is the signature the studio's, trusted, and does it cover these bytes
    trusted: bool
    covers_these_bytes: bool
    soft_bindings: list[SoftBinding] = Field(default_factory=list)
    made_with: dict = Field(default_factory=dict)  # the ai-disclosure statement
    provenance: dict = Field(default_factory=dict)  # the studio's provenance assertion
    actions: list[dict] = Field(default_factory=list)


class PublicVerdict(BaseModel):
    verdict: PublicVerdictKind
    summary: str
    digital_human_id: str | None = None
    digital_human: str | None = None
    producer: str | None = None
    delivery_id: str | None = None
    delivered_at: datetime | None = None
    approved_by_roles: list[str] = Field(default_factory=list)  # "family (script)", never names
    marks: dict[str, str | None] = Field(default_factory=dict)  # picture / sound: the value found
    credentials: list[Credentials] = Field(default_factory=list)
    operator_report: VerifyReport | None = None  # operators only


def read_credentials(catalog: Catalog, settings: StudioSettings, record: ManifestRecord, base_url: str,
                     copy: Path | None = None) -> Credentials:
    """``record``'s manifest store validated by c2pa against the studio's trust anchor, and
    against ``copy``'s bytes where it is a file of the same type."""
    anchors = c2pa_credentials(settings).anchors_pem
    same_type = copy is not None and Path(copy).suffix.lower() == f".{record.file}"
    store = catalog.read_media(record.store)
    read, _ = read_store(store, copy if same_type else None, anchors)
    manifest = read["manifests"][read["active_manifest"]]
    passed, failures = validation_codes(read)
    failed = {s.get("code") for s in failures}
    covers = same_type and not failed & set(_HASH_MISMATCH)
    signature_ok = "claimSignature.validated" in passed and not failed - set(_HASH_MISMATCH)
    trusted = signature_ok and "signingCredential.trusted" in passed
    info = manifest.get("signature_info") or {}
    line = ("signed by the studio's certificate, trusted" if trusted else
            "signature valid, but not by a certificate this verifier trusts" if signature_ok else
            "signature NOT valid: " + ", ".join(sorted(failed)))
    line += ("; it covers exactly these bytes" if covers else
             "; this copy's bytes differ from the signed file (re-encoded, edited or stripped), so the marks matched it")
    assertions = {a.get("label", ""): a.get("data", {}) for a in manifest.get("assertions", [])}
    actions = next((d.get("actions", []) for label, d in assertions.items() if label.startswith("c2pa.actions")), [])
    return Credentials(manifest_id=record.manifest_id, file=record.file, href=f"{base_url}/manifests/{record.manifest_id}",
                       title=manifest.get("title"), signer=info.get("common_name"), signed_at=info.get("time"),
                       signature=line, trusted=trusted, covers_these_bytes=covers, soft_bindings=record.bindings,
                       made_with=assertions.get(DISCLOSURE_ASSERTION, {}), provenance=assertions.get(STUDIO_ASSERTION, {}),
                       actions=actions)


def public_verdict(catalog: Catalog, settings: StudioSettings, report: VerifyReport, copy: Path, base_url: str,
                   operator: bool = False) -> PublicVerdict:
    """The stranger's view of ``report`` (``delivery.verify.verify_file`` on ``copy``); with
    ``operator`` the report itself rides along."""
    verdict = _VERDICTS[report.verdict]
    found = report.watermark_video or report.watermark_audio
    out = PublicVerdict(verdict=verdict, summary="", marks={"picture": report.watermark_video, "sound": report.watermark_audio},
                        operator_report=report if operator else None)
    delivery = catalog.load(Delivery, report.delivery_id) if report.delivery_id else None  # verify found it
    if delivery is not None:
        out.digital_human_id = report.identity_code
        out.digital_human = report.persona if settings.verifier.show_persona_name else None
        out.producer = settings.trust.content_producer
        out.delivery_id = delivery.id
        out.delivered_at = delivery.created_at
        out.approved_by_roles = [f"{a.role} ({a.gate})" for a in delivery.approvals]
        records = sorted(manifests_of(catalog, delivery), key=lambda m: m.file != Path(copy).suffix.lower().lstrip("."))
        out.credentials = [read_credentials(catalog, settings, m, base_url, copy) for m in records]
    who = f"digital human {out.digital_human_id}" + (f" ({out.digital_human})" if out.digital_human else "")
    out.summary = {
        "authorised": f"An authorised production of {out.producer}: {who}, delivered "
                      f"{out.delivered_at:%Y-%m-%d}, approved by {', '.join(out.approved_by_roles)}."
                      if out.delivered_at else "",
        "revoked": f"Made by {out.producer} ({who}), but its consent or the delivery has since been withdrawn: "
                   "it must not be used.",
        "not_authorised": f"Made by {out.producer} ({who}), but the studio has no record of every approval it "
                          "needs: it was never authorised.",
        "unknown": "Not a production this verifier knows: " + (
            "it carries a mark this studio's registry does not hold." if found else
            "no mark of this studio was found (too short, too damaged, or made elsewhere)."),
        "not_a_media_file": "This is not a video or sound file the verifier can read: send an MP4, MOV, MP3, WAV or M4A.",
    }[verdict]
    return out
