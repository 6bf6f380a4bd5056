"""What the studio checks in a script before any reviewer sees it, and how it mends a model's
answer into the studio markup.

``repair_model_output`` turns what chat models tend to write (a preamble, numbered lines,
bold, speaker labels, stage directions like "(laughs)" or "*sips water*", several sentences
on a line, styles it was not offered) into markup, saying what it changed; what it cannot
mend raises ``MarkupError`` with the parser's message.

``check_script`` flags, per sentence: topics the consent forbids, endorsements (unless the
consent allows them), claims in the person's name that neither their corpus nor the brief
supports (where the consent asks for their own words only), figures nobody gave, sentences
in the wrong language or too long to say, and markup debris.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from persona.corpus import DEFAULT_SENTENCE_LENGTH, sentence_length
from persona.records import ConsentScope
from persona.retrieval import best_support, words
from persona.topics import forbidden_hits
from script.markup import MarkupError, parse_markup
from script.pace import spoken_seconds
from script.records import ScriptFlag
from script.sentences import Brief, Sentence

# ---------------------------------------------------------------- repair

_PREAMBLE = re.compile(r"^(sure|certainly|of course|okay|ok|here(?:'s| is| are)|below is|i hope|let me know|"
                       r"note:|title:|script:|\(?end\)?$|好的|以下是|当然|希望)", re.I)
# a label the prompt's own words come back as, before the words themselves: "Your talk:", "Script:",
# "New sentence:", "My first sentence is:", "I'll say:", 「稿子：」, 「修改后的句子：」, 「我说：」
# (the words after it are kept)
_LABEL = re.compile(
    r"^\s*(?:(?:your|my|the|a|new|revised|rewritten|final|updated|here\s+is|first|next|last)\s+)*"
    r"(?:talk|script|speech|message|greeting|answer|response|version|draft|rewrite|text|line|sentence)(?:\s*\d+)?"
    r"(?:\s+is)?\s*[:：]\s*(?=\S)"
    r"|^\s*(?:i(?:'ll|\s+will|\s+would)\s+say|in\s+my\s+own\s+words|here\s+it\s+is)\s*[:：]\s*(?=\S)"
    r"|^\s*(?:我(?:会)?说|我的第一句话是?)\s*[:：]\s*(?=\S)"
    r"|^\s*(?:(?:好的|当然)[，,、]?\s*)?(?:以下是|这是|下面是)?(?:修改后|改写后|新|最终)?的?"
    r"(?:稿子|讲稿|台词|发言稿?|致辞|回答|句子|版本|第\s*\d+\s*句)\s*[:：]\s*(?=\S)", re.I)
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}\s*[.)、:：]|[-*•·]\s|(?:sentence|line|句)\s*\d+\s*[:：.])\s*", re.I)
_SPEAKER = re.compile(r"^\s*[A-Z][\w'-]*(?:\s+(?:[A-Z][\w'-]*|\d+))?(?:\s*\([^)]{0,20}\))?:\s+(?=\S)"  # "Uncle Bo:"
                      # 「白伯伯：」「王总：」「主持人：」: a name with a title or kinship word, then a colon
                      r"|^\s*[\u4e00-\u9fff]{0,4}(?:伯伯|叔叔|爷爷|奶奶|姥姥|姥爷|外公|外婆|阿姨|舅舅|姑姑|先生|女士|老师|老板|"
                      r"董事长|总经理|总|主持人|旁白|讲话人|说话人)(?:[(（][^)）]{0,10}[)）])?\s*[：:]\s*(?=\S)")
_DIRECTION = re.compile(r"[(（\[*]\s*([^()（）\[\]*{}]{1,40}?)\s*[)）\]*]")
_STAGE = [  # a stage direction's words -> the cue it means
    (re.compile(r"laugh|chuckl|giggl|笑", re.I), "[laugh]"),
    (re.compile(r"cough|咳", re.I), "[cough]"),
    (re.compile(r"sigh|叹", re.I), "[sigh]"),
    (re.compile(r"breath|inhale|吸气|呼吸", re.I), "[breath]"),
    (re.compile(r"sip|drink|water|tea|喝", re.I), "[drink]"),
    (re.compile(r"pause|beat|silence|停顿|停", re.I), "[pause]"),
]
_CUE_OK = re.compile(r"^(pause|cough|laugh|breath|sigh|drink)(\s+\d+(\.\d+)?\s*s?)?$", re.I)
_STYLE_SYNONYMS = {"happy": "warm", "cheerful": "warm", "kind": "warm", "gentle": "warm", "tender": "warm",
                   "joking": "teasing", "playful": "teasing", "funny": "teasing", "humorous": "teasing",
                   "serious": "solemn", "sad": "solemn", "grave": "solemn", "calm": "neutral", "normal": "neutral"}
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]")


@dataclass
class Repaired:
    text: str
    sentences: list[Sentence]
    fixes: list[str] = field(default_factory=list)


def _stage_cue(direction: str) -> str | None:
    if _CUE_OK.match(direction.strip()):
        return f"[{direction.strip().lower()}]"
    for pattern, cue in _STAGE:
        if pattern.search(direction):
            return cue
    return None


def _split_line(line: str) -> list[str]:
    """One sentence per line: ``{warm} A. B! [laugh]`` -> ``{warm} A.`` / ``B! [laugh]``."""
    style = ""
    m = re.match(r"^(\{[^}]*\})\s*", line)
    if m:
        style, line = m.group(1) + " ", line[m.end():]
    parts, pos = [], 0
    # a break after . ! ? (and the cues that follow it), where more words follow
    # a break after . ! ? (and the cues that follow it), or after a cue inside the words
    for m in re.finditer(r"(?:[.!?。！？]+[\"'”’」）)]*|(?<=[^\s\]])\s*(?=\[))((?:\s*\[[^\]]*\])*)\s*(?=[^\s\[.!?。！？\"'”’」）)])",
                         line):
        if m.end() < len(line) and m.end() > m.start() and (
                m.group(1) or m.end() > m.start() + 1 or line[m.end() - 1].isspace() or re.match(r"[。！？]", line[m.start()])):
            parts.append(line[pos:m.end()].strip())
            pos = m.end()
    parts.append(line[pos:].strip())
    parts = [p for p in parts if p]
    merged: list[str] = []
    for p in parts:
        if merged and (len(re.sub(r"\[[^\]]*\]", "", p).strip()) < 2):
            merged[-1] += " " + p
        else:
            merged.append(p)
    merged = [merged[0], *(_SPEAKER.sub("", p, count=1) for p in merged[1:])] if merged else merged
    return [(style if i == 0 else "") + p for i, p in enumerate(merged)] or [style.strip()]


def repair_model_output(text: str, styles: list[str]) -> Repaired:
    """Mend a model's answer into the studio markup (see the module docstring)."""
    fixes: list[str] = []
    styles = styles or ["neutral"]
    text = re.sub(r"```[a-z]*", "", text.replace("\r", ""))
    lines = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        labelled = _LABEL.match(line)
        if labelled:
            fixes.append(f"dropped a label before the words: {labelled.group(0).strip()!r}")
            line = line[labelled.end():].strip()
            line = line[:1].upper() + line[1:]  # the words began the sentence once the label is gone
        if _PREAMBLE.match(line) or (line.endswith((":", "：")) and len(line) < 80):
            said = re.split(r"[:：]\s*", line, maxsplit=1)
            meta = re.match(r"\W*(?:note|title|let me know)\b", said[0], re.I)  # about the script, not of it
            if len(said) == 2 and not meta and len(re.findall(r"\w+", said[1])) >= 3:  # "Here's my toast: to the ..."
                fixes.append(f"dropped what came before the words: {said[0][:60]!r}")
                line = said[1][:1].upper() + said[1][1:]
            else:
                fixes.append(f"dropped a line that is not the script: {line[:60]!r}")
                continue
        if line.startswith("#"):
            fixes.append(f"dropped a heading: {line[:60]!r}")
            continue
        new = _LIST_MARK.sub("", line, count=1)
        new = _SPEAKER.sub("", new, count=1) if not new.startswith(("{", "[")) else new
        new = new.replace("**", "").replace("__", "")
        new = _EMOJI.sub("", new)
        new = re.sub(r"^[\"“”']+|[\"“”']+$", "", new.strip())

        def direction(m: re.Match) -> str:
            inner = m.group(1)
            opener = m.group(0)[0]
            if opener == "*" and " " not in inner.strip() and not _stage_cue(inner):
                return m.group(0)  # *word*: stress, which the markup has
            if opener == "[" and _CUE_OK.match(inner.strip()):
                return f"[{inner.strip().lower()}]"
            cue = _stage_cue(inner)
            if opener in "(（" and cue is None:
                return m.group(0)  # an ordinary aside in brackets stays words
            fixes.append(f"stage direction {m.group(0)!r} -> {cue or 'dropped'}")
            return f" {cue} " if cue else " "

        new = _DIRECTION.sub(direction, new)
        new = re.sub(r"[()（）]", lambda m: "" if new.count("(") + new.count("（") != new.count(")") + new.count("）") else m.group(0), new)

        def style(m: re.Match) -> str:
            name = m.group(1).strip().lower()
            speed = m.group(2) or ""
            if name in styles:
                return "{" + name + speed + "}"
            pick = _STYLE_SYNONYMS.get(name)
            pick = pick if pick in styles else ("neutral" if "neutral" in styles else styles[0])
            fixes.append(f"style {{{name}}} is not one of the persona's ({', '.join(styles)}): {{{pick}}}")
            return "{" + pick + speed + "}"

        new = re.sub(r"\{\s*([A-Za-z_ ]+?)\s*((?:\s+\d+(?:\.\d+)?x)?)\}", style, new)
        new = re.sub(r"\s+", " ", new).strip()
        new = re.sub(r"^(\[[^\]]+\]\s*)+(\{[^}]+\})", r"\2 \1", new).strip()  # style first
        if not re.search(r"[A-Za-z\u4e00-\u9fff]", re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", new)):
            if re.search(r"\[[^\]]+\]", new) and lines:
                lines[-1] += " " + new  # a line of cues only: after the sentence before
            elif new:
                fixes.append(f"dropped a line with no words: {new[:40]!r}")
            continue
        if new != line:
            fixes.append(f"mended {line[:60]!r}")
        split = _split_line(new)
        if len(split) > 1:
            fixes.append(f"one sentence per line: split {new[:40]!r} in {len(split)}")
        lines += split
    mended = "\n".join(lines)
    if not lines:
        raise MarkupError("the answer holds no sentence of a script")
    return Repaired(mended, parse_markup(mended), fixes)


# ---------------------------------------------------------------- checks

_ENDORSE = {
    "en": re.compile(r"\b(buy|purchase|order (?:now|today|yours)|shop (?:at|now)|discount|coupon|promo(?:tion)? code|use (?:my |the )?code|"
                     r"\d+\s?% off|sponsored|our sponsor|brought to you by|i (?:highly )?(?:recommend|endorse)|"
                     r"(?:try|get) (?:the new|yours)|available (?:at|now|in stores)|link (?:below|in)|subscribe|"
                     r"best (?:brand|product)|invest in)\b|https?://|www\.", re.I),
    "zh": re.compile(r"购买|下单|抢购|优惠|折扣|打折|优惠券|代言|推荐大家|强烈推荐|赞助|链接|扫码|关注|投资|理财产品|限时|包邮|品牌|"
                     r"打[一二三四五六七八九]折|[一二三四五六七八九]折(?:起|优惠)?|"
                     r"(?:(?:快|赶紧|一定要)去?|都[去来])买(?![菜点些年])"),
}
_ATTRIBUTION = {
    "en": re.compile(r"\b(i (?:always|often|once|used to|never) (?:said|say|told|tell|believed|thought)|as i (?:always )?(?:say|said)|"
                     r"i (?:believe|remember|recall|promise|swear|support|oppose|am proud)|my (?:favou?rite|motto|belief|view|opinion)|"
                     r"i have always|i was the one|i invented|i founded|i won)\b|[\"“][^\"”]{8,}[\"”]", re.I),
    "zh": re.compile(r"我(?:常|总|一直|经常|曾经|以前|从来)(?:说|讲|认为|觉得)|我记得|我相信|我保证|我发誓|我支持|我反对|我的座右铭|我最喜欢|"
                     r"我发明|我创办|我赢|“[^”]{4,}”"),
}
_FIGURE = re.compile(r"(?<![A-Za-z0-9_.])\d[\d,.]*\s?(?:%|percent|million|billion|thousand|万|亿|倍)?")
# figures in Chinese numerals: 五百万, 三倍, 百分之二十 (not 一万遍, the exaggeration of a saying)
_FIGURE_ZH = re.compile(r"百分之[零一二三四五六七八九十百点]+|[零一二三四五六七八九十百千两]+(?:点[零一二三四五六七八九]+)?"
                        r"(?:万|亿|倍|个百分点)(?![遍次句])")
_DEBRIS = re.compile(r"\*\*|__|^#|\bsentence \d+:|\b(?:narrator|speaker \d*|voice-?over)\s*:|https?://|\{|\}", re.I)


def check_script(sentences: list[Sentence], language: str, scope: ConsentScope | None = None,
                 forbidden: list[str] | None = None, corpus: list[str] | None = None, brief: Brief | None = None,
                 typical_length: float | None = None, persona_wpm: float | None = None) -> list[ScriptFlag]:
    flags: list[ScriptFlag] = []
    forbidden = list(dict.fromkeys([*(forbidden or []), *(scope.forbidden_topics if scope else [])]))
    said = list(corpus or [])
    if brief is not None:
        said += [brief.occasion, brief.audience, *brief.points]
    said_text = " ".join(said)
    typical = typical_length or DEFAULT_SENTENCE_LENGTH[language]
    limit_words = max(40.0, 3 * typical) if language == "en" else max(80.0, 3 * typical)
    # brief points that ask for a view, memory or promise the corpus does not hold: a sentence that
    # says what follows "I always said" is that claim even when the words "I always said" are gone
    claimed = []
    if scope is not None and scope.own_words_only and brief is not None:
        for point in brief.points:
            m = _ATTRIBUTION[language].search(point)
            if m and best_support(point, list(corpus or []), language) < 0.5 and words(point[m.end():], language):
                claimed.append((point, point[m.end():]))
    for n, s in enumerate(sentences, 1):
        text = s.text
        for topic in forbidden_hits(forbidden, text):
            flags.append(ScriptFlag(kind="forbidden_topic", sentence=n, text=topic,
                                    why=f"the consent forbids the topic {topic!r}"))
        if scope is None or not scope.endorsements:
            m = _ENDORSE["zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"].search(text)
            if m:
                flags.append(ScriptFlag(kind="endorsement", sentence=n, text=m.group(0),
                                        why="reads as an endorsement or a call to buy, which the consent does not allow"))
        if scope is not None and scope.own_words_only:
            m = _ATTRIBUTION[language].search(text)  # views, memories, promises: only what they said
            if m and best_support(text, list(corpus or []), language) < 0.5:
                flags.append(ScriptFlag(kind="unmade_claim", sentence=n, text=m.group(0),
                                        why="puts words, memories, promises or views in the person's mouth that their corpus does not support"))
            else:
                for point, claim in claimed:
                    if best_support(claim, [text], language) >= 0.5:
                        flags.append(ScriptFlag(kind="unmade_claim", sentence=n, text=point[:60],
                                                why="says what the brief asks the person to have said or promised, "
                                                    "which their corpus does not support"))
                        break
            for fig in _FIGURE.findall(text) + _FIGURE_ZH.findall(text):
                digits = re.sub(r"\D", "", fig) or fig
                if digits and digits not in re.sub(r"[,.\s]", "", said_text):
                    flags.append(ScriptFlag(kind="unmade_claim", sentence=n, text=fig.strip(),
                                            why="a figure that neither the brief nor the person's corpus gives"))
        cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
        latin = len(re.findall(r"[A-Za-z]", text))
        if language == "zh" and cjk < latin:
            flags.append(ScriptFlag(kind="language", sentence=n, text=text[:40], why="not in Chinese, the script's language"))
        if language == "en" and cjk > 0:
            flags.append(ScriptFlag(kind="language", sentence=n, text=text[:40], why="has Chinese in an English script"))
        size = sentence_length(text, language)
        if size > limit_words:
            flags.append(ScriptFlag(kind="length", sentence=n, text=text[:40],
                                    why=f"{size} {'characters' if language == 'zh' else 'words'} in one sentence; split it"))
        m = _DEBRIS.search(text)
        if m:
            flags.append(ScriptFlag(kind="format", sentence=n, text=m.group(0), why="markup or labels left in the spoken text"))
    if brief is not None:
        flags += length_flags(sentences, language, brief.target_seconds, persona_wpm)
    return flags


LENGTH_TOLERANCE = 0.15


def length_flags(sentences: list[Sentence], language: str, target_s: float,
                 persona_wpm: float | None = None) -> list[ScriptFlag]:
    """A flag where the script would take more than 15 % more or less time to say, at the
    persona's pace, than the brief asks (its pauses counted): reviewers and the operator see it
    before anything is made."""
    spoken = spoken_seconds(sentences, language, persona_wpm)
    off = spoken / target_s - 1
    if abs(off) <= LENGTH_TOLERANCE:
        return []
    return [ScriptFlag(kind="length", text=f"{spoken:.0f} s",
                       why=f"about {spoken:.0f} s when spoken, {off:+.0%} against the {target_s:.0f} s the brief asks for"
                           + ("; ask for more in a comment, or give the brief more points and the person more passages"
                              if off < 0 else "; ask in a comment for what to cut"))]


SERIOUS = ("forbidden_topic", "endorsement", "unmade_claim", "language")


def serious(flags: list[ScriptFlag]) -> list[ScriptFlag]:
    return [f for f in flags if f.kind in SERIOUS]


def describe(flags: list[ScriptFlag]) -> str:
    return "; ".join(f"sentence {f.sentence}: {f.why} ({f.text!r})" if f.sentence else f"{f.why} ({f.text!r})" for f in flags)
