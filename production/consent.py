"""The consent a production (or a template's re-runs) stands on."""

from __future__ import annotations

from datetime import datetime

from persona.consent import require_consent
from persona.records import ConsentRecord
from production.records import Production, Template
from storage.catalog import Catalog


def consent_for(catalog: Catalog, work: Production | Template, at: datetime | None = None) -> ConsentRecord:
    """The consent that covers a production, or a template's re-runs: its persona, use,
    language and audience."""
    brief = work.brief if isinstance(work, Production) else work
    return require_consent(catalog, work.persona_id, work.use, brief.language, at, audience=brief.audience)
