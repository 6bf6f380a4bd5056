"""People's words are text. Streamlit renders markdown (links, images, ``:red[...]``, and with
``unsafe_allow_html`` raw HTML) in ``st.markdown``, captions, alerts and widget labels, so every
string a reviewer, a family member or an operator typed goes through ``md`` before it reaches
one of them: each character markdown gives a meaning is escaped, and it shows as typed."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# GFM turns a bare address into a link even when escaped; an invisible word joiner after its
# scheme keeps it text (it looks the same)
_AUTOLINK = re.compile(r"(?i)(?<![a-z0-9])(https?|ftp|www)(?=\\[:.])")
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """``value`` as literal text inside markdown (no link, image, HTML, heading or colour)."""
    return _AUTOLINK.sub(lambda m: m.group(1) + WORD_JOINER, _SPECIAL.sub(r"\\\1", str(value)))

