"""The persona's materials as a render reads them: the footage clips (the base footage and the
tagged action clips), the photo where there is no footage, and the footage frames an operator
struck out of the mouth bank."""

from __future__ import annotations

from pathlib import Path

from materials.records import MaterialSet, MouthBankChoice
from video.contract import FootageClip


def footage_sources(catalog, materials: MaterialSet) -> tuple[list[FootageClip], list[FootageClip], Path | None]:
    """(the base footage, the tagged action clips, the photo where there is no footage)."""
    clips = [FootageClip(path=catalog.media_path(s.source), start_s=s.start_s, duration_s=s.duration_s, face_box=s.face_box,
                         label=s.label) for s in materials.footage]
    footage = [c for c in clips if c.label == "base"]
    photo = catalog.media_path(materials.photo) if materials.photo and not footage else None
    return footage, [c for c in clips if c.label != "base"], photo


def bank_drops(catalog, persona_id: str) -> list[tuple[Path, float]]:
    """The footage frames an operator struck out of the persona's mouth bank, as (path, seconds)."""
    choice = catalog.get(MouthBankChoice, persona_id)
    return [(catalog.media_path(f.source), f.time_s) for f in choice.dropped] if choice else []
