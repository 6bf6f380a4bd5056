"""Issue 14, defects 13 and 16: the video writer never blocks on ffmpeg's messages, however
long it renders; the burned-in "AI生成 / AI-generated" label is whole inside every frame shape."""

from __future__ import annotations

import fcntl
import subprocess
import threading
import time

import numpy as np
import pytest

from media.ffmpeg_io import VideoWriter, read_frames

F_SETPIPE_SZ = 1031  # Linux: the smallest pipe a process may have is one page


@pytest.mark.slow
def test_a_render_longer_than_the_pipe_takes_to_fill_finishes(tmp_path, abuse):
    """ffmpeg prints progress about twice a second; a writer that pipes it and reads it only at
    the end blocks both processes once the pipe is full (64 KiB: ~5 minutes of rendering). The
    pipe here is shrunk to one page, so the old writer blocks within ~20 s; this one writes for 45 s."""
    writer = VideoWriter(tmp_path / "long.mp4", 64, 64, 25)
    stderr = getattr(writer.proc, "stderr", None)
    if stderr is not None:  # a writer that pipes ffmpeg's messages: make its pipe fill fast
        fcntl.fcntl(stderr.fileno(), F_SETPIPE_SZ, 4096)
    done = threading.Event()

    def render():
        rng = np.random.default_rng(0)
        t0 = time.time()
        while time.time() - t0 < 45:
            writer.write(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
            time.sleep(0.02)
        writer.close()
        done.set()

    thread = threading.Thread(target=render, daemon=True)
    thread.start()
    thread.join(120)
    finished = done.is_set()
    if not finished:
        writer.proc.kill()
    abuse.record("13", "a 45 s render with ffmpeg's messages behind a one-page pipe",
                 "fault survived" if finished else "fault not survived")
    assert finished, "the render blocked: ffmpeg's messages filled a pipe nobody read"
    frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                             "stream=nb_read_frames", "-of", "csv=p=0", str(tmp_path / "long.mp4")],
                            capture_output=True, text=True).stdout.strip()
    assert int(frames) == writer.frames > 500


@pytest.fixture(scope="module")
def label_kit(tmp_path_factory):
    from core.settings import StudioSettings
    from delivery.trust.keys import c2pa_credentials

    home = tmp_path_factory.mktemp("label")
    settings = StudioSettings(home=home, trust={"watermark_key": "11" * 32},
                              delivery={"spoken_notice": False, "label_seconds": 2.0})
    return settings, c2pa_credentials(settings), home


@pytest.mark.parametrize("width,height", [(416, 720), (1280, 720), (512, 512)], ids=["portrait", "landscape", "square"])
def test_the_label_is_whole_inside_every_frame_shape(width, height, label_kit, abuse):
    from delivery.render import render_delivery
    from delivery.trust.aigc_metadata import make_label

    settings, credentials, home = label_kit
    src = home / f"take_{width}x{height}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=25:d=3",
                    "-f", "lavfi", "-i", "sine=f=220:d=3", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(src)], check=True)
    files = render_delivery(src, home / f"out_{width}", f"label_{width}x{height}", delivery=settings.delivery,
                            trust=settings.trust, key=bytes.fromhex("11" * 32), content_id=7, language="en",
                            title="t", delivery_id="d", aigc_label=make_label(credentials.key_pem, "test", "d"),
                            credentials=credentials, provenance={})
    before = read_frames(src, 1.0, 0.04, width, height, 25)[0].astype(int)
    after = read_frames(files.video, 1.0, 0.04, width, height, 25)[0].astype(int)
    lower = np.abs(after - before).max(axis=2)[height // 2:]  # the banner sits in the lower half
    ys, xs = np.nonzero(lower > 60)
    inside = xs.size > 0 and xs.min() > 2 and xs.max() < width - 3
    abuse.record("16", f"label on a {width}x{height} frame", "refused cleanly" if inside else "accepted wrongly")
    assert inside, (xs.min() if xs.size else None, xs.max() if xs.size else None, width)
    banner = after[height // 2 + ys.min(): height // 2 + ys.max() + 1, xs.min(): xs.max() + 1]
    assert (banner.mean(axis=2) > 200).sum() > 200  # white letters inside the dark box
