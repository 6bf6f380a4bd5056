"""Deliveries in hand: what a production delivered, and its files copied out for people, with
the verify report beside them; every download is audited."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.records import AssetRef
from delivery.records import Delivery
from production.records import Production

FILE_KINDS = (("video", ".mp4"), ("audio_mp3", ".mp3"), ("audio_wav", ".wav"), ("subtitles_srt", ".srt"),
              ("subtitles_vtt", ".vtt"))


class DeliveryOps:
    """Mixed into ``StudioAPI`` (``self.settings``, ``self.catalog``)."""

    def deliveries(self, production_id: str) -> list[Delivery]:
        """The production's deliveries, oldest first (revoked ones included, marked so)."""
        found = sorted((d for d in self.catalog.find(Delivery) if d.production_id == production_id),
                       key=lambda d: d.created_at)
        if not found and not self.catalog.exists(Production, production_id):
            raise ValueError(f"there is no production {production_id!r}; `studio status` lists them")
        return found

    def delivery_in_force(self, production_id: str) -> Delivery | None:
        """The production's latest delivery that is not revoked, if any."""
        found = [d for d in self.deliveries(production_id) if d.revoked_at is None]
        return found[-1] if found else None

    def delivery_files(self, delivery: Delivery) -> dict[str, AssetRef]:
        """File name -> stored file, for each file the delivery has."""
        return {f"{delivery.id}{suffix}": getattr(delivery, field) for field, suffix in FILE_KINDS
                if getattr(delivery, field) is not None}

    def fetch_delivery(self, production_id: str, to: Path, delivery_id: str | None = None,
                       actor: str | None = None) -> list[Path]:
        """Copy a delivery's files (the latest one in force by default) into ``to``, with the
        verify report of the copied video as ``<id>.verify.json``; a revoked delivery is refused."""
        found = self.deliveries(production_id)
        if delivery_id is not None:
            found = [d for d in found if d.id == delivery_id]
            if not found:
                raise ValueError(f"{production_id} has no delivery {delivery_id}; `studio delivery list {production_id}` "
                                 "shows them")
        elif not found:
            raise ValueError(f"{production_id} has not been delivered yet; `studio status` shows where it stands")
        delivery = found[-1]
        if delivery.revoked_at is not None:
            raise PermissionError(f"delivery {delivery.id} was revoked ({delivery.revocation_reason or 'no reason given'}); "
                                  "it is not handed out")
        to = Path(to)
        to.mkdir(parents=True, exist_ok=True)
        written = []
        for name, ref in self.delivery_files(delivery).items():
            written.append(Path(shutil.copyfile(self.catalog.media_path(ref), to / name)))
        report = self.verify(written[0])
        written.append(to / f"{delivery.id}.verify.json")
        written[-1].write_text(report.model_dump_json(indent=2), encoding="utf-8")
        self.note_download(delivery, [p.name for p in written], actor, verdict=report.verdict)
        return written

    def note_download(self, delivery: Delivery, files: list[str], actor: str | None = None, **details) -> None:
        """The audit line of a download (CLI, portal)."""
        self.catalog.audit(actor or self.settings.operator, "delivery.downloaded", f"delivery/{delivery.id}",
                           files=files, **details)
