"""The persona's passages most relevant to a brief: BM25 over words (jieba for Chinese), fused
by reciprocal rank with sentence embeddings (multilingual e5 for Chinese and English, or MiniLM
for English), so a brief about "the Lunar New Year" also finds a passage about "Spring Festival
dinners", and 「冬天开的花」 finds 「梅花香自苦寒来」."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from persona.embeddings import LANGUAGES, RELATED, embedder

_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_EN_STOP = frozenset("""a an the and or but if so to of in on for with at by from as is are was were be been being it its
this that these those i am me my we us our you your he him his she her they them their what which who whom do does did
have has had not no yes all any can will would shall should could may might must just very too also than then there
here about into over after before again once up down out off more most some such only own same s t""".split())
_ZH_STOP = frozenset("的 了 是 在 我 你 他 她 它 们 我们 你们 大家 和 与 就 都 也 还 又 很 这 那 个 一个 有 没有 不 吧 呢 啊 嗯 吗 着 过 给 把 被 让 说".split())
_PUNCT = re.compile(r"^[\W_]+$")


def _en_stem(word: str) -> str:
    for suffix in ("ing", "edly", "ed", "ies", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def words(text: str, language: str) -> list[str]:
    """Content words: jieba's search-mode words for Chinese (single characters kept when the
    text is only that), lower-cased stems for English; stop words left out."""
    if language == "zh" or re.search(r"[\u4e00-\u9fff]", text):
        import jieba

        jieba.setLogLevel(60)
        found = [w for w in jieba.lcut_for_search(text) if w.strip() and not _PUNCT.match(w) and w not in _ZH_STOP]
        found += [_en_stem(w) for w in _EN_WORD.findall(text.lower()) if w not in _EN_STOP]
        return found
    return [_en_stem(w) for w in _EN_WORD.findall(text.lower()) if w not in _EN_STOP]


@dataclass
class Hit:
    index: int
    text: str
    score: float  # fused: higher is more relevant
    bm25: float
    cosine: float | None = None


class PassageIndex:
    """BM25 (Okapi, k1 1.5, b 0.75) over a persona's passages, fused with embeddings by meaning
    (``model``: ``e5`` for Chinese and English, ``minilm`` for English only)."""

    def __init__(self, passages: list[str], language: str, embeddings: bool = True, model: str = "e5"):
        from rank_bm25 import BM25Okapi

        self.passages, self.language = list(passages), language
        self.tokens = [words(p, language) for p in self.passages]
        self.bm25 = BM25Okapi([t or ["\0"] for t in self.tokens]) if self.passages else None
        self.vectors, self.model = None, model
        if embeddings and language in LANGUAGES[model] and self.passages:
            self.vectors = embedder(model).encode(self.passages)

    def search(self, query: str, k: int = 6) -> list[Hit]:
        if not self.passages or k <= 0:
            return []
        q = words(query, self.language)
        bm = np.asarray(self.bm25.get_scores(q), dtype=float) if q else np.zeros(len(self.passages))
        cos = None
        if self.vectors is not None:
            cos = self.vectors @ embedder(self.model).encode([query], query=True)[0]
        fused = _rrf(bm, cos)
        order = np.argsort(-fused, kind="stable")
        hits = []
        for i in order[:k]:
            if bm[i] <= 0 and (cos is None or cos[i] < RELATED[self.model][self.language]):
                continue  # shares no word and means something else
            hits.append(Hit(int(i), self.passages[i], float(fused[i]), float(bm[i]),
                            None if cos is None else float(cos[i])))
        return hits


def _rrf(bm: np.ndarray, cos: np.ndarray | None, k: float = 60.0) -> np.ndarray:
    def ranks(x):
        r = np.empty(len(x))
        r[np.argsort(-x, kind="stable")] = np.arange(len(x))
        r[x <= 0] = len(x)  # no match at all: no place in that ranking, whatever the order of the passages
        return r

    fused = 1.0 / (k + ranks(bm))
    if cos is not None:
        fused += 1.0 / (k + ranks(cos))
    return fused


def best_support(sentence: str, passages: list[str], language: str) -> float:
    """The share of a sentence's content words found in the one passage that has most of them
    (0: none of them was ever said, 1: all were)."""
    mine = set(words(sentence, language))
    if not mine:
        return 1.0
    return max((len(mine & set(words(p, language))) / len(mine) for p in passages), default=0.0)
