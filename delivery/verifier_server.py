"""``studio verify serve``: the public verifier, for anyone, without an account.

The C2PA Soft Binding Resolution API's look-ups over the manifest repository
(``delivery.manifests``):

- ``GET /services/supportedAlgorithms``: the studio's two mark algorithms;
- ``GET /matches/byBinding?alg=&value=``: the manifests whose soft binding has that value;
- ``POST /matches/byContent`` (the clip as the body): the marks found in it, then as above;
- ``GET /manifests/{manifestId}``: the manifest store (``application/c2pa``); ``?format=json``
  gives the credentials as read and validated here.

And for people: ``GET /`` is a page to upload a clip, ``POST /check`` answers it in plain
words, ``POST /verdict`` answers in JSON (``delivery.public_view``). Every text shown is
escaped. Uploads are limited in size, length and rate (``VerifierSettings``); files are read
into a private temporary folder and deleted after the answer.
"""

from __future__ import annotations

import hmac
import html
import shutil
import tempfile
import threading
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from core.settings import StudioSettings
from delivery.manifests import manifest_by_id, matches_by_binding
from delivery.public_view import PublicVerdict, public_verdict, read_credentials
from delivery.records import MARK_ALGORITHMS, PICTURE_MARK_ALG, SOUND_MARK_ALG
from delivery.verify import verify_file
from media.ffmpeg_io import MediaError, probe
from storage.catalog import Catalog

_SUFFIXES = {"video/mp4": ".mp4", "video/quicktime": ".mov", "audio/mpeg": ".mp3", "audio/wav": ".wav",
             "audio/x-wav": ".wav", "audio/mp4": ".m4a", "video/webm": ".webm", "video/x-matroska": ".mkv"}
_KNOWN = set(_SUFFIXES.values())


