"""A production's materials: the persona's usable uploads made into voice prompts, footage
segments (with the actions operators tagged) and a photo, chosen once per production."""

from __future__ import annotations

from pathlib import Path

from core.records import AssetRef
from core.settings import StudioSettings
from materials.records import ActionTag, MaterialSet, VoiceChoice
from materials.selection import action_segments, select_footage
from materials.transcripts import corrected_prompts
from materials.voice_prompts import select_voice_prompts
from media.asr import speech_check_options
from persona.uploads import usable_uploads
from storage.catalog import Catalog


def action_tags(catalog: Catalog, persona_id: str, footage: list[AssetRef]) -> list[ActionTag]:
    """Operators' action tags on the persona's footage still in use, in the order they play."""
    shas = {f.sha256 for f in footage}
    return sorted((t for t in catalog.find(ActionTag) if t.persona_id == persona_id and t.source.sha256 in shas),
                  key=lambda t: (t.source.sha256, t.start_s))


def assemble_materials(catalog: Catalog, settings: StudioSettings, production_id: str, persona_id: str,
                       work: Path) -> MaterialSet:
    """The production's material set (the stored one, where a retried step made it already)."""
    uploads = usable_uploads(catalog, persona_id)
    voice = [u.asset for u in uploads if u.role == "voice"]
    footage = [u.asset for u in uploads if u.role == "footage"]
    photos = [u.asset for u in uploads if u.role == "photo"]
    if not voice:
        raise ValueError(f"persona {persona_id} has no voice recordings; add some with `studio materials add --role voice`")
    if not footage and not photos:
        raise ValueError(f"persona {persona_id} has no footage or photo; add one with `studio materials add --role footage`")
    choice = catalog.get(VoiceChoice, persona_id)
    choice = choice if choice and choice.picks else None
    selection = select_voice_prompts(catalog, voice, work, check=speech_check_options(settings),
                                     picks=choice.picks if choice else None, picked_by=choice.chosen_by if choice else "")
    prompts = corrected_prompts(catalog, persona_id, selection.prompts)
    segments = select_footage(catalog, footage, work) if footage else []
    if footage and not segments and not photos:
        raise ValueError("no footage segment shows a face steadily for 2 s or more; add clearer footage or a photo")
    segments += action_segments(catalog, action_tags(catalog, persona_id, footage), work)
    materials = MaterialSet(
        id=f"{production_id}-materials", persona_id=persona_id, voice_prompts=prompts, footage=segments,
        photo=photos[0] if photos else None,
        median_f0_hz=sorted(p.median_f0_hz for p in prompts)[len(prompts) // 2],
        speaking_rate_wpm=selection.speaking_rate_wpm, sound_bank=selection.sound_bank,
        prompt_candidates=selection.candidates,
    )
    return catalog.keep(materials, "studio", "materials.selected", f"production/{production_id}", materials=materials.id,
                        prompts=len(prompts), footage_segments=len(segments), sounds=len(selection.sound_bank),
                        prompts_chosen_by="operator" if choice else "selection", recordings_left_out=selection.skipped)
