"""The quality report every take gets: measured against the person's footage, held to the limits in
settings, re-made once with safer choices when it falls short, then flagged (never hidden)."""

from __future__ import annotations

from core.settings import TakeQualitySettings
from video.contract import FootageClip, VideoRequest


class Counting:
    """The real offline renderer, counting its renders and whether they were careful."""

    name = "reenact"

    def __init__(self):
        from video.backends.reenact import ReenactVideo

        self.inner, self.calls = ReenactVideo(), []

    def render(self, request, progress=None):
        self.calls.append(request.careful)
        return self.inner.render(request, progress)


def test_a_take_is_measured_against_its_footage_and_remade_once_when_it_falls_short(shared_data, tmp_path):
    from video.take_quality import measure_take, render_with_report

    speech = shared_data / "speech" / "f5_ref_en.wav"
    clip = FootageClip(path=shared_data / "footage" / "lp_d3.mp4", start_s=0, duration_s=11.8, face_box=(130, 164, 309, 310))
    prompts = [shared_data / "speech" / "f5_ref_en.wav"]
    request = VideoRequest(audio_path=speech, footage=[clip], max_height=256, out_path=tmp_path / "take.mp4")

    def report(limits):
        return lambda made: measure_take(made.path, speech, [clip], None, prompts, [], limits, 25.0)

    backend = Counting()
    result, quality = render_with_report(backend, request, report(TakeQualitySettings(min_lip_sync=0.3, min_mouth_sharpness=0.6)))
    figures = {m.name: m for m in quality.measures}
    assert backend.calls == [False] and not quality.flags and not quality.remade, quality
    assert {"lip sync", "identity", "mouth sharpness", "seam", "join jump", "largest change", "eyes closed",
            "speech level", "speaker similarity"} <= set(figures)
    assert figures["lip sync"].value > 0.3 and figures["identity"].value > 0.9
    assert 0.5 < figures["mouth sharpness"].value and figures["seam"].value < 2.0
    assert quality.seconds_measured > 4

    # a limit nobody meets: made once more, carefully (one segment, the nearest mouth alone), then flagged
    backend = Counting()
    result, quality = render_with_report(backend, request, report(TakeQualitySettings(min_lip_sync=0.3, min_mouth_sharpness=0.6,
                                                                                      min_identity=0.9999)))
    assert backend.calls == [False, True]
    assert quality.remade and result.path.exists()
    assert any(flag.startswith("identity") and "look like" in flag for flag in quality.flags), quality.flags
    assert not next(m for m in quality.measures if m.name == "identity").ok


def test_the_report_says_whether_a_stripped_copy_would_still_carry_the_mark(shared_data, tmp_path):
    """Marked as delivery marks it, its picture copied at CRF 28: its bits are still read."""
    from delivery.trust.mark_check import MIN_BIT_ACCURACY, mark_survives

    measure = mark_survives(shared_data / "footage" / "lp_d3.mp4", b"a studio key of 32 bytes........", tmp_path, 4.0, 40.5)
    assert measure.name == "watermark" and measure.ok and measure.value >= MIN_BIT_ACCURACY, measure
