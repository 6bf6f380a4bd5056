"""Reviewers' comments that say what to change, applied by rule (every writer uses these before
asking a model), and fitting a draft to its length:

    add: <sentence>            (also: please add "<sentence>")
    remove: <words>            drop the sentence containing these words
    replace "<old>" with "<new>"
    shorter                    drop the least relevant borrowed sentence
    style <n> <style>          e.g. "style 2 teasing" sets sentence 2's voice style
    pause after <n>            add a [pause] after sentence n

A comment anchored to a sentence in the portal arrives as ``[sentence 3] ...``; then ``remove``,
``style warm``, ``pause``, ``add: ...`` (after it), ``say: <new words>`` and ``replace "a" with "b"``
act on that sentence."""


from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Collection

from script.comments_zh import read_comment
from script.contract import ReviseRequest
from script.pace import spoken_seconds
from script.records import ScriptChange
from script.sentences import Cue, Sentence

_WORD = re.compile(r"[a-z']+|[\u4e00-\u9fff]")
_STOP = set("a an the and or but to of in on for with at by from is are was were be it this that i you we my our your".split())


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def as_sentence(text: str) -> str:
    """A point or comment as a sentence: quotes off, a full stop on, a capital first."""
    text = text.strip().strip('"“”').strip()
    if text and text[-1] not in ".!?。！？":
        text += "。" if re.search(r"[\u4e00-\u9fff]$", text) else "."
    return text[:1].upper() + text[1:]


@dataclass
class Revised:
    """The sentences after a round of comments, and what each comment touched (by object, so
    later inserts and removals do not shift the numbers)."""

    sentences: list[Sentence]
    notes: list[str]
    touched: list[tuple[ScriptChange, set[int]]]
    dictated: set[int]  # sentences whose words a reviewer gave exactly

    def changes(self, final: list[Sentence]) -> list[ScriptChange]:
        """Each comment's change, numbered as sentences stand in ``final``."""
        return [change.model_copy(update={"sentences": [n for n, s in enumerate(final, 1) if id(s) in ids]})
                for change, ids in self.touched]


def apply_comments(request: ReviseRequest, apply: Callable[[str, list[Sentence], list[Sentence]], str | None]) -> Revised:
    """Apply the comments in order with ``apply(comment, sentences, numbered)``, which changes
    ``sentences`` in place and says how ("rule", "model") or None when it could not.
    ``numbered``: the sentences as the reviewer saw them, for anchors."""
    sentences = [s.model_copy(deep=True) for s in request.previous]
    numbered = list(sentences)
    notes: list[str] = []
    touched: list[tuple[ScriptChange, set[int]]] = []
    dictated: set[int] = set()
    for i, comment in enumerate(request.comments):
        asked_by = request.authors[i] if i < len(request.authors) else None
        before = {id(s): s.model_dump() for s in sentences}
        how = apply(read_comment(comment), sentences, numbered)
        ids = {id(s) for s in sentences if before.get(id(s)) != s.model_dump()}
        if how is None:
            notes.append(f"not applied automatically, needs an editor: {comment!r}")
            touched.append((ScriptChange(comment=comment, asked_by=asked_by, applied=False, how="none"), set()))
            continue
        if how == "rule":
            dictated |= ids
        touched.append((ScriptChange(comment=comment, asked_by=asked_by, how=how), ids))
    if not sentences:
        raise ValueError("the comments removed every sentence; keep at least one")
    return Revised(sentences, notes, touched, dictated)


def fit_length(sentences: list[Sentence], target_s: float, language: str, persona_wpm: float | None = None,
               theirs: Collection[str] = ()) -> tuple[list[Sentence], list[str]]:
    """Drop sentences between the opening and the closing, last first, until the talk fits 1.3x
    its target length; the person's own words (``theirs``: sentence texts) go only when
    nothing else is left to drop. Also returns a note for reviewers per sentence left out."""
    kept = list(sentences)
    while spoken_seconds(kept, language, persona_wpm) > target_s * 1.3 and len(kept) > 3:
        middle = range(len(kept) - 2, 0, -1)
        kept.pop(next((i for i in middle if kept[i].text not in theirs), len(kept) - 2))
    left_out = [s for s in sentences if not any(s is k for k in kept)]
    return kept, [f"left out to keep the talk near {target_s:.0f} s: “{s.text}”" for s in left_out]


ANCHOR = re.compile(r"^\[sentence (\d+)\]\s*(.+)$", re.I | re.S)


