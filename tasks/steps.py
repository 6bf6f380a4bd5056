"""The production's Prefect tasks: thin wrappers that load records, re-check consent, call a
backend and store what it made. They take and return models (records and AssetRefs)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from prefect import task
from prefect.cache_policies import DEFAULT, NO_CACHE
from prefect.runtime import flow_run

from storage import Catalog, open_catalog
from studio.consent import consent_for, require_allowed_content
from studio.contracts import (DraftRequest, FootageClip, PersonaStyle, PromptClip, ReviseRequest, SoundClip, VideoRequest,
                              VoiceRequest)
from studio.models import (
    ActionTag, AssetRef, Brief, ConsentRecord, Delivery, MaterialSet, Persona, PersonaCorpus, Production,
    ReviewComment, ReviewDecision, ReviewRequest, ScriptVersion, StyleProfile, Template, VideoTake, VoiceChoice,
    VoiceTake, WatermarkRecord, utcnow,
)
from studio.gates import GateOutcome
from studio.uploads import usable_uploads
from studio.settings import StudioSettings, get_settings
from tasks.asr import speech_check_options

# The production record's status changes while a run waits; one run serves one production,
# so the run id (in DEFAULT) already identifies it and the record is left out of cache keys.
PERSISTED = dict(persist_result=True, retries=1, retry_delay_seconds=5, cache_policy=DEFAULT - "production")


def _ctx() -> tuple[StudioSettings, Catalog]:
    settings = get_settings()
    return settings, open_catalog(settings)


def _scratch(settings: StudioSettings) -> Path:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=settings.work_dir, prefix="step-"))


def _consent(catalog: Catalog, production: Production, script: ScriptVersion | None = None) -> ConsentRecord:
    """Every generating or delivering step calls this first; with a script, its words are checked too."""
    consent = consent_for(catalog, production)
    if script is not None:
        require_allowed_content(consent, [s.text for s in script.sentences])
    return consent


@task(cache_policy=NO_CACHE)
def load_production(production_id: str) -> Production:
    """The production; a run back after a crash goes on (up to ``MAX_RESTARTS`` times)."""
    from studio.recovery import MAX_RESTARTS, crash_restarts

    settings, catalog = _ctx()
    production = catalog.load(Production, production_id)
    run_id = str(flow_run.get_id() or "")
    if run_id and (restarts := crash_restarts(run_id, settings)) > MAX_RESTARTS:
        raise RuntimeError(f"this run crashed and was rescheduled {restarts} times; read its logs in the Prefect UI, "
                           "mend the cause and start the production again")
    if production.status == "interrupted":
        catalog.save(production.model_copy(update={"status": "running"}))
        catalog.audit("studio", "production.resumed", f"production/{production_id}", flow_run=run_id)
    return production


@task(cache_policy=NO_CACHE)
def check_consent(production: Production) -> ConsentRecord:
    """Never cached: every run and every resume checks consent afresh."""
    _, catalog = _ctx()
    consent = _consent(catalog, production)
    catalog.audit("studio", "consent.checked", f"production/{production.id}", consent=consent.id)
    return consent


@task(**PERSISTED)
def select_materials(production: Production) -> MaterialSet:
    from tasks.materials import action_segments, select_footage
    from tasks.voice_materials import select_voice_prompts

    settings, catalog = _ctx()
    _consent(catalog, production)
    uploads = usable_uploads(catalog, production.persona_id)
    voice = [u.asset for u in uploads if u.role == "voice"]
    footage = [u.asset for u in uploads if u.role == "footage"]
    photos = [u.asset for u in uploads if u.role == "photo"]
    if not voice:
        raise ValueError(f"persona {production.persona_id} has no voice recordings; add some with `studio materials add --role voice`")
    if not footage and not photos:
        raise ValueError(f"persona {production.persona_id} has no footage or photo; add one with `studio materials add --role footage`")
    work = _scratch(settings)
    choice = catalog.load(VoiceChoice, production.persona_id) if catalog.exists(VoiceChoice, production.persona_id) else None
    choice = choice if choice and choice.picks else None
    selection = select_voice_prompts(catalog, voice, work, check=speech_check_options(settings),
                                     picks=choice.picks if choice else None, picked_by=choice.chosen_by if choice else "")
    prompts = selection.prompts
    segments = select_footage(catalog, footage, work) if footage else []
    if footage and not segments and not photos:
        raise ValueError("no footage segment shows a face steadily for 2 s or more; add clearer footage or a photo")
    segments += action_segments(catalog, _action_tags(catalog, production.persona_id, footage), work)
    materials = MaterialSet(
        id=f"{production.id}-materials", persona_id=production.persona_id, voice_prompts=prompts, footage=segments,
        photo=photos[0] if photos else None,
        median_f0_hz=sorted(p.median_f0_hz for p in prompts)[len(prompts) // 2],
        speaking_rate_wpm=selection.speaking_rate_wpm, sound_bank=selection.sound_bank,
        prompt_candidates=selection.candidates,
    )
    if catalog.exists(MaterialSet, materials.id):
        return catalog.load(MaterialSet, materials.id)
    catalog.save(materials)
    catalog.audit("studio", "materials.selected", f"production/{production.id}", materials=materials.id,
                  prompts=len(prompts), footage_segments=len(segments), sounds=len(selection.sound_bank),
                  prompts_chosen_by="operator" if choice else "selection", recordings_left_out=selection.skipped)
    return materials


def _action_tags(catalog: Catalog, persona_id: str, footage: list[AssetRef]) -> list[ActionTag]:
    shas = {f.sha256 for f in footage}
    return sorted((t for t in catalog.find(ActionTag) if t.persona_id == persona_id and t.source.sha256 in shas),
                  key=lambda t: (t.source.sha256, t.start_s))


@task(**PERSISTED)
def study_persona(production: Production) -> StyleProfile:
    """The persona's corpus (text uploads, and transcripts of their recordings) and the style
    profile derived from it, brought up to date with their uploads; operators' edits are kept."""
    from tasks.persona_corpus import build_corpus, refresh_style_profile

    settings, catalog = _ctx()
    _consent(catalog, production)
    corpus = build_corpus(catalog, production.persona_id,
                          check=speech_check_options(settings) if settings.llm.transcribe_recordings else None)
    return refresh_style_profile(catalog, corpus)


