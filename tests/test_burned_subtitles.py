"""Open captions: with ``STUDIO_DELIVERY__BURN_SUBTITLES`` the subtitles are in the MP4's picture,
timed like the sidecars (after the spoken notice), in Chinese, where the sentence is spoken."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np

from core.settings import StudioSettings
from delivery.render import render_delivery
from delivery.subtitles import Captions
from delivery.trust.aigc_metadata import make_label
from delivery.trust.keys import c2pa_credentials
from media.ffmpeg_io import read_frames
from voice.records import SentenceTiming

KEY = bytes(range(32))


def _white_text(frame: np.ndarray) -> float:
    """Share of near-white pixels in the bottom fifth (where captions sit)."""
    band = frame[int(frame.shape[0] * 0.8):]
    return float((band.min(axis=2) > 225).mean())


def test_burned_subtitles_show_each_sentence_while_it_is_spoken(shared_data, tmp_path):
    src = tmp_path / "take.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_data / "footage" / "lp_d3.mp4"),
                    "-i", str(shared_data / "footage" / "musetalk_sun.wav"), "-map", "0:v", "-map", "1:a", "-t", "8",
                    "-c:v", "libx264", "-crf", "18", "-c:a", "aac", str(src)], check=True)
    settings = StudioSettings(home=tmp_path / "home", trust={"watermark_key": KEY.hex()},
                              delivery={"burn_subtitles": True})
    captions = Captions(sentences=["家人们，过年好！", "今年我们种的梅花开了，回家吃饭。"], language="zh", notice="本视频由人工智能生成。",
                        timings=[SentenceTiming(index=0, start_s=0.5, end_s=2.5), SentenceTiming(index=1, start_s=3.5, end_s=5.5)])
    credentials = c2pa_credentials(settings)
    files = render_delivery(src, tmp_path / "out", "burn", delivery=settings.delivery, trust=settings.trust, key=KEY,
                            content_id=7, language="zh", title="t", delivery_id="burn", aigc_label=make_label(credentials.key_pem, "t", "burn"),
                            credentials=credentials, provenance={}, captions=captions)
    assert files.subtitles_burned and [c.text for c in files.cues][1:] == captions.sentences
    t = files.notice_s
    spoken, gap = (read_frames(files.video, t + s, 0.04, 512, 512, 25)[0] for s in (4.5, 6.5))
    assert _white_text(spoken) > 0.01 and _white_text(spoken) > 5 * _white_text(gap) + 0.002
    assert files.cues[2].start_s == round(t + 3.5, 3)  # the sidecars' times are the burned ones
    cv2.imwrite(str(tmp_path / "burned_subtitles.png"), np.hstack([spoken, gap]))  # BGR: to look at
