"""Servers on 127.0.0.1 that follow the documented request and response formats of
CosyVoice's FastAPI server and GPT-SoVITS's api_v2, speaking real (espeak-ng) speech at the
reference clip's pitch, and of HeyGem's (Duix.Avatar) video service, recording what they were
sent, for the adapters' tests; and the studio's own ``studio voice serve`` / ``studio llm serve``
as real processes."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf
from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.conftest import free_port


def _speak_like(text: str, reference: Path, sr: int, speed: float = 1.0) -> np.ndarray:
    from media.analysis import median_f0
    from media.ffmpeg_io import load_audio
    from voice.assembly import resample
    from voice.backends.espeak import ESPEAK_SR, _espeak, espeak_pitch_for, voice_for

    f0 = median_f0(load_audio(reference, 16000), 16000) or 120.0
    voice = voice_for("zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en", f0)
    audio = _espeak(text, voice, espeak_pitch_for(voice, f0), int(165 * speed))
    return resample(audio, ESPEAK_SR, sr)


def cosyvoice_app(received: list[dict], sample_rate: int = 22050) -> FastAPI:
    app = FastAPI()

    def pcm(text: str, wav: bytes, tmp: Path) -> StreamingResponse:
        ref = tmp / "prompt.wav"
        ref.write_bytes(wav)
        audio = _speak_like(text, ref, sample_rate)
        data = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
        return StreamingResponse(iter([data[: len(data) // 2], data[len(data) // 2:]]))  # chunked, as the server streams

    @app.post("/inference_zero_shot")
    async def zero_shot(tts_text: str = Form(), prompt_text: str = Form(), prompt_wav: UploadFile = File()):
        import tempfile

        wav = await prompt_wav.read()
        received.append({"endpoint": "zero_shot", "tts_text": tts_text, "prompt_text": prompt_text, "prompt_wav": wav})
        with tempfile.TemporaryDirectory() as tmp:
            return pcm(tts_text, wav, Path(tmp))

    @app.post("/inference_cross_lingual")
    async def cross_lingual(tts_text: str = Form(), prompt_wav: UploadFile = File()):
        import tempfile

        wav = await prompt_wav.read()
        received.append({"endpoint": "cross_lingual", "tts_text": tts_text, "prompt_wav": wav})
        with tempfile.TemporaryDirectory() as tmp:
            return pcm(tts_text, wav, Path(tmp))

    return app


def gptsovits_app(received: list[dict]) -> FastAPI:
    app = FastAPI()

    @app.post("/tts")
    async def tts(req: dict):
        received.append(req)
        for field in ("text", "text_lang", "ref_audio_path", "prompt_lang"):
            if not req.get(field):
                return JSONResponse(status_code=400, content={"message": f"{field} is required"})
        if req["text_lang"].lower() not in ("zh", "en", "ja", "ko", "yue", "auto"):
            return JSONResponse(status_code=400, content={"message": f"text_lang: {req['text_lang']} is not supported"})
        ref = Path(req["ref_audio_path"])
        if not ref.is_file():  # the server opens the path on its own disk
            return JSONResponse(status_code=400, content={"message": f"{ref} not exists"})
        audio = _speak_like(req["text"], ref, 32000, float(req.get("speed_factor", 1.0)))
        buf = io.BytesIO()
        sf.write(buf, audio, 32000, format="wav")
        return Response(buf.getvalue(), media_type="audio/wav")

    return app


ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def studio_server(*args: str, ready: str, token: str | None = None, env: dict | None = None, timeout_s: float = 120):
    """``studio <args> --port P`` as a real process on 127.0.0.1; yields its base URL once
    ``ready`` answers 200, and stops it when the block ends (its log in the error if it does not start)."""
    port = free_port()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args, "--port", str(port)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + timeout_s
            while True:
                try:
                    if httpx.get(url + ready, headers=headers, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"studio {' '.join(args)} did not start: {log.read().decode()[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


class LocalServer:
    """A uvicorn server for ``app`` on a free 127.0.0.1 port, stopped on exit."""

    def __init__(self, app: FastAPI):
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise TimeoutError("the local voice server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def heygem_app(data_dir: Path, received: list[dict], on_server: str = "/code/data", busy_first: int = 0) -> FastAPI:
    """HeyGem's (Duix.Avatar) video service: ``/easy/submit`` takes paths on its data volume
    (``on_server``, here backed by ``data_dir``) and answers 10000 (10001 while busy); the job
    runs in the background and ``/easy/query`` reports status 1/2/3 with progress and the
    result's path. Its "lip sync" is ffmpeg putting the sound on the reference video."""
    import subprocess

    app = FastAPI()
    jobs: dict[str, dict] = {}
    state = {"busy": busy_first}

    def local(path: str) -> Path:
        if not path.startswith(on_server + "/"):
            raise ValueError(f"{path} is not on the data volume {on_server}")
        return data_dir / path[len(on_server) + 1 :]

    def run(code: str, video: Path, audio: Path) -> None:
        job = jobs[code]
        job.update(status=1, progress=20, msg="视频特征提取完成")
        time.sleep(0.3)
        out = data_dir / "temp" / f"{code}-r.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        import cv2

        from media.backends.dlib_face import find_face

        ok, first = cv2.VideoCapture(str(video)).read()
        if not ok or find_face(first) is None:
            job.update(status=3, progress=30, msg="未检测到人脸 (no face detected)")
            return
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(video), "-i", str(audio), "-map", "0:v", "-map", "1:a",
                        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(out)], check=True)
        job.update(status=2, progress=100, msg="合成完成", result=f"/temp/{code}-r.mp4")

    @app.post("/easy/submit")
    async def submit(body: dict):
        received.append(body)
        if state["busy"] > 0:
            state["busy"] -= 1
            return {"code": 10001, "data": {}, "msg": "忙碌中 (busy)", "success": False}
        missing = {"audio_url", "video_url", "code"} - set(body)
        if missing:
            return JSONResponse(status_code=422, content={"code": 10002, "msg": f"missing {sorted(missing)}"})
        try:
            video, audio = local(body["video_url"]), local(body["audio_url"])
        except ValueError as exc:
            return {"code": 10003, "msg": str(exc), "success": False}
        if not video.is_file() or not audio.is_file():
            return {"code": 10003, "msg": "file not found", "success": False}
        jobs[body["code"]] = {"code": body["code"], "status": 0, "progress": 0, "msg": "", "result": ""}
        threading.Thread(target=run, args=(body["code"], video, audio), daemon=True).start()
        return {"code": 10000, "data": {}, "msg": "success", "success": True}

    @app.get("/easy/query")
    def query(code: str):
        if code not in jobs:
            return {"code": 10004, "data": None, "msg": "task not found", "success": False}
        return {"code": 10000, "data": jobs[code], "msg": "", "success": True}

    return app


