"""Script drafting and revision with a language model (any ``LLMBackend``: the local GGUF
model, or an OpenAI-compatible server). A brief of 90 s or more is written in the sections of a
long talk's plan (``long_talk``). Drafting ("whole"): the model gets the persona's style profile,
the passages retrieved for the brief, the brief and a length target, and writes the talk; its
answer is mended into the studio markup (or sent back once with the parser's message), then
checked. Drafting ("outline", for small models): the studio lays the talk out (an opening in the
persona's form of address, one sentence per point, the persona's own passages that fit, a closing)
and the model writes each sentence, best of ``tries`` samples, kept only if it says the point, in
the first person, at a speakable length, breaking no check. A draft that breaks the consent's
scope is asked for again once, naming the problems; sentences that still mention a forbidden
topic or read as an endorsement are taken out (and said so), other findings go to reviewers.

Revision changes only what the comments ask. A comment that says exactly what to do (``add:``,
``remove:``, ``replace "a" with "b"``, ``style 2 warm`` ...) is applied as written; a
comment anchored to a sentence (``[sentence 3] make it funnier``) has the model rewrite that
sentence alone; a comment asking for something new ("mention grandma's birthday") has it
write one new sentence; one naming a passage ("the bit about the plum tree") rewrites the
sentences it names; any other comment ("warmer overall") is applied sentence by sentence.
Every sentence no comment touched is carried over exactly. A brief in a language the model
does not write is drafted by the composer from the corpus.
"""

from __future__ import annotations

import re
from typing import Callable

from persona.corpus import sentence_length, split_sentences, typical_sentence_length
from persona.retrieval import best_support, words
from script.backends.long_talk import draft_long
from script.checks import check_script, describe, repair_model_output, serious
from script.contract import DraftRequest, ReviseRequest, ScriptBackend, ScriptResult
from script.llm.contract import ChatMessage, ChatRequest, LLMBackend, LLMError
from script.longform import CLOSING, LONG_TALK_S
from script.markup import MarkupError
from script.pace import sentence_seconds, spoken_seconds
from script.records import ScriptFlag
from script.rules import anchored, apply_comments, apply_rule, as_sentence, fit_length
from script.sentences import Sentence

_NEW = re.compile(r"^(?:please\s+)?(?:also\s+)?(?:mention|include|talk about|say something about|add (?:a line|a sentence|something) "
                  r"(?:about|on|that)|thank|wish|remember to (?:mention|say|thank))\b|^(?:加一句|加上|提一下|提到|感谢|也说说)", re.I)
_ABOUT = re.compile(r"(?:the (?:bit|line|part|sentence|joke|passage) (?:about|on|with)|where (?:he|she|you) (?:says|talks about))\s+(.+?)"
                    r"(?:\s+(?:is|sounds|feels|should|could|needs)\b|[,.;:]|$)", re.I)
_QUOTED = re.compile(r"[\"“'‘]([^\"”'’]{4,})[\"”'’]")
_GREETINGS = ["大家好", "各位好", "hello everyone", "hi everyone", "hello all"]


def _echoes(request: str, text: str, before: str) -> bool:
    """Whether ``text`` reads a reviewer's request back (four characters of it in a row, or three
    words) where the sentence before did not have them."""
    if re.search(r"[\u4e00-\u9fff]", request):
        runs = re.findall(r"[\u4e00-\u9fff]{4,}", request)
        grams = {r[i:i + 4] for r in runs for i in range(len(r) - 3)}
    else:
        ws = re.findall(r"[a-z']+", request.lower())
        grams = {" ".join(ws[i:i + 3]) for i in range(len(ws) - 2)}
        text, before = " ".join(re.findall(r"[a-z']+", text.lower())), " ".join(re.findall(r"[a-z']+", before.lower()))
    return any(g in text and g not in before for g in grams)


