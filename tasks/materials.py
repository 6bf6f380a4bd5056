"""Tasks that choose a production's materials and study the persona's way of speaking."""

from __future__ import annotations

from prefect import task
from prefect.utilities.hashing import hash_objects

from materials.assemble import assemble_materials
from materials.records import ActionTag, MaterialSet, TranscriptCorrection
from media.asr import speech_check_options
from persona.corpus import build_corpus, refresh_style_profile
from persona.records import StyleProfile
from persona.uploads import usable_uploads
from production.records import Production
from tasks.context import PERSISTED, allowed, scratch, studio


@task(**PERSISTED)
def select_materials(production: Production) -> MaterialSet:
    settings, catalog = studio()
    allowed(catalog, production)
    return assemble_materials(catalog, settings, production.id, production.persona_id, scratch(settings))


@task(**PERSISTED)
def study_persona(production: Production) -> StyleProfile:
    """The persona's corpus (text uploads, and transcripts of their recordings) and the style
    profile derived from it, brought up to date with their uploads; operators' edits are kept."""
    settings, catalog = studio()
    allowed(catalog, production)
    corpus = build_corpus(catalog, production.persona_id,
                          check=speech_check_options(settings) if settings.llm.transcribe_recordings else None)
    return refresh_style_profile(catalog, corpus)


def materials_cache_key(context, parameters) -> str:
    """A template re-run reuses the material selection while the persona's uploads and tags are the same."""
    production = parameters["production"]
    _, catalog = studio()
    shas = sorted(u.asset.sha256 + u.role for u in usable_uploads(catalog, production.persona_id))
    tags = sorted(t.id for t in catalog.find(ActionTag) if t.persona_id == production.persona_id)
    fixes = sorted((c.id, c.text) for c in catalog.find(TranscriptCorrection) if c.persona_id == production.persona_id)
    return hash_objects("materials", production.persona_id, shas, tags, fixes, context.task.task_key)