def lipsync_app(received: list[dict], api_key: str | None = None, answer: str = "video") -> FastAPI:
    """The multipart form MuseTalk and LatentSync wrappers take (``POST /api/lipsync`` with
    ``video`` and ``audio``), answering with the MP4 (``answer="video"``) or JSON naming it
    (``answer="json"``); its "lip sync" is ffmpeg putting the sound on the video. Refuses a wrong
    key (401) and sound it cannot read (400)."""
    import subprocess
    import tempfile

    from fastapi import Header
    from fastapi.responses import FileResponse

    app = FastAPI()
    outputs = Path(tempfile.mkdtemp(prefix="lipsync-server-"))

    @app.post("/api/lipsync")
    async def lipsync(video: UploadFile = File(), audio: UploadFile = File(), authorization: str | None = Header(None)):
        if api_key and authorization != f"Bearer {api_key}":
            return JSONResponse(status_code=401, content={"detail": "invalid API key"})
        job = Path(tempfile.mkdtemp(dir=outputs))
        (job / "in.mp4").write_bytes(await video.read())
        (job / "in.wav").write_bytes(await audio.read())
        received.append({"video": video.filename, "audio": audio.filename, "authorization": authorization})
        done = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(job / "in.mp4"), "-i", str(job / "in.wav"), "-map", "0:v",
                               "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
                               str(job / "out.mp4")], capture_output=True)
        if done.returncode != 0:
            return JSONResponse(status_code=400, content={"detail": "could not read the inputs"})
        if answer == "json":
            return {"status": "success", "video_url": f"/outputs/{job.name}/out.mp4"}
        return FileResponse(job / "out.mp4", media_type="video/mp4")

    @app.get("/outputs/{job}/{name}")
    def output(job: str, name: str):
        return FileResponse(outputs / job / name, media_type="video/mp4")

    return app