def _persona_style(catalog: Catalog, settings: StudioSettings, production: Production, materials: MaterialSet,
                   passages: list[str] | None = None) -> tuple[PersonaStyle, list[str]]:
    """What the drafter is told of the persona: its profile and the passages retrieved for the
    brief (or ``passages``, those an earlier version was given); and the whole corpus, for the checks."""
    from tasks.persona_corpus import build_corpus, refresh_style_profile
    from tasks.retrieval import PassageIndex

    persona = catalog.load(Persona, production.persona_id)
    corpus = (catalog.load(PersonaCorpus, persona.id) if catalog.exists(PersonaCorpus, persona.id)
              else build_corpus(catalog, persona.id))
    profile = (catalog.load(StyleProfile, persona.id) if catalog.exists(StyleProfile, persona.id)
               else refresh_style_profile(catalog, corpus))
    if passages is None:
        brief = production.brief
        index = PassageIndex(corpus.texts, brief.language, embeddings=settings.llm.embeddings)
        passages = [h.text for h in index.search(" ".join([brief.occasion, brief.audience, *brief.points]),
                                                 settings.llm.passages)]
    styles = list(dict.fromkeys(p.style for p in materials.voice_prompts))
    return PersonaStyle(name=persona.display_name, past_passages=passages, profile=profile, styles=styles), corpus.texts


def _authors(catalog: Catalog, production: Production, version: int, decision: ReviewDecision) -> list[str]:
    """Who asked for each comment: the reviewer who wrote it in the portal, else the one who decided."""
    written = {c.as_instruction(): c.author for c in catalog.find(ReviewComment)
               if c.production_id == production.id and c.script_version == version and c.reply_to is None}
    return [written.get(c, decision.reviewer) for c in decision.comments]


def _sentence_anchors(catalog: Catalog, previous: ScriptVersion, comments: list[str]) -> list[str]:
    """Comments anchored to a time of the reviewed take (``[0:12.0-0:15.5] ...``) as anchored to
    the sentence spoken then (``[sentence 4] ...``), so the writer changes that sentence only."""
    import re

    takes = [t for t in catalog.find(VoiceTake) if t.production_id == previous.production_id
             and t.script_version == previous.version]
    if not takes:
        return comments
    timings = max(takes, key=lambda t: t.take).sentence_timings
    out = []
    for c in comments:
        m = re.match(r"^\[(\d+):(\d+(?:\.\d+)?)-(\d+):(\d+(?:\.\d+)?)\]\s*(.+)$", c.strip(), re.S)
        if m and timings:
            middle = (int(m.group(1)) * 60 + float(m.group(2)) + int(m.group(3)) * 60 + float(m.group(4))) / 2
            spoken = min(timings, key=lambda t: 0 if t.start_s <= middle <= t.end_s else min(abs(t.start_s - middle),
                                                                                           abs(t.end_s - middle)))
            c = f"[sentence {spoken.index + 1}] {m.group(5).strip()}"
        out.append(c)
    return out


