"""What every task starts from: the settings, the catalog, a scratch folder, the consent check."""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect.cache_policies import DEFAULT

from core.settings import StudioSettings, get_settings
from persona.consent import require_allowed_content
from persona.records import ConsentRecord
from production.consent import consent_for
from production.records import Production
from runs.result_storage import RESULT_STORAGE
from script.records import ScriptVersion
from storage import Catalog, open_catalog

# The production record's status changes while a run waits; one run serves one production,
# so the run id (in DEFAULT) already identifies it and the record is left out of cache keys.
PERSISTED = dict(persist_result=True, retries=1, retry_delay_seconds=5, cache_policy=DEFAULT - "production")
# a chunk of a take: kept under its own key in the studio's store, wherever (on whichever worker) it ran
CHUNK = dict(persist_result=True, retries=1, retry_delay_seconds=5, result_storage=RESULT_STORAGE)


def studio() -> tuple[StudioSettings, Catalog]:
    settings = get_settings()
    return settings, open_catalog(settings)


def scratch(settings: StudioSettings) -> Path:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=settings.work_dir, prefix="step-"))


def allowed(catalog: Catalog, production: Production, script: ScriptVersion | None = None) -> ConsentRecord:
    """Every generating or delivering step calls this first; with a script, its words are checked too."""
    consent = consent_for(catalog, production)
    if script is not None:
        require_allowed_content(consent, [s.text for s in script.sentences])
    return consent
