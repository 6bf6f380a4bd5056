"""Long-form benchmark (issue 20): a 9-minute talk on the fictional persona, through the real
production flow on a real Prefect server, on one machine and on a cluster of hosts.

For each language and setup it prints, per step, the wall time and the peak memory of the
processes doing the work (the runner's flow runs on one machine; every process of each host
on a cluster), then the time from one sentence of the talk changed at the video gate to the
signed MP4 (the family's edit, the script approved again, one chunk re-spoken and re-rendered,
the video approved, delivery), and the joins at chunk boundaries (the "chunk joins" figure of
the take's quality report: the largest brows-and-eyes jump around a join over the footage's
own). ``--concurrent N`` also starts N short productions at once through the cluster and
reports how many completed and failed and the p50/p95 time to their first review.

    uv run python -m bench.longform --language en --setup local        # one machine
    uv run python -m bench.longform --language zh --setup cluster      # 3 hosts (root: namespaces)
    uv run python -m bench.longform --setup cluster --sentences 0 --concurrent 20

Targets: approved script to signed MP4 <= 15 min on one 2-core machine and <= 0.6x that with
two worker hosts; one changed sentence delivered <= 60 s; approve-to-resume <= 2 s; 20
concurrent productions with 0 failures; no visible joins (chunk joins <= 1.5).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import psutil

from app import services
from app.api import StudioAPI
from app.cluster import ClusterPorts, cluster_settings, start_cluster
from app.demo import approve_as_every_role, wait_for_review
from core import settings as cfg
from delivery.records import Delivery
from media.ffmpeg_io import read_frames
from persona.corpus import split_sentences
from persona.records import Persona
from persona.synthetic import LINES, LINES_ZH, PAST_TALKS, PAST_TALKS_ZH, make_persona_media
from review.records import ReviewDecision
from script.markup import parse_markup
from script.pace import spoken_seconds
from script.sentences import Brief
from video.records import VideoTake
from voice.records import VoiceTake

OUT = Path(__file__).resolve().parent / "out" / "longform"
STEPS = ("select_materials", "learn_voice", "study_persona", "draft_script", "plan_voice", "speak_chunk", "assemble_voice",
         "plan_video", "render_carefully", "render_chunk", "assemble_video", "deliver")


OPENERS = {"en": ["", "You know, ", "Honestly, ", "So ", "And ", "Well, ", "Listen, ", "Again, ", "Friends, ", "Remember, ", "Yes, "],
           "zh": ["", "你们知道，", "说实话，", "所以，", "还有，", "嗯，", "听我说，", "再说一遍，", "朋友们，", "记住，", "是啊，"]}


def talk(language: str, n: int) -> list[str]:
    """``n`` distinct sentences in the persona's manner (the synthetic persona's lines, one
    sentence each, behind openers a speaker uses), with a pause or a laugh now and then, as a
    9-minute annual talk has. Words only, no numbering: the speech check hears what is said."""
    lines = [text for _, text in (LINES_ZH if language == "zh" else LINES)] + (PAST_TALKS_ZH if language == "zh" else PAST_TALKS)
    pool = [s for line in lines for s in split_sentences(line) if len(s) <= 40 or language == "en"]
    openers = OPENERS[language]
    if n > len(pool) * len(openers):
        raise SystemExit(f"--sentences: at most {len(pool) * len(openers)} distinct sentences")
    out = []
    for i in range(n):
        base, opener = pool[i % len(pool)], openers[i // len(pool)]
        if opener and language == "en" and not base.startswith("I "):
            base = base[0].lower() + base[1:]
        cue = " [pause 0.6s]" if i % 9 == 8 else ""
        out.append(("[laugh] " if i % 15 == 7 else "") + opener + base + cue)
    return out


def nine_minutes(language: str) -> int:
    """How many sentences of ``talk()`` take 9 minutes to say at an ordinary pace (``script.pace``)."""
    n = 1
    while spoken_seconds(parse_markup("\n".join(talk(language, n))), language) < 540:
        n += 1
    return n


class MemoryProbe:
    """Samples the resident memory of some processes every half second."""

    def __init__(self, roots: callable):
        self.roots, self.samples, self._stop = roots, [], threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            total = {}
            for host, pids in self.roots().items():
                rss = 0
                for pid in pids:
                    try:
                        proc = psutil.Process(pid)
                        rss += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                    except psutil.Error:
                        pass
                total[host] = rss
            self.samples.append((time.time(), total))

    def peak(self, start: float, end: float) -> dict[str, float]:
        inside = [s for t, s in self.samples if start <= t <= end + 0.5]
        return {h: max(s.get(h, 0) for s in inside) / 2**30 for h in (inside[-1] if inside else {})}

    def stop(self) -> None:
        self._stop.set()


def step_table(api: StudioAPI, run_id: str, since: float, probe: MemoryProbe) -> list[tuple[str, float, dict]]:
    """(step, wall seconds, peak GiB per host) of every step the run did after ``since``: the
    time some task of the step was running (chunks at once count once; a step done twice, as a
    take rendered again, counts both)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for r in api.runs.task_runs(run_id):
        name = r.name.rsplit("-", 1)[0]
        if name in STEPS and r.start_time and r.end_time and r.state and r.state.name == "Completed":
            a, b = r.start_time.timestamp(), r.end_time.timestamp()
            if a >= since:
                spans.setdefault(name, []).append((a, b))
    rows = []
    for name in (n for n in STEPS if n in spans):
        busy, end = 0.0, float("-inf")
        for a, b in sorted(spans[name]):
            busy += max(0.0, b - max(a, end))
            end = max(end, b)
        rows.append((name, busy, probe.peak(min(a for a, _ in spans[name]), max(b for _, b in spans[name]))))
    return rows


