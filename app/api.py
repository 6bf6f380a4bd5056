"""Operations shared by the CLI, the portal and the demo: people-facing verbs over the catalog
and the Prefect API. Everything here is torch-free."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from app.access_ops import AccessOps
from app.consent_ops import ConsentOps
from app.delivery_ops import DeliveryOps
from app.family_ops import FamilyOps
from app.material_ops import MaterialOps
from app.review_ops import ReviewOps
from app.warnings_ops import WarningOps
from core.keys import studio_key
from core.records import AssetRef, new_id, utcnow
from core.settings import StudioSettings
from delivery.records import Delivery
from media.asr import speech_check_options
from persona.consent import ConsentError, require_consent
from persona.corpus import build_corpus, edit_style_profile, refresh_style_profile
from persona.identity import identity_code
from persona.records import ConsentRecord, ConsentScope, FamilyQuorum, Persona, PersonaCorpus, StyleProfile
from persona.retrieval import PassageIndex
from production.consent import consent_for
from production.records import Production, Template
from review.access import CONSENT_DAYS, check_days
from review.gates import ReviewError, paused_at  # noqa: F401  (callers catch ReviewError from here)
from runs.cancellations import cancel_runs
from runs.client import TEMPLATE_DEPLOYMENT, PrefectRuns
from script.records import ScriptVersion
from script.sentences import Brief
from storage import Catalog, open_catalog
from storage.catalog import guess_media_type

# a run in one of these states will not go on (a crashed one is rescheduled: runs.recovery)
ENDED = frozenset({"FAILED", "CANCELLED"})


class StudioAPI(ReviewOps, MaterialOps, AccessOps, DeliveryOps, ConsentOps, FamilyOps, WarningOps):
    def __init__(self, settings: StudioSettings, catalog: Catalog | None = None):
        self.settings = settings
        self.catalog = catalog or open_catalog(settings)
        self.runs = PrefectRuns(settings)

    # --------------------------------------------------------------- personas
    def identity_code(self, persona_id: str) -> str:
        """The persona's digital-human identity code, stable in this studio (``persona.identity``)."""
        return identity_code(studio_key(self.settings), persona_id)

    def create_persona(self, display_name: str, languages: list[str], deceased: bool = False, fictional: bool = False,
                       description: str = "", persona_id: str | None = None, actor: str | None = None) -> Persona:
        persona = Persona(id=persona_id or new_id("persona"), display_name=display_name, languages=languages,
                          deceased=deceased, fictional=fictional, description=description)
        if self.catalog.exists(Persona, persona.id):
            raise ValueError(f"persona {persona.id} already exists")
        self.catalog.save(persona)
        self.catalog.audit(actor or self.settings.operator, "persona.created", f"persona/{persona.id}",
                           name=display_name, fictional=fictional, deceased=deceased,
                           identity_code=self.identity_code(persona.id))
        return persona

    def _store_file(self, path: Path) -> AssetRef:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist or is not a file")
        size = path.stat().st_size
        if size == 0:
            raise ValueError(f"{path.name} is empty")
        limit = self.settings.uploads.max_bytes
        if size > limit:
            raise ValueError(f"{path.name} is {size / 1024**3:.1f} GiB; the limit is {limit / 1024**3:.1f} GiB per file, "
                             "split it first")
        return self.catalog.put_media_file(path, guess_media_type(path))

    def add_consent(self, persona_id: str, grantor_name: str, relationship: str, uses: list[str],
                    evidence: list[Path], actor: str | None = None, **terms) -> ConsentRecord:
        """A consent record with its evidence files (``consent_terms``'s ``terms``), saved and audited."""
        if not evidence:
            raise ValueError("consent needs evidence: a signed form or a recorded consent statement (--evidence FILE)")
        fields = self.consent_terms(persona_id, grantor_name, relationship, uses, **terms)
        record = ConsentRecord(id=new_id("consent"), evidence=[self._store_file(p) for p in evidence], **fields)
        self.catalog.save(record)
        self.catalog.audit(actor or self.settings.operator, "consent.added", f"consent/{record.id}", persona=persona_id,
                           grantor=grantor_name, relationship=relationship, uses=uses,
                           evidence=[r.sha256 for r in record.evidence],
                           quorum=record.quorum.model_dump() if record.quorum else None)
        return record

    def consent_terms(self, persona_id: str, grantor_name: str, relationship: str, uses: list[str],
                      valid_days: int = 365, languages: list[str] | None = None,
                      forbidden_topics: list[str] | None = None, subject_name: str | None = None,
                      audiences: list[str] | None = None, valid_from: datetime | None = None,
                      endorsements: bool = False, own_words_only: bool = False,
                      quorum: FamilyQuorum | dict | None = None) -> dict:
        """A consent record's fields but its id and evidence, checked (the window's length, who may
        consent for the deceased, the scope, a family quorum only for the deceased) before any
        evidence file is stored."""
        valid_days = check_days(valid_days, 365, CONSENT_DAYS, "a consent")
        persona = self.catalog.load(Persona, persona_id)
        if persona.deceased and relationship == "self":
            raise ValueError("a deceased person's consent must come from next of kin, the estate or an authorised operator")
        if quorum is not None and not persona.deceased:
            raise ValueError("a family quorum is for a deceased person; a living person consents themselves")
        return dict(persona_id=persona.id, subject_name=subject_name or persona.display_name,
                    quorum=FamilyQuorum.model_validate(quorum) if quorum is not None else None,
                    grantor_name=grantor_name, relationship=relationship,
                    scope=ConsentScope(uses=uses, languages=languages or persona.languages, audiences=audiences or [],
                                       forbidden_topics=forbidden_topics or [], endorsements=endorsements,
                                       own_words_only=own_words_only),
                    valid_from=valid_from or utcnow(), valid_until=(valid_from or utcnow()) + timedelta(days=valid_days))

    def revoke_consent(self, consent_id: str, reason: str, actor: str | None = None,
                       withdrawn_by: str | None = None) -> ConsentRecord:
        """Revoke a consent record, then stop what depended on it: waiting, scheduled and
        running productions that no other consent covers are cancelled, and every delivery
        made under it is marked revoked (``studio verify`` reports it so)."""
        if not reason.strip():
            raise ValueError("say why consent is revoked (--reason); the reason is kept in the audit log")
        record = self.catalog.load(ConsentRecord, consent_id)
        actor = actor or self.settings.operator
        if record.revoked_at is None:
            record = record.model_copy(update={"revoked_at": utcnow(), "revocation_reason": reason,
                                               "withdrawn_by": withdrawn_by})
            self.catalog.save(record)
            self.catalog.audit(actor, "consent.revoked", f"consent/{consent_id}", reason=reason)
        self._stop_productions_without_consent(record.persona_id, actor, reason)
        self._pause_templates_without_consent(record.persona_id, actor)

        for delivery in self.catalog.find(Delivery):
            if delivery.consent_id == consent_id and delivery.revoked_at is None:
                self.catalog.save(delivery.model_copy(update={"revoked_at": record.revoked_at,
                                                              "revocation_reason": f"consent revoked: {reason}"}))
                self.catalog.audit(actor, "delivery.revoked", f"delivery/{delivery.id}", consent=consent_id)
        return record

    def _stop_productions_without_consent(self, persona_id: str, actor: str, reason: str) -> list[str]:
        stopped = []
        for production in self.catalog.find(Production):
            if production.persona_id != persona_id or production.status in ("delivered", "stopped", "failed"):
                continue
            try:
                consent_for(self.catalog, production)
                continue  # another valid consent still covers it
            except ConsentError:
                pass
            cancelled = self._cancel_runs(f"consent revoked: {reason}", production_id=production.id,
                                          template_id=production.template_id)  # a re-run knows only its template
            self.catalog.save(production.model_copy(update={"status": "stopped"}))
            self.catalog.audit(actor, "production.stopped", f"production/{production.id}", reason="consent revoked",
                               cancelled_runs=cancelled)
            stopped.append(production.id)
        return stopped

    def _pause_templates_without_consent(self, persona_id: str, actor: str) -> None:
        for template in self.catalog.find(Template):
            if template.persona_id != persona_id or not template.schedule_active:
                continue
            try:
                consent_for(self.catalog, template)
            except ConsentError:
                self._cancel_runs("consent revoked", template_id=template.id)
                try:
                    self.schedule_template(template.id, active=False, actor=actor)
                except Exception as exc:  # Prefect down: record it; the runs would still fail their consent check
                    self.catalog.save(template.model_copy(update={"schedule_active": False}))
                    self.catalog.audit(actor, "template.pause_failed", f"template/{template.id}", error=str(exc)[:300])

    def _cancel_runs(self, message: str, *, production_id: str | None = None,
                     template_id: str | None = None) -> list[str] | None:
        return cancel_runs(self.runs, self.catalog, self.settings.operator, message, production_id=production_id,
                           template_id=template_id)

    # ------------------------------------------------------------ productions
    def create_production(self, persona_id: str, use: str, brief: Brief, script_reviewers: list[str],
                          family_reviewers: list[str], actor: str | None = None) -> Production:
        require_consent(self.catalog, persona_id, use, brief.language, audience=brief.audience)  # refuse before anything runs
        production = Production(id=new_id("prod"), persona_id=persona_id, use=use, brief=brief,
                                script_reviewers=script_reviewers, family_reviewers=family_reviewers)
        self.catalog.save(production)
        self.catalog.audit(actor or self.settings.operator, "production.created", f"production/{production.id}",
                           persona=persona_id, use=use)
        return production

    def start_production(self, production_id: str) -> str:
        production = self.catalog.load(Production, production_id)
        consent_for(self.catalog, production)
        run_id = self.runs.start(self.settings.prefect.deployment, {"production_id": production_id},
                                 name=f"produce-{production_id}")
        production = production.model_copy(update={"flow_run_id": run_id, "status": "running"})
        self.catalog.save(production)
        self.catalog.audit(self.settings.operator, "production.started", f"production/{production_id}", flow_run=run_id)
        return run_id

    def run_state(self, flow_run_id: str):
        return self.runs.state(flow_run_id)

    def step_states(self, flow_run_id: str) -> list[dict]:
        """The production's steps as Prefect ran them: task name, state, start and end, in order."""
        runs = self.runs.task_runs(flow_run_id)
        # A resume re-runs the flow from the top and finds finished steps cached: one row per
        # step, with its latest real state and the time it really took.
        steps: dict[str, dict] = {}
        for r in runs:
            state = r.state.name if r.state else "-"
            row = steps.setdefault(r.name.rsplit("-", 1)[0], dict(state=state, seconds=0.0, runs=0, started=r.start_time))
            row["runs"] += 1
            if state != "Cached":
                row["state"] = state
                row["seconds"] += r.total_run_time.total_seconds() if r.total_run_time else 0.0
        return [dict(step=name, **row) for name, row in steps.items()]

    def wait_for_run(self, flow_run_id: str, state_types: set[str], timeout_s: float = 600, poll_s: float = 0.5):
        deadline = time.time() + timeout_s
        while True:
            state = self.run_state(flow_run_id)
            if state.type.value in state_types:
                return state
            if state.type.value in ENDED:
                raise RuntimeError(f"flow run {flow_run_id} ended {state.type.value}: {state.message}")
            if time.time() > deadline:
                raise TimeoutError(f"flow run {flow_run_id} is still {state.type.value} after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def wait_past_gate(self, flow_run_id: str, gate_key: str, timeout_s: float = 300, poll_s: float = 0.2) -> float:
        """Seconds until the run has left ``gate_key`` (running, at a later gate, or finished).
        Watching for RUNNING alone can miss a short resume that pauses again between polls."""
        t0 = time.time()
        while True:
            state = self.run_state(flow_run_id)
            if state.type.value in ENDED:
                raise RuntimeError(f"flow run {flow_run_id} ended {state.type.value}: {state.message}")
            if not (paused_at(state, gate_key) or state.type.value in {"SCHEDULED", "PENDING"}):
                return time.time() - t0
            if time.time() - t0 > timeout_s:
                raise TimeoutError(f"flow run {flow_run_id} did not move past {gate_key} within {timeout_s:.0f} s")
            time.sleep(poll_s)

    # -------------------------------------------------------------- templates
    def save_template(self, production_id: str, name: str, placeholders: dict[str, str], approved_by: list[str],
                      delivery: str = "light_review", actor: str | None = None) -> Template:
        """Save a delivered production's approved script as a template. ``placeholders`` maps a
        placeholder name to the literal text it replaces in the approved script (e.g.
        ``{"year": "2026"}``). ``delivery="direct"`` needs the family's approval of that."""

        production = self.catalog.load(Production, production_id)
        delivered = self.delivery_in_force(production_id)
        if delivered is None:
            raise ValueError(f"production {production_id} has no delivery; only an approved, delivered production "
                             "can become a template")
        unknown = sorted(set(approved_by) - set(production.family_reviewers))
        if not approved_by or unknown:
            raise ValueError("a template needs the approval of the production's family reviewers "
                             f"({', '.join(production.family_reviewers)}); not: {', '.join(unknown) or 'nobody given'}")
        script = self.script(production_id, delivered.script_version)
        sentences = []
        for sentence in script.sentences:
            text = sentence.text.replace("{", "{{").replace("}", "}}")
            for key, literal in placeholders.items():
                text = text.replace(literal, "{" + key + "}")
            sentences.append(sentence.model_copy(update={"text": text}))
        missing = [k for k in placeholders if not any("{" + k + "}" in s.text for s in sentences)]
        if missing:
            raise ValueError(f"the approved script never says {', '.join(repr(placeholders[k]) for k in missing)}; "
                             "a placeholder must replace text that is in it")
        occasion = production.brief.occasion
        for key, literal in placeholders.items():
            occasion = occasion.replace(literal, "{" + key + "}")
        template = Template(
            id=new_id("tpl"), name=name, persona_id=production.persona_id, use=production.use,
            language=production.brief.language, source_production_id=production.id,
            source_script_version=script.version, sentences=sentences, placeholders=placeholders, occasion=occasion,
            audience=production.brief.audience, family_reviewers=production.family_reviewers, delivery=delivery,
            approved_by=approved_by)
        self.catalog.save(template)
        self.catalog.audit(actor or self.settings.operator, "template.saved", f"template/{template.id}",
                           production=production_id, script_version=script.version, approved_by=approved_by,
                           delivery=delivery)
        return template

    def run_template(self, template_id: str, values: dict[str, str]) -> str:
        """Start one re-run now (the schedule does the same at its time)."""
        template = self.catalog.load(Template, template_id)
        template.fill(values)  # refuse missing values before anything runs
        consent_for(self.catalog, template)
        run_id = self.runs.start(TEMPLATE_DEPLOYMENT, {"template_id": template_id, "values": values})
        self.catalog.audit(self.settings.operator, "template.run", f"template/{template_id}", flow_run=run_id)
        return run_id

    def schedule_template(self, template_id: str, cron: str | None = None, values: dict[str, str] | None = None,
                          active: bool = True, timezone: str | None = None, actor: str | None = None) -> Template:
        """Set, pause or resume a template's schedule, in the catalog and on the Prefect server."""
        template = self.catalog.load(Template, template_id)
        cron = cron or template.schedule_cron
        if cron is None:
            raise ValueError(f"template {template_id} has no schedule yet; give one with --cron '0 8 * * *'")
        values = template.schedule_values if values is None else values
        template.fill(values)
        if active:
            consent_for(self.catalog, template)
        template = template.model_copy(update={"schedule_cron": cron, "schedule_values": values, "schedule_active": active,
                                               "schedule_timezone": timezone or template.schedule_timezone})
        self._sync_schedule(template)
        self.catalog.save(template)
        self.catalog.audit(actor or self.settings.operator, "template.scheduled" if active else "template.paused",
                           f"template/{template_id}", cron=cron, values=values)
        return template

    def _sync_schedule(self, template: Template) -> None:
        self.runs.keep_schedule(TEMPLATE_DEPLOYMENT, template.id, template.schedule_cron, template.schedule_timezone,
                                template.schedule_active, {"template_id": template.id, "values": template.schedule_values})

    # --------------------------------------------------------------- corpus and style
    def build_corpus(self, persona_id: str, transcribe: bool = True):
        """The persona's corpus from their uploads (texts; and transcripts of their recordings
        when ``transcribe``), and its style profile brought up to date (operators' edits kept)."""

        self.catalog.load(Persona, persona_id)
        corpus = build_corpus(self.catalog, persona_id, speech_check_options(self.settings) if transcribe else None)
        return corpus, refresh_style_profile(self.catalog, corpus)

    def style_profile(self, persona_id: str):
        if not self.catalog.exists(StyleProfile, persona_id):
            return self.build_corpus(persona_id, transcribe=False)[1]
        return self.catalog.load(StyleProfile, persona_id)

    def edit_style(self, persona_id: str, actor: str | None = None, **changes):
        """An operator's edit of the style profile; edited fields survive re-derivation."""

        self.catalog.load(Persona, persona_id)
        return edit_style_profile(self.catalog, persona_id, actor or self.settings.operator, **changes)

    def search_corpus(self, persona_id: str, query: str, k: int = 5):
        """The persona's passages most relevant to ``query`` (what a draft would be given)."""

        if not query.strip():
            raise ValueError("give some words to search for")
        persona = self.catalog.load(Persona, persona_id)
        corpus = (self.catalog.load(PersonaCorpus, persona_id) if self.catalog.exists(PersonaCorpus, persona_id)
                  else self.build_corpus(persona_id, transcribe=False)[0])
        return PassageIndex(corpus.texts, persona.languages[0], self.settings.llm.embeddings,
                            self.settings.llm.embedding_model).search(query, k)

    def script(self, production_id: str, version: int) -> ScriptVersion:
        return self.catalog.load(ScriptVersion, ScriptVersion.id_for(production_id, version))

    def productions(self) -> list[Production]:
        return sorted(self.catalog.find(Production), key=lambda p: p.created_at)

    def production_title(self, production: Production | str) -> str:
        """What people call a production: the person, the occasion and the day it was made."""
        p = production if isinstance(production, Production) else self.catalog.load(Production, production)
        persona = self.catalog.get(Persona, p.persona_id)
        return f"{persona.display_name if persona else p.persona_id} · {p.brief.occasion} · {p.created_at:%Y-%m-%d}"

    def status(self) -> list[dict]:
        rows = []
        names = {p.id: p.display_name for p in self.catalog.find(Persona)}
        for p in self.productions():
            versions = self.catalog.find(ScriptVersion, f"{p.id}-v")
            rows.append(dict(production=p.id, persona=names.get(p.persona_id, p.persona_id), occasion=p.brief.occasion,
                             status=p.status, scripts=len(versions), flow_run=p.flow_run_id,
                             created=p.created_at.strftime("%Y-%m-%d %H:%M")))
        return rows


def script_diff(old: ScriptVersion | None, new: ScriptVersion) -> str:
    import difflib

    a = old.markup.splitlines() if old else []
    return "\n".join(difflib.unified_diff(a, new.markup.splitlines(), f"v{old.version}" if old else "empty",
                                          f"v{new.version}", lineterm=""))

