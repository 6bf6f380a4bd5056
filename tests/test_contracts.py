from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.records import AssetRef, utcnow
from core.settings import StudioSettings
from persona.records import ConsentRecord, ConsentScope
from review.records import ReviewDecision
from script.markup import MarkupError, parse_markup, render_markup
from script.records import ScriptVersion
from script.sentences import Brief

EVIDENCE = AssetRef(key="media/ab/x.txt", sha256="a" * 64, media_type="text/plain", size=3)


def consent(**kw) -> ConsentRecord:
    base = dict(id="consent-1", persona_id="p", subject_name="S", grantor_name="G", relationship="self",
                scope=ConsentScope(uses=["greeting"], languages=["en"]), valid_until=utcnow() + timedelta(days=1),
                evidence=[EVIDENCE])
    base.update(kw)
    return ConsentRecord(**base)


def test_markup_round_trip_keeps_styles_and_cues():
    text = "{warm} [breath] Dear all, happy new year! [pause 0.8s] [laugh]\n{teasing} Short one. [drink 3s]\nPlain line.\n"
    sentences = parse_markup(text)
    assert [s.style for s in sentences] == ["warm", "teasing", "neutral"]
    assert [c.kind for c in sentences[0].cues_before] == ["breath"]
    assert [(c.kind, c.seconds) for c in sentences[0].cues_after] == [("pause", 0.8), ("laugh", None)]
    assert sentences[1].cues_after[0].seconds == 3.0
    assert parse_markup(render_markup(sentences)) == sentences


@pytest.mark.parametrize("bad, words", [
    ("Hello [dance]", "unknown cue"),
    ("Hello. [pause] more text", "one sentence per line"),
    ("[pause]", "needs sentence text"),
    ("", "no sentences"),
    ("Hello {warm} there", "start of the line"),
])
def test_markup_errors_say_what_is_wrong(bad, words):
    with pytest.raises(MarkupError, match=words):
        parse_markup(bad)


def test_consent_validity_rules():
    now = utcnow()
    assert consent().problem("greeting", "en") is None
    assert "not memorial" in consent().problem("memorial", "en")
    assert "not zh" in consent().problem("greeting", "zh")
    assert "expired" in consent().problem("greeting", "en", at=now + timedelta(days=2))
    revoked = consent(revoked_at=now - timedelta(seconds=1), revocation_reason="family asked")
    assert "revoked" in revoked.problem("greeting", "en")
    with pytest.raises(ValidationError):
        consent(evidence=[])
    with pytest.raises(ValidationError):
        consent(valid_until=now - timedelta(days=1), valid_from=now)


def test_review_decision_is_no_run_input_and_needs_comments_for_changes():
    from prefect.input import RunInput

    assert not issubclass(ReviewDecision, RunInput)  # a resumed run reads its gate's records, never its input
    ok = ReviewDecision(decision="approve", reviewer="Lan", role="family")
    assert ok.comments == []
    with pytest.raises(ValidationError, match="needs at least one comment"):
        ReviewDecision(decision="request_changes", reviewer="Lan", role="family", comments=["  "])
    edit = ReviewDecision(decision="request_changes", reviewer="Lan", role="family", edited_script="{warm} Hi.")
    assert edit.comments == []  # an edit says what to change by itself
    with pytest.raises(ValidationError, match="an edited script is a request for changes"):
        ReviewDecision(decision="approve", reviewer="Lan", role="family", edited_script="Hi.")


def test_a_gate_waits_for_every_role_and_reads_old_one_role_records():
    from datetime import datetime, timezone

    from review.records import Approval, ReviewComment, ReviewRequest

    request = ReviewRequest(id="p-script-1", production_id="p", flow_run_id="x", gate="script", round=1,
                            gate_key="script-1", roles={"stakeholder": ["Mei", "Bo"], "family": ["Lan"]}, script_version=1)
    assert request.reviewers == ["Mei", "Bo", "Lan"] and request.missing_roles == ["stakeholder", "family"]
    now = datetime.now(timezone.utc)
    request.approvals.append(Approval(gate="script", round=1, reviewer="Bo", role="stakeholder", at=now))
    assert request.missing_roles == ["family"]
    old = ReviewRequest.model_validate({**request.model_dump(exclude={"roles", "approvals"}), "role": "family",
                                        "reviewers": ["Lan"]})
    assert old.roles == {"family": ["Lan"]}
    c = ReviewComment(id="comment-1", production_id="p", review_id="p-video-1", script_version=1, author="Lan",
                      role="family", text="smile here", start_s=61.5, end_s=63.0)
    assert c.as_instruction() == "[1:01.5-1:03.0] smile here"
    with pytest.raises(ValidationError, match="must end after it starts"):
        ReviewComment(id="comment-2", production_id="p", review_id="r", script_version=1, author="Lan", role="family",
                      text="x", start_s=3, end_s=2)


def test_record_ids_are_validated_and_script_ids_are_stable():
    assert ScriptVersion.id_for("prod-1", 3) == "prod-1-v003"
    with pytest.raises(ValidationError):
        ScriptVersion(id="Bad Id!", production_id="p", version=1, language="en", sentences=parse_markup("Hi."), backend="x")
    with pytest.raises(ValidationError):
        Brief(occasion="x", audience="y", target_seconds=0)


def test_settings_nested_groups_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_STORAGE__BACKEND", "s3")
    monkeypatch.setenv("STUDIO_STORAGE__S3_BUCKET", "media")
    monkeypatch.setenv("STUDIO_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("STUDIO_STORAGE__S3_SECRET_KEY", "topsecret")
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    s = StudioSettings()
    assert (s.storage.backend, s.storage.s3_bucket, s.llm.base_url) == ("s3", "media", "http://127.0.0.1:9/v1")
    assert s.store_root == (tmp_path / "store").resolve()
    assert "topsecret" not in repr(s) and s.storage.s3_secret_key.get_secret_value() == "topsecret"