class LLMScript:
    def __init__(self, llm: LLMBackend, temperature: float = 0.7, seed: int | None = None,
                 mode: str = "whole", tries: int = 3, fallback: ScriptBackend | None = None):
        self.llm, self.temperature, self.seed, self.mode, self.tries = llm, temperature, seed, mode, tries
        self.fallback = fallback  # drafts what the model cannot write (a language it does not know)
        self.name = f"llm:{llm.name}"

    # ------------------------------------------------------------------ prompts
    @staticmethod
    def _persona_prompt(request: DraftRequest | ReviseRequest) -> str:
        p, b = request.persona, request.brief
        profile = p.profile
        unit = "characters" if b.language == "zh" else "words"
        lines = [f"You are {p.name}, speaking in your own voice" + (" in Chinese." if b.language == "zh" else ".")]
        if profile:
            lines.append(f"You speak in short sentences of about {profile.sentence_length:.0f} {unit}.")
            if profile.forms_of_address:
                lines.append("You address people as: " + ", ".join(profile.forms_of_address[:3]) + ".")
            if profile.catchphrases:
                lines.append("Phrases you often use: " + "; ".join(f'"{c}"' for c in profile.catchphrases[:4]) + ".")
            if profile.fillers:
                lines.append("Words you put in now and then, as you talk: " + ", ".join(profile.fillers[:5]) + ".")
            if profile.regional_words:
                lines.append("Words from where you grew up: " + ", ".join(profile.regional_words[:4]) + ".")
            if profile.humour:
                lines.append("Your humour: " + "; ".join(f'{h.name} (like: "{h.example[:60]}")' if h.example else h.name
                                                         for h in profile.humour[:2]) + ".")
            if profile.notes:
                lines.append(profile.notes.strip())
        lines += ["From the people who asked for this talk: " + b.notes.strip()] if b.notes else []
        lines.append("Write only the words you say, one sentence per line. No title, no list, no stage directions.")
        if request.forbidden_topics:
            lines.append("Never mention: " + ", ".join(request.forbidden_topics) + ".")
        if request.scope is not None and not request.scope.endorsements:
            lines.append("Never recommend or advertise any product, brand or service.")
        return "\n".join(lines)

    def _ask(self, system: str, user: str, max_tokens: int, styles: list[str], feedback: str | None = None,
             seed: int | None = None, stop: list[str] | None = None) -> tuple[list[Sentence], list[str]]:
        messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
        if feedback:
            messages[-1] = ChatMessage(role="user", content=f"{user}\n\n{feedback}")
        last = ""
        for attempt in range(2):
            answer = self.llm.chat(ChatRequest(
                messages=messages, max_tokens=max_tokens, temperature=self.temperature, frequency_penalty=0.3, stop=stop or [],
                seed=None if seed is None and self.seed is None else (seed or 0) + (self.seed or 0) + attempt))
            last = answer.text
            try:
                mended = repair_model_output(answer.text, styles)
                return mended.sentences, mended.fixes
            except MarkupError as exc:
                messages += [ChatMessage(role="assistant", content=answer.text),
                             ChatMessage(role="user", content=f"That is not a script: {exc}. Answer again with only the "
                                                              "sentences you say, one per line.")]
        raise LLMError(f"the model ({self.llm.name}) twice answered without a usable script; last answer: {last[:200]!r}")

    # ------------------------------------------------------------------ draft
    def draft(self, request: DraftRequest) -> ScriptResult:
        b, p = request.brief, request.persona
        if b.language not in self.llm.languages:
            if self.fallback is None:
                raise ValueError(f"the model ({self.llm.name}) does not write {b.language}; set llm.backend to one that does")
            result = self.fallback.draft(request)
            note = (f"the model ({self.llm.name}) does not write {b.language}; composed from the brief and the "
                    "persona's own passages instead (set llm.backend to a model that does)")
            return self._checked(result.model_copy(update={"notes": [note, *result.notes]}), request)
        if b.target_seconds >= LONG_TALK_S:  # in the sections of a long talk's plan
            return self._checked(draft_long(self, request), request)
        length = typical_sentence_length(p.profile, b.language)
        n = max(3, min(40, round(b.target_seconds / sentence_seconds(length, b.language, p.speaking_rate_wpm))))
        if self.mode == "outline":
            return self._checked(self._draft_outline(request, n), request)
        said = "\n".join(f"- {x}" for x in p.past_passages)
        points = "\n".join(f"- {x}" for x in b.points) or "- (no particular points)"
        user = ((f"Things you have said before:\n{said}\n\n" if said else "")
                + f"Write your {b.occasion} message to {b.audience}, {n} sentences, about {b.target_seconds:.0f} "
                  f"seconds spoken. Say these things:\n{points}")
        system = self._persona_prompt(request)
        max_tokens = int(n * length * (2.2 if b.language == "zh" else 1.8)) + 60
        best: tuple[list[Sentence], list[str], list[ScriptFlag]] | None = None
        feedback = None
        for _ in range(2):
            sentences, fixes = self._ask(system, user, max_tokens, p.styles, feedback)
            sentences = self._styled(sentences, p.styles)
            if len(sentences) > n + 2:  # a small model runs on: cut, ending on the last it said
                sentences = sentences[: n + 1] + sentences[-1:]
            flags = self._flags(sentences, request)
            if best is None or len(serious(flags)) < len(serious(best[2])):
                best = (sentences, fixes, flags)
            if not serious(flags):
                break
            feedback = "Your last answer broke these rules; write it again without them: " + describe(serious(flags))
        sentences, fixes, _ = best
        notes = [f"repaired the model's answer: {f}" for f in fixes[:8]]
        result = ScriptResult(sentences=sentences, backend=self.name, notes=notes)
        return self._checked(result, request)

    # ------------------------------------------------------------------ outline drafting
    def _draft_outline(self, request: DraftRequest, n: int) -> ScriptResult:
        b, p = request.brief, request.persona
        profile = p.profile
        address = profile.forms_of_address[0] if profile and profile.forms_of_address else b.audience
        to = f"to {b.audience}"
        notes: list[str] = []
        zh = b.language == "zh"
        start = address + "，" if zh else address[:1].upper() + address[1:] + ","
        opening = self.one_sentence(request, f"Write the first sentence of your {b.occasion} greeting {to}. "
                                             f"Start with \"{start}\".", cover=b.occasion)
        body = []
        for point in b.points:
            said = self.one_sentence(request, f"Say this {to} in one short sentence, in your own words: {point}", cover=point)
            if said is None:
                notes.append(f"the model did not say the point {point!r} well in {self.tries} tries; it is kept as written")
                said = Sentence(text=as_sentence(point))
            body.append(said)
        own = [Sentence(text=as_sentence(s)) for x in p.past_passages[:2] for s in split_sentences(x)]  # their own words
        # a short talk (the closing counted at ~3 s): more of what they said, then more of the points
        def short(current: list[Sentence] | None = None) -> bool:
            talk = [*filter(None, [opening]), *(body if current is None else current), *own]
            return spoken_seconds(talk, b.language, p.speaking_rate_wpm) + 3 < 0.9 * b.target_seconds

        for x in p.past_passages[2:4]:
            if short():
                own += [Sentence(text=as_sentence(s)) for s in split_sentences(x)]
        body = self._fill(request, body, to, short)
        closing = self.one_sentence(request, f"Write the last sentence of your {b.occasion} talk {to}: a warm wish.")
        if opening is None:
            opening = Sentence(text=f"{address}，大家好！" if zh else f"{start} happy {b.occasion}!")
        addresses = self._addresses(request)
        body, own = ([self._without_address(s, addresses) for s in part] for part in (body, own))
        closing = self._without_address(closing, addresses) if closing else None
        sentences = [opening, *body, *own] + ([closing] if closing else [])
        if closing is None:
            sentences.append(Sentence(text=CLOSING[b.language]))
        sentences, left_out = fit_length(self._styled(sentences, p.styles), b.target_seconds, b.language,
                                         p.speaking_rate_wpm, theirs={s.text for s in own})
        return ScriptResult(sentences=sentences, backend=self.name, notes=notes + left_out)

    def one_sentence(self, request: DraftRequest | ReviseRequest, instruction: str, cover: str | None = None,
                     original: Sentence | None = None, echo: str = "") -> Sentence | None:
        """One sentence from the model for ``instruction``: the best of ``tries`` samples (twice as
        many for a rewrite) that says ``cover`` (or keeps the gist of ``original``), in the first
        person, at a speakable length, breaking no check, not repeating ``echo`` (the reviewer's
        request) back; None if no sample does."""
        b, p = request.brief, request.persona
        typical = typical_sentence_length(p.profile, b.language)
        system = self._persona_prompt(request)
        best: tuple[float, Sentence] | None = None
        tries = self.tries * (2 if original is not None else 1)  # a rewrite is judged more strictly
        for attempt in range(tries):
            try:
                got, _ = self._ask(system, instruction, int(typical * 3) + 24, p.styles, seed=attempt * 7919 + 1,
                                   stop=["\n\n"])
            except LLMError:
                continue
            for s in got[:2]:  # small models often put a remark before or after the sentence
                score = self._judge(s, request, typical, self.names(request), cover, original, echo)
                if score is not None and (best is None or score > best[0]):
                    best = (score, s)
            if best is not None and best[0] >= 0.5:  # good enough: no need to sample more
                break
        return best[1] if best else None

    @staticmethod
    def names(request: DraftRequest | ReviseRequest) -> list[str]:  # a sentence saying them is not in the first person
        return [w for w in re.findall(r"[A-Za-z\u4e00-\u9fff]+", request.persona.name.split("(")[0])
                if len(w) > 2 and w.lower() not in ("uncle", "aunt")]

    def _judge(self, s: Sentence, request, typical: float, names: list[str], cover: str | None,
               original: Sentence | None, echo: str = "") -> float | None:
        """How well a sampled sentence does what was asked (higher is better); None: unusable."""
        language, text = request.brief.language, s.text
        if any(n in text for n in names) or re.search(r"\b(this sentence|rewrite|rewritten|as an ai)\b", text, re.I):
            return None  # the person speaks in the first person, and never about the task
        if echo and _echoes(echo, text, original.text if original else ""):
            return None  # 「更温馨一点：……」: the request read out, not carried out
        if not 0.3 * typical <= sentence_length(text, language) <= max(3 * typical, 12) or serious(self._flags([s], request)):
            return None
        score = 1.0
        if cover:
            score = best_support(cover, [text], language)
            if score < 0.34:
                return None
        if original is not None:
            mine = set(words(original.text, language))
            score = len(mine & set(words(text, language))) / max(len(mine), 1)
            if text == original.text or score < 0.2:
                return None
        return score - abs(sentence_length(text, language) - typical) / (10 * typical)

    def _fill(self, request: DraftRequest, body: list[Sentence], to: str,
              short: Callable[[list[Sentence]], bool]) -> list[Sentence]:
        """While the talk is short of its length, one more sentence after each point: a detail or
        a touch of the person's humour, never a repeat of what is there."""
        out = []
        for i, said in enumerate(body):
            out.append(said)
            if not short(out + body[i + 1:]):
                out += body[i + 1:]
                break
            more = self.one_sentence(request, f"You just said {to}: {said.text}\nSay one more short sentence after it, "
                                              "with a concrete detail or a light touch of your humour.")
            if more is not None and best_support(more.text, [s.text for s in body], request.brief.language) < 0.7:
                out.append(more)
        return out

    @staticmethod
    def _addresses(request: DraftRequest | ReviseRequest) -> list[str]:
        """How the persona addresses people, and the talk's audience: what only the opening says."""
        profile = request.persona.profile
        return [*(profile.forms_of_address if profile else []), request.brief.audience]

    @staticmethod
    def _without_address(s: Sentence, addresses: list[str]) -> Sentence:
        """A sentence after the opening does not greet again: its leading 「家人们，」 or "My dear family," goes."""
        for address in sorted(filter(None, addresses), key=len, reverse=True):
            m = re.match(rf"^\s*(?:my\s+|我的)?{re.escape(address)}\s*[，,!！:：]\s*", s.text, re.I)
            if m and sentence_length(s.text[m.end():], "zh" if re.search(r"[\u4e00-\u9fff]", s.text) else "en") >= 3:
                rest = s.text[m.end():]
                return s.model_copy(update={"text": rest[:1].upper() + rest[1:], "emphasis": [], "readings": []})
        return s

    @staticmethod
    def _styled(sentences: list[Sentence], styles: list[str]) -> list[Sentence]:
        """Sentences the model left neutral get a style the persona has, by what they say."""
        if not styles or styles == ["neutral"]:
            return sentences
        def pick(*names):
            return next((s for s in names if s in styles), None)

        out = []
        for i, s in enumerate(sentences):
            if s.style == "neutral":
                teasing = re.search(r"\b(joke|promise|blame|again|of course|haha)\b|哈|又|怪", s.text, re.I) or any(
                    c.kind == "laugh" for c in s.cues_after)
                style = pick("teasing") if teasing else pick("warm") if (i == 0 or i == len(sentences) - 1 or "!" in s.text) else None
                s = s.model_copy(update={"style": style or s.style})
            out.append(s)
        return out

    def _flags(self, sentences: list[Sentence], request: DraftRequest | ReviseRequest) -> list[ScriptFlag]:
        p = request.persona
        return check_script(sentences, request.brief.language, scope=request.scope, forbidden=request.forbidden_topics,
                            corpus=request.corpus or p.past_passages, brief=request.brief,
                            typical_length=typical_sentence_length(p.profile, request.brief.language),
                            persona_wpm=p.speaking_rate_wpm)

    def _checked(self, result: ScriptResult, request: DraftRequest | ReviseRequest,
                 keep: set[int] | None = None) -> ScriptResult:
        """Take out sentences that still mention a forbidden topic or read as an endorsement
        (unless a reviewer wrote them: ``keep``), and flag the rest for reviewers."""
        flags = self._flags(result.sentences, request)
        drop = {f.sentence for f in flags if f.kind in ("forbidden_topic", "endorsement") and f.sentence
                and (keep is None or f.sentence not in keep)}
        notes = list(result.notes)
        sentences = result.sentences
        if drop and len(drop) < len(sentences):
            notes += [f"took out sentence {n} ({sentences[n - 1].text[:60]!r}): " + "; ".join(
                f.why for f in flags if f.sentence == n) for n in sorted(drop)]
            removed = [ScriptFlag(kind=f.kind, sentence=None, text=f.text, why=f"{f.why} (taken out before review)")
                       for f in flags if f.sentence in drop]
            sentences = [s for n, s in enumerate(sentences, 1) if n not in drop]
            flags = self._flags(sentences, request) + removed
        return result.model_copy(update={"sentences": sentences, "notes": notes, "flags": flags})

    # ------------------------------------------------------------------ revise
    def _rewrite(self, request: ReviseRequest, sentence: Sentence, instruction: str,
                 before: str = "", after: str = "") -> Sentence | None:
        context = (f"The sentence before it: {before}\n" if before else "") + (f"The sentence after it: {after}\n" if after else "")
        new = self.one_sentence(request, f"{context}Here is one sentence of your talk:\n{sentence.text}\n\nRewrite this "
                                         f"sentence as asked: {instruction}\nAnswer with the new sentence only.", original=sentence,
                                echo=instruction)
        if new is None:
            return None
        cues_after = sentence.cues_after + [c for c in new.cues_after if c not in sentence.cues_after]
        return sentence.model_copy(update={"text": new.text, "cues_after": cues_after, "emphasis": [], "readings": []})

    def _new_sentence(self, request: ReviseRequest, instruction: str) -> Sentence | None:
        topic = re.sub(_NEW, "", instruction).strip() or instruction
        new = self.one_sentence(request, f"Write one new sentence for your {request.brief.occasion} talk to "
                                         f"{request.brief.audience}: {instruction}", cover=topic)
        if new is None:
            return None
        new = self._without_address(new, [*self._addresses(request), *_GREETINGS])
        return self._styled([new], request.persona.styles)[0]

    def _targets(self, words: str, sentences: list[Sentence], language: str) -> list[Sentence]:
        named = [m.group(1) for m in _QUOTED.finditer(words)] + [m.group(1) for m in _ABOUT.finditer(words)]
        hits: list[Sentence] = []
        for phrase in named:
            scored = sorted(((best_support(phrase, [s.text], language), i) for i, s in enumerate(sentences)), reverse=True)
            if scored and scored[0][0] >= 0.5 and all(h is not sentences[scored[0][1]] for h in hits):
                hits.append(sentences[scored[0][1]])
        return hits

    def revise(self, request: ReviseRequest) -> ScriptResult:
        def apply(comment: str, sentences: list[Sentence], numbered: list[Sentence]) -> str | None:
            if apply_rule(comment, sentences, numbered, request):
                return "rule"
            return "model" if self._apply_with_model(comment, sentences, numbered, request) else None

        revised = apply_comments(request, apply)
        sentences = revised.sentences
        previous = [s.model_dump() for s in request.previous]
        keep = {n for n, s in enumerate(sentences, 1) if id(s) in revised.dictated or s.model_dump() in previous}
        checked = self._checked(ScriptResult(sentences=sentences, backend=self.name, notes=revised.notes), request, keep=keep)
        return checked.model_copy(update={"changes": revised.changes(checked.sentences)})

    def _apply_with_model(self, comment: str, sentences: list[Sentence], numbered: list[Sentence],
                          request: ReviseRequest) -> bool:
        if request.brief.language not in self.llm.languages:
            return False
        target, words = anchored(comment, numbered)
        if target is not None and target not in sentences:
            return False
        if _NEW.match(words):  # after the sentence it is anchored to, else before the closing one
            new = self._new_sentence(request, words)
            if new is None:
                return False
            sentences.insert(sentences.index(target) + 1 if target is not None else max(len(sentences) - 1, 0), new)
            return True
        if target is not None:
            return self._replace(request, sentences, target, words)
        targets = self._targets(words, sentences, request.brief.language) or list(sentences)
        done = [self._replace(request, sentences, t, words) for t in targets]
        return any(done)

    def _replace(self, request: ReviseRequest, sentences: list[Sentence], target: Sentence, instruction: str) -> bool:
        i = sentences.index(target)
        new = self._rewrite(request, target, instruction, sentences[i - 1].text if i else "",
                            sentences[i + 1].text if i + 1 < len(sentences) else "")
        if new is None:
            return False
        for name in type(new).model_fields:  # in place: later comments anchored to it still find it
            setattr(target, name, getattr(new, name))
        return True
