"""``studio verify``: what the studio knows of a file.

This first version reads the delivery id from the container metadata and compares the file's
hash with the delivered original. A re-encoded copy that lost its metadata reads as
``unknown`` until the invisible watermark lands (issue 3)."""

from __future__ import annotations

from pathlib import Path

from storage.base import ObjectNotFound
from storage.catalog import Catalog, sha256_file
from studio.models import ConsentRecord, Delivery, Persona, VerifyReport
from tasks.deliver import METADATA_PREFIX
from tasks.media import MediaError, probe


def verify_file(catalog: Catalog, path: Path) -> VerifyReport:
    path = Path(path)
    sha = sha256_file(path)
    report = VerifyReport(path=str(path), sha256=sha, verdict="unknown")
    try:
        info = probe(path)
    except MediaError as exc:
        report.verdict = "not_a_studio_file"
        report.details.append(str(exc))
        return report
    comment = (info.tags or {}).get("comment", "")
    delivery = None
    if comment.startswith(METADATA_PREFIX):
        try:
            delivery = catalog.load(Delivery, comment[len(METADATA_PREFIX):])
        except (ObjectNotFound, ValueError):
            report.details.append(f"metadata names delivery {comment[len(METADATA_PREFIX):]!r}, which this studio does not know")
    if delivery is None:
        matches = [d for d in catalog.find(Delivery) if d.video.sha256 == sha]
        delivery = matches[0] if matches else None
    if delivery is None:
        report.details.append("no studio metadata and no delivery with this content hash")
        return report
    persona = catalog.load(Persona, delivery.persona_id)
    consent = catalog.load(ConsentRecord, delivery.consent_id)
    report.delivery_id = delivery.id
    report.production_id = delivery.production_id
    report.persona = persona.display_name
    report.consent_id = consent.id
    report.script_version = delivery.script_version
    report.approvers = [f"{a.reviewer} ({a.role}, {a.gate})" for a in delivery.approvals]
    report.label_found = "AI" in (info.tags or {}).get("description", "")
    if delivery.video.sha256 != sha:
        report.verdict = "modified_copy"
        report.details.append("metadata points to a studio delivery, but the bytes differ from the delivered file")
    elif consent.revoked_at is not None:
        report.verdict = "revoked"
        report.details.append(f"consent {consent.id} was revoked: {consent.revocation_reason}")
    else:
        report.verdict = "authorised"
        report.details.append("identical to the delivered file")
    return report
