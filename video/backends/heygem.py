"""Lip sync by a HeyGem (Duix.Avatar) server: the person's reference video and the speech in,
the lip-synced video out.

Its video service takes ``POST /easy/submit`` with ``{"audio_url", "video_url", "code",
"chaofen", "watermark_switch", "pn"}``, answers ``{"code": 10000, ...}`` when it accepts the
job (10001 while it is busy with another), and reports on ``GET /easy/query?code=CODE`` with
``{"code": 10000, "data": {"status": 1 running | 2 done | 3 failed, "progress": 0-100,
"result": path of the MP4, "msg"}}``. Files are paths on its own disk (its data volume, e.g.
``/code/data``), so the studio writes the reference video and the speech into a folder both
machines see (``data_dir`` here, ``data_dir_on_server`` there) and reads the result from it.

The reference video is the studio's own base track (the footage's seamless loop, or the
photo's), as long as the speech; the result is re-encoded to the requested size and rate with
the studio's speech as its sound track, so every backend delivers the same kind of file."""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from pathlib import Path, PurePosixPath

import httpx

from core.http_retry import post_with_retries
from media.ffmpeg_io import load_audio, write_wav
from video.base_track import write_base_track
from video.contract import Progress, VideoRequest, VideoResult
from video.server_take import LipSyncServiceError, finish_take

log = logging.getLogger(__name__)
ACCEPTED, BUSY = 10000, 10001
RUNNING, DONE, FAILED = 1, 2, 3


class HeyGemVideo:
    name = "heygem"

    def __init__(self, base_url: str, data_dir: Path | None, data_dir_on_server: str | None, timeout_s: float = 1800,
                 poll_s: float = 2.0, max_retries: int = 2):
        if data_dir is None:
            raise ValueError("the heygem video backend needs STUDIO_VIDEO__HEYGEM_DATA_DIR: a folder the HeyGem server "
                             "also sees (its data volume), and STUDIO_VIDEO__HEYGEM_DATA_DIR_ON_SERVER, its path there")
        self.base_url = base_url.rstrip("/")
        self.data_dir = Path(data_dir)
        self.on_server = PurePosixPath(data_dir_on_server or str(data_dir))
        self.timeout_s, self.poll_s, self.max_retries = timeout_s, poll_s, max_retries

    def _server_path(self, local: Path) -> str:
        return str(self.on_server / local.relative_to(self.data_dir).as_posix())

    def _local_path(self, result: str) -> Path:
        """The result as a path here: the server names it on its disk, or relative to its data folder."""
        path = PurePosixPath(result)
        try:
            return self.data_dir / path.relative_to(self.on_server)
        except ValueError:
            return self.data_dir / str(path).lstrip("/")

    def render(self, request: VideoRequest, progress: Progress | None = None) -> VideoResult:
        speech = load_audio(request.audio_path, 16000)
        duration = speech.size / 16000
        code = f"studio-{uuid.uuid4().hex[:16]}"
        job = self.data_dir / "studio" / code
        job.mkdir(parents=True, exist_ok=True)
        try:
            write_wav(job / "audio.wav", speech, 16000)  # its own input format
            base = write_base_track(request, job / "reference.mp4", duration)
            payload = {"audio_url": self._server_path(job / "audio.wav"), "video_url": self._server_path(base.path),
                       "code": code, "chaofen": 0, "watermark_switch": 0, "pn": 1}
            with httpx.Client(timeout=60) as client:
                self._submit(client, payload)
                result = self._wait(client, code, progress)
            return self._finish(request, self._local_path(result), base)
        finally:
            shutil.rmtree(job, ignore_errors=True)

    def _submit(self, client: httpx.Client, payload: dict) -> None:
        url = f"{self.base_url}/easy/submit"
        deadline = time.monotonic() + self.timeout_s
        while True:
            body = self._json(post_with_retries(client, url, LipSyncServiceError, "HeyGem server", self.max_retries,
                                                json=payload), url)
            if body.get("code") == ACCEPTED:
                return
            if body.get("code") == BUSY and time.monotonic() < deadline:  # one job at a time there: wait our turn
                time.sleep(self.poll_s)
                continue
            raise LipSyncServiceError(f"the HeyGem server at {url} did not take the job: {body}")

    def _wait(self, client: httpx.Client, code: str, progress: Progress | None = None) -> str:
        url = f"{self.base_url}/easy/query"
        deadline = time.monotonic() + self.timeout_s
        last = -1
        while time.monotonic() < deadline:
            try:
                resp = client.get(url, params={"code": code})
            except httpx.TransportError as exc:
                raise LipSyncServiceError(f"the HeyGem server at {url} stopped answering: {exc}") from None
            body = self._json(resp, url)
            data = body.get("data") or {}
            status, done = data.get("status"), int(data.get("progress") or 0)
            if done != last:
                log.info("HeyGem job %s: %d%% %s", code, done, data.get("msg") or "")
                last = done
                if progress:
                    progress(done)
            if status == DONE and data.get("result"):
                return str(data["result"])
            if status == FAILED or (body.get("code") not in (ACCEPTED, None) and status is None):
                raise LipSyncServiceError(f"the HeyGem server failed job {code}: {data.get('msg') or body}")
            time.sleep(self.poll_s)
        raise LipSyncServiceError(f"the HeyGem server did not finish job {code} in {self.timeout_s:.0f} s")

    @staticmethod
    def _json(resp: httpx.Response, url: str) -> dict:
        if resp.status_code >= 400:
            raise LipSyncServiceError(f"the HeyGem server at {url} answered {resp.status_code}: {resp.text[:300]}")
        try:
            body = resp.json()
        except ValueError:
            raise LipSyncServiceError(f"the HeyGem server at {url} did not answer JSON: {resp.text[:300]!r}") from None
        if not isinstance(body, dict):
            raise LipSyncServiceError(f"the HeyGem server at {url} answered {body!r}")
        return body

    def _finish(self, request: VideoRequest, result: Path, base: VideoResult) -> VideoResult:
        """The server's video at the base track's size and the requested rate, with our speech."""
        if not result.is_file():
            raise LipSyncServiceError(f"the HeyGem server reported {result.name}, but it is not in {self.data_dir}; "
                                      "check that both sides see the same folder")
        return finish_take(result, request, base, self.name, "HeyGem server")
