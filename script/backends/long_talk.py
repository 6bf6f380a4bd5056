"""A long talk written by the language model, section by section of the studio's plan
(``script.longform``): the model writes until each section has its share of the time, and the
person's own passages are said as they said them, in the story they fit.

In "outline" mode (a small model) a story's first sentence is its own request (best of a few
samples, saying the point), the rest come three per request, each told the section's purpose
and the sentences just before it; in "whole" mode (a capable model) each section is one
request for its sentences, asked again once for what is missing. A sentence that
repeats one already in the talk is not kept; a section the model cannot fill after a few misses
stays short, and the length check flags the talk to reviewers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from persona.corpus import typical_sentence_length
from script.contract import DraftRequest, ScriptResult
from script.llm.contract import LLMError
from script.longform import (
    CLOSING,
    TOLERANCE,
    Section,
    TalkPlan,
    hold_length,
    more_of_their_words,
    outline_lines,
    passage_sentences,
    plan_talk,
    repeats,
    sentence_share,
)
from script.pace import spoken_seconds
from script.sentences import Cue, Sentence

if TYPE_CHECKING:
    from script.backends.llm_writer import LLMScript

PER_REQUEST = 3  # sentences asked for at once where a story goes on
MISSES = 3  # samples in a row that a section may lose before it is left short
_AGAIN = ["", " Say something you have not said yet.", " Make it something new: a name, a place or a moment.",
          " Keep it short and new."]
# the model reading its instructions back instead of speaking
_LEAK = re.compile(r"\b(?:you just said|next sentence|say (?:how|what)|what it taught you|one thought you want|"
                   r"link that)\b|你刚才说|下一句|接着说", re.I)


def _task(plan: TalkPlan, section: Section, request: DraftRequest, said: list[Sentence], talk: list[Sentence],
          count: int = 1) -> str:
    """What the next sentence (``count`` of them where a story goes on; in whole mode, the
    section) should do, for the model."""
    b = request.brief
    last = " ".join(s.text for s in (said or talk)[-2:])
    before = f"You just said: {last}\n" if last else ""
    if section.kind == "opening":
        return (f"{before}Say one more sentence to welcome them: why you are all here today." if said else
                f"You stand up to speak at the {b.occasion}, in front of {b.audience}. Say your first sentence: greet them.")
    if section.kind == "theme":
        return f"{before}Say the one thought you want them to remember today, in your own words: {plan.theme}"
    if section.kind == "callback":
        return f"{before}Now link that, in one sentence, back to what you said at the start: {plan.theme}"
    if section.kind == "closing":
        return f"{before}You are finishing. In one sentence, come back to this, and wish them well: {plan.theme}"
    # a sketch they can picture: under a consent for the person's own words only, no invented memories
    own = " Not a memory of yours: a scene anyone can picture." if request.scope and request.scope.own_words_only else ""
    if not said and not (section.passages and section.about == section.passages[0]):
        return f"{before}Paint them a little scene that shows this: {section.about}. Say how it begins.{own}"
    what = "Say what happens next" if count == 1 else f"Say the next {count} sentences: what happens next"
    return f"{before}Go on with the scene (it shows: {section.about}). {what}, or what it teaches them.{own}"


def _fresh(s: Sentence, seen: list[Sentence], language: str) -> bool:
    """Neither the model's instructions read back nor what the talk has said already."""
    return not _LEAK.search(s.text) and not repeats(s.text, seen, language)


def _one_more(writer: LLMScript, plan: TalkPlan, section: Section, request: DraftRequest, said: list[Sentence],
              talk: list[Sentence], misses: int, avoid: list[Sentence] = ()) -> Sentence | None:
    """The section's next sentence from the model, or None where every sample missed, read its
    instructions back or repeated the talk (a miss asks again in other words)."""
    cover = section.about if section.kind == "story" and not said else None
    ask = _task(plan, section, request, said, talk) + _AGAIN[misses % len(_AGAIN)]
    new = writer.one_sentence(request, ask, cover=cover)
    return new if new is not None and _fresh(new, [*talk, *said, *avoid], request.brief.language) else None


def _some_more(writer: LLMScript, plan: TalkPlan, section: Section, request: DraftRequest, said: list[Sentence],
               talk: list[Sentence], misses: int, avoid: list[Sentence] = ()) -> list[Sentence]:
    """The next ``PER_REQUEST`` sentences of a story already begun, in one request (a small
    model's prompt costs as much as its answer): each kept only if it passes the writer's judge
    (first person, speakable, no check broken), does not read its instructions back and says
    nothing already said."""
    b, p = request.brief, request.persona
    typical = typical_sentence_length(p.profile, b.language)
    ask = _task(plan, section, request, said, talk, PER_REQUEST) + _AGAIN[misses % len(_AGAIN)]
    try:
        got, _ = writer._ask(writer._persona_prompt(request), ask, int(PER_REQUEST * typical * 2.5) + 30, p.styles)
    except LLMError:
        return []
    kept: list[Sentence] = []
    for s in got[:PER_REQUEST]:
        if writer._judge(s, request, typical, writer.names(request), None, None) is not None and \
                _fresh(s, [*talk, *said, *avoid, *kept], b.language):
            kept.append(s)
    return kept