def one_talk(api: StudioAPI, language: str, n: int, probe: MemoryProbe, log) -> dict:
    persona = api.catalog.find(Persona)[0]
    production = api.create_production(persona.id, "greeting", Brief(occasion="annual meeting", audience="colleagues", language=language,
                                                                       points=["the year behind us"], target_seconds=540),
                                       ["Mei"], ["Lan"])
    run_id = api.start_production(production.id)
    first = wait_for_review(api, production.id, "script-1", timeout_s=900)
    lines = talk(language, n)
    api.submit_decision(first.id, ReviewDecision(decision="request_changes", reviewer="Lan", role="family",
                                                 comments=["our words"], edited_script="\n".join(lines)))
    script2 = wait_for_review(api, production.id, "script-2", timeout_s=900)
    started = time.time()
    approve_as_every_role(api, script2)
    video1 = wait_for_review(api, production.id, "video-1", timeout_s=7200)
    take = api.catalog.load(VideoTake, video1.video_take_id)
    voice = api.catalog.load(VoiceTake, take.voice_take_id)
    joins = {m.name: m.value for m in (take.quality.measures if take.quality else [])}.get("chunk joins")
    first_take = time.time() - started
    steps = step_table(api, run_id, started, probe)
    panel = join_panel(api.catalog.media_path(take.video), [c.start_s for c in take.chunks[1:]], take.width, take.height,
                       take.fps, language)
    log(f"{language}: {len(lines)} sentences, {voice.duration_s / 60:.1f} min spoken, {len(voice.chunks)} chunks, "
        f"approved script to the video gate in {first_take:.0f} s")
    # the family changes one sentence at the video gate
    changed = lines[:]
    k = len(changed) // 2
    changed[k] = ("这一句我们改一下，大家辛苦了。" if language == "zh" else "Let me say this one differently: thank you all.")
    asked = time.time()
    api.submit_decision(video1.id, ReviewDecision(decision="request_changes", reviewer="Lan", role="family", redo="script",
                                                  comments=[f"[sentence {k + 1}] our words"], edited_script="\n".join(changed)))
    approve_as_every_role(api, wait_for_review(api, production.id, "script-3", timeout_s=900))
    video2 = wait_for_review(api, production.id, "video-2", timeout_s=3600)
    at_gate = time.time() - asked
    after_change = step_table(api, run_id, asked, probe)  # what the change re-made
    remade = [c.sentences for c in api.catalog.load(VoiceTake, api.catalog.load(VideoTake, video2.video_take_id).voice_take_id).chunks
              if not c.reused]
    resumed = time.time()
    approve_as_every_role(api, video2)
    resume_s = api.wait_past_gate(run_id, video2.gate_key)
    api.wait_for_run(run_id, {"COMPLETED"}, timeout_s=1800)
    delivered = time.time() - asked
    deliver_s = time.time() - resumed
    after_approval = step_table(api, run_id, resumed, probe)  # the deliver task, and what the resumed run re-did
    d = next(x for x in api.catalog.find(Delivery) if x.production_id == production.id)
    return dict(language=language, sentences=len(lines), minutes=voice.duration_s / 60, chunks=len(voice.chunks),
                first_take_s=first_take, steps=steps, joins=joins, change_to_gate_s=at_gate, change_to_delivered_s=delivered,
                deliver_s=deliver_s, after_change=after_change, after_approval=after_approval, remade=remade,
                resume_s=resume_s, delivery=d.id, panel=panel,
                hosts=sorted({c.made_on for c in voice.chunks + take.chunks}),
                by_host={kind: {h: [c.sentences for c in chunks if c.made_on == h] for h in sorted({c.made_on for c in chunks})}
                         for kind, chunks in (("voice", voice.chunks), ("picture", take.chunks))})


