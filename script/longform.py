"""A long talk's plan: sections, each with its share of the time, and the person's own
passages placed in the section they fit; then the draft held to its length.

A brief of ``LONG_TALK_S`` or more (an annual-meeting talk, a memorial speech) is not one
greeting stretched: it opens, states a running theme, tells stories or sketches that each
teach one of the brief's points, calls back to the theme between them, and closes on it. The
writers (the composer, the model) fill the plan section by section until each has its share
of seconds; ``hold_length`` then trims a draft that runs over. What stays short is flagged to
reviewers by the length check (``script.checks.length_flags``), never hidden.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from persona.corpus import split_sentences
from persona.retrieval import best_support, words
from script.checks import LENGTH_TOLERANCE as TOLERANCE  # a draft is held within this share of its length
from script.contract import DraftRequest
from script.pace import sentence_seconds, spoken_seconds
from script.rules import as_sentence
from script.sentences import Brief, Sentence

LONG_TALK_S = 90.0  # briefs at least this long are drafted in sections
# the last words where the writer could not write its own closing
CLOSING = {"zh": "大家多保重，我们很快再见。", "en": "Take care of each other, and I will see you all soon."}

STORY_S = 40.0  # about how long one story of a long talk runs
MAX_CALLBACKS = 5

SectionKind = Literal["opening", "theme", "story", "callback", "closing"]


class Section(BaseModel):
    """One part of a long talk: what it is about, the person's passages said in it (as they
    said them), and its share of the talk's spoken seconds."""

    kind: SectionKind
    about: str
    passages: list[str] = Field(default_factory=list)
    seconds: float = Field(gt=0)


class TalkPlan(BaseModel):
    language: Literal["en", "zh"]
    target_seconds: float
    speaking_rate_wpm: float | None = None  # the persona's pace, which the sections' seconds are said at
    theme: str  # what the talk keeps coming back to
    sections: list[Section]


def _theme(brief: Brief, request: DraftRequest) -> str:
    """The running theme: the person's own saying that fits the brief best (their first where
    none does), else what the occasion means to the audience (never a point: its story says it)."""
    sayings = request.persona.catchphrases
    about = " ".join([brief.occasion, *brief.points])
    fitting = sorted(sayings, key=lambda c: -best_support(c, [about], brief.language))
    if fitting:
        return fitting[0]
    return f"{brief.occasion}对{brief.audience}意味着什么" if brief.language == "zh" else \
        f"what this {brief.occasion} means for {brief.audience}"


def candidate_passages(request: DraftRequest, limit: int) -> list[str]:
    """The person's passages for the brief: those retrieved for it first, then the rest of the
    corpus that shares words with the brief, best first, without repeats."""
    brief = request.brief
    about = " ".join([brief.occasion, brief.audience, *brief.points])
    retrieved = list(dict.fromkeys(request.persona.past_passages))
    more = [p for p in dict.fromkeys(request.corpus) if p not in retrieved and best_support(p, [about], brief.language) > 0]
    more.sort(key=lambda p: -best_support(about, [p], brief.language))
    return (retrieved + more)[:limit]


