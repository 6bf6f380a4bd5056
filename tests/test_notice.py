"""The spoken AI notice at the start of a delivery: said by the studio's natural voice in the
talk's language (never the persona's, never espeak's robot), over a picture that keeps moving
and leads into the talk without a jump."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np
import pytest

from core.settings import StudioSettings
from delivery.render import render_delivery
from delivery.trust.aigc_metadata import make_label
from delivery.trust.keys import c2pa_credentials
from media.asr import error_rate, transcribe
from media.ffmpeg_io import load_audio, read_frames

KEY = bytes(range(32))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_notice_is_heard_in_a_natural_voice_over_a_moving_picture(shared_data, tmp_path, speech_check, language):
    src = tmp_path / "take.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_data / "footage" / "lp_d3.mp4"),
                    "-i", str(shared_data / "footage" / "musetalk_sun.wav"), "-map", "0:v", "-map", "1:a", "-t", "4",
                    "-c:v", "libx264", "-crf", "18", "-c:a", "aac", str(src)], check=True)
    settings = StudioSettings(home=tmp_path / "home", trust={"watermark_key": KEY.hex()})
    credentials = c2pa_credentials(settings)
    files = render_delivery(src, tmp_path / "out", "notice", delivery=settings.delivery, trust=settings.trust, key=KEY,
                            content_id=7, language=language, title="t", delivery_id="notice",
                            aigc_label=make_label(credentials.key_pem, "t", "notice"), credentials=credentials, provenance={})
    text = settings.delivery.notice_text_zh if language == "zh" else settings.delivery.notice_text_en
    notice = load_audio(files.wav, 16000)[: int(16000 * files.notice_s)]
    heard = transcribe(notice, 16000, speech_check, language)
    assert error_rate(text, heard.text, language, phonetic=language == "zh") <= 0.2, heard.text
    assert 1.5 < files.notice_s < 5.0

    t = files.notice_s
    frames = read_frames(files.video, 0.0, t + 0.4, 512, 512, 25).astype(np.float32)
    n = int(round(t * 25))
    still = [float(np.abs(frames[i + 1] - frames[i]).mean()) for i in range(n - 1)]
    assert min(still) > 0.05, "the picture froze while the notice played"
    joins = [float(np.abs(frames[i + 1] - frames[i]).mean()) for i in range(n - 2, min(n + 3, len(frames) - 1))]
    talk = [float(np.abs(frames[i + 1] - frames[i]).mean()) for i in range(n + 3, len(frames) - 1)]
    assert max(joins) < 3 * max(talk) + 2.0, (joins, talk)  # into the talk without a jump
    cv2.imwrite(str(tmp_path / f"notice-{language}.png"), np.hstack([frames[0], frames[n // 2], frames[n - 1], frames[n + 2]]))
