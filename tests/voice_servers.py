"""Servers on 127.0.0.1 that follow the documented request and response formats of
CosyVoice's FastAPI server and GPT-SoVITS's api_v2, speaking real (espeak-ng) speech at the
reference clip's pitch, and recording what they were sent, for the adapters' tests."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.conftest import free_port


def _speak_like(text: str, reference: Path, sr: int, speed: float = 1.0) -> np.ndarray:
    from tasks.analysis import median_f0
    from tasks.backends.voice_espeak import ESPEAK_SR, _espeak, espeak_pitch_for, voice_for
    from tasks.media import load_audio
    from tasks.voice_assembly import resample

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
