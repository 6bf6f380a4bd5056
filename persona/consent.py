"""Consent enforcement: the one check that every generating or delivering step calls."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from persona.records import ConsentRecord, FamilyGrant, Persona

if TYPE_CHECKING:
    from storage.catalog import Catalog


class ConsentError(PermissionError):
    """No valid consent covers what was asked; nothing was generated."""


def require_consent(
    catalog: Catalog, persona_id: str, use: str, language: str, at: datetime | None = None,
    audience: str | None = None,
) -> ConsentRecord:
    """The consent record that allows ``use`` in ``language`` now, or ``ConsentError``."""
    if not catalog.exists(Persona, persona_id):
        raise ConsentError(f"persona {persona_id!r} does not exist; create it with `studio persona create`")
    records = [c for c in catalog.find(ConsentRecord) if c.persona_id == persona_id]
    if not records:
        raise ConsentError(
            f"persona {persona_id} has no consent record; add one with `studio consent add` "
            "(the person, or for the deceased their next of kin, with evidence)"
        )
    problems = []
    for record in sorted(records, key=lambda c: c.created_at, reverse=True):
        problem = record.problem(use, language, at, audience) or quorum_problem(catalog, record)
        if problem is None:
            return record
        problems.append(problem)
    raise ConsentError(f"no valid consent for persona {persona_id} ({use}, {language}): " + "; ".join(problems))


def family_agreement(catalog: Catalog, record: ConsentRecord) -> tuple[list[FamilyGrant], list[str]]:
    """A family consent's grants so far, and the members who have not agreed yet."""
    if record.quorum is None:
        return [], []
    grants, waiting = [], []
    for index, member in enumerate(record.quorum.members):
        grant_id = FamilyGrant.id_for(record.id, index)
        if catalog.exists(FamilyGrant, grant_id):
            grants.append(catalog.load(FamilyGrant, grant_id))
        else:
            waiting.append(member.name)
    return grants, waiting


def quorum_problem(catalog: Catalog, record: ConsentRecord) -> str | None:
    """Why a family consent does not count yet (too few members agreed); None once it does."""
    if record.quorum is None:
        return None
    grants, waiting = family_agreement(catalog, record)
    if len(grants) >= record.quorum.needed:
        return None
    return (f"consent {record.id} waits for the family: {len(grants)} of the {record.quorum.needed} needed have "
            f"agreed (not yet: {', '.join(waiting)})")


def forbidden_in_sentences(consent: ConsentRecord, sentences: list[str] | str) -> list[str]:
    """The forbidden topics the sentences speak of, each sentence on its own (as the checks read them)."""
    found: list[str] = []
    for text in [sentences] if isinstance(sentences, str) else sentences:
        found += [t for t in consent.forbidden_in(text) if t not in found]
    return found


def require_allowed_content(consent: ConsentRecord, sentences: list[str] | str) -> None:
    """Refuse a script that mentions a topic the consent forbids."""
    hits = forbidden_in_sentences(consent, sentences)
    if hits:
        raise ConsentError(f"the script mentions {', '.join(repr(h) for h in hits)}, which consent {consent.id} "
                           "forbids; ask for changes that remove it")
