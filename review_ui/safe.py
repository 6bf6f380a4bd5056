"""People's words are text. Streamlit renders markdown (links, images, ``:red[...]``, and with
``unsafe_allow_html`` raw HTML) in ``st.markdown``, captions, alerts and widget labels, so every
string a reviewer, a family member or an operator typed goes through ``md`` before it reaches
one of them: each character markdown gives a meaning is escaped, and it shows as typed."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def md(value: object) -> str:
    """``value`` as literal text inside markdown (no link, image, HTML, heading or colour)."""
    return _SPECIAL.sub(r"\\\1", str(value))
