"""Starting and stopping the studio's local processes: the Prefect server (SQLite), the
runner that serves the production flow, and the review portal. PIDs are kept under
``<home>/run`` so ``studio down`` stops what ``studio up`` started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from core.settings import StudioSettings, settings_env
from delivery.verifier_server import serve as serve_public_verifier
from runs.client import PrefectRuns
from runs.recovery import ensure_automations, reschedule_interrupted_runs
from runs.result_storage import StudioResultStorage
from script.registry import local_model_path
from storage import open_catalog
from voice.server import serve

ROOT = Path(__file__).resolve().parent.parent


def child_env(settings: StudioSettings) -> dict[str, str]:
    """The environment of every child process: same studio settings, same Prefect server."""
    env = dict(os.environ)
    env.update(settings_env(settings))
    env.update({
        "STUDIO_HOME": str(Path(settings.home).resolve()),
        "PREFECT_HOME": str((Path(settings.home) / "prefect").resolve()),
        "PREFECT_API_URL": settings.prefect.api_url,
        "STUDIO_PREFECT__API_URL": settings.prefect.api_url,
        "STUDIO_PREFECT__UI_URL": settings.prefect.ui_url,
        "STUDIO_PORTAL__PUBLIC_URL": settings.portal.public_url,
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
        "PREFECT_RUNNER_POLL_FREQUENCY": str(max(1, int(settings.prefect.runner_poll_seconds))),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # a gate's warm wait ends in a suspension the run proposes itself (``runs.waiting``); the
        # server's own expiry of pauses would race it and fail the run
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": str(settings.prefect.scheduler_loop_seconds),
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(settings.prefect.heartbeat_seconds),
        # the server keeps concurrency leases on disk: a slot held by a run that died is freed
        # when its lease expires, even across a server crash (memory leases would be lost)
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
    })
    portal = settings.portal
    if portal.oidc_enabled:
        import json

        env.update({"STUDIO_PORTAL__OIDC_SERVER_METADATA_URL": portal.oidc_server_metadata_url,
                    "STUDIO_PORTAL__OIDC_CLIENT_ID": portal.oidc_client_id,
                    "STUDIO_PORTAL__OIDC_CLIENT_SECRET": portal.oidc_client_secret.get_secret_value(),
                    "STUDIO_PORTAL__OIDC_OPERATORS": json.dumps(portal.oidc_operators)})
    return env


def write_portal_secrets(settings: StudioSettings) -> Path | None:
    """Streamlit reads its OIDC client from a secrets file: write one (owner-only) from the
    settings, with a cookie secret kept across restarts so sign-ins survive them."""
    import json
    import secrets

    portal = settings.portal
    if not portal.oidc_enabled:
        return None
    cookie = settings.keys_dir / "portal-cookie-secret"
    cookie.parent.mkdir(parents=True, exist_ok=True)
    if not cookie.is_file():
        cookie.touch(mode=0o600)
        cookie.write_text(secrets.token_urlsafe(32))
    values = {"redirect_uri": f"{portal.public_url.rstrip('/')}/oauth2callback", "cookie_secret": cookie.read_text().strip(),
              "client_id": portal.oidc_client_id, "client_secret": portal.oidc_client_secret.get_secret_value(),
              "server_metadata_url": portal.oidc_server_metadata_url}
    path = _run_dir(settings) / "portal-secrets.toml"
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_text("[auth]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return path


def _run_dir(settings: StudioSettings) -> Path:
    d = Path(settings.home).resolve() / "run"
    d.mkdir(parents=True, exist_ok=True)
    return d


def pid_file(settings: StudioSettings, name: str) -> Path:
    """Where the process of service ``name`` started by ``_spawn`` keeps its pid (gone once stopped)."""
    return _run_dir(settings) / f"{name}.pid"


def _spawn(settings: StudioSettings, name: str, args: list[str]) -> subprocess.Popen:
    log = open(_run_dir(settings) / f"{name}.log", "ab")
    proc = subprocess.Popen(args, env=child_env(settings), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)
    pid_file(settings, name).write_text(str(proc.pid))
    return proc


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen | None = None, what: str = "service") -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the {what} exited with code {proc.returncode}; see its log under .studio/run/")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the {what} did not answer at {url} within {timeout_s:.0f} s")


def ensure_port_free(host: str, port: int, what: str) -> None:
    import socket

    with socket.socket() as sock:
        if sock.connect_ex((host, port)) == 0:
            raise RuntimeError(f"port {port} on {host} is already in use, so the {what} cannot start there; "
                               "a studio may still be running: stop it with `make down` (studio down)")


def start_prefect_server(settings: StudioSettings) -> subprocess.Popen:
    url = urlparse(settings.prefect.api_url)
    ensure_port_free(url.hostname or "127.0.0.1", url.port or 4200, "Prefect server")
    proc = _spawn(settings, "prefect-server", [sys.executable, "-m", "prefect", "server", "start",
                                               "--host", url.hostname or "127.0.0.1", "--port", str(url.port or 4200)])
    wait_http(settings.prefect.api_url.rstrip("/") + "/health", 120, proc, "Prefect server")
    return proc


def prepare_prefect(settings: StudioSettings) -> None:
    """Register the result-storage block the flows persist their results through, the
    server-wide limit on video renders running at once (so renders queue, not thrash), and the
    automations that crash and reschedule runs whose process died (``runs.recovery``)."""
    runs = PrefectRuns(settings)
    runs.save_block(StudioResultStorage(), "results")
    runs.limit_concurrency("video-render", settings.video.max_concurrent_renders)
    ensure_automations(settings)


def start_runner(settings: StudioSettings) -> subprocess.Popen:
    proc = _spawn(settings, "runner", [sys.executable, "-m", "flows.serve"])

    runs = PrefectRuns(settings)
    deadline = time.time() + 90
    while time.time() < deadline:  # ready once the deployment exists
        if proc.poll() is not None:
            raise RuntimeError("the runner exited; see .studio/run/runner.log")
        if runs.has_deployment(settings.prefect.deployment):
            return proc
        time.sleep(0.5)
    raise TimeoutError("the runner did not register the production deployment within 90 s")


def start_portal(settings: StudioSettings) -> subprocess.Popen:
    ensure_port_free(settings.portal.host, settings.portal.port, "portal")
    args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "review_ui" / "app.py"),
            "--server.address", settings.portal.host, "--server.port", str(settings.portal.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]
    secrets_file = write_portal_secrets(settings)
    if secrets_file is not None:
        args += ["--secrets.files", str(secrets_file)]
    proc = _spawn(settings, "portal", args)
    wait_http(f"http://{settings.portal.host}:{settings.portal.port}/_stcore/health", 60, proc, "portal")
    return proc


def stop(settings: StudioSettings, names: tuple[str, ...] = ("portal", "runner", "prefect-server")) -> list[str]:
    """Stop what ``studio up`` started. A runner stops gracefully: the runs it was running are
    rescheduled (``runs.recovery``), for the next runner to take up where they were."""
    stopped = []
    for name in names:
        if name == "prefect-server" and "runner" in stopped:
            _requeue(settings)
        pidf = pid_file(settings, name)
        if not pidf.exists():
            continue
        pid = int(pidf.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(100):
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child: reap it
                        break
                except ChildProcessError:
                    os.kill(pid, 0)  # not ours: raises once it is gone
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pidf.unlink(missing_ok=True)
        stopped.append(name)
    if stopped and stopped[-1] == "runner":
        _requeue(settings)
    return stopped


def _requeue(settings: StudioSettings) -> None:
    try:
        reschedule_interrupted_runs(settings)
    except Exception:  # the server is down: the next runner start does it
        pass


def serve_voice(settings: StudioSettings, host: str, port: int, api_key: str | None = None) -> None:
    """The offline voice over the OpenAI-compatible speech protocol, in this process (blocks)."""
    serve(settings, host, port, api_key)


def serve_verifier(settings: StudioSettings, host: str, port: int) -> None:
    """The public verifier (``delivery.verifier_server``) in this process (blocks)."""
    serve_public_verifier(settings, open_catalog(settings), host, port)


def serve_llm(settings: StudioSettings, host: str, port: int, model: Path | None = None, api_key: str | None = None,
              say=print) -> None:
    """This process becomes llama.cpp's OpenAI-compatible server on the local model."""
    path = model or local_model_path(settings)
    if not Path(path).is_file():
        raise ValueError(f"{path} is not a file; give the path of a .gguf model")
    args = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", host, "--port", str(port),
            "--n_ctx", str(settings.llm.context_tokens), "--n_threads", str(settings.llm.threads),
            "--model_alias", Path(path).stem, "--verbose", "False"]
    if api_key:
        args += ["--api_key", api_key]
    say(f"llm: http://{host}:{port}/v1/chat/completions (model {Path(path).stem})")
    os.execv(sys.executable, args)
