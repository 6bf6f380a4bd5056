"""The portal's two languages. Code writes English; ``t`` returns the Chinese text when the
person reads Chinese (their invitation's language, or the sidebar switch). The Chinese lives in
``locale/zh.json``: ``texts`` (the portal's own strings), ``patterns`` (sentences the studio's
checks write, with their figures and quoted words kept) and ``terms`` (words inside figure
lines). ``tests/test_portal_language.py`` walks every page in Chinese and fails on English left
on it; a string missing here shows in English rather than breaking the page."""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Callable

import streamlit as st

from core.errors import one_line
from review_ui.safe import md

LANGUAGES = {"en": "English", "zh": "中文"}
CATALOG = Path(__file__).with_name("locale") / "zh.json"


@lru_cache(maxsize=1)
def _zh() -> dict:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    data["compiled"] = [(re.compile(p, re.S), form) for p, form in data.get("patterns", [])]
    data["term_re"] = re.compile("|".join(rf"(?<![A-Za-z]){re.escape(k)}(?![A-Za-z])"
                                          for k in sorted(data.get("terms", {}), key=len, reverse=True)))
    return data


_FIXED: ContextVar[str | None] = ContextVar("portal_language", default=None)


def language() -> str:
    return _FIXED.get() or st.session_state.get("lang", "en")


def fixed(fn: Callable[[str], str]) -> Callable[[str], str]:
    """``fn`` (``t``, ``label``) bound to the language of the page being drawn: a widget's
    ``format_func`` may be called outside the run (Streamlit's test client does)."""
    lang = language()

    def call(value):
        token = _FIXED.set(lang)
        try:
            return fn(value)
        finally:
            _FIXED.reset(token)

    return call


def t(text: str, /, **values) -> str:
    """``text`` in the person's language, with ``{values}`` filled in as literal text (people's
    words never become markdown or HTML: ``review_ui.safe.md``)."""

    out = _zh()["texts"].get(text, text) if language() == "zh" else text
    return out.format(**{k: md(v) for k, v in values.items()}) if values else out


def label(code: str) -> str:
    """A studio code (``next_of_kin``, ``production.created``, ``looking_down``) as words in the
    person's language."""
    return t(code.replace("_", " ").replace(".", " "))


def in_chinese(text: str) -> str:
    """A sentence the studio wrote (a check's reason, a figure line, a reviewer's instruction in
    the rules' words) in Chinese: a known sentence, else a known form of one (its ``x_`` groups
    translated in turn, the others kept as said), else its known terms replaced. Plain text."""
    zh = _zh()
    if text in zh["texts"]:
        return zh["texts"][text]
    for pattern, form in zh["compiled"]:
        m = pattern.fullmatch(text)
        if m:
            parts = {k: in_chinese(v) if k.startswith("x_") else v for k, v in m.groupdict().items() if v is not None}
            return form.format(**parts)
    return zh["term_re"].sub(lambda m: zh["terms"][m.group(0)], text) if zh["terms"] else text


def explain(text: str) -> str:
    """What the studio wrote, in the reader's language, as plain text (``md`` it where shown)."""
    return in_chinese(text) if language() == "zh" and text else text


def said(exc: BaseException) -> str:
    """An error as one line of literal text in the reader's language (``core.errors.one_line``,
    ``explain``, then ``md``)."""
    return md(explain(one_line(exc)))


def language_switch(default: str) -> None:
    """The sidebar's language choice; a reviewer starts in their invitation's language."""
    st.session_state.setdefault("lang", default if default in LANGUAGES else "en")
    st.sidebar.selectbox("Language / 语言", list(LANGUAGES), format_func=LANGUAGES.get, key="lang")
