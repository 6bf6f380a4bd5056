"""Retrieval benchmark: does a brief find the persona's own passage it is about, by words (BM25)
and by meaning (BM25 fused with MiniLM or multilingual e5), in English and Chinese?

Run with ``make bench-retrieval`` (or ``uv run python bench/retrieval.py``). Each language has
12 passages in one person's voice and 12 briefs, each written to be about exactly one passage,
most sharing few or no words with it. Figures: top-1 and top-3 hits of 12, and ms per query.
The studio's default (``STUDIO_LLM__EMBEDDING_MODEL``) should be at least as good as the other
in English and the only one that embeds Chinese."""

from __future__ import annotations

import time

from persona.retrieval import PassageIndex

EN = [
    ("Every Spring Festival I say the same thing: a family is a garden, and gardens need patience.", "families take time to grow"),
    ("I am not a speech maker. I am a dumpling maker who was handed a microphone.", "he jokes that he is no orator"),
    ("Call your mother more often. She will pretend she is busy, but she is waiting.", "phone your mum"),
    ("Remember the movie where the old man plants a tree he will never sit under?", "a film about planting for the next generation"),
    ("The plum tree blooms in the coldest month. That is why we admire it.", "blossoms in winter"),
    ("Work hard, but go home for dinner. The office will still be there tomorrow.", "balance between the job and the evening meal"),
    ("This year our sales grew by a third, and every one of you made that happen.", "thank the team for the results"),
    ("When I was twenty I sold noodles from a cart outside the railway station.", "his first business as a young man"),
    ("Do not be afraid of mistakes; be afraid of not learning from them.", "failure as a teacher"),
    ("My father fixed bicycles, and he taught me that every screw matters.", "lessons from his dad's repair shop"),
    ("Let us raise a glass to the people who are not here tonight.", "a toast for absent friends"),
    ("Customers remember how you made them feel, not what you sold them.", "service and emotion"),
]
ZH = [
    ("每年春节我都说同样的话：家就像一个花园，花园需要耐心。", "家庭需要慢慢经营"),
    ("我这个人不会讲话，我就是个包饺子的，被人塞了个话筒。", "他自嘲不擅长演讲"),
    ("常给你妈打电话，她嘴上说忙，其实一直在等。", "多联系母亲"),
    ("记得那部电影吗？老人种了一棵自己乘不了凉的树。", "为后人着想的故事"),
    ("俗话说，梅花香自苦寒来。", "冬天开的花"),
    ("工作要努力，但是要回家吃饭，那个，公司明天还在。", "上班和家庭的平衡"),
    ("今年咱们的销售额涨了三成，这是在座每一位的功劳。", "感谢团队的业绩"),
    ("我二十岁的时候，在火车站门口推车卖面条。", "年轻时的第一次创业"),
    ("别怕犯错，怕的是犯了错不长记性。", "从失败中学习"),
    ("我爸是修自行车的，他教我每颗螺丝都要拧紧。", "父亲修车铺的教诲"),
    ("今晚咱们举杯，敬那些没能来的人。", "为缺席的朋友干杯"),
    ("客户记住的是你让他心里怎么样，不是你卖了他什么。", "服务与感受"),
]


def score(pairs: list[tuple[str, str]], language: str, embeddings: bool, model: str) -> tuple[int, int, float]:
    passages = [p for p, _ in pairs]
    index = PassageIndex(passages, language, embeddings, model)
    top1 = top3 = 0
    start = time.perf_counter()
    for passage, brief in pairs:
        found = [h.text for h in index.search(brief, 3)]
        top1 += bool(found) and found[0] == passage
        top3 += passage in found
    return top1, top3, (time.perf_counter() - start) * 1000 / len(pairs)


def main() -> None:
    print(f"{'language':<9}{'method':<16}{'top-1':>7}{'top-3':>7}{'ms/query':>10}")
    for language, pairs in (("en", EN), ("zh", ZH)):
        for name, embeddings, model in (("BM25", False, "e5"), ("BM25+MiniLM", True, "minilm"), ("BM25+e5", True, "e5")):
            if embeddings and model == "minilm" and language == "zh":
                print(f"{language:<9}{name:<16}{'(English only)':>24}")
                continue
            top1, top3, ms = score(pairs, language, embeddings, model)
            print(f"{language:<9}{name:<16}{top1:>4}/12{top3:>4}/12{ms:>10.0f}")


if __name__ == "__main__":
    main()
