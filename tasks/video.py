"""The tasks that render the persona speaking a voice take: chunk by chunk (``video.chunks``),
each chunk a task of its own with its result kept under its key, then joined and measured once."""

from __future__ import annotations

import socket
import time

from prefect import task

from core.keys import source_digest
from core.records import TakeChunk, utcnow
from core.settings import get_settings
from delivery.trust.keys import watermark_key
from delivery.trust.mark_check import mark_survives
from materials.records import MaterialSet, MouthBankChoice
from media.ffmpeg_io import concat_with_sound
from production.records import Production
from script.records import ScriptVersion
from tasks.context import CHUNK, PERSISTED, allowed, scratch, studio
from tasks.voice import chunk_key
from video.chunks import VideoChunk, VideoChunkJob, VideoPlan, plan_video_chunks
from video.contract import CUE_ACTIONS, VideoRequest
from video.records import VideoTake
from video.registry import video_backend
from video.sources import bank_drops, footage_sources
from video.take_quality import keep_better, measure_take
from voice.chunks import digest
from voice.records import VoiceTake


@task(**PERSISTED)
def plan_video(production: Production, materials: MaterialSet, voice: VoiceTake, careful: bool = False) -> VideoPlan:
    """One video chunk per voice chunk, keyed by its sound and the take's context."""
    settings, catalog = studio()
    allowed(catalog, production)
    choice = catalog.get(MouthBankChoice, production.persona_id)
    drops = [(f.source.sha256, f.time_s) for f in choice.dropped] if choice else []
    context = digest(materials.id, drops, settings.video.model_dump(mode="json"), source_digest("video"))
    return plan_video_chunks(voice, context, careful, utcnow())


@task(**CHUNK, cache_key_fn=chunk_key, tags=["video-render"])
def render_chunk(production: Production, materials: MaterialSet, job: VideoChunkJob) -> VideoChunk:
    started = time.perf_counter()
    settings, catalog = studio()
    allowed(catalog, production)
    footage, actions, photo = footage_sources(catalog, materials)
    v = settings.video
    request = VideoRequest(
        audio_path=catalog.media_path(job.audio), footage=footage, actions=actions, cues=job.cues, words=job.words,
        photo_path=photo, fps=v.fps, max_height=v.max_height, crf=v.crf, preset=v.preset, out_path=scratch(settings) / "chunk.mp4",
        bank_drops=bank_drops(catalog, production.persona_id), careful=job.careful, anchored=True)
    result = video_backend(settings).render(request)
    return VideoChunk(key=job.key, video=catalog.put_media_file(result.path, "video/mp4"), frames=round(result.duration_s * v.fps),
                      width=result.width, height=result.height, fps=v.fps, backend=result.backend, notes=result.notes,
                      made_on=socket.gethostname(), made_at=utcnow(), seconds=round(time.perf_counter() - started, 2))


def choice_key(context, parameters) -> str:
    """One choice per persona's materials, video settings and quality limits (any run, any production)."""
    return digest("render-choice", parameters["plan"].context, get_settings().quality.model_dump(mode="json"))


@task(**CHUNK, cache_key_fn=choice_key)
def render_carefully(production: Production, materials: MaterialSet, plan: VideoPlan) -> bool:
    """Whether takes of these materials are rendered the safer way from the start: decided once,
    on the first chunk of ``plan`` (the usual way) rendered and measured as a take is. A take whose
    picture falls short where the safer render mends it is otherwise rendered twice, whole."""
    settings, catalog = studio()
    allowed(catalog, production)
    if not settings.quality.enabled:
        return False
    job = plan.jobs[0]
    first = render_chunk(production, materials, job)  # kept under its key: the take reuses it if the usual way holds
    footage, _, photo = footage_sources(catalog, materials)
    quality = measure_take(catalog.media_path(first.video), catalog.media_path(job.audio), footage, photo, [], [],
                           settings.quality, settings.video.fps)
    return quality.mendable


@task(**PERSISTED)
def assemble_video(production: Production, materials: MaterialSet, voice: VoiceTake, render: int, plan: VideoPlan,
                   chunks: list[VideoChunk], first: VideoTake | None = None) -> VideoTake:
    """The chunks' pictures joined under the voice take's sound and measured once. A take that
    falls short where a safer render could mend it is returned unsaved (the flow renders the
    safer one, which is then kept, or this one where it measured better)."""
    settings, catalog = studio()
    allowed(catalog, production, catalog.load(ScriptVersion, ScriptVersion.id_for(production.id, voice.script_version)))
    work = scratch(settings)
    audio = catalog.media_path(voice.audio)
    joined = concat_with_sound([catalog.media_path(c.video) for c in chunks], audio, work / "video.mp4")
    used = [TakeChunk(key=c.key, sentences=job.sentences, start_s=job.start_s, end_s=round(job.start_s + job.seconds, 3),
                      made_on=c.made_on, made_at=c.made_at, reused=c.made_at < plan.made_at, asset=c.video)
            for job, c in zip(plan.jobs, chunks)]
    quality = None
    if settings.quality.enabled:
        footage, actions, photo = footage_sources(catalog, materials)
        trust = settings.trust
        labels = {c.label for c in actions}
        quality = measure_take(
            work / "video.mp4", audio, footage, photo, [catalog.media_path(p.clip) for p in materials.voice_prompts],
            voice.checks, settings.quality, settings.video.fps,
            extra=lambda path: [mark_survives(path, watermark_key(settings), work, trust.video_watermark_strength,
                                              trust.video_watermark_psnr_db)],
            cuts=[(c.start_s - 0.1, c.end_s + 0.1) for c in voice.cue_timings if CUE_ACTIONS.get(c.kind) in labels],
            joins=[c.start_s for c in used[1:]])
    video = VideoTake(
        id=f"{production.id}-v{voice.script_version:03d}-video-t{voice.take}" + (f"-r{render}" if render > 1 else ""),
        production_id=production.id, script_version=voice.script_version, take=voice.take, voice_take_id=voice.id,
        video=catalog.put_media_file(work / "video.mp4", "video/mp4"), duration_s=round(joined.duration_s, 3),
        width=chunks[0].width, height=chunks[0].height, fps=chunks[0].fps, backend=chunks[0].backend, notes=chunks[0].notes,
        quality=quality, chunks=used)
    if first is None and not plan.careful and quality and quality.mendable:
        return video
    video = keep_better(first, video) if first is not None else video
    return catalog.keep(video, "studio", "video.rendered", duration_s=video.duration_s, backend=video.backend, careful=plan.careful,
                        flagged=video.quality.flags if video.quality else [], chunks=len(used),
                        remade=sum(not c.reused for c in video.chunks))

