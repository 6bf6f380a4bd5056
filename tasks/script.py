"""Tasks that draft a production's script and revise it after a review."""

from __future__ import annotations

from prefect import task

from materials.records import MaterialSet
from production.records import Production
from review.comments import comment_authors, sentence_anchors
from review.records import ReviewDecision
from script.contract import DraftRequest, ReviseRequest
from script.drafting import edited_script, keep_script, persona_style
from script.records import ScriptVersion
from script.registry import script_backend
from tasks.context import PERSISTED, allowed, studio


def _styles(materials: MaterialSet) -> list[str]:
    return list(dict.fromkeys(p.style for p in materials.voice_prompts))


@task(**PERSISTED)
def draft_script(production: Production, materials: MaterialSet) -> ScriptVersion:
    settings, catalog = studio()
    consent = allowed(catalog, production)
    persona, corpus = persona_style(catalog, settings, production.persona_id, production.brief, _styles(materials),
                                    speaking_rate_wpm=materials.speaking_rate_wpm)
    result = script_backend(settings).draft(DraftRequest(
        brief=production.brief, persona=persona, forbidden_topics=consent.scope.forbidden_topics,
        scope=consent.scope, corpus=corpus))
    return keep_script(catalog, ScriptVersion(
        id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
        language=production.brief.language, sentences=result.sentences, backend=result.backend,
        comments=result.notes, flags=result.flags, passages_used=persona.past_passages))


@task(**PERSISTED)
def revise_script(production: Production, materials: MaterialSet, previous: ScriptVersion, decision: ReviewDecision) -> ScriptVersion:
    settings, catalog = studio()
    consent = allowed(catalog, production)
    # a revision works on the version before it, with the passages its draft was given: no new retrieval
    persona, corpus = persona_style(catalog, settings, production.persona_id, production.brief, _styles(materials),
                                    passages=previous.passages_used, speaking_rate_wpm=materials.speaking_rate_wpm)
    if decision.edited_script is not None:  # the reviewer's own words, exactly
        result = edited_script(decision.edited_script, previous, decision.reviewer, consent, corpus, production.brief,
                               materials.speaking_rate_wpm)
    else:
        result = script_backend(settings).revise(ReviseRequest(
            brief=production.brief, persona=persona, previous=previous.sentences,
            comments=sentence_anchors(catalog, previous, decision.comments),
            authors=comment_authors(catalog, production.id, previous.version, decision.comments, decision.reviewer),
            forbidden_topics=consent.scope.forbidden_topics, scope=consent.scope, corpus=corpus))
    version = previous.version + 1
    return keep_script(catalog, ScriptVersion(
        id=ScriptVersion.id_for(production.id, version), production_id=production.id, version=version,
        language=previous.language, sentences=result.sentences, based_on=previous.version,
        comments=decision.comments + result.notes, requested_by=decision.reviewer, backend=result.backend,
        changes=result.changes, flags=result.flags, passages_used=persona.past_passages))
