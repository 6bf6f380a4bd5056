"""Every page a person reads, walked in Chinese and in English (Streamlit AppTest, real catalog,
real media) for a Chinese family's greeting from a late father: no English word may be left on a
Chinese page except people's own words, names, file names, ids and a few universal terms (AI,
MP4, C2PA ...); no page may fail in either language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.api import StudioAPI
from review.access import Identity
from review.records import ReviewRequest
from tests.conftest import shown
from tests.portal_family import chinese_family

pytestmark = pytest.mark.usefixtures("one_browser")

# what stays Latin on a Chinese page: formats, standards, units and the engines' own names
UNIVERSAL = {"AI", "MP4", "MP3", "WAV", "SRT", "VTT", "WebVTT", "C2PA", "GB", "AIGC", "LUFS", "dBTP", "Hz", "CER", "WER",
             "ASR", "UTC", "PNG", "JPEG", "Prefect", "kokoro", "reenact", "espeak", "composer", "llamacpp", "llm", "Qwen",
             "SmolLM", "Whisper", "HMAC", "ECDSA", "SHA", "sha256", "KB", "MB", "GB", "fps", "x", "s", "dB", "px",
             "Digital", "Human", "Studio", "OIDC", "mov", "mkv", "webm", "m4a", "mp4", "mp3", "wav", "aac", "ogg",
             "English", "zh", "en", "v", "vs", "ms", "min", "h", "CRF", "PSNR", "SNR", "ID", "dBFS", "F0"}
BILINGUAL = {"Language / 语言"}  # the language switch names both languages on purpose
_TOKEN_WITH_MARKS = re.compile(r"\S*[\d_/@.\-]\S*")  # ids, file names, numbers with units, addresses
_WORD = re.compile(r"[A-Za-z]{2,}")


def readable(at: AppTest) -> list[str]:
    """Every text on the page a person reads: bodies, labels, options, captions, table cells."""
    out: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", None)
        if kind in ("table", "dataframe"):
            frame = node.value
            out.extend(str(c) for c in frame.columns)
            out.extend(str(v) for v in frame.astype(str).to_numpy().ravel())
        elif proto is not None and hasattr(proto, "ListFields"):
            for field, value in proto.ListFields():
                if field.name in ("body", "label", "help", "placeholder", "caption", "text"):
                    out.append(str(value))
                elif field.name == "options":
                    out.extend(str(v) for v in value)
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else children or []):
            walk(child)

    walk(at._tree)
    return [shown(s) for s in out if s and s.strip()]


def untranslated(texts: list[str], data: set[str]) -> list[str]:
    """The texts that still carry English words once people's own words and names are set aside."""
    left = []
    for text in texts:
        rest = re.sub(r"<[^>]+>", " ", text)  # the markup of the studio's own drawings (the action timeline)
        for value in BILINGUAL:
            rest = rest.replace(value, " ")
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        rest = _TOKEN_WITH_MARKS.sub(" ", rest)
        words = [w for w in _WORD.findall(rest) if w not in UNIVERSAL]
        if words:
            left.append(f"{text!r} ({' '.join(words)})")
    return left


def _reviews():
    from review_ui.review_page import reviews_page

    reviews_page()


def _productions():
    from review_ui.productions_page import productions_page

    productions_page()


def _personas():
    from review_ui.personas_page import personas_page

    personas_page()


def _materials():
    from review_ui.materials_page import materials_page

    materials_page()


def _templates():
    from review_ui.templates_page import templates_page

    templates_page()


def _verify():
    from review_ui.verify_page import verify_page

    verify_page()


def _start():
    from review_ui.start_page import start_page

    start_page()


OPERATOR_PAGES = {"start": _start, "reviews": _reviews, "productions": _productions, "personas": _personas, "materials": _materials,
                  "templates": _templates, "verify": _verify}


def _page(at: AppTest, language: str) -> AppTest:
    at.session_state["lang"] = language
    return at.run()


