"""Prompt transcripts people can trust: the recogniser's confidence is kept and counts in the
choice; an operator corrects what was heard (API and CLI, audited, a later correction keeps the
earlier one in the history); the next material selection, and so zero-shot servers and the
timbre learning, read the correction; hostile text stays plain text."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.api import StudioAPI
from materials.records import MaterialSet, TranscriptCorrection
from materials.transcripts import corrected_prompts


@pytest.fixture
def selected(settings, shared_data, tmp_path, speech_check):
    from materials.voice_prompts import select_voice_prompts

    api = StudioAPI(settings)
    persona = api.create_persona("Aunt Sun (fictional)", ["zh"], fictional=True)
    upload = api.add_material(persona.id, "voice", shared_data / "footage" / "musetalk_sun.wav")
    selection = select_voice_prompts(api.catalog, [upload.asset], tmp_path, check=speech_check)
    api.catalog.save(MaterialSet(id="prod-x-materials", persona_id=persona.id, voice_prompts=selection.prompts,
                                 footage=[], median_f0_hz=160, prompt_candidates=selection.candidates))
    return api, persona, selection


def test_an_operator_corrects_what_the_recogniser_heard(selected):
    from app.cli import app

    api, persona, selection = selected
    first = selection.prompts[0]
    assert first.transcript and 0 < first.transcript_confidence <= 1
    assert "transcript confidence" in first.why

    result = CliRunner().invoke(app, ["materials", "prompts", persona.id])
    assert result.exit_code == 0 and f"1. {first.style}" in result.output and "recogniser sure" in result.output
    result = CliRunner().invoke(app, ["materials", "transcript", persona.id, "1", "--text", "  每个人到了一定年纪，\n一切都看淡了\u200b\x07 "])
    assert result.exit_code == 0, result.output
    fix = api.catalog.load(TranscriptCorrection, TranscriptCorrection.id_for(first.source, first.start_s))
    assert fix.text == "每个人到了一定年纪， 一切都看淡了" and fix.heard == first.transcript
    again = api.correct_transcript(persona.id, 1, "每个人到了一定年纪，一切都看淡了", actor="Mei")
    assert again.corrected_by == "Mei" and again.heard == first.transcript
    assert [h.text for h in api.catalog.history(TranscriptCorrection, fix.id)][-2:] == [fix.text, again.text]
    events = [e for e in api.catalog.audit_events(f"persona/{persona.id}") if e.action == "material.transcript_corrected"]
    assert [e.details["after"] for e in events] == [fix.text, again.text] and events[0].details["before"] == first.transcript

    [used, *rest] = corrected_prompts(api.catalog, persona.id, selection.prompts)
    assert (used.transcript, used.transcript_by) == (again.text, "Mei")
    assert [p.transcript for p in rest] == [p.transcript for p in selection.prompts[1:]]  # the others as heard
    assert corrected_prompts(api.catalog, "someone-else", selection.prompts)[0].transcript == first.transcript

    for number, text, problem in ((1, " \n\t", "empty"), (1, "好" * 501, "at most 500"), (9, "好", "give a number")):
        with pytest.raises(ValueError, match=problem):
            api.correct_transcript(persona.id, number, text)
    result = CliRunner().invoke(app, ["materials", "transcript", persona.id, "7", "--text", "x"])
    assert result.exit_code != 0 and "give a number" in result.output