def plan_talk(request: DraftRequest) -> TalkPlan:
    """Opening, theme, one story per point (the persona's passages placed in the story they fit
    best, the rest told as stories of their own while there is time), a callback to the theme
    after every second story (at most ``MAX_CALLBACKS``), and a closing. The frame takes fixed
    shares of the time; the stories share the rest."""
    brief = request.brief
    target = brief.target_seconds
    theme = _theme(brief, request)
    points = [Section(kind="story", about=p, seconds=1) for p in brief.points]
    own: list[Section] = []
    for passage in candidate_passages(request, limit=max(6, round(target / 6))):  # ~6 s a passage
        fits = [(best_support(s.about, [passage], brief.language), s) for s in points]
        score, story = max(fits, key=lambda f: f[0], default=(0.0, None))
        if story is not None and score >= 0.34:
            story.passages.append(passage)
        else:
            own.append(Section(kind="story", about=passage, passages=[passage], seconds=1))
    room = max(1, round((target - 40) / STORY_S))  # a short talk tells fewer of its own stories
    stories = points + own[:max(0, room - len(points))] if points else own[:room] or [
        Section(kind="story", about=brief.occasion, seconds=1)]
    frame = {"opening": 0.05 * target, "theme": 0.06 * target, "closing": 0.07 * target, "callback": min(0.04 * target, 8.0)}
    callbacks = min(MAX_CALLBACKS, (len(stories) - 1) // 2)
    left = max(0.3 * target, target - frame["opening"] - frame["theme"] - frame["closing"] - callbacks * frame["callback"])
    sections = [Section(kind="opening", about=brief.occasion, seconds=frame["opening"]),
                Section(kind="theme", about=theme, seconds=frame["theme"])]
    for i, story in enumerate(stories):
        sections.append(story.model_copy(update={"seconds": left / len(stories)}))
        if i % 2 == 1 and i < len(stories) - 1 and i // 2 < callbacks:
            sections.append(Section(kind="callback", about=theme, seconds=frame["callback"]))
    sections.append(Section(kind="closing", about=theme, seconds=frame["closing"]))
    return TalkPlan(language=brief.language, target_seconds=target, speaking_rate_wpm=request.persona.speaking_rate_wpm,
                    theme=theme, sections=sections)


def passage_sentences(passage: str) -> list[Sentence]:
    """A passage as the person said it, a sentence each."""
    return [Sentence(text=as_sentence(s)) for s in split_sentences(passage) if s.strip()]


def repeats(text: str, talk: list[Sentence], language: str, limit: float = 0.7) -> bool:
    """Whether ``text`` says again what a sentence of the talk already says (a sentence with no
    content words repeats nothing)."""
    return bool(words(text, language)) and best_support(text, [s.text for s in talk], language) >= limit


def hold_length(parts: list[tuple[Section, list[Sentence]]], target_s: float, language: str,
                persona_wpm: float | None = None) -> list[Sentence]:
    """The talk, trimmed while it runs over ``target_s`` by more than ``TOLERANCE``: from the
    longest story, its last written sentence goes first, then the last of the person's own
    (each story keeps its first sentence; opening, theme, callbacks and closing are kept)."""
    parts = [(section, list(sentences)) for section, sentences in parts]
    own = {id(s) for section, sentences in parts for s in sentences
           if any(s.text == p.text for passage in section.passages for p in passage_sentences(passage))}

    def total() -> float:
        return sum(spoken_seconds(s, language, persona_wpm) for _, s in parts)

    while total() > target_s * (1 + TOLERANCE):
        stories = [(spoken_seconds(s, language, persona_wpm), s) for sec, s in parts if sec.kind == "story" and len(s) > 1]
        if not stories:
            break
        _, longest = max(stories, key=lambda t: t[0])
        written = [x for x in longest[1:] if id(x) not in own]
        longest.remove(written[-1] if written else longest[-1])
    return [s for _, sentences in parts for s in sentences]


def more_of_their_words(parts: list[tuple[Section, list[Sentence]]], request: DraftRequest) -> None:
    """While the talk is still short, the person's passages not yet in it, each at the end of the
    story it fits best (the first story where none fits)."""
    language, target = request.brief.language, request.brief.target_seconds
    stories = [(section, said) for section, said in parts if section.kind == "story"]
    if not stories:
        return
    for passage in candidate_passages(request, limit=len(request.corpus) + len(request.persona.past_passages)):
        talk = [s for _, said in parts for s in said]
        if spoken_seconds(talk, language, request.persona.speaking_rate_wpm) >= (1 - TOLERANCE / 2) * target:
            return
        new = passage_sentences(passage)
        if any(repeats(s.text, talk, language, 0.9) for s in new):
            continue  # said already, in part
        section, said = max(stories, key=lambda st: best_support(st[0].about, [passage], language))
        section.passages.append(passage)
        said += new


def outline_lines(plan: TalkPlan) -> str:
    """The plan as the writer is told it: one line a section."""
    return "\n".join("- {}: {} (~{:.0f} s)".format(s.kind, " ".join(s.about.split())[:80], s.seconds) for s in plan.sections)


def sentence_share(plan: TalkPlan, section: Section, typical: float) -> int:
    """About how many sentences of ``typical`` length (words, or characters) fill ``section``'s seconds."""
    return max(1, round(section.seconds / sentence_seconds(typical, plan.language, plan.speaking_rate_wpm)))
