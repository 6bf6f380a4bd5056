"""Which of a persona's uploads the studio may use: not withdrawn by an operator, and not
flagged as useless when it was checked (a voice recording with no speech in it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from persona.records import Upload, UploadWithdrawal

if TYPE_CHECKING:
    from storage.catalog import Catalog


def usable_uploads(catalog: Catalog, persona_id: str, role: str | None = None) -> list[Upload]:
    """The persona's usable uploads (of ``role``), oldest first."""
    withdrawn = {w.id for w in catalog.find(UploadWithdrawal) if w.persona_id == persona_id}
    return sorted((u for u in catalog.find(Upload) if u.persona_id == persona_id and (role is None or u.role == role)
                   and u.problem is None and u.id not in withdrawn), key=lambda u: u.created_at)
