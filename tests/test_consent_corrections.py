"""Consent records corrected as people keep them: a correction is the next version (the old one
stays on file, marked replaced, and stops counting at once), audited with what changed and why;
two operators correcting the same version at once cannot both win; the CLI lists every version
and the portal corrects one in Chinese."""

from __future__ import annotations

import threading

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app.api import StudioAPI
from persona.consent import require_consent
from persona.records import ConsentRecord
from review.access import Identity
from tests.conftest import shown


@pytest.fixture
def consented(settings, tmp_path):
    api = StudioAPI(settings)
    form = tmp_path / "form.txt"
    form.write_text("本人王丽同意。", encoding="utf-8")
    persona = api.create_persona("王建国", ["zh"], deceased=True)
    consent = api.add_consent(persona.id, "王莉", "next_of_kin", ["greeting"], [form], languages=["zh"])
    return api, persona, consent


def test_a_correction_is_the_next_version_and_the_old_one_stops_counting(consented):
    api, persona, old = consented
    new = api.correct_consent(old.id, "the daughter's name was misspelt; memorial talks agreed too", grantor_name="王丽",
                              uses=["greeting", "memorial"], actor="ops")
    assert (new.id, new.version, new.replaces, new.grantor_name) == (f"{old.id}-v2", 2, old.id, "王丽")
    assert new.evidence == old.evidence and new.scope.languages == ["zh"]  # kept where not corrected
    was = api.catalog.load(ConsentRecord, old.id)
    assert was.superseded_by == new.id and "replaced by" in was.problem("greeting", "zh")
    assert require_consent(api.catalog, persona.id, "memorial", "zh").id == new.id
    [event] = [e for e in api.catalog.audit_events() if e.action == "consent.corrected"]
    assert event.actor == "ops" and event.details["changed"]["grantor_name"] == ["王莉", "王丽"]
    with pytest.raises(ValueError, match="already corrected"):
        api.correct_consent(old.id, "again", grantor_name="x")
    with pytest.raises(ValueError, match="say what is corrected"):
        api.correct_consent(new.id, "  ")
    third = api.correct_consent(new.id, "the estate's executor signed as well", relationship="estate")
    assert (third.id, third.version) == (f"{old.id}-v3", 3)
    assert [c.version for c in api.consents(persona.id)] == [1, 2, 3]


def test_two_corrections_of_one_version_at_once_cannot_both_win(consented):
    api, _, old = consented
    results: list = []

    def correct(name):
        try:
            results.append(api.correct_consent(old.id, f"by {name}", grantor_name=name))
        except ValueError as exc:
            results.append(exc)

    threads = [threading.Thread(target=correct, args=(n,)) for n in ("王丽", "王莉莉")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    won = [r for r in results if isinstance(r, ConsentRecord)]
    assert len(won) == 1 and len(results) == 2
    assert api.catalog.load(ConsentRecord, old.id).superseded_by == won[0].id


def test_the_cli_lists_and_corrects_consent(consented, settings):
    from app.cli import app

    api, persona, old = consented
    runner = CliRunner()
    result = runner.invoke(app, ["consent", "correct", old.id, "--reason", "typo", "--grantor", "王丽"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["consent", "list", persona.id])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert "replaced by" in lines[0] and lines[1].startswith(f"{old.id}-v2\tv2\t王丽") and lines[1].endswith("valid")


def _personas_page():
    from review_ui.personas_page import personas_page

    personas_page()


@pytest.mark.usefixtures("one_browser")
def test_an_operator_corrects_consent_in_the_portal_in_chinese(consented):
    from review_ui.session import get_api

    get_api.clear()
    api, persona, old = consented
    at = AppTest.from_function(_personas_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception, at.exception
    at.text_input(key=f"consent_grantor-{old.id}").input("王丽")
    at.text_input(key=f"consent_reason-{old.id}").input("名字写错了")
    at.button(key=f"consent_add-{old.id}").click().run()
    assert not at.exception, at.exception
    new = api.catalog.load(ConsentRecord, f"{old.id}-v2")
    assert new.grantor_name == "王丽" and new.correction_reason == "名字写错了"
    cards = [shown(m.value) for m in at.markdown]
    assert any("第 1 版" in c and "已被新版本取代" in c for c in cards)
    assert any("第 2 版" in c and "王丽" in c and "有效" in c for c in cards)
    get_api.clear()


def test_a_correction_keeps_the_window_and_a_crash_before_marking_the_old_version_is_finished(consented, monkeypatch):
    api, _, old = consented
    new = api.correct_consent(old.id, "typo", grantor_name="王丽")
    assert (new.valid_from, new.valid_until) == (old.valid_from, old.valid_until)  # not silently extended
    # a crash between writing the next version and marking this one: the retry finishes the mark
    monkeypatch.setattr(type(api), "_mark_replaced", lambda self, old, new_id: None)
    crashed = api.correct_consent(new.id, "relationship", relationship="estate")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="corrected as"):
        api.correct_consent(new.id, "relationship", relationship="estate")
    assert api.catalog.load(ConsentRecord, new.id).superseded_by == crashed.id
