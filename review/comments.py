"""Reviewers' comments as the script writer receives them: who asked, and which sentence a
comment on a time of the take means."""

from __future__ import annotations

import re

from review.records import ReviewComment
from script.records import ScriptVersion
from storage.catalog import Catalog
from voice.records import VoiceTake

TIME_ANCHOR = re.compile(r"^\[(\d+):(\d+(?:\.\d+)?)-(\d+):(\d+(?:\.\d+)?)\]\s*(.+)$", re.S)


def comment_authors(catalog: Catalog, production_id: str, version: int, comments: list[str], decided_by: str) -> list[str]:
    """Who asked for each comment: the reviewer who wrote it in the portal, else the one who decided."""
    written = {c.as_instruction(): c.author for c in catalog.find(ReviewComment)
               if c.production_id == production_id and c.script_version == version and c.reply_to is None}
    return [written.get(c, decided_by) for c in comments]


def sentence_anchors(catalog: Catalog, previous: ScriptVersion, comments: list[str]) -> list[str]:
    """Comments anchored to a time of the reviewed take (``[0:12.0-0:15.5] ...``) as anchored to
    the sentence spoken then (``[sentence 4] ...``), so the writer changes that sentence only."""
    takes = [t for t in catalog.find(VoiceTake) if t.production_id == previous.production_id
             and t.script_version == previous.version]
    if not takes:
        return comments
    timings = max(takes, key=lambda t: t.take).sentence_timings
    out = []
    for c in comments:
        m = TIME_ANCHOR.match(c.strip())
        if m and timings:
            middle = (int(m.group(1)) * 60 + float(m.group(2)) + int(m.group(3)) * 60 + float(m.group(4))) / 2
            spoken = min(timings, key=lambda t: 0 if t.start_s <= middle <= t.end_s else min(abs(t.start_s - middle),
                                                                                           abs(t.end_s - middle)))
            c = f"[sentence {spoken.index + 1}] {m.group(5).strip()}"
        out.append(c)
    return out
