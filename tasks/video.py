"""The task that renders the persona speaking a voice take."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.utilities.hashing import hash_objects

from delivery.trust.keys import watermark_key
from delivery.trust.mark_check import mark_survives
from materials.records import MaterialSet, MouthBankChoice
from production.records import Production
from script.records import ScriptVersion
from tasks.context import PERSISTED, allowed, scratch, studio
from video.contract import CUE_ACTIONS, FootageClip, VideoRequest
from video.records import VideoTake
from video.registry import video_backend
from video.take_quality import measure_take, render_with_report
from voice.records import VoiceTake


@task(**PERSISTED, tags=["video-render"])
def render_video(production: Production, materials: MaterialSet, voice: VoiceTake, render: int = 1) -> VideoTake:
    """The picture of ``voice``; ``render`` > 1 makes it again (reviewers sent it back to the video)."""
    settings, catalog = studio()
    allowed(catalog, production, catalog.load(ScriptVersion, ScriptVersion.id_for(production.id, voice.script_version)))
    work = scratch(settings)
    clips = [FootageClip(path=catalog.media_path(s.source), start_s=s.start_s, duration_s=s.duration_s, face_box=s.face_box,
                         label=s.label) for s in materials.footage]
    footage = [c for c in clips if c.label == "base"]
    bar = create_progress_artifact(0.0, description="video render")  # a progress bar in the Prefect UI
    photo = catalog.media_path(materials.photo) if materials.photo and not footage else None
    audio = catalog.media_path(voice.audio)
    request = VideoRequest(
        audio_path=audio, footage=footage, actions=[c for c in clips if c.label != "base"],
        cues=voice.cue_timings, words=[w for t in voice.sentence_timings for w in t.words], photo_path=photo,
        fps=settings.video.fps, max_height=settings.video.max_height, crf=settings.video.crf,
        preset=settings.video.preset, out_path=work / "video.mp4", bank_drops=bank_drops(catalog, production.persona_id))
    prompts = [catalog.media_path(p.clip) for p in materials.voice_prompts]
    trust = settings.trust
    mark = lambda path: [mark_survives(path, watermark_key(settings), work, trust.video_watermark_strength,  # noqa: E731
                                       trust.video_watermark_psnr_db)]
    labels = {c.label for c in clips}
    cuts = [(c.start_s - 0.1, c.end_s + 0.1) for c in voice.cue_timings if CUE_ACTIONS.get(c.kind) in labels]
    report = (lambda made: measure_take(made.path, audio, footage, photo, prompts, voice.checks, settings.quality,
                                        settings.video.fps, extra=mark, cuts=cuts)) if settings.quality.enabled else None
    result, quality = render_with_report(video_backend(settings), request, report,
                                         progress=lambda done: update_progress_artifact(bar, done))
    update_progress_artifact(bar, 100.0)
    video = VideoTake(
        **result.model_dump(exclude={"path", "duration_s"}),
        id=f"{production.id}-v{voice.script_version:03d}-video-t{voice.take}" + (f"-r{render}" if render > 1 else ""),
        production_id=production.id,
        script_version=voice.script_version, take=voice.take, voice_take_id=voice.id,
        video=catalog.put_media_file(result.path, "video/mp4"), duration_s=round(result.duration_s, 3), quality=quality)
    return catalog.keep(video, "studio", "video.rendered", duration_s=video.duration_s, backend=video.backend,
                        flagged=quality.flags if quality else [])


def bank_drops(catalog, persona_id: str) -> list[tuple]:
    """The footage frames an operator struck out of the persona's mouth bank, as (path, seconds)."""
    choice = catalog.get(MouthBankChoice, persona_id)
    return [(catalog.media_path(f.source), f.time_s) for f in choice.dropped] if choice else []


def video_cache_key(context, parameters) -> str:
    """A template re-run reuses the video for the same voice, footage, bank and video settings."""
    settings, catalog = studio()
    choice = catalog.get(MouthBankChoice, parameters["production"].persona_id)
    drops = [(f.source.sha256, f.time_s) for f in choice.dropped] if choice else []
    return hash_objects("video", parameters["materials"].id, parameters["voice"].audio.sha256, drops,
                        settings.video.model_dump(mode="json"), settings.quality.model_dump(mode="json"),
                        context.task.task_key)