@pytest.mark.slow
def test_every_page_reads_in_chinese_and_in_english(settings, tmp_path, shared_data, monkeypatch):
    from review_ui.session import get_api

    get_api.clear()
    family = chinese_family(StudioAPI(settings), tmp_path, shared_data)
    api = family.api
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [api.catalog.load(ReviewRequest, family.video_review)])
    # the late father's memorial needs his widow and his son to agree: the family's page, and the operator's panel
    evidence = tmp_path / "遗产执行人.txt"
    evidence.write_text("家人共同决定。", encoding="utf-8")
    quorum = api.add_consent(family.persona_id, "王家", "next_of_kin", ["memorial"], [evidence], languages=["zh"],
                             quorum={"members": [{"name": "李秀英", "relationship": "妻子"},
                                                 {"name": "王强", "relationship": "儿子"}], "needed": 2}, actor="ops")
    api.agree_to_consent(quorum.id, "李秀英", evidence=[evidence])
    problems: list[str] = []
    for language in ("zh", "en"):
        visits = [("sign in", AppTest.from_file("../review_ui/app.py", default_timeout=120))]
        for name, page in OPERATOR_PAGES.items():
            at = AppTest.from_function(page, default_timeout=180)
            at.session_state["identity"] = Identity(name="ops", kind="operator")
            visits.append((name, at))
        for who, role in (("王丽", "family"), ("陈叔叔", "recipient")):
            _, link = api.invite(family.production_id, who, role, language=language) if role != "recipient" \
                else api.invite(family.delivered_id, who, role, language=language)
            at = AppTest.from_file("../review_ui/app.py", default_timeout=120)
            at.query_params["invite"] = link.split("invite=")[1]
            visits.append((f"{role}'s link", at))
        at = AppTest.from_file("../review_ui/app.py", default_timeout=120)
        at.query_params["invite"] = api.invite_family_member(quorum.id, "王强", language=language)[1].split("invite=")[1]
        visits.append(("a family member's consent link", at))
        for name, at in visits:
            at = _page(at, language)
            if at.exception:
                problems.append(f"[{language}] {name}: {at.exception[0].value}")
                continue
            texts = readable(at)
            assert texts, name
            if language == "zh":
                problems += [f"[zh] {name}: {p}" for p in untranslated(texts, family.data)]
    print("\n".join(problems))
    assert not problems, f"{len(problems)} untranslated texts or failures:\n" + "\n".join(problems[:80])


ROOT = Path(__file__).resolve().parents[1]


def _literal_t_strings() -> set[str]:
    import ast

    import review_ui.review_page as review_page

    found = {review_page.COMMENT_HELP, review_page.DECISION_HELP}
    for path in (ROOT / "review_ui").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args:
                if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
    return found


def _codes() -> set[str]:
    """Every studio code the pages name with ``label``: uses, relationships, cues, styles,
    statuses, steps, verdicts, footage actions and the audit log's actions."""
    from typing import get_args

    from materials.voice_prompts import STYLE_PROTOTYPES
    from persona.records import Relationship, Use
    from production.records import Production
    from review_ui.verify_page import VERDICTS
    from script.sentences import CueKind

    codes = {*get_args(Use), *get_args(Relationship), *get_args(CueKind), *STYLE_PROTOTYPES, *VERDICTS,
             *get_args(Production.model_fields["status"].annotation), "drinking", "looking_down", "laughing", "gesture",
             "idle", "base", "voice", "footage", "photo", "text", "family", "stakeholder", "operator", "recipient",
             "light_review", "direct", "selection"}
    for path in [*ROOT.glob("tasks/*.py")]:
        codes |= set(re.findall(r"@task[^\n]*\ndef ([a-z_]+)\(", path.read_text(encoding="utf-8")))
    for path in ROOT.glob("*/*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "audit(" in line or ".keep(" in line:
                codes |= {c for c in re.findall(r'"([a-z]+\.[a-z_]+)"', line) if not c.endswith((".json", ".py"))}
    return codes - {"thing.done"}


def test_every_portal_string_and_studio_code_has_its_chinese():
    from review_ui.i18n import CATALOG

    texts = json.loads(CATALOG.read_text(encoding="utf-8"))["texts"]
    missing = sorted(s for s in _literal_t_strings() if s not in texts)
    assert not missing, f"add these to {CATALOG.name}: {missing}"
    unnamed = sorted(c for c in _codes() if c.replace("_", " ").replace(".", " ") not in texts)
    assert not unnamed, f"add these codes (as words) to {CATALOG.name}: {unnamed}"
    for english, chinese in texts.items():  # the same {placeholders} on both sides (shown braces aside)
        if english.startswith("One sentence per line; {style}"):
            continue
        assert set(re.findall(r"{(\w*)}", english)) == set(re.findall(r"{(\w*)}", chinese)), english


def test_every_quality_flag_reads_in_chinese():
    """The take's flags are sentences the studio writes: each form reads in Chinese, figures kept."""
    from review_ui.i18n import in_chinese
    from video.take_quality import _WHY

    for name, why in _WHY.items():
        flag = f"{name} 0.42 is below 0.50: {why}"
        said = in_chinese(flag)
        assert "0.42" in said and "0.50" in said and not re.search(r"[A-Za-z]{3,}", said), (flag, said)
