"""The API's share of access: invitations, operators' passwords and sign-in, and reading
files for people (verify, a frame, a length), so the portal and the CLI need nothing else."""

from __future__ import annotations

from pathlib import Path

from core.records import AssetRef
from delivery.records import VerifyReport
from delivery.verify import verify_file
from media.ffmpeg_io import MediaError, frame_jpeg, probe
from review import access
from review.access import Identity
from review.records import Invitation


class AccessOps:
    """Mixed into ``StudioAPI`` (``self.settings``, ``self.catalog``)."""

    # ------------------------------------------------------------ invitations
    def invite(self, production_id: str, reviewer: str, role: str, days: int | None = None, language: str = "en",
               actor: str | None = None) -> tuple[Invitation, str]:
        """A new invitation and its link (the only time the link is shown). A ``recipient`` (anyone
        the finished video is for) is invited once the production is delivered."""
        if role == "recipient" and self.delivery_in_force(production_id) is None:
            raise ValueError(f"{production_id} has no delivery in force; invite recipients once it is delivered")
        return access.invite(self.catalog, self.settings, production_id, reviewer, role, actor or self.settings.operator,
                             days, language)

    def reissue_invitation(self, invitation_id: str, days: int | None = None,
                           actor: str | None = None) -> tuple[Invitation, str]:
        return access.reissue_invitation(self.catalog, self.settings, invitation_id, actor or self.settings.operator, days)

    def invitations(self, production_id: str) -> list[Invitation]:
        """The production's invitations, newest first (revoked and expired ones included)."""
        return sorted((i for i in self.catalog.find(Invitation) if i.production_id == production_id),
                      key=lambda i: i.created_at, reverse=True)

    def revoke_invitation(self, invitation_id: str, actor: str | None = None) -> Invitation:
        return access.revoke_invitation(self.catalog, invitation_id, actor or self.settings.operator)

    def redeem(self, token: str, browser: str | None = None) -> Identity:
        """Who an invitation link signs in (bound to the first browser that opens it)."""
        return access.redeem(self.catalog, token, browser)

    def still_valid(self, identity: Identity) -> Identity:
        return access.still_valid(self.catalog, identity)

    # -------------------------------------------------------------- operators
    def set_operator_password(self, name: str, password: str) -> None:
        access.set_operator_password(self.settings, name, password)

    def operator_exists(self, name: str) -> bool:
        return access.operator_exists(self.settings, name)

    def sign_in_operator(self, name: str, password: str) -> Identity:
        return access.sign_in_operator(self.settings, name, password, self.catalog)

    def operator_from_oidc(self, email: str | None, name: str | None = None) -> Identity:
        return access.operator_from_oidc(self.settings, email, name)

    # ----------------------------------------------------------------- files
    def verify(self, path: Path) -> VerifyReport:
        """What a file is: one of ours (authorised, revoked, unapproved), marked by an unknown
        registry, or not marked at all."""
        return verify_file(self.catalog, self.settings, Path(path))

    def frame(self, media: AssetRef | Path, at_s: float, max_width: int = 640) -> bytes | None:
        """A JPEG of the picture at ``at_s`` (None when there is none there)."""
        path = self.catalog.media_path(media) if isinstance(media, AssetRef) else Path(media)
        try:
            return frame_jpeg(path, at_s, max_width=max_width)
        except MediaError:
            return None

    def media_seconds(self, media: AssetRef) -> float:
        return probe(self.catalog.media_path(media)).duration_s
