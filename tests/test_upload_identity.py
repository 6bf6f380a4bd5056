"""A face in the uploads that is not the persona's is said at once: each photo or footage upload
is compared (dlib's identity embedding) with the persona's earlier faces; a stranger's photo is
stored but carries a warning the operator and the production's page show."""

from __future__ import annotations

import subprocess

from app.api import StudioAPI


def _still(src, at_s: float, out):
    subprocess.run(["ffmpeg", "-v", "error", "-ss", str(at_s), "-i", str(src), "-frames:v", "1", str(out)], check=True)
    return out


def test_a_photo_of_someone_else_is_flagged_and_their_own_is_not(settings, tmp_path, shared_data):
    api = StudioAPI(settings)
    persona = api.create_persona("Mother", ["en"])
    first = api.add_material(persona.id, "footage", shared_data / "footage" / "lp_d3.mp4")
    assert first.warnings == [] and first.face_signature  # the first face is the persona's, by the operator's word
    own = api.add_material(persona.id, "photo", _still(shared_data / "footage" / "lp_d3.mp4", 7.0, tmp_path / "own.png"))
    assert own.warnings == []
    other = api.add_material(persona.id, "photo", _still(shared_data / "footage" / "musetalk_sun.mp4", 3.0,
                                                         tmp_path / "other.png"))
    [warning] = other.warnings
    assert "does not look like Mother" in warning and "lp_d3.mp4" in warning
    assert other.problem is None  # stored and usable: the operator decides (withdraw it if it is not them)
    assert any(w.startswith("other.png:") for w in api.persona_warnings(persona.id))