class Refused(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class RateLimit:
    """At most ``per_minute`` requests per client address in any 60 s."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.seen: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, client: str) -> None:
        now = time.monotonic()
        with self.lock:
            times = self.seen[client]
            while times and now - times[0] > 60:
                times.popleft()
            if len(times) >= self.per_minute:
                wait = int(61 - (now - times[0]))
                raise Refused(429, f"too many requests from this address: at most {self.per_minute} a minute; "
                                   f"try again in {wait} s", retry_after=wait)
            times.append(now)


def _suffix(name: str | None, content_type: str | None) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix in _KNOWN:
        return suffix
    return _SUFFIXES.get((content_type or "").split(";")[0].strip().lower(), ".bin")


def make_app(settings: StudioSettings, catalog: Catalog) -> FastAPI:
    limits = settings.verifier
    max_bytes = int(limits.max_upload_mb * 1024 * 1024)
    checks, lookups = RateLimit(limits.checks_per_minute), RateLimit(limits.lookups_per_minute)
    busy = threading.BoundedSemaphore(2)  # each check decodes a whole clip
    base_url = limits.public_url.rstrip("/")
    token = limits.operator_token.get_secret_value() if limits.operator_token else None
    app = FastAPI(title="Digital-Human Studio public verifier", docs_url=None, redoc_url=None)

    def is_operator(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        if request.url.path == "/check":
            return HTMLResponse(_page("Not checked", f"<p class=bad>{html.escape(exc.message)}</p>"), exc.status, headers)
        return JSONResponse({"error": exc.message}, exc.status, headers)

    async def receive(request: Request, folder: Path) -> Path:
        """The uploaded clip in ``folder``: the raw body, or the ``file`` field of a form."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
            raise Refused(413, f"the file is larger than {limits.max_upload_mb:g} MB: send a shorter clip")
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            if not declared:
                raise Refused(411, "send the form with its length (Content-Length)")
            form = await request.form(max_files=1, max_fields=4)
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise Refused(400, "choose a video or sound file to check")
            path = folder / f"clip{_suffix(upload.filename, upload.content_type)}"
            with open(path, "wb") as out:
                await run_in_threadpool(shutil.copyfileobj, upload.file, out)
            await upload.close()
        else:
            path = folder / f"clip{_suffix(request.query_params.get('name'), request.headers.get('content-type'))}"
            size = 0
            with open(path, "wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > max_bytes:
                        raise Refused(413, f"the file is larger than {limits.max_upload_mb:g} MB: send a shorter clip")
                    out.write(chunk)
        if path.stat().st_size == 0:
            raise Refused(400, "the upload is empty: send the clip's bytes (or a form with a file field)")
        if path.stat().st_size > max_bytes:
            raise Refused(413, f"the file is larger than {limits.max_upload_mb:g} MB: send a shorter clip")
        return path

    def examine(path: Path, operator: bool) -> PublicVerdict:
        try:
            info = probe(path)
        except MediaError:
            raise Refused(422, "this is not a video or sound file the verifier can read: send an MP4, MOV, MP3, "
                               "WAV or M4A") from None
        if info.duration_s > limits.max_minutes * 60:
            raise Refused(413, f"the clip is {info.duration_s / 60:.1f} min long; send a part of at most "
                               f"{limits.max_minutes:g} min (a minute is enough to find the marks)")
        if not busy.acquire(timeout=30):
            raise Refused(503, "the verifier is busy checking other clips: try again in a minute", retry_after=60)
        try:
            report = verify_file(catalog, settings, path)
            return public_verdict(catalog, settings, report, path, base_url, operator=operator)
        finally:
            busy.release()

    async def check_upload(request: Request) -> PublicVerdict:
        checks.check(request.client.host if request.client else "?")
        with tempfile.TemporaryDirectory(prefix="studio-verify-") as tmp:
            path = await receive(request, Path(tmp))
            return await run_in_threadpool(examine, path, is_operator(request))

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/services/supportedAlgorithms")
    def supported() -> dict:
        return {"watermarks": [{"alg": alg} for alg in MARK_ALGORITHMS], "fingerprints": []}

    @app.get("/matches/byBinding")
    def by_binding(request: Request, alg: str, value: str, maxResults: int = 10) -> dict:  # noqa: N803 (the API's name)
        lookups.check(request.client.host if request.client else "?")
        if alg not in MARK_ALGORITHMS:
            raise Refused(400, f"unknown algorithm {alg[:80]!r}: see /services/supportedAlgorithms")
        found = matches_by_binding(catalog, alg, value[:64])
        return {"matches": [{"manifestId": m.manifest_id} for m in found[:max(1, min(maxResults, 100))]]}

    @app.post("/matches/byContent")
    async def by_content(request: Request, alg: str | None = None, maxResults: int = 10) -> dict:  # noqa: N803
        if alg is not None and alg not in MARK_ALGORITHMS:
            raise Refused(400, f"unknown algorithm {alg[:80]!r}: see /services/supportedAlgorithms")
        verdict = await check_upload(request)
        found = {"picture": (PICTURE_MARK_ALG, verdict.marks.get("picture")), "sound": (SOUND_MARK_ALG, verdict.marks.get("sound"))}
        matches: list[dict] = []
        for mark_alg, value in found.values():
            if value and (alg is None or alg == mark_alg):
                for m in matches_by_binding(catalog, mark_alg, value):
                    if m.manifest_id not in [x["manifestId"] for x in matches]:
                        matches.append({"manifestId": m.manifest_id})
        return {"matches": matches[:max(1, min(maxResults, 100))]}

    @app.get("/manifests/{manifest_id:path}")
    def manifest(request: Request, manifest_id: str, format: str = "c2pa"):  # noqa: A002 (the query's name)
        lookups.check(request.client.host if request.client else "?")
        record = manifest_by_id(catalog, manifest_id[:100])
        if record is None:
            raise Refused(404, "no manifest with that id in this repository (ids look like urn:c2pa:<uuid>)")
        if format == "json":
            return read_credentials(catalog, settings, record, base_url).model_dump(mode="json")
        return Response(catalog.read_media(record.store), media_type="application/c2pa")

    @app.post("/verdict")
    async def verdict(request: Request) -> dict:
        return (await check_upload(request)).model_dump(mode="json", exclude_none=True)

    @app.get("/", response_class=HTMLResponse)
    def home() -> str:
        return _page("Is this clip one of ours?", _FORM.format(mb=limits.max_upload_mb, minutes=limits.max_minutes))

    @app.post("/check", response_class=HTMLResponse)
    async def check(request: Request) -> str:
        return _page("What this clip is", _verdict_html(await check_upload(request)))

    return app


_FORM = """<p>Upload a video or sound clip (at most {mb:g} MB and {minutes:g} minutes). The verifier looks for the
studio's invisible marks, which survive re-encoding, resizing and stripped metadata, and tells you whether it is an
authorised production of this studio, and shows its content credentials.</p>
<form method=post action=/check enctype=multipart/form-data><input type=file name=file required>
<button type=submit>Check</button></form>"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title><style>"
            "body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}"
            ".good{color:#075} .bad{color:#a00} td{padding:.2em .8em .2em 0;vertical-align:top}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}<p><a href=/>Check another clip</a></p></body></html>")


def _verdict_html(v: PublicVerdict) -> str:
    e = html.escape
    rows = [("Digital human", f"{v.digital_human_id or ''} {v.digital_human or ''}".strip()),
            ("Produced by", v.producer), ("Delivery", v.delivery_id),
            ("Approved by", ", ".join(v.approved_by_roles)),
            ("Marks found", ", ".join(f"{k}: {m}" for k, m in v.marks.items() if m) or "none")]
    parts = [f"<p class={'good' if v.verdict == 'authorised' else 'bad'}><b>{e(v.verdict.replace('_', ' '))}</b>: "
             f"{e(v.summary)}</p>", "<table>"]
    parts += [f"<tr><td>{e(k)}</td><td>{e(str(val))}</td></tr>" for k, val in rows if val]
    parts.append("</table>")
    for c in v.credentials:
        models = ", ".join(f"{k}: {m}" for k, m in (c.made_with.get("models") or {}).items())
        parts.append(f"<h2>Content credentials ({e(c.file)})</h2><table>"
                     f"<tr><td>Manifest</td><td><a href=\"{e(c.href)}\">{e(c.manifest_id)}</a></td></tr>"
                     f"<tr><td>Title</td><td>{e(c.title or '')}</td></tr>"
                     f"<tr><td>Signature</td><td>{e(c.signature)}</td></tr>"
                     f"<tr><td>Signed by</td><td>{e(c.signer or '')} {e(c.signed_at or '')}</td></tr>"
                     f"<tr><td>How it was made</td><td>{e(c.made_with.get('statement', ''))}</td></tr>"
                     f"<tr><td>Models</td><td>{e(models)}</td></tr></table>")
    return "".join(parts)


@contextmanager
def running_verifier(settings: StudioSettings, catalog: Catalog):
    """The verifier in a thread of this process on a free 127.0.0.1 port, stopped on exit;
    yields its base URL (the demo asks it about a stripped copy as a stranger would)."""
    import socket

    import uvicorn

    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"verifier": settings.verifier.model_copy(update={"public_url": url})})
    server = uvicorn.Server(uvicorn.Config(make_app(settings, catalog), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError(f"the public verifier did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve(settings: StudioSettings, catalog: Catalog, host: str, port: int) -> None:
    """Run the verifier in this process (blocks)."""
    import uvicorn

    uvicorn.run(make_app(settings, catalog), host=host, port=port, log_level="warning")
