"""Offline script drafting without a language model: the ``composer``.

It writes the draft from the brief (occasion, audience, points) and borrows the persona's own
sentences from their past talks where they share words with the brief, so the voice is theirs
(a point one of those already says is left to their words; cut to length, the composer's own
sentences go before theirs).
Revisions apply only reviewers' comments that say what to change (``script.rules``: add,
remove, replace, shorter, style, pause, say, anchored to a sentence or not). A comment it cannot
act on is reported back in ``notes`` (shown to reviewers) rather than guessed at. For free-form
drafting, point ``llm.backend`` at a real model (``openai``).

A long brief (``script.longform.LONG_TALK_S`` or more) is composed in the plan's sections:
the opening, the running theme, a story per point with the person's passages that fit it,
callbacks to the theme, the closing. The composer writes nothing it was not given, so with
few passages the draft stays short, and the length check says so to reviewers."""

from __future__ import annotations

from persona.retrieval import best_support
from script.contract import DraftRequest, ReviseRequest, ScriptResult
from script.longform import LONG_TALK_S, hold_length, more_of_their_words, passage_sentences, plan_talk, repeats
from script.rules import apply_comments, apply_rule, as_sentence, content_words, fit_length
from script.sentences import Cue, Sentence

_CALLBACKS = {"en": ["Which brings me back to where I started: {}", "And so, once again: {}", "That is what I mean by {}"],
              "zh": ["说到这儿，又回到那句话：{}", "所以我还是那句话：{}", "这就是我说的，{}"]}
SAID_BY_THEM = 0.8  # a point with this share of its content words in one of their passages is left to their words


def _said_by_them(point: str, passages: list[str], language: str) -> bool:
    return bool(passages) and best_support(point, passages, language) >= SAID_BY_THEM


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
            dear = brief.audience if brief.audience.lower().startswith(("my ", "dear ")) else f"dear {brief.audience}"
            opening = f"{dear[:1].upper()}{dear[1:]}, happy {brief.occasion}!"
            closing = "Take care of each other, and I will see you all soon."
        sentences = [Sentence(text=opening, style=warm, cues_after=[Cue(kind="pause", seconds=0.6)])]
        brief_words = content_words(" ".join([brief.occasion, brief.audience, *brief.points]))
        ranked = sorted(persona.past_passages, key=lambda p: -len(content_words(p) & brief_words))
        borrowed = [p for p in ranked if content_words(p) & brief_words][:2]
        theirs = [Sentence(text=as_sentence(passage), style=light if i == 0 else warm,
                           cues_after=[Cue(kind="laugh")] if i == 0 else []) for i, passage in enumerate(borrowed)]
        sentences += [Sentence(text=as_sentence(point), style=warm) for point in brief.points
                      if not _said_by_them(point, borrowed, brief.language)]
        sentences += [*theirs, Sentence(text=closing, style=warm)]
        if brief.target_seconds >= LONG_TALK_S:
            return ScriptResult(sentences=self._long(request, sentences[0], closing, warm), backend=self.name)
        sentences, left_out = fit_length(sentences, brief.target_seconds, brief.language, persona.speaking_rate_wpm,
                                         theirs={s.text for s in theirs})
        return ScriptResult(sentences=sentences, backend=self.name, notes=left_out)

    @staticmethod
    def _long(request: DraftRequest, opening: Sentence, closing: str, warm: str) -> list[Sentence]:
        language = request.brief.language
        plan = plan_talk(request)
        theme = plan.theme.strip().rstrip(".。!！")
        parts, talk, callbacks = [], [], 0
        for section in plan.sections:
            if section.kind == "opening":
                said = [opening]
            elif section.kind == "theme":
                said = [Sentence(text=as_sentence(theme), style=warm, cues_after=[Cue(kind="pause", seconds=0.5)])]
            elif section.kind == "callback":
                said = [Sentence(text=as_sentence(_CALLBACKS[language][callbacks % 3].format(theme)), style=warm)]
                callbacks += 1
            elif section.kind == "closing":
                said = [Sentence(text=closing, style=warm)]
            else:
                said_by_them = _said_by_them(section.about, section.passages, language)
                point = [] if said_by_them else [Sentence(text=as_sentence(section.about))]
                said = point + [s for p in section.passages for s in passage_sentences(p)]
            kept: list[Sentence] = []
            for s in said:
                if not repeats(s.text, talk + kept, language, 0.9):
                    kept.append(s)
            said = kept or said[:1]
            parts.append((section, said))
            talk += said
        more_of_their_words(parts, request)
        return hold_length(parts, request.brief.target_seconds, language, request.persona.speaking_rate_wpm)

    def revise(self, request: ReviseRequest) -> ScriptResult:
        revised = apply_comments(request, lambda comment, sentences, numbered:
                                 "rule" if apply_rule(comment, sentences, numbered, request) else None)
        return ScriptResult(sentences=revised.sentences, backend=self.name, notes=revised.notes,
                            changes=revised.changes(revised.sentences))
