"""Issue 14, defect 4: one forbidden-topic matcher. The script checks, approval, a reviewer's
edit and the voice, video and delivery refusals give the same answer for every row of the
table, and hidden characters or look-alike letters do not get a topic past them."""

from __future__ import annotations

import pytest

from core.records import utcnow
from persona.consent import ConsentError, require_allowed_content
from persona.records import ConsentRecord, ConsentScope
from script.sentences import Sentence

# (forbidden topic, sentence, mentions it?)
TABLE = [
    ("elections", "I still remember the election of our village chief.", True),
    ("politics", "Your cousin the politician should call his mother.", True),
    ("politics", "We never talked about political things at dinner.", True),
    ("elections", "He was elected twice.", True),
    ("politics", "Our p\u00adolitics never mattered at home.", True),  # soft hyphen
    ("politics", "Our poli\u200btics never mattered at home.", True),  # zero-width space
    ("politics", "Our \u0440olitics never mattered at home.", True),  # Cyrillic er
    ("politics", "ＰＯＬＩＴＩＣＳ is for others.", True),  # full-width letters
    ("inheritance", "The inheri\u2060tance goes to the children.", True),  # word joiner
    ("tax cuts", "They promised tax cuts again.", True),
    ("tax", "Taxes were high that year.", True),
    ("stock price", "Our Stock Price will double.", True),
    ("政治", "他后来成了政治家。", True),
    ("选举", "我还记得村长选举那天。", True),
    ("政治", "政\u200b治不是我们家的话题。", True),
    # no mention: words that only share letters with a topic
    ("elections", "The electricity bill came on Monday.", False),
    ("tax", "Take a taxi home after dinner.", False),
    ("tax", "The syntax of his letters was perfect.", False),
    ("tax cuts", "The tax office cuts its hours on Fridays.", False),
    ("money", "Come home for dinner, all of you.", False),
    ("politics", "The police came to the wedding as guests.", False),
    ("钱", "我的钱包丢了。", False),
]


def _consent(topic: str) -> ConsentRecord:
    from datetime import timedelta

    from core.records import AssetRef

    evidence = AssetRef(key="media/00/x.txt", sha256="0" * 64, media_type="text/plain", size=1)
    return ConsentRecord(id="consent-test", persona_id="persona-test", subject_name="A", grantor_name="B",
                         relationship="self", scope=ConsentScope(uses=["greeting"], forbidden_topics=[topic]),
                         valid_until=utcnow() + timedelta(days=1), evidence=[evidence])


@pytest.mark.parametrize("topic,text,expected", TABLE, ids=[f"{t}:{x[:24]}" for t, x, _ in TABLE])
def test_every_check_gives_the_same_answer(topic, text, expected, abuse):
    from script.checks import check_script

    consent = _consent(topic)
    language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    flagged = any(f.kind == "forbidden_topic" for f in check_script([Sentence(text=text)], language, consent.scope))
    refused_by_approval = bool(consent.forbidden_in(text))  # approval and edits ask this
    try:
        require_allowed_content(consent, text)  # voice, video and delivery ask this
        refused_by_steps = False
    except ConsentError:
        refused_by_steps = True
    answers = {"checks": flagged, "approval": refused_by_approval, "voice/video/delivery": refused_by_steps}
    wrong = expected and not all(answers.values())
    abuse.record("4", f"{topic!r} in {text!r}", "accepted wrongly" if wrong else
                 "refused cleanly" if expected else "accepted (valid)")
    assert answers == {k: expected for k in answers}, answers
