"""Lip sync by a MuseTalk- or LatentSync-style server: one multipart POST with the person's
reference video and the speech, the lip-synced video back.

Neither project ships an HTTP server of its own; the servers people wrap around them take
``POST /api/lipsync`` (the path is a setting) with the form fields ``video`` and ``audio`` and
answer either with the MP4 itself or with JSON naming it (``video_url``, ``output_url``, ``url``
or ``output``), which the adapter then downloads from the same server. An API key, when set, is
sent as ``Authorization: Bearer``. The reference video is the studio's base track, as long as
the speech; the result is re-encoded with the studio's speech like every other take."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urljoin

import httpx

from core.http_retry import post_with_retries
from media.ffmpeg_io import load_audio, write_wav
from video.base_track import write_base_track
from video.contract import Progress, VideoRequest, VideoResult
from video.server_take import LipSyncServiceError, finish_take

_URL_KEYS = ("video_url", "output_url", "url", "output", "result")


class LipSyncHTTPVideo:
    name = "lipsync"

    def __init__(self, base_url: str, path: str = "/api/lipsync", api_key: str = "", timeout_s: float = 1800,
                 max_retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/" + path.lstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key and api_key != "not-needed" else {}
        self.timeout_s, self.max_retries = timeout_s, max_retries

    def render(self, request: VideoRequest, progress: Progress | None = None) -> VideoResult:
        audio = load_audio(request.audio_path, 16000)
        job = Path(tempfile.mkdtemp(prefix="lipsync-"))
        try:
            write_wav(job / "audio.wav", audio, 16000)
            base = write_base_track(request, job / "reference.mp4", audio.size / 16000)
            if progress:
                progress(10.0)
            with httpx.Client(timeout=self.timeout_s, headers=self.headers) as client:
                with (job / "reference.mp4").open("rb") as video_file, (job / "audio.wav").open("rb") as audio_file:
                    resp = post_with_retries(client, self.url, LipSyncServiceError, "lip-sync server", self.max_retries,
                                             files={"video": ("reference.mp4", video_file, "video/mp4"),
                                                    "audio": ("audio.wav", audio_file, "audio/wav")})
                result = job / "result.mp4"
                result.write_bytes(self._video_bytes(client, resp))
            if progress:
                progress(90.0)
            return finish_take(result, request, base, self.name, "lip-sync server")
        finally:
            shutil.rmtree(job, ignore_errors=True)

    def _video_bytes(self, client: httpx.Client, resp: httpx.Response) -> bytes:
        kind = resp.headers.get("content-type", "").split(";")[0].strip()
        if kind.startswith("video/") or kind == "application/octet-stream":
            return resp.content
        try:
            body = resp.json()
        except ValueError:
            raise LipSyncServiceError(f"the lip-sync server at {self.url} sent neither a video nor JSON "
                                      f"({kind or 'no type'}): {resp.text[:200]!r}") from None
        link = next((body[k] for k in _URL_KEYS if isinstance(body, dict) and isinstance(body.get(k), str) and body[k]), None)
        if link is None:
            raise LipSyncServiceError(f"the lip-sync server at {self.url} answered without a video or a link to one: {body}")
        url = urljoin(self.base_url + "/", link.lstrip("/")) if not link.startswith("http") else link
        try:
            got = client.get(url)
        except httpx.TransportError as exc:
            raise LipSyncServiceError(f"the lip-sync server's video at {url} could not be fetched: {exc}") from None
        if got.status_code >= 400:
            raise LipSyncServiceError(f"the lip-sync server's video at {url} answered {got.status_code}: {got.text[:200]}")
        return got.content
