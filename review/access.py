"""Who may use the portal: operators sign in with a password; reviewers and family members
come through an invitation link scoped to one production and one role.

Passwords are kept as scrypt hashes in ``<home>/keys/operators.json``; invitation tokens as
SHA-256 hashes in the catalog. Neither secret is ever written to the audit log."""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from core.records import utcnow
from core.settings import StudioSettings
from persona.records import ConsentRecord
from production.records import Production
from review.records import Invitation, InvitationRedemption
from storage import Catalog
from storage.base import ObjectExists, ObjectNotFound

INVITATION_DAYS = (1, 365)
CONSENT_DAYS = (1, 3650)
# wrong operator passwords in a row before sign-in waits, the first wait, and the longest
FREE_ATTEMPTS, FIRST_WAIT_S, LONGEST_WAIT_S = 3, 5.0, 900.0


class AccessError(PermissionError):
    """The person may not see or do this; the message says what to do instead."""


@dataclass(frozen=True)
class Identity:
    """The signed-in person, checked again on every page."""

    name: str
    kind: str  # "operator" | "reviewer"
    production_id: str | None = None
    role: str | None = None
    invitation_id: str | None = None
    language: str = "en"
    consent_id: str | None = None  # a family member asked to agree to this consent

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"

    def may_see(self, production_id: str) -> bool:
        return self.is_operator or production_id == self.production_id


def _operators_file(settings: StudioSettings):
    return settings.keys_dir / "operators.json"


def _scrypt(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1).hex()


def set_operator_password(settings: StudioSettings, name: str, password: str) -> None:
    if len(password) < 10:
        raise ValueError("an operator password needs at least 10 characters")
    path = _operators_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    users = json.loads(path.read_text()) if path.is_file() else {}
    salt = secrets.token_bytes(16)
    users[name] = {"salt": salt.hex(), "scrypt": _scrypt(password, salt)}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(users, indent=1))
    os.replace(tmp, path)


def operator_exists(settings: StudioSettings, name: str) -> bool:
    path = _operators_file(settings)
    return path.is_file() and name in json.loads(path.read_text())


def _throttle(settings: StudioSettings, name: str, update=None) -> dict:
    """The sign-in record of one operator name ({failures, until}), shared by every portal process."""
    path = settings.keys_dir / "sign-in-attempts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        records = json.loads(path.read_text()) if path.is_file() else {}
        record = records.get(name, {"failures": 0, "until": 0.0})
        if update is not None:
            record = update(record)
            records[name] = record
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(records))
            tmp.replace(path)
        return record


def sign_in_operator(settings: StudioSettings, name: str, password: str, catalog: Catalog | None = None) -> Identity:
    """An operator's identity for a right password. After a few wrong ones in a row, sign-in
    for that name waits, twice as long each time (up to 15 min); each failure and each wait is
    in the audit log (``catalog``)."""
    now = time.time()
    record = _throttle(settings, name)
    if record["until"] > now:
        raise AccessError(f"too many wrong passwords for {name or 'this name'}; try again in "
                          f"{int(record['until'] - now) + 1} s")
    path = _operators_file(settings)
    users = json.loads(path.read_text()) if path.is_file() else {}
    user = users.get(name)
    expected = user["scrypt"] if user else _scrypt("not-a-user", b"0" * 16)  # same cost either way
    given = _scrypt(password, bytes.fromhex(user["salt"]) if user else b"0" * 16)
    if not user or not hmac.compare_digest(expected, given):
        def failed(r: dict) -> dict:
            n = r["failures"] + 1
            wait = 0.0 if n < FREE_ATTEMPTS else min(LONGEST_WAIT_S, FIRST_WAIT_S * 2 ** (n - FREE_ATTEMPTS))
            return {"failures": n, "until": time.time() + wait}

        record = _throttle(settings, name, failed)
        if catalog is not None:
            catalog.audit(name or "?", "operator.sign_in_failed", f"operator/{name or '?'}", failures=record["failures"],
                          wait_s=round(max(0.0, record["until"] - time.time()), 1))
        raise AccessError("unknown operator or wrong password")
    if record["failures"]:
        _throttle(settings, name, lambda r: {"failures": 0, "until": 0.0})
    return Identity(name=name, kind="operator")


def operator_from_oidc(settings: StudioSettings, email: str | None, name: str | None = None) -> Identity:
    """The operator an OIDC sign-in stands for: only addresses listed in the settings."""
    allowed = {e.strip().casefold() for e in settings.portal.oidc_operators}
    if not email or email.strip().casefold() not in allowed:
        raise AccessError(f"{email or 'this account'} is not an operator of this studio; an operator can add the "
                          "address to STUDIO_PORTAL__OIDC_OPERATORS")
    return Identity(name=email.strip(), kind="operator")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_days(days: int | None, default: int, bounds: tuple[int, int], what: str) -> int:
    """``days`` (or the default) when inside ``bounds``; a ValueError saying the bounds otherwise."""
    days = default if days is None else days
    if not bounds[0] <= days <= bounds[1]:
        raise ValueError(f"{what} must last {bounds[0]} to {bounds[1]} days (--days), not {days}")
    return days


