"""``studio verify``: where a file came from, from everything the studio put in it.

It reads the C2PA manifest, the GB 45438 AIGC metadata and the invisible watermarks in the
picture and the sound, looks the watermark's content id up in the registry, and draws a
verdict: ``authorised`` (persona, consent, approved version, approvers), ``revoked`` (the
consent or the delivery was revoked since), ``unknown_watermark`` (a valid studio mark whose
id this registry does not hold) or ``no_watermark``. Metadata and manifests are gone from a
re-encoded copy; the watermarks are what still identify it.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import StudioSettings
from delivery.backends.c2pa_manifest import read_manifest
from delivery.records import Delivery, VerifyReport, WatermarkRecord
from delivery.trust.aigc_metadata import integrity_state, label_problems, read_label
from delivery.trust.audio_mark import AudioDetection, AudioDetector
from delivery.trust.keys import c2pa_credentials, watermark_key
from delivery.trust.video_mark import LumaDetector, VideoDetection
from media.ffmpeg_io import MediaError, load_audio, mean_luma, probe
from persona.identity import identity_code
from persona.records import ConsentRecord, Persona
from production.records import Production
from review.gates import UnapprovedError, recorded_approvals
from storage.base import ObjectNotFound
from storage.catalog import Catalog, sha256_file


def detect_watermarks(path: Path, key: bytes) -> tuple[VideoDetection | None, AudioDetection | None]:
    info = probe(path)
    video = audio = None
    if info.has_video and info.width and info.height:
        mean, frames = mean_luma(path, info.width, info.height)
        video = LumaDetector(key).detect_mean(mean, frames)
    if info.has_audio:
        rate = 16000
        audio = AudioDetector(key).detect(load_audio(path, rate), rate)
    return video, audio


def _lookup(catalog: Catalog, content_id: int) -> WatermarkRecord | None:
    try:
        return catalog.load(WatermarkRecord, WatermarkRecord.id_for(content_id))
    except ObjectNotFound:
        return None


def approval_problems(catalog: Catalog, delivery: Delivery) -> list[str]:
    """Why the approvals a delivery names are not the studio's record of who approved that
    very script version and take (each backed by a ``review.approved_by`` audit event); empty if they are."""

    try:
        production = catalog.load(Production, delivery.production_id)
    except ObjectNotFound:
        return [f"the studio has no record of production {delivery.production_id}, so no approval of it"]
    try:
        recorded = recorded_approvals(catalog, production, delivery.script_version, delivery.video_take_id)
    except UnapprovedError as exc:
        return [f"not approved as recorded: {exc}"]
    key = lambda a: (a.gate, a.role, a.reviewer)  # noqa: E731
    problems = []
    if sorted(map(key, delivery.approvals)) != sorted(map(key, recorded)):
        problems.append("the delivery names approvals the studio has no record of: "
                        + ", ".join(f"{a.reviewer} ({a.role}, {a.gate})" for a in delivery.approvals))
    audited = {(e.details.get("role"), e.details.get("reviewer")) for e in catalog.audit_events("review/")
               if e.action == "review.approved_by" and e.subject.startswith(f"review/{production.id}-")}
    for a in recorded:
        if a.gate != "template" and (a.role, a.reviewer) not in audited:
            problems.append(f"the audit log has no approval by {a.reviewer} ({a.role}, {a.gate})")
    return problems


def verify_file(catalog: Catalog, settings: StudioSettings, path: Path) -> VerifyReport:
    path = Path(path)
    report = VerifyReport(path=str(path), sha256=sha256_file(path), verdict="no_watermark")
    try:
        probe(path)
    except MediaError as exc:
        report.verdict = "not_a_media_file"
        report.details.append(str(exc))
        return report
    key = watermark_key(settings)

    credentials = c2pa_credentials(settings)
    manifest = read_manifest(path, credentials.anchors_pem)
    report.c2pa = manifest.state if manifest.present else "none"
    if manifest.present:
        report.details.append(f"C2PA manifest: {manifest.state}, signed by {manifest.signer}, "
                              f"source type {manifest.digital_source_type}")
        report.details += [f"C2PA: {p}" for p in manifest.problems]
    else:
        report.details.append("no C2PA manifest (stripped by re-encoding, or never signed)")

    report.aigc = read_label(path)
    if report.aigc is not None:
        problems = label_problems(report.aigc, key, credentials.chain_pem)
        report.aigc_integrity = integrity_state(report.aigc, key, credentials.chain_pem)
        report.details.append("GB 45438 AIGC metadata: " + ("; ".join(problems) if problems else
                              "complete, integrity code signed by the studio's certificate (ES256), valid"
                              if report.aigc_integrity == "signature" else "complete, integrity code (older HMAC) matches"))
    else:
        report.details.append("no GB 45438 AIGC metadata")

    video, audio = detect_watermarks(path, key)
    records = []
    for what, found in (("picture", video), ("sound", audio)):
        if found is None:
            continue
        if found.found:
            hex_id = f"{found.content_id:08x}"
            setattr(report, f"watermark_{'video' if what == 'picture' else 'audio'}", hex_id)
            record = _lookup(catalog, found.content_id)
            report.details.append(f"watermark in the {what}: id {hex_id} (sync z {found.sync_z})"
                                  + ("" if record else ", not in this studio's registry"))
            if record:
                records.append(record)
        else:
            report.details.append(f"no watermark found in the {what} (sync z {found.sync_z})")

    if not records:
        if report.watermark_video or report.watermark_audio:
            report.verdict = "unknown_watermark"
        return report
    record = records[0]
    if any(r.id != record.id for r in records):
        report.details.append("picture and sound carry different registered ids: the file was assembled from two deliveries")
    try:
        delivery = catalog.load(Delivery, record.delivery_id)
    except ObjectNotFound:
        report.verdict = "unknown_watermark"
        report.details.append(f"the registry names delivery {record.delivery_id}, which was never completed")
        return report
    consent = catalog.load(ConsentRecord, record.consent_id)
    report.delivery_id = delivery.id
    report.production_id = delivery.production_id
    report.persona = catalog.load(Persona, delivery.persona_id).display_name
    report.consent_id = consent.id
    report.identity_code = record.identity_code or identity_code(key, delivery.persona_id)
    report.details.append(f"digital human {report.identity_code} ({report.persona}), produced by "
                          f"{settings.trust.content_producer} under consent {consent.id}")
    report.script_version = delivery.script_version
    report.approvers = [f"{a.reviewer} ({a.role}, {a.gate})" for a in delivery.approvals]
    report.identical_to_delivery = report.sha256 in {a.sha256 for a in (delivery.video, delivery.audio_mp3, delivery.audio_wav) if a}
    report.delivered_files = [f"{kind} {ref.sha256}" for kind, ref in (
        ("mp4", delivery.video), ("mp3", delivery.audio_mp3), ("wav", delivery.audio_wav),
        ("srt", delivery.subtitles_srt), ("vtt", delivery.subtitles_vtt)) if ref]
    problems = approval_problems(catalog, delivery)
    report.details += problems
    if consent.revoked_at is not None or delivery.revoked_at is not None:
        report.verdict = "revoked"
        reason = consent.revocation_reason if consent.revoked_at else delivery.revocation_reason
        report.details.append(f"consent {consent.id} or the delivery was revoked: {reason}")
    elif problems:
        report.verdict = "unapproved"
    else:
        report.verdict = "authorised"
        report.details.append("identical to the delivered file" if report.identical_to_delivery
                              else "a copy of the delivery (re-encoded or edited); the watermark still identifies it")
    return report
