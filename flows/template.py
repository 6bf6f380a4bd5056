"""Re-run an approved template (a yearly greeting): consent is checked afresh, the persona's
material selection and every chunk of voice and video come from the cache when nothing they depend on changed,
and the result goes to one light family review, or straight to delivery when the template's
approval allows it. Scheduled by ``flows/serve.py`` from each template's cron."""

from __future__ import annotations

from prefect import flow

from delivery.records import Delivery
from flows.produce import review_gate
from flows.takes import make_video, make_voice
from runs.result_storage import RESULT_STORAGE, StudioResultStorage  # noqa: F401  (registers the block type)
from runs.task_runner import StudioTaskRunner
from tasks.deliver import deliver
from tasks.materials import materials_cache_key, select_materials
from tasks.production import check_consent, load_script, production_from_template, template_delivery_mode
from tasks.voice import learn_voice


@flow(name="rerun-template", persist_result=True, result_storage=RESULT_STORAGE, log_prints=True,
      task_runner=StudioTaskRunner())
def rerun_template(template_id: str, values: dict[str, str] | None = None) -> Delivery | None:
    production = production_from_template(template_id, values or {})
    check_consent(production)
    materials = select_materials.with_options(cache_key_fn=materials_cache_key)(production)
    timbre = learn_voice(production, materials)
    script = load_script(production, 1)
    voice = make_voice(production, materials, script, 1, [], timbre)
    video = make_video(production, materials, voice, 1)
    if template_delivery_mode(production) == "light_review":
        # unattended re-runs hold a deployment slot (one at a time), which a warm pause would
        # lose (see prefect.yaml): they suspend at once
        reviewed = review_gate(production, "video", 1, script, None, video, warm_s=0)
        if reviewed.status != "approved":
            print(f"the family asked for changes to {production.id}: {reviewed.decision.comments}; edit the template")
            return None
    check_consent(production)
    return deliver(production, script, video)
