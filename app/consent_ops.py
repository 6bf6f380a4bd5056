"""Consent records as people keep them: listed per persona, and corrected as a new version (the
old one stays on file, marked replaced, and stops counting), audited with before and after."""

from __future__ import annotations

from pathlib import Path

from core.records import utcnow
from persona.records import ConsentRecord
from storage.base import ObjectExists


class ConsentOps:
    """Mixed into ``StudioAPI`` (``self.settings``, ``self.catalog``, ``self.add_consent``)."""

    def consents(self, persona_id: str) -> list[ConsentRecord]:
        """The persona's consent records, oldest first (revoked and replaced ones included, marked so)."""
        return sorted((c for c in self.catalog.find(ConsentRecord) if c.persona_id == persona_id),
                      key=lambda c: (c.created_at, c.version))

    def correct_consent(self, consent_id: str, reason: str, evidence: list[Path] | None = None,
                        actor: str | None = None, **fields) -> ConsentRecord:
        """The next version of a consent record with ``fields`` changed (``add_consent``'s
        arguments); its evidence is kept unless new files are given. The replaced version stops
        counting at once; productions it alone covered are stopped as after a revocation."""
        if not reason.strip():
            raise ValueError("say what is corrected and why; the reason is kept in the audit log")
        old = self.catalog.load(ConsentRecord, consent_id)
        if old.revoked_at is not None:
            raise ValueError(f"consent {consent_id} was revoked; add a new consent record instead")
        if old.superseded_by:
            raise ValueError(f"consent {consent_id} was already corrected as {old.superseded_by}; correct that one")
        actor = actor or self.settings.operator
        scope = old.scope
        args = dict(grantor_name=old.grantor_name, relationship=old.relationship, uses=scope.uses,
                    languages=scope.languages, audiences=scope.audiences, forbidden_topics=scope.forbidden_topics,
                    endorsements=scope.endorsements, own_words_only=scope.own_words_only,
                    subject_name=old.subject_name, quorum=old.quorum) | {k: v for k, v in fields.items() if v is not None}
        terms = self.consent_terms(old.persona_id, **args)
        if "valid_days" not in fields:  # the same window unless a new one is given (from now)
            terms |= {"valid_from": old.valid_from, "valid_until": old.valid_until}
        first = old.replaces and consent_id.rsplit("-v", 1)[0] or consent_id
        new = ConsentRecord(id=f"{first}-v{old.version + 1}", version=old.version + 1, replaces=old.id,
                            correction_reason=reason.strip(),
                            evidence=[self._store_file(p) for p in evidence] if evidence else old.evidence, **terms)
        try:
            self.catalog.create(new)
        except ObjectExists:  # another operator won, or this one crashed before marking the old version
            self._mark_replaced(old, new.id)
            raise ValueError(f"consent {consent_id} was corrected as {new.id} just now; reload and look again") from None
        self._mark_replaced(old, new.id)
        before = old.scope.model_dump() | old.model_dump(include={"grantor_name", "relationship", "subject_name"}) | {
            "quorum": old.quorum}
        changed = {k: [before.get(k), v] for k, v in args.items() if before.get(k) != v}
        changed = {k: [x.model_dump() if hasattr(x, "model_dump") else x for x in pair] for k, pair in changed.items()}
        self.catalog.audit(actor, "consent.corrected", f"consent/{new.id}", persona=old.persona_id, replaces=old.id,
                           reason=reason.strip(), changed=changed, evidence=[r.sha256 for r in new.evidence])
        self._stop_productions_without_consent(old.persona_id, actor, f"consent corrected: {reason.strip()}")
        self._pause_templates_without_consent(old.persona_id, actor)
        return new

    def _mark_replaced(self, old: ConsentRecord, new_id: str) -> None:
        if self.catalog.load(ConsentRecord, old.id).superseded_by is None:
            self.catalog.save(old.model_copy(update={"superseded_by": new_id, "superseded_at": utcnow()}))
