"""The task that speaks a script version in the persona's voice."""

from __future__ import annotations

from prefect import task
from prefect.utilities.hashing import hash_objects

from core.settings import get_settings
from materials.records import MaterialSet
from media.asr import speech_check_options
from production.records import Production
from script.records import ScriptVersion
from tasks.context import PERSISTED, allowed, scratch, studio
from voice.assembly import synthesize
from voice.contract import SoundClip, VoiceRequest
from voice.records import VoiceTake, VoiceTimbre
from voice.registry import timbre_learner, voice_backend
from voice.timbre import learn_persona_timbre, prompt_clips


@task(**PERSISTED)
def learn_voice(production: Production, materials: MaterialSet) -> VoiceTimbre | None:
    """The persona's timbre as the voice backend learns it from the materials' prompts (stored
    once per set of prompts and transcripts); None for backends that clone from the prompt."""
    settings, catalog = studio()
    allowed(catalog, production)
    return learn_persona_timbre(catalog, timbre_learner(settings), materials, scratch(settings) / "timbre")


@task(**PERSISTED)
def synthesize_voice(production: Production, materials: MaterialSet, script: ScriptVersion, take: int, notes: list[str],
                     timbre: VoiceTimbre | None = None) -> VoiceTake:
    settings, catalog = studio()
    allowed(catalog, production, script)
    work = scratch(settings)
    prompts = prompt_clips(catalog, materials.voice_prompts)
    timbre = timbre if timbre and timbre.backend == settings.voice.backend else None
    bank = [SoundClip(path=catalog.media_path(s.clip), kind=s.kind, level_db=s.level_db) for s in materials.sound_bank]
    # a [drink] with no length of its own lasts as long as the persona's drinking footage
    drinking = [s.duration_s for s in materials.footage if s.label == "drinking"]
    result = synthesize(voice_backend(settings), VoiceRequest(
        sentences=script.sentences, language=script.language, prompts=prompts, median_f0_hz=materials.median_f0_hz,
        speaking_rate_wpm=materials.speaking_rate_wpm, sample_rate=settings.voice.sample_rate, notes=notes,
        out_path=work / "voice.wav", check=speech_check_options(settings), sound_bank=bank,
        cue_seconds={"drink": min(drinking[0], 10.0)} if drinking else {},
        timbre=catalog.media_path(timbre.conversion) if timbre else None))
    voice = VoiceTake(
        **result.model_dump(exclude={"path", "duration_s"}), id=f"{script.id}-voice-t{take}", production_id=production.id,
        script_version=script.version, take=take, audio=catalog.put_media_file(result.path, "audio/wav"),
        duration_s=round(result.duration_s, 3), notes=notes, timbre_id=timbre.id if timbre else None)
    return catalog.keep(voice, "studio", "voice.synthesized", duration_s=voice.duration_s, backend=voice.backend,
                        flagged=[c.index + 1 for c in voice.flagged])


def voice_cache_key(context, parameters) -> str:
    """A template re-run reuses the voice for the same words, prompts, take and voice settings."""
    settings = get_settings()
    timbre = parameters.get("timbre")
    return hash_objects("voice", parameters["materials"].id, parameters["script"].markup, parameters["take"],
                        parameters["notes"], settings.voice.model_dump(mode="json"), timbre.id if timbre else None,
                        context.task.task_key)
