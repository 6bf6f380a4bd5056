"""What the writer is told of the persona for a brief, and how a reviewer's own edit of the
script becomes the next version's text."""

from __future__ import annotations

from core.settings import StudioSettings
from persona.consent import require_allowed_content
from persona.corpus import build_corpus, refresh_style_profile
from persona.records import ConsentRecord, Persona, PersonaCorpus, StyleProfile
from persona.retrieval import PassageIndex
from script.checks import check_script
from script.contract import PersonaStyle, ScriptResult
from script.markup import parse_markup
from script.records import ScriptChange, ScriptVersion
from script.sentences import Brief
from storage.catalog import Catalog


def persona_style(catalog: Catalog, settings: StudioSettings, persona_id: str, brief: Brief, styles: list[str],
                  passages: list[str] | None = None, speaking_rate_wpm: float | None = None) -> tuple[PersonaStyle, list[str]]:
    """What the drafter is told of the persona: its profile, its measured pace, and the passages
    retrieved for the brief (or ``passages``, those an earlier version was given); and the whole
    corpus, for the checks."""
    persona = catalog.load(Persona, persona_id)
    corpus = (catalog.load(PersonaCorpus, persona.id) if catalog.exists(PersonaCorpus, persona.id)
              else build_corpus(catalog, persona.id))
    profile = (catalog.load(StyleProfile, persona.id) if catalog.exists(StyleProfile, persona.id)
               else refresh_style_profile(catalog, corpus))
    if passages is None:
        index = PassageIndex(corpus.texts, brief.language, settings.llm.embeddings, settings.llm.embedding_model)
        passages = [h.text for h in index.search(" ".join([brief.occasion, brief.audience, *brief.points]),
                                                 settings.llm.passages)]
    return (PersonaStyle(name=persona.display_name, past_passages=passages, profile=profile, styles=styles,
                         speaking_rate_wpm=speaking_rate_wpm), corpus.texts)


def edited_script(markup: str, previous: ScriptVersion, reviewer: str, consent: ConsentRecord, corpus: list[str],
                  brief: Brief, persona_wpm: float | None = None) -> ScriptResult:
    """A reviewer's own edit, exactly as written: refused if it speaks of a forbidden topic,
    checked like any draft, and the changed sentences named."""
    sentences = parse_markup(markup)
    require_allowed_content(consent, [s.text for s in sentences])
    return ScriptResult(sentences=sentences, backend="edit", changes=[ScriptChange(
        comment="edited the script", asked_by=reviewer, how="rule",
        sentences=[n for n, s in enumerate(sentences, 1) if s not in previous.sentences])],
        flags=check_script(sentences, previous.language, consent.scope, corpus=corpus, brief=brief, persona_wpm=persona_wpm))


def keep_script(catalog: Catalog, script: ScriptVersion) -> ScriptVersion:
    """Store a new version (a retried step finds its own earlier write) and audit it."""
    return catalog.keep(script, script.requested_by or "studio", "script.version_created", f"script/{script.id}",
                        version=script.version, based_on=script.based_on, comments=script.comments,
                        backend=script.backend, flags=[f"{f.kind}@{f.sentence}" for f in script.flags])
