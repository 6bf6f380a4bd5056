"""Tasks that load a production, check its consent, or make one from a template."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from core.records import utcnow
from persona.records import ConsentRecord
from production.records import Production, Template
from runs.recovery import MAX_RESTARTS, crash_restarts
from script.drafting import keep_script
from script.records import ScriptVersion
from script.sentences import Brief
from tasks.context import PERSISTED, allowed, studio


@task(cache_policy=NO_CACHE)
def load_production(production_id: str) -> Production:
    """The production; a run back after a crash goes on (up to ``MAX_RESTARTS`` times)."""
    settings, catalog = studio()
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
    _, catalog = studio()
    consent = allowed(catalog, production)
    catalog.audit("studio", "consent.checked", f"production/{production.id}", consent=consent.id)
    return consent


@task(**PERSISTED)
def production_from_template(template_id: str, values: dict[str, str]) -> Production:
    """A new production (one per run) whose script v1 is the template's approved text, filled in."""
    _, catalog = studio()
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
    allowed(catalog, production)
    catalog.save(production)
    keep_script(catalog, ScriptVersion(
        id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1, language=template.language,
        sentences=sentences, backend="template", comments=[f"template {template.name}: " + ", ".join(
            f"{k}={v}" for k, v in sorted(values.items()))]))
    catalog.audit("studio", "production.from_template", f"production/{production.id}", template=template.id,
                  values=values)
    return production


@task(cache_policy=NO_CACHE)
def load_script(production: Production, version: int) -> ScriptVersion:
    _, catalog = studio()
    return catalog.load(ScriptVersion, ScriptVersion.id_for(production.id, version))


@task(cache_policy=NO_CACHE)
def template_delivery_mode(production: Production) -> str:
    _, catalog = studio()
    return catalog.load(Template, production.template_id).delivery
