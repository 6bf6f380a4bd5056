"""A family's quorum and veto over a deceased person's consent.

The consent names the family members whose agreement is needed and how many must agree
(``FamilyQuorum``). Each is invited by a link of their own (``review.access.invite_family_member``)
and agrees with their own evidence: a file (a signed form, a recorded statement) or their own
words, kept as a text file with their name and the time. Nothing is generated until the quorum
is complete (``persona.consent.quorum_problem``). Any named member can withdraw at any time,
before or after agreeing: that is a revocation, with its effect at once (runs cancelled,
schedules paused, deliveries marked, waiting reviews closed), audited in their name and shown to
every reviewer of the persona's productions.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from core.records import utcnow
from persona.consent import family_agreement
from persona.records import ConsentRecord, FamilyGrant, FamilyMember
from production.records import Production
from review.access import AccessError, Identity, invite_family_member
from review.records import Invitation
from storage.base import ObjectExists


class MemberState(BaseModel):
    name: str
    relationship: str
    agreed_at: datetime | None = None


class FamilyStatus(BaseModel):
    """Where a family consent stands, for the operator and for the members themselves."""

    consent_id: str
    subject_name: str
    needed: int
    members: list[MemberState]
    complete: bool
    revoked_at: datetime | None = None
    withdrawn_by: str | None = None
    revocation_reason: str | None = None


class FamilyOps:
    """Mixed into ``StudioAPI`` (``self.settings``, ``self.catalog``, ``self.revoke_consent``, ``self._store_file``)."""

    def invite_family_member(self, consent_id: str, member: str, days: int | None = None, language: str = "en",
                             actor: str | None = None) -> tuple[Invitation, str]:
        """A link for one member named in the consent's quorum (shown once)."""
        consent = self.catalog.load(ConsentRecord, consent_id)
        return invite_family_member(self.catalog, self.settings, consent, member, actor or self.settings.operator,
                                    days, language)

    def _family_consent(self, consent_id: str) -> ConsentRecord:
        consent = self.catalog.load(ConsentRecord, consent_id)
        if consent.quorum is None:
            raise ValueError(f"consent {consent_id} needs no family quorum: {consent.grantor_name} gave it")
        return consent

    def family_status(self, consent_id: str) -> FamilyStatus:
        consent = self._family_consent(consent_id)
        grants = {g.member: g for g in family_agreement(self.catalog, consent)[0]}
        members = [MemberState(name=m.name, relationship=m.relationship,
                               agreed_at=grants[m.name].created_at if m.name in grants else None)
                   for m in consent.quorum.members]
        return FamilyStatus(consent_id=consent.id, subject_name=consent.subject_name, needed=consent.quorum.needed,
                            members=members, complete=len(grants) >= consent.quorum.needed, revoked_at=consent.revoked_at,
                            withdrawn_by=consent.withdrawn_by, revocation_reason=consent.revocation_reason)

    def _named_member(self, consent: ConsentRecord, member: str, identity: Identity | None) -> tuple[int, FamilyMember]:
        """The member acting: through their own link, or an operator on their behalf."""
        found = consent.quorum.member(member)
        if found is None:
            raise ValueError(f"{member} is not named in consent {consent.id} "
                             f"(it names {', '.join(m.name for m in consent.quorum.members)})")
        if identity is not None and not identity.is_operator:
            identity = self.still_valid(identity)
            if identity.consent_id != consent.id or identity.name != found[1].name:
                raise AccessError("your invitation is for another consent or another person; only they can answer for themselves")
        return found

    def agree_to_consent(self, consent_id: str, member: str, *, identity: Identity | None = None,
                         evidence: list[Path] | None = None, statement: str = "") -> FamilyGrant:
        """``member``'s agreement, with their evidence (files, or their own words kept as a
        file). Agreeing twice keeps the first; a revoked or replaced consent takes none."""
        consent = self._family_consent(consent_id)
        index, named = self._named_member(consent, member, identity)
        if consent.revoked_at or consent.superseded_by or utcnow() >= consent.valid_until:
            state = ("was revoked" if consent.revoked_at else f"was replaced by {consent.superseded_by}"
                     if consent.superseded_by else "has expired")
            raise ValueError(f"consent {consent_id} {state}: it takes no more agreements")
        through_link = identity is not None and not identity.is_operator
        recorded_by = named.name if through_link else (identity.name if identity else self.settings.operator)
        statement = statement.strip()
        if not evidence and not statement:
            raise ValueError("agreeing needs evidence: a signed form or a recorded statement, or your own words")
        files = [self._store_file(p) for p in evidence or []]
        if statement:
            text = (f"{named.name} ({named.relationship}) agrees to consent {consent.id} for {consent.subject_name}, "
                    f"recorded {utcnow():%Y-%m-%d %H:%M:%S} UTC by {recorded_by}:\n\n{statement}\n")
            files.append(self.catalog.put_media(text.encode(), "text/plain", name=f"{consent.id}-{index}-statement.txt"))
        grant = FamilyGrant(id=FamilyGrant.id_for(consent.id, index), consent_id=consent.id, member=named.name,
                            relationship=named.relationship, evidence=files, statement=statement[:4000],
                            invitation_id=identity.invitation_id if through_link else None, recorded_by=recorded_by)
        try:
            self.catalog.create(grant)
        except ObjectExists:
            return self.catalog.load(FamilyGrant, grant.id)
        grants, waiting = family_agreement(self.catalog, consent)
        self.catalog.audit(named.name, "consent.family_agreed", f"consent/{consent.id}", member=named.name,
                           relationship=named.relationship, recorded_by=recorded_by,
                           evidence=[f.sha256 for f in files], agreed=len(grants), needed=consent.quorum.needed)
        if len(grants) == consent.quorum.needed:
            self.catalog.audit(named.name, "consent.quorum_complete", f"consent/{consent.id}",
                               agreed=[g.member for g in grants])
        return grant

    def withdraw_from_consent(self, consent_id: str, member: str, reason: str, *,
                              identity: Identity | None = None) -> ConsentRecord:
        """A named member's withdrawal (or objection, before agreeing): the consent is revoked
        at once in their name, with everything a revocation stops."""
        if not reason.strip():
            raise ValueError("say why, in a few words; it is kept in the audit log and shown to the reviewers")
        consent = self._family_consent(consent_id)
        _, named = self._named_member(consent, member, identity)
        if consent.revoked_at is None:
            self.catalog.audit(named.name, "consent.withdrawn_by_family", f"consent/{consent.id}", member=named.name,
                               relationship=named.relationship, reason=reason.strip(),
                               recorded_by=identity.name if identity is not None else self.settings.operator)
        return self.revoke_consent(consent.id, f"{named.name} ({named.relationship}) withdrew: {reason.strip()}",
                                   actor=named.name, withdrawn_by=named.name)

    def withdrawal_notice(self, production_id: str) -> str | None:
        """For reviewers: the family withdrawal that stopped this production, in one line."""
        production = self.catalog.load(Production, production_id)
        withdrawn = [c for c in self.catalog.find(ConsentRecord)
                     if c.persona_id == production.persona_id and c.withdrawn_by and c.revoked_at]
        if not withdrawn or production.status != "stopped":
            return None
        latest = max(withdrawn, key=lambda c: c.revoked_at)
        return f"{latest.revocation_reason} ({latest.revoked_at:%Y-%m-%d %H:%M} UTC)"
