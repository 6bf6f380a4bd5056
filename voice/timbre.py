"""The persona's learned timbre: learned once per set of prompts, stored with the materials."""

from __future__ import annotations

import hashlib
from pathlib import Path

from materials.records import MaterialSet, VoicePrompt
from storage.catalog import Catalog
from voice.contract import PromptClip, TimbreError, TimbreLearner
from voice.records import VoiceTimbre


def prompt_clips(catalog: Catalog, prompts: list[VoicePrompt]) -> list[PromptClip]:
    """The materials' voice prompts as the voice contract takes them."""
    return [PromptClip(path=catalog.media_path(p.clip), style=p.style, median_f0_hz=p.median_f0_hz,
                       transcript=p.transcript) for p in prompts]


def timbre_id(persona_id: str, backend: str, materials: MaterialSet) -> str:
    digest = hashlib.sha256("\n".join([backend] + [f"{p.clip.sha256}:{p.transcript or ''}" for p in
                                                    materials.voice_prompts]).encode()).hexdigest()
    return f"{persona_id[:40]}-timbre-{backend}-{digest[:16]}"


def learn_persona_timbre(catalog: Catalog, learner: TimbreLearner | None, materials: MaterialSet,
                         work: Path) -> VoiceTimbre | None:
    """The stored timbre for these prompts, learned now where it is not stored yet; None where
    the backend learns nothing or no prompt has a transcript to learn from."""
    if learner is None:
        return None
    record_id = timbre_id(materials.persona_id, learner.name, materials)
    stored = catalog.get(VoiceTimbre, record_id)
    if stored is not None:
        return stored
    taught = [p for p in materials.voice_prompts if p.transcript]
    work.mkdir(parents=True, exist_ok=True)
    try:
        if not taught:
            raise TimbreError("no prompt has a transcript")
        learned = learner.learn(prompt_clips(catalog, taught), work / f"{record_id}.npz")
    except TimbreError as exc:  # the production goes on in the base voice; operators see why
        catalog.audit("studio", "voice.timbre_skipped", f"persona/{materials.persona_id}", materials=materials.id,
                      reason=str(exc))
        return None
    timbre = VoiceTimbre(
        id=record_id, persona_id=materials.persona_id, backend=learned.backend,
        conversion=catalog.put_media_file(learned.path, "application/octet-stream", name=f"{record_id}.npz"),
        prompts=[p.clip.sha256 for p in taught], transcripts=[p.transcript for p in taught],
        base_voice=learned.base_voice, frames=learned.frames, distance_before=learned.distance_before,
        distance_after=learned.distance_after, seconds_taken=learned.seconds)
    return catalog.keep(timbre, "studio", "voice.timbre_learned", f"persona/{materials.persona_id}",
                        timbre=timbre.id, materials=materials.id, seconds=learned.seconds, frames=learned.frames,
                        distance_before=learned.distance_before, distance_after=learned.distance_after)