def anchored(comment: str, numbered: list[Sentence]) -> tuple[Sentence | None, str]:
    """The sentence a ``[sentence n] ...`` comment points at (None if none or gone) and its words."""
    m = ANCHOR.match(comment.strip())
    if not m:
        return None, comment.strip()
    n = int(m.group(1))
    return (numbered[n - 1] if 1 <= n <= len(numbered) else None), m.group(2).strip()


def apply_rule(comment: str, sentences: list[Sentence], numbered: list[Sentence], request: ReviseRequest) -> bool:
    """Apply a comment that says exactly what to change (see the module docstring); False if
    it says no such thing. ``numbered``: the sentences as the reviewer saw them."""
    target, words = anchored(comment, numbered)
    if target is not None and target in sentences and _apply_to(words, target, sentences, request):
        return True
    return _apply(words, sentences, request)


def _apply_to(comment: str, target: Sentence, sentences: list[Sentence], request: ReviseRequest) -> bool:
    """A comment anchored to one sentence."""
    low = comment.lower().strip(" .!")
    if low in ("remove", "delete", "drop", "remove this", "delete this", "drop this", "remove it", "cut"):
        sentences.remove(target)
        return True
    m = re.match(r"^style\s+([a-z_]+)$", low)
    if m:
        target.style = m.group(1)
        return True
    m = re.match(r"^pause(?: after)?(?:\s+(\d+(?:\.\d+)?)\s*s)?$", low)
    if m:
        target.cues_after.append(Cue(kind="pause", seconds=float(m.group(1) or 0.6)))
        return True
    if low in ("slower", "more slowly", "slow down"):
        target.speed = round(max(0.5, target.speed * 0.88), 2)
        return True
    m = re.match(r"^(?:please\s+)?add(?:\s*:\s*|\s+)(.+)$", comment, re.I | re.S)
    if m:
        styles = request.persona.styles or ["neutral"]
        sentences.insert(sentences.index(target) + 1, Sentence(text=as_sentence(m.group(1)), style=styles[0]))
        return True
    m = re.match(r"^(?:say|instead|rewrite|reword)(?:\s*:\s*|\s+)(.+)$", comment, re.I | re.S)
    if m:
        target.text = as_sentence(m.group(1))
        return True
    m = re.match(r'^(?:please\s+)?replace\s+["“](.+?)["”]\s+with\s+["“](.+?)["”]', comment, re.I)
    if m and m.group(1).lower() in target.text.lower():
        target.text = re.sub(re.escape(m.group(1)), m.group(2), target.text, flags=re.I)
        return True
    return False


def _apply(comment: str, sentences: list[Sentence], request: ReviseRequest) -> bool:
    low = comment.lower()
    styles = request.persona.styles or ["neutral"]
    m = re.match(r"^(?:please\s+)?add(?:\s*:\s*|\s+)(.+)$", comment, re.I | re.S)
    if m:
        sentences.insert(max(len(sentences) - 1, 0), Sentence(text=as_sentence(m.group(1)), style=styles[0]))
        return True
    m = re.match(r"^(?:please\s+)?(?:remove|drop|delete)(?:\s*:\s*|\s+)(.+)$", comment, re.I)
    if m:
        target = m.group(1).strip().strip('"“”').lower()
        hits = [s for s in sentences if target in s.text.lower()]
        for s in hits:
            sentences.remove(s)
        return bool(hits)
    m = re.match(r'^(?:please\s+)?replace\s+["“](.+?)["”]\s+with\s+["“](.+?)["”]', comment, re.I)
    if m:
        old, new = m.group(1), m.group(2)
        hit = False
        for s in sentences:
            if old.lower() in s.text.lower():
                s.text = re.sub(re.escape(old), new, s.text, flags=re.I)
                hit = True
        return hit
    m = re.match(r"^style\s+(\d+)\s+([a-z_]+)$", low)
    if m and 1 <= int(m.group(1)) <= len(sentences):
        sentences[int(m.group(1)) - 1].style = m.group(2)
        return True
    m = re.match(r"^pause after\s+(\d+)(?:\s+(\d+(?:\.\d+)?)\s*s)?$", low)
    if m and 1 <= int(m.group(1)) <= len(sentences):
        sentences[int(m.group(1)) - 1].cues_after.append(Cue(kind="pause", seconds=float(m.group(2) or 0.6)))
        return True
    if low.strip(" .!") in ("slower", "more slowly", "slow down"):
        for s in sentences:
            s.speed = round(max(0.5, s.speed * 0.88), 2)
        return True
    if re.match(r"^(make it\s+)?shorter\b", low) and len(sentences) > 3:
        brief_words = content_words(" ".join(request.brief.points))
        middle = sentences[1:-1]
        least = min(middle, key=lambda s: len(content_words(s.text) & brief_words))
        sentences.remove(least)
        return True
    return False