def _outline_section(writer: LLMScript, plan: TalkPlan, section: Section, request: DraftRequest,
                     talk: list[Sentence]) -> list[Sentence]:
    language = request.brief.language
    said: list[Sentence] = []
    own = [s for p in section.passages for s in passage_sentences(p)]
    if section.kind == "story" and section.passages and section.about == section.passages[0]:
        said, own = own, []  # a story of their own: it starts with their words
    misses = 0
    while spoken_seconds(said + own, language, plan.speaking_rate_wpm) < 0.9 * section.seconds and misses < MISSES:
        if section.kind == "story" and said:
            more = _some_more(writer, plan, section, request, said, talk, misses, avoid=own)
        else:
            more = [s for s in [_one_more(writer, plan, section, request, said, talk, misses, avoid=own)] if s]
        if not more:
            misses += 1
            continue
        said += [writer._without_address(s, writer._addresses(request)) if talk or said else s for s in more]
        if own and len(said) == 1:  # their own words right after the story's first sentence
            said, own = said + own, []
        if section.kind in ("opening", "theme", "callback") and len(said) >= sentence_share(plan, section, 8):
            break
    return said + own


def _whole_section(writer: LLMScript, plan: TalkPlan, section: Section, request: DraftRequest,
                   talk: list[Sentence]) -> list[Sentence]:
    b, p = request.brief, request.persona
    language = b.language
    typical = typical_sentence_length(p.profile, language)
    own = [s for x in section.passages for s in passage_sentences(x)]
    said: list[Sentence] = []
    for _ in range(2):
        missing = section.seconds - spoken_seconds(said + own, language, plan.speaking_rate_wpm)
        if missing < 0.1 * section.seconds:
            break
        k = sentence_share(plan, section.model_copy(update={"seconds": missing}), typical)
        user = (f"Your talk's plan:\n{outline_lines(plan)}\n\n" + _task(plan, section, request, said, talk)
                + f"\nWrite {k} sentences for this part, one per line.")
        got, _ = writer._ask(writer._persona_prompt(request), user, int(k * typical * 2.2) + 40, p.styles)
        said += [s for s in got if not repeats(s.text, talk + said + own, language)]
    if own:
        said = said[:1] + own + said[1:]
    return said


def _top_up(writer: LLMScript, plan: TalkPlan, parts: list[tuple[Section, list[Sentence]]], request: DraftRequest) -> None:
    """While the talk is short of its length, one more sentence at the end of each story in turn,
    until a round adds nothing."""
    language, target, wpm = request.brief.language, request.brief.target_seconds, plan.speaking_rate_wpm
    fruitless = 0
    while fruitless < MISSES and sum(spoken_seconds(s, language, wpm) for _, s in parts) < (1 - TOLERANCE / 2) * target:
        fruitless += 1
        for section, said in parts:
            if section.kind != "story" or sum(spoken_seconds(s, language, wpm) for _, s in parts) >= target:
                continue
            talk = [s for _, x in parts for s in x]
            more = (_some_more(writer, plan, section, request, said, [], fruitless, avoid=talk) if said else
                    [s for s in [_one_more(writer, plan, section, request, said, [], fruitless, avoid=talk)] if s])
            if more:
                said += more
                fruitless = 0


def draft_long(writer: LLMScript, request: DraftRequest) -> ScriptResult:
    """The talk in the plan's sections, held to its length; notes say which sections stayed short."""
    plan = plan_talk(request)
    language = request.brief.language
    write = _outline_section if writer.mode == "outline" else _whole_section
    parts, talk = [], []
    for section in plan.sections:
        said = write(writer, plan, section, request, talk)
        if not said and section.kind in ("opening", "closing"):
            said = [Sentence(text=("大家好！" if language == "zh" else f"Hello, {request.brief.audience}!")
                             if section.kind == "opening" else CLOSING[language])]
        if said and section.kind in ("theme", "callback"):
            said[-1] = said[-1].model_copy(update={"cues_after": [*said[-1].cues_after, Cue(kind="pause", seconds=0.5)]})
        parts.append((section, said))
        talk += said
    if writer.mode == "outline":
        _top_up(writer, plan, parts, request)
    more_of_their_words(parts, request)
    wpm = plan.speaking_rate_wpm
    notes = [f"the model wrote {spoken_seconds(said, language, wpm):.0f} s of the {section.seconds:.0f} s planned for the "
             f"{section.kind} ({' '.join(section.about.split())[:40]!r})"
             for section, said in parts if spoken_seconds(said, language, wpm) < 0.7 * section.seconds]
    sentences = writer._styled(hold_length(parts, request.brief.target_seconds, language, wpm), request.persona.styles)
    return ScriptResult(sentences=sentences, backend=writer.name, notes=notes)
