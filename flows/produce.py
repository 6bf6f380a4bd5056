"""The production flow: consent -> materials -> script (reviewed) -> voice -> video
(reviewed by the family) -> delivery. Review gates suspend the run with no process held;
a resume re-runs this function from the top: earlier gates answer from the studio's records
of their decisions, earlier tasks from their persisted results."""

from __future__ import annotations

from itertools import count

from prefect import flow

from core.settings import get_settings
from delivery.records import Delivery
from flows.takes import make_video, make_voice
from production.records import Production
from review.gates import PAUSE_KEY_SEPARATOR, GateOutcome
from runs import recovery
from runs.result_storage import RESULT_STORAGE, StudioResultStorage  # noqa: F401  (registers the block type)
from runs.task_runner import StudioTaskRunner
from runs.waiting import wait_at_gate
from script.records import ScriptVersion
from tasks.deliver import deliver
from tasks.materials import select_materials, study_persona
from tasks.production import check_consent, load_production
from tasks.review import open_review, record_decision, refuse_resume
from tasks.script import draft_script, revise_script
from tasks.voice import learn_voice
from video.records import VideoTake


def review_gate(production: Production, gate: str, round: int, script: ScriptVersion,
                previous_version: int | None = None, video: VideoTake | None = None,
                warm_s: int | None = None) -> GateOutcome:
    """Suspend until the gate's decision is recorded. What the run is resumed with is never
    read: a resume that finds no recorded decision suspends the run again (``script-1#1``).
    ``warm_s``: how long to wait with the process held first (default: the settings')."""
    request = open_review(production, gate, round, script, previous_version, video)
    for attempt in count():
        key = request.gate_key if attempt == 0 else f"{request.gate_key}{PAUSE_KEY_SEPARATOR}{attempt}"
        wait_at_gate(key, get_settings().prefect.warm_gate_seconds if warm_s is None else warm_s)
        outcome = record_decision(request)
        if outcome is not None:
            return outcome
        refuse_resume(request, attempt)


@flow(name="produce", persist_result=True, result_storage=RESULT_STORAGE, log_prints=True, task_runner=StudioTaskRunner(),
      on_crashed=[recovery.on_crashed], on_cancellation=[recovery.on_cancellation], on_failure=[recovery.on_failure])
def produce(production_id: str) -> Delivery:
    production = load_production(production_id)
    check_consent(production)
    materials = select_materials(production)
    timbre = learn_voice(production, materials)
    study_persona(production)
    script = draft_script(production, materials)
    approved_script = False
    script_round = video_round = 0
    take, notes, render = 1, [], 1
    previous_version = None
    while True:
        while not approved_script:
            script_round += 1
            reviewed = review_gate(production, "script", script_round, script, previous_version)
            approved_script = reviewed.status == "approved"
            if not approved_script:
                previous_version = script.version
                script = revise_script(production, materials, script, reviewed.decision)
        video_round += 1
        voice = make_voice(production, materials, script, take, notes, timbre)
        video = make_video(production, materials, voice, render)
        reviewed = review_gate(production, "video", video_round, script, None, video)
        if reviewed.status == "approved":
            check_consent(production)
            return deliver(production, script, video)
        redo = reviewed.decision.redo or "voice"
        if redo == "script":
            previous_version = script.version
            script = revise_script(production, materials, script, reviewed.decision)
            approved_script, render = False, 1
        elif redo == "voice":  # a new voice take with the reviewers' notes ("slower"), then its picture
            take, notes, render = take + 1, voice.notes + reviewed.decision.comments, 1
        else:  # "video": the same voice take, its picture made again
            render += 1