def _save_script(catalog: Catalog, script: ScriptVersion) -> ScriptVersion:
    if catalog.exists(ScriptVersion, script.id):  # a retried task finds its own earlier write
        return catalog.load(ScriptVersion, script.id)
    catalog.save(script)
    catalog.audit(script.requested_by or "studio", "script.version_created", f"script/{script.id}",
                  version=script.version, based_on=script.based_on, comments=script.comments, backend=script.backend,
                  flags=[f"{f.kind}@{f.sentence}" for f in script.flags])
    return script


@task(**PERSISTED)
def draft_script(production: Production, materials: MaterialSet) -> ScriptVersion:
    from tasks.backends import script_backend

    settings, catalog = _ctx()
    consent = _consent(catalog, production)
    persona, corpus = _persona_style(catalog, settings, production, materials)
    result = script_backend(settings).draft(DraftRequest(
        brief=production.brief, persona=persona, forbidden_topics=consent.scope.forbidden_topics,
        scope=consent.scope, corpus=corpus))
    return _save_script(catalog, ScriptVersion(
        id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
        language=production.brief.language, sentences=result.sentences, backend=result.backend,
        comments=result.notes, flags=result.flags, passages_used=persona.past_passages))


@task(**PERSISTED)
def revise_script(production: Production, materials: MaterialSet, previous: ScriptVersion, decision: ReviewDecision) -> ScriptVersion:
    from tasks.backends import script_backend

    settings, catalog = _ctx()
    consent = _consent(catalog, production)
    # a revision works on the version before it, with the passages its draft was given: no new retrieval
    persona, corpus = _persona_style(catalog, settings, production, materials, passages=previous.passages_used)
    if decision.edited_script is not None:  # the reviewer's own words, exactly
        from studio.contracts import ScriptResult
        from studio.models import ScriptChange
        from studio.script_markup import parse_markup
        from tasks.script_checks import check_script

        sentences = parse_markup(decision.edited_script)
        require_allowed_content(consent, [s.text for s in sentences])
        result = ScriptResult(sentences=sentences, backend="edit", changes=[ScriptChange(
            comment="edited the script", asked_by=decision.reviewer, how="rule",
            sentences=[n for n, s in enumerate(sentences, 1) if s not in previous.sentences])],
            flags=check_script(sentences, previous.language, consent.scope, corpus=corpus, brief=production.brief))
    else:
        result = script_backend(settings).revise(ReviseRequest(
            brief=production.brief, persona=persona, previous=previous.sentences,
            comments=_sentence_anchors(catalog, previous, decision.comments),
            authors=_authors(catalog, production, previous.version, decision),
            forbidden_topics=consent.scope.forbidden_topics, scope=consent.scope, corpus=corpus))
    version = previous.version + 1
    return _save_script(catalog, ScriptVersion(
        id=ScriptVersion.id_for(production.id, version), production_id=production.id, version=version,
        language=previous.language, sentences=result.sentences, based_on=previous.version,
        comments=decision.comments + result.notes, requested_by=decision.reviewer, backend=result.backend,
        changes=result.changes, flags=result.flags, passages_used=persona.past_passages))


