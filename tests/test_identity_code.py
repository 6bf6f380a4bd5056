"""Issue 21, item 4: each persona has a digital-human identity code of a documented format,
stable in its studio, different across personas and studios, with a check symbol that catches a
mistyped character; ``studio persona list`` shows it."""

from __future__ import annotations

import re

from persona.identity import SYMBOLS, identity_code, studio_code, well_formed


def test_the_code_is_stable_documented_and_checked():
    key, other_key = bytes(range(32)), bytes(range(1, 33))
    code = identity_code(key, "persona-1")
    assert re.fullmatch(r"DH1-[0-9A-Z]{6}-[0-9A-Z]{10}-.", code) and well_formed(code) and well_formed(code.lower())
    assert code == identity_code(key, "persona-1")  # stable
    assert code.split("-")[1] == studio_code(key)
    assert identity_code(key, "persona-2") != code and identity_code(key, "persona-2").split("-")[1] == studio_code(key)
    assert identity_code(other_key, "persona-1").split("-")[1] != studio_code(key)  # another studio
    for i, ch in enumerate(code):
        if i > 3 and ch != "-":
            assert not any(well_formed(code[:i] + s + code[i + 1:]) for s in SYMBOLS if s != ch), i
    assert not well_formed("DH1-123") and not well_formed(code + "0") and not well_formed("DH2" + code[3:])


def test_the_cli_lists_each_persona_with_its_code(settings):
    from typer.testing import CliRunner

    from app.api import StudioAPI
    from app.cli import app

    api = StudioAPI(settings)
    persona = api.create_persona("Wang Jianguo", ["zh"], deceased=True)
    out = CliRunner().invoke(app, ["persona", "list"])
    assert out.exit_code == 0, out.output
    [line] = [row for row in out.output.splitlines() if row.startswith(persona.id)]
    assert line.split("\t")[1] == api.identity_code(persona.id) and well_formed(line.split("\t")[1])
    [event] = [e for e in api.catalog.audit_events() if e.action == "persona.created"]
    assert event.details["identity_code"] == api.identity_code(persona.id)
