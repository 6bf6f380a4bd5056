"""Reviewers' comments written in Chinese as naturally as in English, read into the studio's
comment rules (``script.rules``): 「第2句更温馨一点」 is anchored to sentence 2, 「加上：……」 adds,
「删掉关于……的那句」 removes, 「这句改成：……」/「换成……」 replaces, 「把"甲"换成"乙"」 swaps words,
「这里停顿一下」 pauses, 「说慢一点」 slows. What is not one of these goes to the writer as said."""

from __future__ import annotations

import re

_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ANCHOR = re.compile(r"^第\s*([0-9]{1,3}|[一二两三四五六七八九十]{1,3})\s*句\s*[，,：:]?\s*(.*)$", re.S)
_THIS = re.compile(r"^(?:这一?句话?|本句|这里|此处)\s*[，,：:]?\s*")
_COLON = r"\s*[：:]?\s*"


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 1:
        return _NUMERALS[text]
    if text.startswith("十"):
        return 10 + _NUMERALS.get(text[1:], 0)
    tens, _, units = text.partition("十")
    return _NUMERALS[tens] * 10 + _NUMERALS.get(units, 0)


def _quoted(text: str) -> str:
    return text.strip().strip("「」『』\"“”'‘’").strip()


def read_comment(comment: str) -> str:
    """The comment in the rules' own words where it is one of the Chinese forms; else as it came."""
    text = comment.strip()
    prefix = ""
    m = re.match(r"^\[sentence (\d+)\]\s*(.+)$", text, re.S)  # anchored in the portal
    if m:
        prefix, text = f"[sentence {m.group(1)}] ", m.group(2).strip()
    else:
        m = _ANCHOR.match(text)
        if m:
            prefix, text = f"[sentence {_number(m.group(1))}] ", m.group(2).strip()
    if not re.search(r"[\u4e00-\u9fff]", text):
        return prefix + text if prefix else comment
    text = _THIS.sub("", text) if prefix or _THIS.match(text) else text
    rules: list[tuple[str, str]] = [
        (r"^(?:请)?(?:加上|加一句|添上|补上|补充)" + _COLON + r"(.+)$", "add: {0}"),
        (r"^(?:请)?(?:删掉|删去|删除|去掉)(?:关于|提到)(.+?)的?那(?:一)?句(?:话)?[。！]?$", "remove: {0}"),
        (r"^(?:请)?(?:删掉|删去|删除|去掉)(?:这一?句|它)?[。！]?$", "remove"),
        (r"^(?:请)?把\s*[「『\"“‘'](.+?)[」』\"”’']\s*(?:换成|改成|改为)\s*[「『\"“‘'](.+?)[」』\"”’'][。！]?$",
         'replace "{0}" with "{1}"'),
        (r"^(?:请)?(?:换成|改成|改为|说成)" + _COLON + r"(.+)$", "say: {0}"),
        (r"^(?:在这里|这里|这儿)?(?:停顿|停)(?:一下|一会儿?|片刻)?[。！]?$", "pause"),
        (r"^(?:说|讲|念)?(?:得)?(?:慢|放慢)(?:一点|一些|点)?(?:说)?[。！]?$", "slower"),
    ]
    for pattern, form in rules:
        m = re.match(pattern, text, re.S)
        if m:
            said = form.format(*(_quoted(g) for g in m.groups()))
            if said == "pause" and not prefix:
                return comment  # a pause needs the sentence it follows
            return prefix + said
    return prefix + text if prefix else comment
