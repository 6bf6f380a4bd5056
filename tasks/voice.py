"""The tasks that speak a script version in the persona's voice: chunk by chunk, each chunk a
task of its own with its result kept under its key (``voice.chunks``), then joined once."""

from __future__ import annotations

import socket
import time

from prefect import task

from core.keys import source_digest
from core.records import TakeChunk, utcnow
from materials.records import MaterialSet
from media.asr import speech_check_options
from production.records import Production
from review.comments import sentence_anchors
from script.records import ScriptVersion
from tasks.context import CHUNK, PERSISTED, allowed, scratch, studio
from voice.chunks import VoiceChunk, VoiceChunkJob, VoicePlan, digest, join_chunks, plan_chunks, speak_chunk_audio
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


def _timbre(settings, timbre: VoiceTimbre | None) -> VoiceTimbre | None:
    return timbre if timbre and timbre.backend == settings.voice.backend else None


@task(**PERSISTED)
def plan_voice(production: Production, materials: MaterialSet, script: ScriptVersion, take: int, notes: list[str],
               timbre: VoiceTimbre | None = None) -> VoicePlan:
    """The take's chunks and their keys; notes on a time of the last take reach its sentence."""
    settings, catalog = studio()
    allowed(catalog, production, script)
    timbre = _timbre(settings, timbre)
    check = speech_check_options(settings)
    context = digest(materials.id, timbre.id if timbre else None, script.language, settings.voice.model_dump(mode="json"),
                     check.model_dump(mode="json", exclude={"model_dir"}) if check else None, source_digest("voice"))
    return plan_chunks(script.sentences, sentence_anchors(catalog, script, notes), context, 1 / settings.video.fps,
                       utcnow())


def chunk_key(context, parameters) -> str:
    """A chunk is reused wherever its key was made before (any run, any production)."""
    return parameters["job"].key


@task(**CHUNK, cache_key_fn=chunk_key, tags=["voice-chunk"])
def speak_chunk(production: Production, materials: MaterialSet, language: str, job: VoiceChunkJob,
                timbre: VoiceTimbre | None = None) -> VoiceChunk:
    started = time.perf_counter()
    settings, catalog = studio()
    allowed(catalog, production)
    timbre = _timbre(settings, timbre)
    bank = [SoundClip(path=catalog.media_path(s.clip), kind=s.kind, level_db=s.level_db) for s in materials.sound_bank]
    # a [drink] with no length of its own lasts as long as the persona's drinking footage
    drinking = [s.duration_s for s in materials.footage if s.label == "drinking"]
    request = VoiceRequest(
        sentences=job.sentences, language=language, prompts=prompt_clips(catalog, materials.voice_prompts),
        median_f0_hz=materials.median_f0_hz, speaking_rate_wpm=materials.speaking_rate_wpm,
        sample_rate=settings.voice.sample_rate, out_path=scratch(settings) / "chunk.wav", check=speech_check_options(settings),
        sound_bank=bank, cue_seconds={"drink": min(drinking[0], 10.0)} if drinking else {},
        timbre=catalog.media_path(timbre.conversion) if timbre else None)
    backend = voice_backend(settings)
    spoken, duration = speak_chunk_audio(backend, request, job)
    return VoiceChunk(key=job.key, audio=catalog.put_media_file(request.out_path, "audio/wav"), duration_s=duration,
                      sample_rate=request.sample_rate, sentence_timings=spoken.timings, checks=spoken.checks,
                      cue_timings=spoken.cues, backend=backend.name, made_on=socket.gethostname(), made_at=utcnow(),
                      seconds=round(time.perf_counter() - started, 2))


@task(**PERSISTED)
def assemble_voice(production: Production, script: ScriptVersion, take: int, plan: VoicePlan, chunks: list[VoiceChunk],
                   timbre: VoiceTimbre | None = None) -> VoiceTake:
    """The chunks joined and levelled once into the take; which were already in an earlier take."""
    settings, catalog = studio()
    allowed(catalog, production, script)
    out = scratch(settings) / "voice.wav"
    duration, timings, cues, spans = join_chunks([catalog.media_path(c.audio) for c in chunks], chunks, out)
    used = [TakeChunk(key=c.key, sentences=(job.first, job.first + len(job.sentences) - 1), start_s=a, end_s=b,
                      made_on=c.made_on, made_at=c.made_at, reused=c.made_at < plan.made_at, asset=c.audio)
            for job, c, (a, b) in zip(plan.jobs, chunks, spans)]
    timbre = _timbre(settings, timbre)
    voice = VoiceTake(
        id=f"{script.id}-voice-t{take}", production_id=production.id, script_version=script.version, take=take,
        audio=catalog.put_media_file(out, "audio/wav"), duration_s=round(duration, 3), sample_rate=chunks[0].sample_rate,
        sentence_timings=timings, backend=chunks[0].backend, notes=plan.notes, checks=[c for ch in chunks for c in ch.checks],
        cue_timings=cues, timbre_id=timbre.id if timbre else None, chunks=used)
    return catalog.keep(voice, "studio", "voice.synthesized", duration_s=voice.duration_s, backend=voice.backend,
                        flagged=[c.index + 1 for c in voice.flagged], chunks=len(used),
                        remade=sum(not c.reused for c in used))