def join_panel(video: Path, joins: list[float], w: int, h: int, fps: float, language: str, rows: int = 6) -> Path:
    """A PNG to look at: for up to ``rows`` chunk joins, the last frame of one chunk beside the
    first of the next, and their difference (brightened 4x)."""
    lines = []
    for t in joins[:: max(1, len(joins) // rows)][:rows]:
        before, after = read_frames(video, max(0.0, t - 1 / fps), 2 / fps, w, h, fps)[:2]
        diff = np.clip(4 * cv2.absdiff(before, after), 0, 255).astype(np.uint8)
        row = np.hstack([before, after, diff])
        cv2.putText(row, f"join at {t:.2f} s", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        lines.append(cv2.resize(row, (3 * 320, int(320 * h / w))))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"joins_{language}.png"
    cv2.imwrite(str(path), np.vstack(lines))
    return path


def concurrent(api: StudioAPI, n: int, log) -> dict:
    persona = api.catalog.find(Persona)[0]
    started, firsts, failed = time.time(), [], 0
    runs = []
    for i in range(n):
        p = api.create_production(persona.id, "greeting", Brief(occasion="birthday", audience="family", points=[f"wish {i}"],
                                                                 target_seconds=10), ["Mei"], ["Lan"])
        runs.append((p, api.start_production(p.id), time.time()))
    pending = {p.id for p, _, _ in runs}
    done = 0
    deadline = time.time() + 3600
    while pending and time.time() < deadline:
        for p, run_id, t0 in runs:
            if p.id not in pending:
                continue
            state = api.run_state(run_id)
            if state.type.value in ("FAILED", "CRASHED", "CANCELLED"):
                failed += 1
                pending.discard(p.id)
            elif any(r.production_id == p.id for r in api.pending_reviews()):
                firsts.append(time.time() - t0)
                done += 1
                pending.discard(p.id)
        time.sleep(1)
    q = statistics.quantiles(firsts, n=20) if len(firsts) >= 2 else firsts * 19
    log(f"{n} concurrent productions: {done} reached their first review, {failed} failed, {len(pending)} still going")
    return dict(n=n, reached_review=done, failed=failed, unfinished=len(pending), p50=statistics.median(firsts) if firsts else None,
                p95=q[18] if q else None, wall=time.time() - started)


def local_setup(root: Path, base: cfg.StudioSettings):
    settings = base.model_copy(update=dict(home=root / "home"))
    services.start_prefect_server(settings)
    services.prepare_prefect(settings)
    runner = services.start_runner(settings)
    return settings, (lambda: {"this machine": [runner.pid]}), (lambda: services.stop(settings))


def cluster_setup(root: Path, base: cfg.StudioSettings):
    from tests.netns import Network  # root only: hosts as network namespaces

    net = Network(["server", "w1", "w2"])
    database = Path(tempfile.mkdtemp(prefix="studio-postgres-"))
    database.chmod(0o755)
    video = base.video.model_copy(update=dict(max_concurrent_renders=2))
    settings = cluster_settings(base.model_copy(update=dict(home=root / "home", video=video)), net["server"], ClusterPorts(),
                                "studio", secrets.token_urlsafe(16), secrets.token_hex(32))
    start_cluster(settings, root, net["server"], [net["w1"], net["w2"]], ClusterPorts(), database_dir=database / "data")

    def close():
        net.close()
        shutil.rmtree(database, ignore_errors=True)
    return settings, (lambda: {h: net.pids(h) for h in ("w1", "w2")}), close


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--language", choices=["en", "zh", "both"], default="both")
    ap.add_argument("--setup", choices=["local", "cluster", "both"], default="local")
    ap.add_argument("--sentences", type=int, default=None,
                    help="sentences in the talk (0: no long talk; default: as many as take 9 minutes to say)")
    ap.add_argument("--concurrent", type=int, default=0, help="short productions at once (cluster setup)")
    ap.add_argument("--no-speech-check", action="store_true", help="without the per-sentence speech check (faster)")
    args = ap.parse_args()
    rows = []
    for setup in (["local", "cluster"] if args.setup == "both" else [args.setup]):
        root = Path(tempfile.mkdtemp(prefix=f"bench-longform-{setup}-"))
        base = cfg.StudioSettings(home=root / "home", prefect=cfg.PrefectSettings(runner_poll_seconds=1, zombie_after_seconds=60),
                                  speech_check=cfg.SpeechCheckSettings(enabled=not args.no_speech_check),
                                  llm=cfg.LLMSettings(backend="composer"))
        saved = dict(os.environ)
        settings, roots, close = (local_setup if setup == "local" else cluster_setup)(root, base)
        os.environ.update(services.child_env(settings))
        cfg.get_settings.cache_clear()
        probe = MemoryProbe(roots)
        try:
            api = StudioAPI(cfg.get_settings())
            media = make_persona_media(root / "media")
            persona = api.create_persona("Uncle Bo (fictional)", ["en", "zh"], fictional=True)
            api.add_consent(persona.id, "Uncle Bo (fictional)", "self", ["greeting"], [media["text"]])
            for role in ("voice", "footage", "text"):
                api.add_material(persona.id, role, media[role])
            for language in (["en", "zh"] if args.language == "both" else [args.language]) if args.sentences != 0 else []:
                n = args.sentences or nine_minutes(language)
                rows.append(dict(setup=setup, **one_talk(api, language, n, probe, print)))
                report(rows[-1:])  # as soon as it is measured: a later failure keeps it
            if args.concurrent:
                rows.append(dict(setup=setup, concurrent=concurrent(api, args.concurrent, print)))
                report(rows[-1:])
        finally:
            probe.stop()
            close()
            os.environ.clear()
            os.environ.update(saved)
            cfg.get_settings.cache_clear()
    print("\n# all together")
    report(rows)


def report(rows: list[dict]) -> None:
    for r in rows:
        if "concurrent" in r:
            c = r["concurrent"]
            print(f"\n{r['setup']}: {c['n']} concurrent productions: {c['reached_review']} reached their first review, "
                  f"{c['failed']} failed, {c['unfinished']} unfinished; time to first review p50 {c['p50'] or 0:.0f} s, "
                  f"p95 {c['p95'] or 0:.0f} s")
            continue
        print(f"\n### {r['setup']}, {r['language']}: {r['sentences']} sentences, {r['minutes']:.1f} min, {r['chunks']} chunks, "
              f"made on {', '.join(r['hosts'])}")
        print("| step | wall s | peak memory GiB |\n|---|---:|---|")
        for name, seconds, peak in r["steps"]:
            print(f"| {name} | {seconds:.1f} | {', '.join(f'{h} {g:.2f}' for h, g in peak.items())} |")
        print(f"| approved script to video gate | {r['first_take_s']:.0f} | |")
        mp4 = r["first_take_s"] + r["deliver_s"]
        print(f"| approved script to signed MP4 (to the video gate, plus a delivery) | {mp4:.0f} | |")
        print(f"| the same per 9 minutes spoken | {mp4 * 9 / r['minutes']:.0f} | |")
        print(f"frames at chunk joins (last | first | difference x4): {r['panel']}")
        for kind, hosts in r["by_host"].items():
            print(f"{kind} chunks (sentences) by host: " + "; ".join(f"{h}: {spans}" for h, spans in hosts.items()))
        print(f"\none sentence changed at the video gate: at the next video gate in {r['change_to_gate_s']:.0f} s, delivered "
              f"{r['change_to_delivered_s']:.0f} s after the change (delivery {r['deliver_s']:.0f} s); chunks made again: "
              f"{r['remade']}; approve-to-resume {r['resume_s']:.2f} s; chunk joins {r['joins']}")
        for when in ("after_change", "after_approval"):
            print(f"{when.replace('_', ' the ')}: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds, _ in r[when]))


if __name__ == "__main__":
    main()
