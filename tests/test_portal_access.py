"""Portal access: operator passwords, invitation links scoped to one production and role,
expiry and revocation checked on every page, and no secret left in the URL or the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from app.api import StudioAPI
from core.records import utcnow
from review.access import AccessError, invite, redeem, revoke_invitation, set_operator_password, sign_in_operator
from review.records import Invitation, ReviewRequest
from script.records import ScriptVersion
from script.sentences import Brief, Sentence
from tests.conftest import shown

pytestmark = pytest.mark.usefixtures("one_browser")


@pytest.fixture
def two_productions(settings, tmp_path):
    api = StudioAPI(settings)
    evidence = tmp_path / "form.txt"
    evidence.write_text("signed form")
    out = []
    for name in ("Grandma A (fictional)", "Grandpa B (fictional)"):
        persona = api.create_persona(name, ["en"], fictional=True)
        api.add_consent(persona.id, name, "self", ["greeting"], [evidence])
        production = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family"),
                                           ["Mei"], ["Lan"])
        request = ReviewRequest(id=ReviewRequest.id_for(production.id, "video-1"), production_id=production.id,
                                flow_run_id="00000000-0000-0000-0000-000000000000", gate="video", round=1,
                                gate_key="video-1", roles={"family": ["Lan"]}, script_version=1)
        api.catalog.save(request)
        api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(production.id, 1), production_id=production.id, version=1,
                                       language="en", backend="composer", sentences=[Sentence(text=f"Hello from {name}.")]))
        out.append((production, request))
    return api, out


def test_operator_password(settings):
    set_operator_password(settings, "ops", "correct horse battery")
    assert sign_in_operator(settings, "ops", "correct horse battery").is_operator
    for name, password in (("ops", "wrong password!"), ("nobody", "correct horse battery")):
        with pytest.raises(AccessError):
            sign_in_operator(settings, name, password)
    with pytest.raises(ValueError, match="10 characters"):
        set_operator_password(settings, "ops", "short")
    assert "correct horse" not in (settings.keys_dir / "operators.json").read_text()


def test_invitations_expire_can_be_revoked_and_keep_no_token(two_productions):
    api, [(a, _), _] = two_productions
    with pytest.raises(ValueError, match="not a family reviewer"):
        invite(api.catalog, api.settings, a.id, "Stranger", "family", "ops")
    invitation, link = invite(api.catalog, api.settings, a.id, "Lan", "family", "ops")
    token = link.split("invite=")[1]
    identity = redeem(api.catalog, token)
    assert (identity.name, identity.role, identity.production_id) == ("Lan", "family", a.id)
    assert identity.may_see(a.id) and not identity.may_see("prod-other")
    stored = api.catalog.load(Invitation, invitation.id)
    assert token not in stored.model_dump_json()
    assert all(token not in e.model_dump_json() for e in api.catalog.audit_events())
    with pytest.raises(AccessError, match="not valid"):
        redeem(api.catalog, token + "x")
    api.catalog.save(stored.model_copy(update={"expires_at": utcnow() - timedelta(seconds=1)}))
    with pytest.raises(AccessError, match="expired"):
        redeem(api.catalog, token)
    _, link2 = invite(api.catalog, api.settings, a.id, "Lan", "family", "ops")
    revoke_invitation(api.catalog, _id_of(api, link2), "ops")
    with pytest.raises(AccessError, match="withdrawn"):
        redeem(api.catalog, link2.split("invite=")[1])


def _id_of(api, link):
    import hashlib

    digest = hashlib.sha256(link.split("invite=")[1].encode()).hexdigest()
    return next(i.id for i in api.catalog.find(Invitation) if i.token_sha256 == digest)


def _portal(link: str | None = None, review: str | None = None) -> AppTest:
    from review_ui.session import get_api

    get_api.clear()
    at = AppTest.from_file("../review_ui/app.py", default_timeout=60)
    if link:
        at.query_params["invite"] = link.split("invite=")[1]
    if review:
        at.query_params["review"] = review
    return at.run()


def test_a_link_for_one_production_never_shows_another(two_productions, monkeypatch):
    api, [(a, request_a), (b, request_b)] = two_productions
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [request_a, request_b])
    _, link = invite(api.catalog, api.settings, a.id, "Lan", "family", "ops")
    at = _portal(link)
    assert not at.exception and "invite" not in at.query_params
    pick = at.selectbox(key="review_pick")
    assert pick.value == request_a.id and len(pick.options) == 1  # B's review, also for a "Lan", is not offered
    at = _portal(link, review=request_b.id)  # a deep link to the other production
    assert at.error and "not invited" in shown(at.error[0].value)


def test_no_link_no_password_no_page_and_revocation_ends_a_session(two_productions, monkeypatch):
    api, [(a, request_a), _] = two_productions
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [request_a])
    at = _portal()
    assert not at.exception and at.text_input(key="operator_password") is not None
    assert [s.key for s in at.selectbox] == ["lang"]  # nothing but the sign-in form (and the language)
    at = _portal("http://x/?invite=forged-token")
    assert at.error and "not valid" in shown(at.error[0].value)
    _, link = invite(api.catalog, api.settings, a.id, "Lan", "family", "ops")
    at = _portal(link)
    assert at.selectbox(key="review_pick").value == request_a.id
    revoke_invitation(api.catalog, _id_of(api, link), "ops")
    at.run()  # the next interaction re-checks the invitation
    assert at.error and "withdrawn" in shown(at.error[0].value) and [s.key for s in at.selectbox] == ["lang"]

    set_operator_password(api.settings, "ops", "correct horse battery")
    at = _portal()
    at.text_input(key="operator_name").input("ops")
    at.text_input(key="operator_password").input("correct horse battery")
    at.button[0].click().run()
    assert not at.exception and at.selectbox(key="review_pick").value == request_a.id
    assert any("Operators follow reviews" in shown(i.value) for i in at.info)


def test_a_reviewer_compares_with_any_earlier_version(two_productions, monkeypatch):
    api, [(a, request_a), _] = two_productions
    for version, text in ((2, "Happy New Year, dears."), (3, "Happy New Year, my dears!")):
        api.catalog.save(ScriptVersion(id=ScriptVersion.id_for(a.id, version), production_id=a.id, version=version,
                                       language="en", backend="composer", sentences=[Sentence(text=text)]))
    request = ReviewRequest(id=ReviewRequest.id_for(a.id, "script-3"), production_id=a.id, flow_run_id=request_a.flow_run_id,
                            gate="script", round=3, gate_key="script-3", roles={"stakeholder": ["Mei"]},
                            script_version=3, previous_script_version=2)
    monkeypatch.setattr(StudioAPI, "pending_reviews", lambda self: [request])
    _, link = invite(api.catalog, api.settings, a.id, "Mei", "stakeholder", "ops")
    at = _portal(link)
    assert at.selectbox(key=f"compare-{request.id}").value == 2
    assert "+Happy New Year, my dears!" in at.code[0].value and "-Happy New Year, dears." in at.code[0].value
    at.selectbox(key=f"compare-{request.id}").set_value(1).run()
    assert "-Hello from Grandma A (fictional)." in at.code[0].value
    at.toggle(key=f"side-{request.id}").set_value(True).run()
    texts = [shown(m.value) for m in at.markdown]
    assert any(t.startswith("**v1**") for t in texts) and any(t.startswith("**v3**") for t in texts)
