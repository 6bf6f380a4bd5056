"""Who may use the portal: operators sign in with a password; reviewers and family members
come through an invitation link scoped to one production and one role.

Passwords are kept as scrypt hashes in ``<home>/keys/operators.json``; invitation tokens as
SHA-256 hashes in the catalog. Neither secret is ever written to the audit log."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from storage import Catalog
from storage.base import ObjectNotFound
from studio.models import Invitation, Production, utcnow
from studio.settings import StudioSettings


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


def sign_in_operator(settings: StudioSettings, name: str, password: str) -> Identity:
    path = _operators_file(settings)
    users = json.loads(path.read_text()) if path.is_file() else {}
    user = users.get(name)
    expected = user["scrypt"] if user else _scrypt("not-a-user", b"0" * 16)  # same cost either way
    given = _scrypt(password, bytes.fromhex(user["salt"]) if user else b"0" * 16)
    if not user or not hmac.compare_digest(expected, given):
        raise AccessError("unknown operator or wrong password")
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


def invite(catalog: Catalog, settings: StudioSettings, production_id: str, reviewer: str, role: str,
           created_by: str, days: int | None = None, language: str = "en") -> tuple[Invitation, str]:
    """A new invitation and its link (the only place the token ever appears)."""
    production = catalog.load(Production, production_id)
    allowed = production.script_reviewers if role == "stakeholder" else production.family_reviewers
    if reviewer not in allowed:
        raise ValueError(f"{reviewer} is not a {role} reviewer of {production_id} (they are: {', '.join(allowed)}); "
                         "add them to the production first")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        id=f"inv-{secrets.token_hex(6)}", production_id=production_id, reviewer=reviewer, role=role,
        language=language, token_sha256=_token_hash(token), created_by=created_by,
        expires_at=utcnow() + timedelta(days=days or settings.portal.invitation_days))
    catalog.save(invitation)
    catalog.audit(created_by, "invitation.created", f"invitation/{invitation.id}", production=production_id,
                  reviewer=reviewer, role=role, expires=invitation.expires_at.isoformat())
    return invitation, f"{settings.portal.public_url.rstrip('/')}/?invite={token}"


def revoke_invitation(catalog: Catalog, invitation_id: str, actor: str) -> Invitation:
    invitation = catalog.load(Invitation, invitation_id)
    if invitation.revoked_at is None:
        invitation = invitation.model_copy(update={"revoked_at": utcnow()})
        catalog.save(invitation)
        catalog.audit(actor, "invitation.revoked", f"invitation/{invitation_id}")
    return invitation


def redeem(catalog: Catalog, token: str) -> Identity:
    """The identity an invitation link grants, or ``AccessError``."""
    digest = _token_hash(token.strip())
    match = next((i for i in catalog.find(Invitation) if hmac.compare_digest(i.token_sha256, digest)), None)
    if match is None:
        raise AccessError("this link is not valid; ask the studio for a new one")
    problem = match.problem()
    if problem:
        raise AccessError(problem)
    catalog.audit(match.reviewer, "invitation.used", f"invitation/{match.id}", production=match.production_id)
    return Identity(name=match.reviewer, kind="reviewer", production_id=match.production_id, role=match.role,
                    invitation_id=match.id, language=match.language)


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
