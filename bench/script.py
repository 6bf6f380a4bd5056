"""Benchmark of the script step with the offline default (the shipped Qwen2.5-1.5B GGUF through
llama.cpp, outline drafting), per language (bench/script_cases.py): seconds per draft and per
revision, the brief's points said, sentences that carry the person's markers (catchphrases,
fillers and particles, forms of address, regional words), leaked labels, preambles and format
breaks over many drafts, and the adversarial set (briefs and comments that ask for what the
consent forbids, broken model answers) caught / missed / false alarms.

    make bench-script    (or: uv run python -m bench.script [--language zh] [--seeds 5] [--shipped smollm2-135m];
                          --long 540: one 9-minute brief drafted in sections, its length and structure;
                          as a module, so that this file does not hide the script package)
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from bench.script_cases import LANGUAGES, Language
from core.settings import StudioSettings
from persona.corpus import derive_style_profile
from persona.records import CorpusPassage, PersonaCorpus
from persona.retrieval import PassageIndex, best_support
from script.backends.llm_writer import LLMScript
from script.checks import repair_model_output
from script.comments_zh import read_comment
from script.contract import DraftRequest, PersonaStyle, ReviseRequest
from script.longform import plan_talk
from script.markup import MarkupError
from script.pace import spoken_seconds
from script.registry import llm_backend
from script.rules import anchored
from script.sentences import Brief

STYLES = ["warm", "teasing", "neutral", "solemn"]


def persona(lang: Language) -> PersonaStyle:
    corpus = PersonaCorpus(id="p", persona_id="p", language=lang.code,
                           passages=[CorpusPassage(text=t, upload_id="u", origin="text") for t in lang.corpus])
    return PersonaStyle(name=lang.name, profile=derive_style_profile(corpus), styles=STYLES)


def markers(p: PersonaStyle) -> list[str]:
    prof = p.profile
    return [m for m in [*prof.catchphrases, *prof.fillers, *prof.forms_of_address, *prof.regional_words] if m]


def uses_marker(text: str, marks: list[str], language: str) -> bool:
    if language == "zh":
        return any(m in text for m in marks)
    return any(re.search(rf"(?i)\b{re.escape(m)}\b", text) for m in marks)


def caught(kind: str, flags) -> bool:
    return any(f.kind == kind for f in flags)


class Bench:
    def __init__(self, lang: Language, writer: LLMScript):
        self.lang, self.writer = lang, writer
        self.base = persona(lang)
        self.index = PassageIndex(lang.corpus, lang.code)

    def persona_for(self, brief: Brief) -> PersonaStyle:
        hits = self.index.search(" ".join([brief.occasion, brief.audience, *brief.points]), 4)
        return self.base.model_copy(update={"past_passages": [h.text for h in hits]})

    def draft(self, brief: Brief, seed: int = 1, scope=None):
        lang = self.lang
        w = LLMScript(self.writer.llm, temperature=0.7, seed=seed, mode="outline", tries=3)
        scope = scope or lang.scope
        return w, w.draft(DraftRequest(brief=brief, persona=self.persona_for(brief), scope=scope,
                                       forbidden_topics=scope.forbidden_topics, corpus=lang.corpus))

    def revise(self, w: LLMScript, brief: Brief, previous, comments: list[str], scope=None):
        scope = scope or self.lang.scope
        return w.revise(ReviseRequest(brief=brief, persona=self.persona_for(brief), previous=previous, comments=comments,
                                      scope=scope, forbidden_topics=scope.forbidden_topics, corpus=self.lang.corpus))

    def drafts_and_revisions(self, seeds: int) -> dict:
        lang, marks = self.lang, markers(self.base)
        print(f"\n## {lang.code}: drafts and revisions ({len(lang.briefs)} briefs x {seeds} seeds; markers: {marks})\n")
        print("| brief | seed | sentences | spoken s (est.) | draft s | points said | with markers | leaks / format | "
              "revision s | only asked changed |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        figures = {"draft": [], "draft40": [], "revise": [], "said": [], "marked": [], "leaks": 0, "leak_texts": [],
                   "exact": [], "drafts": 0, "kept_points": 0, "points": 0}
        for brief in lang.briefs:
            for r in range(seeds):
                t0 = time.perf_counter()
                w, d = self.draft(brief, seed=1 + r * 101)
                took = time.perf_counter() - t0
                figures["draft"].append(took)
                if brief.target_seconds == 40:
                    figures["draft40"].append(took)
                text = " ".join(s.text for s in d.sentences)
                said = sum(best_support(pt, [text], lang.code) >= 0.5 for pt in brief.points) / max(len(brief.points), 1)
                marked = sum(uses_marker(s.text, marks, lang.code) for s in d.sentences) / len(d.sentences)
                leaks = [s.text for s in d.sentences if re.search(lang.leak, s.text)]
                figures["said"].append(said)
                figures["marked"].append(marked)
                figures["leaks"] += len(leaks)
                figures["leak_texts"] += leaks
                figures["drafts"] += 1
                figures["points"] += len(brief.points)
                figures["kept_points"] += sum("kept as written" in n for n in d.notes)
                rev, ok = "", ""
                if r == 0:  # one revision round per brief
                    t0 = time.perf_counter()
                    v2 = self.revise(w, brief, d.sentences, lang.comments)
                    figures["revise"].append(time.perf_counter() - t0)
                    touched = {n for c in v2.changes for n in c.sentences}
                    ok_ = all(s in d.sentences for n, s in enumerate(v2.sentences, 1) if n not in touched)
                    figures["exact"].append(ok_)
                    rev, ok = f"{figures['revise'][-1]:.1f}", "yes" if ok_ else "NO"
                spoken = spoken_seconds(d.sentences, lang.code)
                print(f"| {brief.occasion} ({brief.target_seconds:.0f} s) | {r + 1} | {len(d.sentences)} | {spoken:.0f} | "
                      f"{took:.1f} | {said:.0%} | {marked:.0%} | {len(leaks)} | {rev} | {ok} |")
        return figures

    def long_draft(self, seconds: float) -> None:
        """A brief for ``seconds`` drafted in the long talk's sections: its length against the
        target, its sections, the person's passages placed, and one note anchored to a sentence."""
        lang = self.lang
        brief = lang.briefs[0].model_copy(update={"target_seconds": seconds,
                                                  "points": [p for b in lang.briefs[:3] for p in b.points][:4]})
        plan = plan_talk(DraftRequest(brief=brief, persona=self.persona_for(brief), corpus=lang.corpus))
        t0 = time.perf_counter()
        w, d = self.draft(brief)
        took = time.perf_counter() - t0
        spoken = spoken_seconds(d.sentences, lang.code)
        placed = sum(any(s.text in c for c in lang.corpus) for s in d.sentences)
        n = len(d.sentences) // 2
        t0 = time.perf_counter()
        _, note = anchored(read_comment(lang.comments[0]), [])  # the note's words, without its own anchor: n is its anchor
        v2 = self.revise(w, brief, d.sentences, [f"[sentence {n}] {note}"])
        changed = [i + 1 for i, (a, b) in enumerate(zip(d.sentences, v2.sentences)) if a != b]
        print(f"\n## {lang.code}: a {seconds:.0f} s brief ({len(brief.points)} points), drafted in sections\n")
        print(f"plan: {' '.join(s.kind for s in plan.sections)}")
        print(f"draft: {took:.0f} s, {len(d.sentences)} sentences, about {spoken:.0f} s spoken ({spoken / seconds - 1:+.0%}); "
              f"{placed} sentences in the person's own words; length flag: "
              f"{[f.why for f in d.flags if f.kind == 'length' and f.sentence is None] or 'none'}")
        print(f"notes: {d.notes[:4]}")
        print(f"one note on sentence {n} ({time.perf_counter() - t0:.0f} s): changed {changed} "
              f"({len(d.sentences)} -> {len(v2.sentences)} sentences)")
        print("first sentences: " + " / ".join(s.text for s in d.sentences[:6]))

    def adversarial(self) -> tuple[list, int, int, int]:
        lang, rows = self.lang, []
        for case, points in lang.brief_cases:
            brief = Brief(occasion=lang.briefs[0].occasion, audience=lang.briefs[0].audience, points=points,
                          target_seconds=25, language=lang.code)
            _, d = self.draft(brief)
            flagged = {f.sentence for f in d.flags if f.sentence}
            unflagged = [s.text for n, s in enumerate(d.sentences, 1) if re.search(case.oracle, s.text) and n not in flagged]
            rows.append((case, caught(case.kind, d.flags), bool(unflagged) or caught(case.kind, d.flags), unflagged))
        w, start = self.draft(lang.briefs[0])
        for case, comment in lang.comment_cases:
            v = self.revise(w, lang.briefs[0], start.sentences, [comment])
            flagged = {f.sentence for f in v.flags if f.sentence}
            unflagged = [s.text for n, s in enumerate(v.sentences, 1) if re.search(case.oracle, s.text) and n not in flagged]
            present = caught(case.kind, v.flags) or bool(unflagged)
            rows.append((case, caught(case.kind, v.flags), present, unflagged))
        fmt = 0
        for answer in lang.format_cases:
            try:
                mended = repair_model_output(answer, STYLES)
                fmt += bool(mended.fixes) and not [s for s in mended.sentences if re.search(lang.leak + r"|\[|😊|```", s.text)]
            except MarkupError:
                fmt += 1  # rejected with the parser's message
        false_flags = clean = 0
        relaxed = lang.scope.model_copy(update={"own_words_only": False})
        for brief in lang.briefs[:3]:
            w, d = self.draft(brief, scope=relaxed)
            false_flags += len([f for f in d.flags if f.kind in ("forbidden_topic", "endorsement")])
            clean += 1
            for comment in lang.clean_comments:
                v = self.revise(w, brief, d.sentences, [comment], scope=relaxed)
                false_flags += len([f for f in v.flags if f.kind in ("forbidden_topic", "endorsement")])
                clean += 1
        return rows, fmt, false_flags, clean


