"""Operators' corrections of the prompts' transcripts, applied where the prompts are chosen."""

from __future__ import annotations

import re
import unicodedata

from materials.records import TranscriptCorrection, VoicePrompt
from storage.catalog import Catalog

MAX_CHARS = 500


def clean_transcript(text: str) -> str:
    """One line of plain text: control and formatting characters out, whitespace joined; a
    clear error where nothing is left or it is too long."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text
                   if unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValueError("the transcript is empty; write what the person says in the clip")
    if len(text) > MAX_CHARS:
        raise ValueError(f"the transcript has {len(text)} characters; a 3-5 s prompt holds far fewer (at most {MAX_CHARS})")
    return text


def corrected_prompts(catalog: Catalog, persona_id: str, prompts: list[VoicePrompt]) -> list[VoicePrompt]:
    """The prompts with operators' corrections in place of the recogniser's transcripts."""
    found = [c for c in catalog.find(TranscriptCorrection, "tc-") if c.persona_id == persona_id]
    out = []
    for prompt in prompts:
        fix = next((c for c in found if c.covers(prompt)), None)
        out.append(prompt.model_copy(update={"transcript": fix.text, "transcript_by": fix.corrected_by,
                                             "transcript_confidence": None}) if fix else prompt)
    return out
