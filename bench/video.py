"""Video benchmark: speed, lip sync, identity, smoothness and memory of the offline video step.

Run with ``make bench-video`` (or ``uv run python -m bench.video``). Each case renders real
footage from ../shared/data (or the project's fictional persona, or its photo) talking to real
speech, then measures the output with dlib's face landmarks and identity embedding:

- RTF: seconds of rendering per second of video (2 cores), at the case's size;
- peak memory of the rendering process (its own, in a fresh process);
- lip sync: Pearson correlation between the mouth opening measured on the output frames and
  the speech loudness per frame (rendered, as in a production, with the words Whisper hears,
  so the lips also shut on m, b, p where the sound is loud); beside it the same for the unmodified loop (the footage as
  the renderer plays it, with a silent track: near 0 when the mouth follows nothing);
- identity: cosine of dlib's embedding of output frames to the footage's mean embedding,
  against the footage's own frame-to-frame figure (``ID source``);
- smoothness: the output's largest frame-to-frame change (a join shows as a spike) over the
  footage's own largest natural change, and landmark jerk (third difference of the landmarks,
  px/frame^3, median) of output over footage.

- mouth sharpness: the detail around the lips (variance of the Laplacian), output over footage;
  beside it the footage's own after one pass through the renderer's encoder (the take's CRF): the
  most any take can keep;
- seam: the gradient strength along the lower face inside the jaw line, where the pasted mouth
  region meets the cheeks, output over footage (a seam or a doubled edge raises it);
- join jump: the largest frame-to-frame move of the brows and eyes (relative to the nose, over
  the eyes' span), output over footage;
- blink detail (photo): detail around the eyes when they are most closed over when open;
- the mouth bank: frames chosen of candidates, rejects by reason, openings synthesised.

Targets (issues 6 and 17): RTF <= 1 at 720p; lip sync >= 0.6; identity within 5 % of the
footage's own; largest change <= the footage's own; mouth sharpness >= 0.8; seam <= 1.2; join
jump <= 1. Each case also writes a panel (output | footage | the output's mouth zoomed) at its
widest opening to bench/out/video/.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.settings import SpeechCheckSettings
from materials.selection import face_box_of_photo, select_footage
from media.analysis import envelope_per_frame
from media.asr import transcribe, whisper_dir
from media.backends.dlib_face import find_face, identity, landmarks, measure
from media.ffmpeg_io import VideoWriter, load_audio, probe, read_frames, run_ffmpeg, write_wav
from persona.synthetic import make_persona_media
from storage import Catalog
from storage.local import LocalStore
from video.backends.reenact import ReenactVideo
from video.contract import FootageClip, VideoRequest, VideoResult
from video.quality import (
    blink_detail,
    correlation,
    largest_change,
    mouth_sharpness,
    openings,
    seam_energy,
    upper_face_jump,
)
from voice.records import WordTiming

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FPS = 25.0


def _render(request_json: str, queue) -> None:
    request = VideoRequest.model_validate_json(request_json)
    started = time.perf_counter()
    result = ReenactVideo().render(request)
    seconds = time.perf_counter() - started
    # VmHWM: this process's own peak (getrusage's maxrss would carry the parent's over from the fork)
    status = Path("/proc/self/status").read_text()
    peak_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    queue.put((result.model_dump_json(), seconds, peak_kib / 1024))


def render(request: VideoRequest):
    """Render in a fresh process: (result, seconds, peak MiB of that process)."""

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_render, args=(request.model_dump_json(), queue))
    proc.start()
    out = queue.get(timeout=1800)
    proc.join()
    return VideoResult.model_validate_json(out[0]), out[1], out[2]


def face_series(path: Path, width: int, height: int, start_s: float = 0.0, duration_s: float | None = None):
    """(mouth opening per frame, landmarks per frame, identity embeddings of every 10th frame, frames)."""

    duration_s = duration_s if duration_s is not None else probe(path).duration_s
    frames = read_frames(path, start_s, duration_s, width, height, FPS)
    mouth, points, ids = [], [], []
    for i, frame in enumerate(frames):
        box = find_face(frame)
        if box is None:
            mouth.append(np.nan)
            points.append(np.full((68, 2), np.nan, np.float32))
            continue
        p = landmarks(frame, box)
        mouth.append(measure(p, width, height).mouth_open)
        points.append(p)
        if i % 10 == 0:
            e = identity(frame, p)
            ids.append(e / np.linalg.norm(e))
    return np.array(mouth), np.stack(points), np.array(ids), frames


def reencoded_sharpness(frames: np.ndarray, points: np.ndarray, crf: int, preset: str, work: Path) -> float:
    """The footage's own mouth detail after one pass through the renderer's encoder (``crf``),
    over its detail as read: what any take at that CRF can reach at best."""
    path = work / "footage-reencoded.mp4"
    writer = VideoWriter(path, frames.shape[2], frames.shape[1], FPS, crf=crf, preset=preset)
    for frame in frames:
        writer.write(frame)
    writer.close()
    again = read_frames(path, 0, len(frames) / FPS, frames.shape[2], frames.shape[1], FPS)[: len(frames)]
    return mouth_sharpness(again, points[: len(again)]) / max(mouth_sharpness(frames, points), 1e-6)


def jerk(points: np.ndarray) -> float:
    d3 = np.diff(points, n=3, axis=0)
    mag = np.linalg.norm(d3, axis=2).mean(axis=1)
    return float(np.nanmedian(mag)) if mag.size else 0.0


FRAMES = ROOT / "bench" / "out" / "video"


def _save_frames(name: str, frames: np.ndarray, env: np.ndarray) -> None:
    """JPEGs of the output at rest, at its widest opening and at its largest frame change."""
    import cv2

    FRAMES.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "_" for c in name.split(" (")[0]).strip("_").lower()
    change = np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))
    picks = {"rest": int(np.argmin(env[: len(frames)])), "widest": int(np.argmax(env[: len(frames)])),
             "largest_change": int(np.argmax(change)) + 1 if change.size else 0}
    for what, i in picks.items():
        path = FRAMES / f"{slug}_{what}_{i:04d}.jpg"
        cv2.imwrite(str(path), frames[i], [cv2.IMWRITE_JPEG_QUALITY, 88])
        print(f"  frame: {path.relative_to(ROOT)}", file=sys.stderr)


def _save_panel(name: str, frames, points, src_frames, src_points, env: np.ndarray) -> None:
    """One PNG: the output at its widest opening | the footage at its own widest | both mouths zoomed."""
    import cv2

    slug = "".join(c if c.isalnum() else "_" for c in name.split(" (")[0]).strip("_").lower()
    i = int(np.argmax(env[: len(frames)]))
    src_open = openings(src_points)
    j = int(np.nanargmax(src_open)) if np.isfinite(src_open).any() else 0

    def zoom(frame, p):
        if np.isnan(p).any():
            return np.zeros((360, 360, 3), np.uint8)
        x0, y0 = (p[48:68].min(axis=0) - 0.6 * (p[54] - p[48])[0]).astype(int)
        side = int(2.2 * (p[54, 0] - p[48, 0]))
        crop = frame[max(0, y0) : max(0, y0) + side, max(0, x0) : max(0, x0) + side]
        return cv2.resize(crop, (360, 360), interpolation=cv2.INTER_CUBIC) if crop.size else np.zeros((360, 360, 3), np.uint8)

    fit = lambda f: cv2.resize(f, (int(360 * f.shape[1] / f.shape[0]), 360), interpolation=cv2.INTER_AREA)  # noqa: E731
    tiles = [fit(frames[i]), fit(src_frames[j]), zoom(frames[i], points[i]), zoom(src_frames[j], src_points[j])]
    path = FRAMES / f"{slug}_panel.png"
    FRAMES.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.hstack(tiles))
    print(f"  panel (output | footage | output mouth | footage mouth): {path.relative_to(ROOT)}", file=sys.stderr)


def _wide_shot(work: Path) -> Path:
    """sun.mp4 placed small in a 1280x720 frame, as a half-body shot from further away (face
    about 100 px wide), on a plain grey-blue wall."""
    import ffmpeg

    out = work / "sun_wide_720p.mp4"
    stream = ffmpeg.input(str(SHARED / "footage" / "musetalk_sun.mp4"))
    video = stream.video.filter("scale", 270, 360).filter("pad", 1280, 720, 505, 300, color="0x6b6f78")
    run_ffmpeg(ffmpeg.output(video, str(out), vcodec="libx264", crf=18, preset="veryfast").overwrite_output(),
               "making the wide shot", 300)
    return out


def cases(work: Path) -> list[tuple[str, dict]]:
    media = make_persona_media(work / "persona")
    speech_en = SHARED / "speech" / "f5_ref_en.wav"
    sun_speech = work / "sun_10s.wav"
    write_wav(sun_speech, load_audio(SHARED / "footage" / "musetalk_sun.wav", 24000)[: 10 * 24000], 24000)
    # a minute of real speech from other people than the footage's: the F5 speakers in turn, twice
    parts = [load_audio(SHARED / "speech" / name, 24000) for name in
             ("f5_ref_en.wav", "f5_ref_zh.wav", "f5_multi_main.flac", "f5_multi_country.flac", "f5_multi_town.flac")]
    gap = np.zeros(int(0.4 * 24000), np.float32)
    long_speech = write_wav(work / "long_60s.wav", np.concatenate([x for p in parts * 2 for x in (p, gap)])[: 62 * 24000], 24000)
    # not the persona's own recording: its footage was drawn talking to that, so its loop would "sync"
    uncle_speech = speech_en
    return [
        ("lp_d3 512x512 (real)", dict(footage=SHARED / "footage" / "lp_d3.mp4", audio=speech_en, max_height=512)),
        ("lp_d3 long talk (real)", dict(footage=SHARED / "footage" / "lp_d3.mp4", audio=long_speech, max_height=512)),
        ("sun 720p (real)", dict(footage=SHARED / "footage" / "musetalk_sun.mp4", audio=sun_speech, max_height=720)),
        ("sun wide 1280x720, small face (real)", dict(footage=_wide_shot(work), audio=sun_speech, max_height=720)),
        ("Uncle Bo 512x512 (fictional)", dict(footage=media["footage"], audio=uncle_speech, max_height=512)),
        ("Uncle Bo photo 512x512", dict(photo=media["photo"], audio=uncle_speech, max_height=512)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="run only cases whose name contains this")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-video-"))
    catalog = Catalog(LocalStore(work / "store"), work / "cache")
    check = SpeechCheckSettings(model_dir=whisper_dir(work / "models"))
    rows = []
    for name, case in cases(work):
        if args.only and args.only not in name:
            continue
        audio = case["audio"]
        if "footage" in case:
            [seg, *_] = select_footage(catalog, [catalog.put_media_file(case["footage"])], work)
            clip = FootageClip(path=case["footage"], start_s=seg.start_s, duration_s=seg.duration_s, face_box=seg.face_box)
            request = VideoRequest(audio_path=audio, footage=[clip], max_height=case["max_height"], fps=FPS, out_path=work / "out.mp4")
        else:
            face_box_of_photo(case["photo"])
            request = VideoRequest(audio_path=audio, photo_path=case["photo"], max_height=case["max_height"], fps=FPS,
                                   out_path=work / "out.mp4")
        # the words as the voice step hands them over (heard by Whisper): where the lips shut and round
        heard = transcribe(load_audio(audio, 16000), 16000, check, words=True)
        request = request.model_copy(update={"words": [WordTiming(word=w.strip(), start_s=a, end_s=b) for w, a, b in heard.words]})
        result, seconds, peak_mib = render(request)
        silent = work / "silent.wav"
        write_wav(silent, np.zeros(load_audio(audio, 16000).size, np.float32), 16000)
        loop, _, _ = render(request.model_copy(update={"audio_path": silent, "out_path": work / "loop.mp4"}))
        speech = load_audio(audio, 16000)
        w, h = result.width, result.height
        mouth, points, ids, frames = face_series(result.path, w, h)
        env = envelope_per_frame(speech, 16000, FPS, len(mouth))
        loop_mouth, loop_points, _, loop_frames = face_series(loop.path, w, h)
        if "footage" in case:
            src_mouth, src_points, src_ids, src_frames = face_series(case["footage"], w, h, clip.start_s, min(clip.duration_s, result.duration_s))
        else:  # the photo's own figures come from the unmodified (swaying) still
            src_points, src_frames = loop_points, loop_frames
            src_ids = face_series(loop.path, w, h)[2]
        reference = src_ids.mean(axis=0)
        reference /= np.linalg.norm(reference)
        id_out = float(np.mean(ids @ reference)) if len(ids) else 0.0
        id_src = float(np.mean(src_ids @ reference)) if len(src_ids) else 0.0
        _save_frames(name, frames, env)
        _save_panel(name, frames, points, src_frames, src_points, env)
        notes = result.notes
        rejects = sum(notes.bank_rejects.values())
        blink = blink_detail(frames, points) if "photo" in case else None
        rows.append(dict(name=name, size=f"{w}x{h}", rtf=seconds / result.duration_s, peak=peak_mib,
                         sharp=mouth_sharpness(frames, points) / max(mouth_sharpness(src_frames, src_points), 1e-6),
                         sharp_ceiling=reencoded_sharpness(src_frames, src_points, request.crf, request.preset, work)
                         if "footage" in case else None,
                         seam=seam_energy(frames, points) / max(seam_energy(src_frames, src_points), 1e-6),
                         join=upper_face_jump(points) / max(upper_face_jump(src_points), 1e-6) if "footage" in case else None,
                         blink=blink, bank=f"{notes.bank_frames}/{notes.bank_candidates}, {rejects} rejected, "
                                          f"{notes.synthesised_openings} synthesised",
                         reasons=notes.bank_rejects,
                         sync=correlation(mouth, env), sync_loop=correlation(loop_mouth, env), id_out=id_out, id_src=id_src,
                         change=largest_change(frames) / max(largest_change(src_frames), 1e-6) if "footage" in case else None,
                         jerk=jerk(points) / max(jerk(src_points), 1e-6), face=float(np.mean(~np.isnan(mouth)))))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    print("| case | size | RTF | peak MiB | lip sync | loop sync | ID out | ID source | largest change / source | jerk / source "
          "| face found | mouth sharpness / source | footage re-encoded / source | seam / source | join jump / source "
          "| blink detail | mouth bank |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        change = "-" if r["change"] is None else f"{r['change']:.2f}"
        join = "-" if r["join"] is None else f"{r['join']:.2f}"
        blink = "-" if r["blink"] is None else f"{r['blink']:.2f}"
        ceiling = "-" if r["sharp_ceiling"] is None else f"{r['sharp_ceiling']:.2f}"
        print(f"| {r['name']} | {r['size']} | {r['rtf']:.2f} | {r['peak']:.0f} | {r['sync']:.2f} | {r['sync_loop']:.2f} | "
              f"{r['id_out']:.3f} | {r['id_src']:.3f} | {change} | {r['jerk']:.2f} | {r['face'] * 100:.0f}% | "
              f"{r['sharp']:.2f} | {ceiling} | {r['seam']:.2f} | {join} | {blink} | {r['bank']} |")
    print("\nMouth bank rejects by reason:")
    for r in rows:
        print(f"  {r['name']}: " + (", ".join(f"{n} {why}" for why, n in r["reasons"].items()) or "none"))
    print("\n(A photo has no joins: its largest change and join jump are not comparable and are left out; blink detail is")
    print("for the photo, whose blinks are drawn: footage blinks are the person's own.)")
    print("Targets: RTF <= 1 at 720p; lip sync >= 0.6; ID out within 5 % of ID source; largest change / source <= 1;")
    print("mouth sharpness / source >= 0.8 (the footage itself, re-encoded at the take's CRF, reaches the next column);")
    print("seam / source <= 1.2; join jump / source <= 1.")

if __name__ == "__main__":
    main()
