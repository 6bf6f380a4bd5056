"""The watermark registry: a fresh content id for each delivery, never reused."""

from __future__ import annotations

import secrets

from delivery.records import WatermarkRecord
from persona.records import ConsentRecord
from production.records import Production
from storage.base import ObjectExists
from storage.catalog import Catalog


def register_watermark(catalog: Catalog, production: Production, consent: ConsentRecord, script_version: int,
                       delivery_id: str, identity_code: str = "") -> WatermarkRecord:
    """A fresh 32-bit content id bound to this delivery and the digital human it shows (a retried
    step reuses its own)."""
    for record in catalog.find(WatermarkRecord):
        if record.delivery_id == delivery_id:
            return record
    while True:
        content_id = secrets.randbits(32)
        record = WatermarkRecord(id=WatermarkRecord.id_for(content_id), content_id=content_id, production_id=production.id,
                                 delivery_id=delivery_id, persona_id=production.persona_id, consent_id=consent.id,
                                 script_version=script_version, identity_code=identity_code)
        try:
            catalog.save(record)
        except ObjectExists:
            continue
        catalog.audit("studio", "watermark.registered", f"watermark/{record.id}", delivery=delivery_id)
        return record