@task(**PERSISTED)
def synthesize_voice(production: Production, materials: MaterialSet, script: ScriptVersion, take: int, notes: list[str]) -> VoiceTake:
    from tasks.backends import voice_backend

    settings, catalog = _ctx()
    _consent(catalog, production, script)
    work = _scratch(settings)
    prompts = [PromptClip(path=catalog.media_path(p.clip), style=p.style, median_f0_hz=p.median_f0_hz,
                          transcript=p.transcript) for p in materials.voice_prompts]
    bank = [SoundClip(path=catalog.media_path(s.clip), kind=s.kind) for s in materials.sound_bank]
    # a [drink] with no length of its own lasts as long as the persona's drinking footage
    drinking = [s.duration_s for s in materials.footage if s.label == "drinking"]
    result = voice_backend(settings).synthesize(VoiceRequest(
        sentences=script.sentences, language=script.language, prompts=prompts, median_f0_hz=materials.median_f0_hz,
        speaking_rate_wpm=materials.speaking_rate_wpm, sample_rate=settings.voice.sample_rate, notes=notes,
        out_path=work / "voice.wav", check=speech_check_options(settings), sound_bank=bank,
        cue_seconds={"drink": min(drinking[0], 10.0)} if drinking else {}))
    voice = VoiceTake(
        id=f"{script.id}-voice-t{take}", production_id=production.id, script_version=script.version, take=take,
        audio=catalog.put_media_file(result.path, "audio/wav"), duration_s=round(result.duration_s, 3),
        sample_rate=result.sample_rate, sentence_timings=result.sentence_timings, backend=result.backend, notes=notes,
        checks=result.checks, cue_timings=result.cue_timings)
    if not catalog.exists(VoiceTake, voice.id):
        catalog.save(voice)
        catalog.audit("studio", "voice.synthesized", f"voice/{voice.id}", duration_s=voice.duration_s, backend=voice.backend,
                      flagged=[c.index + 1 for c in voice.flagged])
    return catalog.load(VoiceTake, voice.id)


@task(**PERSISTED, tags=["video-render"])
def render_video(production: Production, materials: MaterialSet, voice: VoiceTake) -> VideoTake:
    from prefect.artifacts import create_progress_artifact, update_progress_artifact

    from tasks.backends import video_backend

    settings, catalog = _ctx()
    _consent(catalog, production, catalog.load(ScriptVersion, ScriptVersion.id_for(production.id, voice.script_version)))
    work = _scratch(settings)
    clips = [FootageClip(path=catalog.media_path(s.source), start_s=s.start_s, duration_s=s.duration_s, face_box=s.face_box,
                         label=s.label) for s in materials.footage]
    footage = [c for c in clips if c.label == "base"]
    bar = create_progress_artifact(0.0, description="video render")  # a progress bar in the Prefect UI
    result = video_backend(settings).render(VideoRequest(
        audio_path=catalog.media_path(voice.audio), footage=footage, actions=[c for c in clips if c.label != "base"],
        cues=voice.cue_timings, words=[w for t in voice.sentence_timings for w in t.words],
        photo_path=catalog.media_path(materials.photo) if materials.photo and not footage else None,
        fps=settings.video.fps, max_height=settings.video.max_height, crf=settings.video.crf,
        preset=settings.video.preset, out_path=work / "video.mp4"), progress=lambda done: update_progress_artifact(bar, done))
    update_progress_artifact(bar, 100.0)
    video = VideoTake(
        id=f"{production.id}-v{voice.script_version:03d}-video-t{voice.take}", production_id=production.id,
        script_version=voice.script_version, take=voice.take, voice_take_id=voice.id,
        video=catalog.put_media_file(result.path, "video/mp4"), duration_s=round(result.duration_s, 3),
        width=result.width, height=result.height, fps=result.fps, backend=result.backend)
    if not catalog.exists(VideoTake, video.id):
        catalog.save(video)
        catalog.audit("studio", "video.rendered", f"video/{video.id}", duration_s=video.duration_s, backend=video.backend)
    return catalog.load(VideoTake, video.id)


@task(**PERSISTED)
def open_review(production: Production, gate: str, round: int, script: ScriptVersion,
                previous_version: int | None = None, video: VideoTake | None = None) -> ReviewRequest:
    """Record what a gate asks a reviewer to look at, before the flow suspends."""
    _, catalog = _ctx()
    key = f"{gate}-{round}"
    request = ReviewRequest(
        id=ReviewRequest.id_for(production.id, key), production_id=production.id, flow_run_id=str(flow_run.get_id()),
        gate=gate, round=round, gate_key=key,
        roles={role: production.reviewers_for(role) for role in production.gate_roles[gate]},
        script_version=script.version, previous_script_version=previous_version,
        voice_take_id=video.voice_take_id if video else None, video_take_id=video.id if video else None)
    if catalog.exists(ReviewRequest, request.id):  # a retry, or a resume re-running the flow: keep approvals so far
        return catalog.load(ReviewRequest, request.id)
    catalog.save(request)
    catalog.save(production.model_copy(update={"status": "waiting_review", "flow_run_id": request.flow_run_id}))
    catalog.audit("studio", "review.requested", f"review/{request.id}", roles=request.roles,
                  script_version=script.version)
    from studio.notify import notify

    settings = get_settings()
    notify(settings.notify, catalog, "review.waiting", f"review/{request.id}",
           f"{production.brief.occasion}: the {gate} (round {round}) waits for {', '.join(request.reviewers)}\n"
           f"Open the portal ({settings.portal.public_url}) through your invitation link.",
           {"production_id": production.id, "review_id": request.id, "gate": gate, "round": round,
            "reviewers": request.reviewers, "roles": request.roles})
    return request


