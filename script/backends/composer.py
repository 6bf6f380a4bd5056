"""Offline script drafting without a language model: the ``composer``.

It writes the draft from the brief (occasion, audience, points) and borrows the persona's own
sentences from their past talks where they share words with the brief, so the voice is theirs.
Revisions apply only reviewers' comments that say what to change (``script.rules``: add,
remove, replace, shorter, style, pause, say, anchored to a sentence or not). A comment it cannot
act on is reported back in ``notes`` (shown to reviewers) rather than guessed at. For free-form
drafting, point ``llm.backend`` at a real model (``openai``)."""

from __future__ import annotations

from script.contract import DraftRequest, ReviseRequest, ScriptResult
from script.rules import apply_comments, apply_rule, as_sentence, content_words, fit_length
from script.sentences import Cue, Sentence


class ComposerScript:
    name = "composer"

    def draft(self, request: DraftRequest) -> ScriptResult:
        brief, persona = request.brief, request.persona
        styles = persona.styles or ["neutral"]
        def prefer(*names: str) -> str:
            return next((n for n in names if n in styles), styles[0])

        warm = prefer("warm", "neutral", "solemn")
        light = prefer("teasing", "neutral")
        if brief.language == "zh":
            opening = f"{brief.audience}，{brief.occasion}快乐！"
            closing = "祝大家身体健康，万事如意。"
        else:
            opening = f"Dear {brief.audience}, happy {brief.occasion}!"
            closing = "Take care of each other, and I will see you all soon."
        sentences = [Sentence(text=opening, style=warm, cues_after=[Cue(kind="pause", seconds=0.6)])]
        brief_words = content_words(" ".join([brief.occasion, brief.audience, *brief.points]))
        ranked = sorted(persona.past_passages, key=lambda p: -len(content_words(p) & brief_words))
        borrowed = [p for p in ranked if content_words(p) & brief_words][:2]
        for point in brief.points:
            sentences.append(Sentence(text=as_sentence(point), style=warm))
        for i, passage in enumerate(borrowed):
            sentences.append(Sentence(text=as_sentence(passage), style=light if i == 0 else warm,
                                      cues_after=[Cue(kind="laugh")] if i == 0 else []))
        sentences.append(Sentence(text=closing, style=warm))
        sentences = fit_length(sentences, brief.target_seconds, brief.language)
        return ScriptResult(sentences=sentences, backend=self.name)

    def revise(self, request: ReviseRequest) -> ScriptResult:
        revised = apply_comments(request, lambda comment, sentences, numbered:
                                 "rule" if apply_rule(comment, sentences, numbered, request) else None)
        return ScriptResult(sentences=revised.sentences, backend=self.name, notes=revised.notes,
                            changes=revised.changes(revised.sentences))