def invite(catalog: Catalog, settings: StudioSettings, production_id: str, reviewer: str, role: str,
           created_by: str, days: int | None = None, language: str = "en") -> tuple[Invitation, str]:
    """A new invitation and its link (the only place the token ever appears)."""
    days = check_days(days, settings.portal.invitation_days, INVITATION_DAYS, "an invitation")
    production = catalog.load(Production, production_id)
    allowed = production.script_reviewers if role == "stakeholder" else production.family_reviewers
    if role != "recipient" and reviewer not in allowed:  # a recipient is anyone the delivery is for
        raise ValueError(f"{reviewer} is not a {role} reviewer of {production_id} (they are: {', '.join(allowed)}); "
                         "add them to the production first")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        id=f"inv-{secrets.token_hex(6)}", production_id=production_id, reviewer=reviewer, role=role,
        language=language, token_sha256=_token_hash(token), created_by=created_by,
        expires_at=utcnow() + timedelta(days=days))
    catalog.save(invitation)
    catalog.audit(created_by, "invitation.created", f"invitation/{invitation.id}", production=production_id,
                  reviewer=reviewer, role=role, expires=invitation.expires_at.isoformat())
    return invitation, f"{settings.portal.public_url.rstrip('/')}/?invite={token}"


def invite_family_member(catalog: Catalog, settings: StudioSettings, consent: ConsentRecord, member: str,
                         created_by: str, days: int | None = None, language: str = "en") -> tuple[Invitation, str]:
    """A link for one family member named in ``consent``'s quorum: to read the terms, agree with
    their own evidence, or withdraw (the only place the token ever appears)."""
    days = check_days(days, settings.portal.invitation_days, INVITATION_DAYS, "an invitation")
    found = consent.quorum.member(member) if consent.quorum else None
    if found is None:
        named = ", ".join(m.name for m in consent.quorum.members) if consent.quorum else "nobody: it needs no family quorum"
        raise ValueError(f"{member} is not named in consent {consent.id} (it names {named})")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        id=f"inv-{secrets.token_hex(6)}", consent_id=consent.id, reviewer=found[1].name, role="consent",
        language=language, token_sha256=_token_hash(token), created_by=created_by,
        expires_at=utcnow() + timedelta(days=days))
    catalog.save(invitation)
    catalog.audit(created_by, "invitation.created", f"invitation/{invitation.id}", consent=consent.id,
                  reviewer=found[1].name, role="consent", expires=invitation.expires_at.isoformat())
    return invitation, f"{settings.portal.public_url.rstrip('/')}/?invite={token}"


def revoke_invitation(catalog: Catalog, invitation_id: str, actor: str) -> Invitation:
    invitation = catalog.load(Invitation, invitation_id)
    if invitation.revoked_at is None:
        invitation = invitation.model_copy(update={"revoked_at": utcnow()})
        catalog.save(invitation)
        catalog.audit(actor, "invitation.revoked", f"invitation/{invitation_id}")
    return invitation


def reissue_invitation(catalog: Catalog, settings: StudioSettings, invitation_id: str, actor: str,
                       days: int | None = None) -> tuple[Invitation, str]:
    """A fresh link for the same person, production and role (the old link stops working)."""
    old = catalog.load(Invitation, invitation_id)
    revoke_invitation(catalog, invitation_id, actor)
    if old.consent_id:
        return invite_family_member(catalog, settings, catalog.load(ConsentRecord, old.consent_id), old.reviewer, actor,
                                    days, old.language)
    return invite(catalog, settings, old.production_id, old.reviewer, old.role, actor, days, old.language)


def _browser_hash(browser: str | None) -> str | None:
    return hashlib.sha256(f"browser:{browser}".encode()).hexdigest() if browser else None


def redeem(catalog: Catalog, token: str, browser: str | None = None) -> Identity:
    """The identity an invitation link grants, or ``AccessError``. The first opening binds the
    link to that browser (``browser``: a value only that browser sends back, kept hashed); the
    link then works in that browser only. Without one (no browser cookie), a link opens once."""
    digest = _token_hash(token.strip())
    match = next((i for i in catalog.find(Invitation) if hmac.compare_digest(i.token_sha256, digest)), None)
    if match is None:
        raise AccessError("this link is not valid; ask the studio for a new one")
    problem = match.problem()
    if problem:
        raise AccessError(problem)
    bound = _browser_hash(browser)
    try:
        catalog.save(InvitationRedemption(id=match.id, browser_sha256=bound))
        catalog.audit(match.reviewer, "invitation.used", f"invitation/{match.id}", production=match.production_id,
                      bound_to_browser=bound is not None)
    except ObjectExists:
        first = catalog.load(InvitationRedemption, match.id)
        if bound is None or first.browser_sha256 is None or not hmac.compare_digest(first.browser_sha256, bound):
            catalog.audit(match.reviewer, "invitation.reuse_refused", f"invitation/{match.id}",
                          production=match.production_id)
            raise AccessError("this link was already opened in another browser; ask the studio to send you a new "
                              "one (studio invite reissue)") from None
    return Identity(name=match.reviewer, kind="reviewer", production_id=match.production_id or None, role=match.role,
                    invitation_id=match.id, language=match.language, consent_id=match.consent_id)


def still_valid(catalog: Catalog, identity: Identity) -> Identity:
    """Re-check an identity on every page: a revoked or expired invitation ends the session."""
    if identity.is_operator:
        return identity
    try:
        invitation = catalog.load(Invitation, identity.invitation_id)
    except ObjectNotFound:
        raise AccessError("this invitation no longer exists") from None
    problem = invitation.problem()
    if problem:
        raise AccessError(problem)
    return identity
