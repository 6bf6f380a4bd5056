"""How a take is made: its chunks handed to the flow's task runner (``runs.task_runner``: this
machine's threads, or a Dask cluster's workers), each found again under its key when it was
made before, then joined. Used by every flow that makes a take."""

from __future__ import annotations

from materials.records import MaterialSet
from production.records import Production
from script.records import ScriptVersion
from tasks.video import assemble_video, plan_video, render_carefully, render_chunk
from tasks.voice import assemble_voice, plan_voice, speak_chunk
from video.chunks import VideoPlan
from video.records import VideoTake
from voice.records import VoiceTake, VoiceTimbre


def make_voice(production: Production, materials: MaterialSet, script: ScriptVersion, take: int, notes: list[str],
               timbre: VoiceTimbre | None) -> VoiceTake:
    plan = plan_voice(production, materials, script, take, notes, timbre)
    chunks = [speak_chunk.submit(production, materials, script.language, job, timbre) for job in plan.jobs]
    return assemble_voice(production, script, take, plan, [c.result() for c in chunks], timbre)


def make_video(production: Production, materials: MaterialSet, voice: VoiceTake, render: int) -> VideoTake:
    """The picture: the safer way from the start where this persona's first chunk fell short in
    ways it mends; else the usual way, rendered once more the safer way where the take falls short."""

    def take(plan: VideoPlan, first: VideoTake | None = None) -> VideoTake:
        chunks = [render_chunk.submit(production, materials, job) for job in plan.jobs]
        return assemble_video(production, materials, voice, render, plan, [c.result() for c in chunks], first)

    usual = plan_video(production, materials, voice)
    if render_carefully(production, materials, usual):
        return take(plan_video(production, materials, voice, careful=True))
    video = take(usual)
    return take(plan_video(production, materials, voice, careful=True), video) if video.quality and video.quality.mendable else video
