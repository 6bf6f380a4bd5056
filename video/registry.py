"""The video backends, keyed by ``STUDIO_VIDEO__BACKEND``, imported only when chosen."""

from __future__ import annotations

from typing import Callable

from core.registry import pick_backend
from core.settings import StudioSettings
from video.contract import VideoBackend


def _reenact(settings: StudioSettings) -> VideoBackend:
    from video.backends.reenact import ReenactVideo

    return ReenactVideo()


def _heygem(settings: StudioSettings) -> VideoBackend:
    from video.backends.heygem import HeyGemVideo

    v = settings.video
    return HeyGemVideo(v.base_url, v.heygem_data_dir, v.heygem_data_dir_on_server, v.timeout_s, v.poll_s, v.max_retries)


def _lipsync(settings: StudioSettings) -> VideoBackend:
    from video.backends.lipsync_http import LipSyncHTTPVideo

    v = settings.video
    return LipSyncHTTPVideo(v.base_url, v.lipsync_path, v.api_key.get_secret_value(), v.timeout_s, v.max_retries)


VIDEO_BACKENDS: dict[str, Callable[[StudioSettings], VideoBackend]] = {"reenact": _reenact, "heygem": _heygem, "lipsync": _lipsync}


def video_backend(settings: StudioSettings) -> VideoBackend:
    return pick_backend(VIDEO_BACKENDS, settings.video.backend, "video", settings)