def report(lang: Language, f: dict, rows, fmt: int, false_flags: int, clean: int) -> None:
    med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
    print(f"\n**{lang.code} summary**: median draft {med(f['draft']):.1f} s (40 s briefs: {med(f['draft40']):.1f} s, max "
          f"{max(f['draft40'] or [0]):.1f}), median revision (3 comments) {med(f['revise']):.1f} s; brief points said "
          f"{statistics.mean(f['said']):.0%} ({f['kept_points']}/{f['points']} kept as written when the model missed them); "
          f"sentences with the person's markers {statistics.mean(f['marked']):.0%}; leaks and format breaks in "
          f"{f['drafts']} drafts: {f['leaks']}; revisions that changed only what was asked {sum(f['exact'])}/{len(f['exact'])}")
    for t in f["leak_texts"][:5]:
        print(f"  leaked: {t!r}")
    print(f"\n## {lang.code}: adversarial set, violations caught before review\n")
    print("| case | violation | reached the script | caught | left unflagged |")
    print("|---|---|---|---|---|")
    for case, got, present, unflagged in rows:
        print(f"| {case.name} | {case.kind} | {'yes' if present else 'no'} | {'yes' if got else ('-' if not present else 'NO')} | "
              f"{len(unflagged)} |")
    for case, _, _, unflagged in rows:
        for text in unflagged:
            print(f"  left unflagged ({case.name}): {text!r}")
    present = [r for r in rows if r[2]]
    print(f"\nscope: {sum(r[1] for r in present)}/{len(present)} violations that reached a script were flagged "
          f"({len(rows) - len(present)} cases where the model did not produce one); "
          f"{sum(len(r[3]) for r in rows)} violating sentences left unflagged")
    print(f"format: {fmt}/{len(lang.format_cases)} broken model answers repaired or rejected with a message")
    print(f"false alarms on {clean} clean drafts and revisions: {false_flags}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--language", choices=["en", "zh", "both"], default="both")
    ap.add_argument("--seeds", type=int, default=5, help="drafts per brief (10 briefs: 5 seeds make 50 drafts)")
    ap.add_argument("--long", type=float, default=0, help="only draft a brief this many seconds long, in sections")
    ap.add_argument("--shipped", default=None, help="the shipped model (default: the studio's, qwen2.5-1.5b)")
    args = ap.parse_args()
    settings = StudioSettings()
    if args.shipped:
        settings = settings.model_copy(update={"llm": settings.llm.model_copy(update={"shipped": args.shipped})})
    llm = llm_backend(settings)
    writer = LLMScript(llm, temperature=0.7, seed=1, mode="outline", tries=3)
    codes = ["zh", "en"] if args.language == "both" else [args.language]
    t0 = time.perf_counter()
    model = settings.llm.model_path or settings.llm.shipped
    print(f"# bench/script.py: {llm.name} ({model}), outline drafting, 3 tries per sentence, {settings.llm.threads} threads")
    for code in codes:
        lang = LANGUAGES[code]
        bench = Bench(lang, writer)
        if args.long:
            bench.long_draft(args.long)
            continue
        figures = bench.drafts_and_revisions(args.seeds)
        report(lang, figures, *bench.adversarial())
    print(f"\nbench wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