@task(cache_policy=NO_CACHE)
def record_decision(request: ReviewRequest) -> GateOutcome | None:
    """The gate's outcome as the studio's records hold it (never what the run was resumed
    with): a recorded request for changes, or every required role's recorded approval. None:
    nobody has decided, so whoever resumed the run decided nothing."""
    from studio.gates import seal

    _, catalog = _ctx()
    outcome = seal(catalog, request)
    if outcome is not None:
        production = catalog.load(Production, request.production_id)
        if production.status == "waiting_review":
            catalog.save(production.model_copy(update={"status": "running"}))
    return outcome


@task(**PERSISTED)
def refuse_resume(request: ReviewRequest, attempt: int) -> None:
    """A run resumed at a gate nobody decided (through Prefect's API, by hand or forged) goes
    back to waiting; the audit log says so, once per such resume."""
    _, catalog = _ctx()
    catalog.audit("studio", "review.resume_refused", f"review/{request.id}", attempt=attempt,
                  why="the run was resumed without a recorded decision; it waits again")


def _register_watermark(catalog: Catalog, production: Production, consent: ConsentRecord, script: ScriptVersion,
                        delivery_id: str) -> WatermarkRecord:
    """A fresh 32-bit content id bound to this delivery (a retried task reuses its own)."""
    import secrets

    from storage.base import ObjectExists

    for record in catalog.find(WatermarkRecord):
        if record.delivery_id == delivery_id:
            return record
    while True:
        content_id = secrets.randbits(32)
        record = WatermarkRecord(id=WatermarkRecord.id_for(content_id), content_id=content_id, production_id=production.id,
                                 delivery_id=delivery_id, persona_id=production.persona_id, consent_id=consent.id,
                                 script_version=script.version)
        try:
            catalog.save(record)
        except ObjectExists:
            continue
        catalog.audit("studio", "watermark.registered", f"watermark/{record.id}", delivery=delivery_id)
        return record


@task(**PERSISTED)
def deliver(production: Production, script: ScriptVersion, video: VideoTake) -> Delivery:
    """Only this script version and take, with every required role's recorded approval of
    them (``studio.gates.recorded_approvals``), is delivered."""
    from studio.gates import recorded_approvals
    from tasks.deliver import render_delivery
    from tasks.trust.aigc_metadata import make_label
    from tasks.trust.keys import c2pa_credentials, watermark_key

    settings, catalog = _ctx()
    consent = _consent(catalog, production, script)
    delivery_id = f"{production.id}-delivery-v{script.version:03d}-t{video.take}"
    if catalog.exists(Delivery, delivery_id):
        return catalog.load(Delivery, delivery_id)
    approved = recorded_approvals(catalog, production, script.version, video.id)
    persona = catalog.load(Persona, production.persona_id)
    key = watermark_key(settings)
    mark = _register_watermark(catalog, production, consent, script, delivery_id)
    aigc = make_label(key, settings.trust.content_producer, delivery_id, settings.trust.content_propagator)
    provenance = {"delivery_id": delivery_id, "production_id": production.id, "persona": persona.display_name,
                  "consent_id": consent.id, "consent_relationship": consent.relationship,
                  "script_version": script.version, "watermark_id": mark.id,
                  "approvals": [a.model_dump(mode="json") for a in approved]}
    files = render_delivery(
        catalog.media_path(video.video), _scratch(settings), delivery_id, delivery=settings.delivery,
        trust=settings.trust, key=key, content_id=mark.content_id, language=script.language,
        title=f"{persona.display_name}: {production.brief.occasion}", delivery_id=delivery_id, aigc_label=aigc,
        credentials=c2pa_credentials(settings), provenance=provenance)
    _consent(catalog, production)  # consent may have been revoked while rendering
    delivery = Delivery(
        id=delivery_id, production_id=production.id, persona_id=persona.id, consent_id=consent.id,
        script_version=script.version, video_take_id=video.id,
        video=catalog.put_media_file(files.video, "video/mp4", name=files.video.name),
        audio_mp3=catalog.put_media_file(files.mp3, "audio/mpeg", name=files.mp3.name),
        audio_wav=catalog.put_media_file(files.wav, "audio/wav", name=files.wav.name),
        duration_s=round(files.duration_s, 3), spoken_notice_s=files.notice_s, label_text=settings.delivery.label_text, approvals=approved,
        watermark_id=mark.id, aigc=aigc, c2pa_signed=True, video_psnr_db=files.video_psnr_db,
        audio_snr_db=files.audio_snr_db)
    catalog.save(delivery)
    catalog.save(production.model_copy(update={"status": "delivered"}))
    catalog.audit("studio", "delivery.created", f"delivery/{delivery.id}", sha256=delivery.video.sha256,
                  consent=consent.id, script_version=script.version, approvals=[a.reviewer for a in delivery.approvals],
                  watermark=mark.id, video_psnr_db=files.video_psnr_db, audio_snr_db=files.audio_snr_db)
    from studio.notify import notify

    notify(settings.notify, catalog, "delivery.ready", f"delivery/{delivery.id}",
           f"{persona.display_name}: {production.brief.occasion} is delivered ({delivery.duration_s:.0f} s)",
           {"production_id": production.id, "delivery_id": delivery.id, "sha256": delivery.video.sha256})
    return delivery


