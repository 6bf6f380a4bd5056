"""The studio on three hosts (network namespaces, each with its own network and hostname): the
server host runs PostgreSQL, SeaweedFS, the Prefect server on PostgreSQL and a Dask scheduler;
two worker hosts run a Prefect worker and a Dask worker each. A production's chunks run on both
worker hosts; the host running the production is then killed mid-render, and Prefect's
heartbeats and zombie automations plus Dask's own worker-loss handling bring the production
to delivery with no finished chunk made again."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID

import pytest

from tests.netns import Network, namespaces_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(namespaces_available() is not None,
                                                    reason=namespaces_available() or "")]

TALK = [f"Sentence {i}: the plum tree behind the old house bloomed early this year." for i in range(1, 15)]
CHUNK_TASKS = ("speak_chunk", "render_chunk")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from app.cluster import ClusterPorts, cluster_env, cluster_settings, start_cluster
    from core import settings as cfg

    root = tmp_path_factory.mktemp("cluster")
    net = Network(["server", "w1", "w2"])
    saved = dict(os.environ)
    database = None
    try:
        # this is about where work runs: drafts from the composer, no speech check or quality report,
        # and the plumbing media of tests/conftest.py's stacks (espeak-ng's voice and notice, 256 px)
        base = cfg.StudioSettings(home=root / "homes" / "test",
                                  prefect=cfg.PrefectSettings(runner_poll_seconds=1, zombie_after_seconds=60, warm_gate_seconds=120),
                                  speech_check=cfg.SpeechCheckSettings(enabled=False), llm=cfg.LLMSettings(backend="composer"),
                                  voice=cfg.VoiceSettings(backend="espeak"),
                                  video=cfg.VideoSettings(max_concurrent_renders=2, max_height=256),
                                  delivery=cfg.DeliverySettings(notice_voice="espeak"),
                                  quality=cfg.TakeQualitySettings(enabled=False))
        settings = cluster_settings(base, net["server"], ClusterPorts(), "studio", secrets.token_urlsafe(16), secrets.token_hex(32))
        started = time.time()
        database = Path(tempfile.mkdtemp(prefix="studio-postgres-"))  # the postgres user cannot reach pytest's folders
        database.chmod(0o755)
        start_cluster(settings, root, net["server"], [net["w1"], net["w2"]], ClusterPorts(), database_dir=database / "data")
        print(f"cluster up in {time.time() - started:.1f} s")
        os.environ.update(cluster_env(settings, root / "homes" / "test"))
        cfg.get_settings.cache_clear()
        yield net, cfg.get_settings()
    finally:
        net.close()
        if database:
            shutil.rmtree(database, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved)
        cfg.get_settings.cache_clear()


def _chunk_runs(api, run_id: str) -> list:
    return [r for r in api.runs.task_runs(run_id) if r.name.rsplit("-", 1)[0] in CHUNK_TASKS]


def _key(state) -> str:
    """The chunk key a Completed or Cached chunk task run's result is kept under."""
    return state.data.storage_key.rsplit("/", 1)[-1]


def test_a_production_spreads_over_two_hosts_and_survives_losing_one(cluster, persona_media):
    from app.demo import approve_as_every_role, wait_for_review
    from delivery.records import Delivery
    from delivery.verify import verify_file
    from review.records import ReviewDecision
    from runs.recovery import RESCHEDULED
    from tests.conftest import new_production
    from video.records import VideoTake
    from voice.records import VoiceTake

    net, settings = cluster
    api, production, _ = new_production(settings, persona_media)
    run_id = api.start_production(production.id)
    first = wait_for_review(api, production.id, "script-1", timeout_s=300)
    api.submit_decision(first.id, ReviewDecision(decision="request_changes", reviewer="Lan", role="family",
                                                 comments=["our words"], edited_script="\n".join(TALK)))
    approve_as_every_role(api, wait_for_review(api, production.id, "script-2", timeout_s=300))

    # mid-render: some chunks done, some not; the host running the production loses power
    deadline = time.time() + 600
    while time.time() < deadline:
        runs = _chunk_runs(api, run_id)
        done = [r for r in runs if r.state and r.state.name == "Completed"]
        if len(done) >= 3 and len(runs) > len(done):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the chunks never got under way: {[(r.name, r.state and r.state.name) for r in runs]}")
    with api.runs.client() as client:
        pid = client.read_flow_run(UUID(run_id)).infrastructure_pid
    victim = net.host_of(int(pid))
    assert victim in ("w1", "w2"), (pid, victim)
    killed_at = datetime.now(timezone.utc)
    assert net.kill(victim) > 0
    print(f"killed {victim} with {len(done)} chunks done")

    video1 = wait_for_review(api, production.id, "video-1", timeout_s=900)
    take = api.catalog.load(VideoTake, video1.video_take_id)
    voice = api.catalog.load(VoiceTake, take.voice_take_id)
    chunks = voice.chunks + take.chunks
    print("which host made which chunk:", [(c.sentences, kind, c.made_on) for kind, made in (("voice", voice.chunks),
                                                                                         ("video", take.chunks)) for c in made])
    assert {c.made_on for c in chunks} == {"w1", "w2"}, "chunks ran on both worker hosts"
    # Prefect saw the run's process die (its heartbeats stopped), crashed it and rescheduled it
    messages = [s.message or "" for s in api.runs.states(run_id)]
    assert RESCHEDULED in messages, messages
    # nothing that had finished before the power cut was made again, and every chunk was made
    # exactly once: each Completed state (wherever in a task run's history) is one making, named
    # by its chunk's key; a chunk the dead host made and stored before Prefect heard of it has no
    # Completed state (its task run stays Running, or Dask runs it again on the living host and
    # finds it Cached) but its record says so: made on that host before the cut
    makings: dict[str, list] = {}
    with api.runs.client() as client:
        for r in _chunk_runs(api, run_id):
            for state in client.read_task_run_states(r.id):
                if state.name == "Completed":
                    makings.setdefault(_key(state), []).append((r.name, state.timestamp))
    done_keys = {key for key, made in makings.items() if any(at < killed_at for _, at in made)}
    assert len(done_keys) >= len(done), (done, makings)
    unmarked = [c for c in chunks if c.made_on == victim and c.made_at < killed_at and c.key not in makings]
    print("stored by the dead host before Prefect heard of it:", [c.sentences for c in unmarked])
    for c in chunks:
        made = len(makings.get(c.key, [])) + (c in unmarked)
        assert made == 1, (c.sentences, c.made_on, c.made_at, makings.get(c.key))
        assert c.key not in done_keys or c.made_at < killed_at, ("made again", c.sentences, c.made_at)
    assert all(len(m) == 1 for m in makings.values()), makings
    approve_as_every_role(api, video1)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=600)
    delivery = next(d for d in api.catalog.find(Delivery) if d.production_id == production.id)
    report = verify_file(api.catalog, settings, api.catalog.media_path(delivery.video))
    assert report.verdict == "authorised"
