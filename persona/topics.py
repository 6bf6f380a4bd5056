"""The one forbidden-topic matcher: the consent scope's topics found in a text.

The script checks, approval, an edit, and the voice, video and delivery refusals all ask this
module, so a sentence the checks flag can never be approved or delivered, and nothing is
refused that the checks let pass. Text and topics are normalised the same way first:
NFKC (full-width letters, ligatures), format characters dropped (soft hyphens, zero-width
spaces and joiners, bidi marks), Cyrillic and Greek look-alikes read as the Latin letters they
imitate, case folded and accents dropped. English is matched word by word on stems, with the
common derived forms ("politics" finds "political" and "politician", "elections" finds
"elected"); Chinese by jieba's words, compounds included ("政治" finds "政治家").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that render like Latin ones (Unicode's confusables, the ones seen in practice).
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "ɡ": "g", "ь": "b", "ո": "n", "ս": "u",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ϲ": "c", "ϳ": "j",
    # Latin look-alikes
    "ı": "i", "ɩ": "i", "ɑ": "a", "ꞵ": "b", "ɒ": "a", "ℓ": "l",
})
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset("a an the and or of to in on for with at by from my our your his her their its".split())
# what may follow a shared stem for two words to count as one topic: politic-s, politic-al, politic-ian
_DERIVED = frozenset("""s es ies ed ing al ally ial ian ians ic ics ical ically ism isms ist ists ise ised ize ized ion ions
ation ations er ers or ors y ity ities ness ment ments ful ous ive ively ary aries""".split())


def normalise(text: str) -> str:
    """The form both text and topics are compared in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = text.casefold().translate(_LOOKALIKES)
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _stem(word: str) -> str:
    for suffix in ("ing", "edly", "ed", "ies", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 3 and long.startswith(short) and long[len(short):] in _DERIVED


def _english(text: str) -> list[str]:
    return [_stem(w) for w in _EN_WORD.findall(text)]


@lru_cache(maxsize=256)
def _chinese_words(text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """jieba's precise words in order, and its search-mode words (compounds split too)."""
    import jieba

    jieba.setLogLevel(60)
    return tuple(jieba.lcut(text)), frozenset(jieba.lcut_for_search(text))


def _contains(seq: list[str] | tuple[str, ...], part: list[str] | tuple[str, ...], same) -> bool:
    n = len(part)
    return n > 0 and any(all(same(seq[i + k], part[k]) for k in range(n)) for i in range(len(seq) - n + 1))


def mentions(topic: str, text: str) -> bool:
    """Whether ``text`` speaks of ``topic`` (both as people write them)."""
    topic, text = normalise(topic).strip(), normalise(text)
    if not topic:
        return False
    if _CJK.search(topic):
        precise, search = _chinese_words(text)
        parts = [w for w in _chinese_words(topic)[0] if w.strip()]
        if len(parts) == 1:
            return parts[0] in search or parts[0] in precise
        return _contains([w for w in precise if w.strip()], parts, str.__eq__)
    wanted = [w for w in _english(topic) if w not in _STOP] or _english(topic)
    return _contains(_english(text), wanted, _same_word)


def forbidden_hits(topics: list[str], text: str) -> list[str]:
    """The topics (as the consent names them) that ``text`` speaks of."""
    return [t for t in topics if t.strip() and mentions(t, text)]