# ------------------------------------------------------------------ templates


@task(**PERSISTED)
def production_from_template(template_id: str, values: dict[str, str]) -> Production:
    """A new production (one per run) whose script v1 is the template's approved text, filled in."""
    _, catalog = _ctx()
    template = catalog.load(Template, template_id)
    sentences = template.fill(values)
    run_id = str(flow_run.get_id() or "")
    production = Production(
        id=f"prod-{template.id.removeprefix('tpl-')}-{run_id.replace('-', '')[-12:] or utcnow().strftime('%H%M%S%f')}",
        persona_id=template.persona_id, use=template.use, template_id=template.id, flow_run_id=run_id or None,
        brief=Brief(occasion=template.occasion.format(**values), audience=template.audience, language=template.language),
        script_reviewers=template.family_reviewers, family_reviewers=template.family_reviewers, status="running",
        gate_roles={"script": ["family"], "video": ["family"]})  # the light review
    if catalog.exists(Production, production.id):
        return catalog.load(Production, production.id)
    _consent(catalog, production)
    catalog.save(production)
    _save_script(catalog, ScriptVersion(
        id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1, language=template.language,
        sentences=sentences, backend="template", comments=[f"template {template.name}: " + ", ".join(
            f"{k}={v}" for k, v in sorted(values.items()))]))
    catalog.audit("studio", "production.from_template", f"production/{production.id}", template=template.id,
                  values=values)
    return production


@task(cache_policy=NO_CACHE)
def load_script(production: Production, version: int) -> ScriptVersion:
    _, catalog = _ctx()
    return catalog.load(ScriptVersion, ScriptVersion.id_for(production.id, version))


@task(cache_policy=NO_CACHE)
def template_delivery_mode(production: Production) -> str:
    _, catalog = _ctx()
    return catalog.load(Template, production.template_id).delivery


# Cache keys that let a template re-run reuse what did not change: the persona's material
# selection (same uploads), the voice (same words, same prompts) and the video (same voice).
def materials_cache_key(context, parameters) -> str:
    from prefect.utilities.hashing import hash_objects

    production = parameters["production"]
    _, catalog = _ctx()
    shas = sorted(u.asset.sha256 + u.role for u in usable_uploads(catalog, production.persona_id))
    tags = sorted(t.id for t in catalog.find(ActionTag) if t.persona_id == production.persona_id)
    return hash_objects("materials", production.persona_id, shas, tags, context.task.task_key)


def voice_cache_key(context, parameters) -> str:
    from prefect.utilities.hashing import hash_objects

    settings = get_settings()
    return hash_objects("voice", parameters["materials"].id, parameters["script"].markup, parameters["take"],
                        parameters["notes"], settings.voice.model_dump(mode="json"), context.task.task_key)


def video_cache_key(context, parameters) -> str:
    from prefect.utilities.hashing import hash_objects

    settings = get_settings()
    return hash_objects("video", parameters["materials"].id, parameters["voice"].audio.sha256,
                        settings.video.model_dump(mode="json"), context.task.task_key)
