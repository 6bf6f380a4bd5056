"""``studio voice serve``: the studio's offline voice behind the OpenAI-compatible speech
protocol, so another studio (or any client of that protocol) can use it over HTTP.

``POST /v1/audio/speech`` takes ``input``, ``voice``, ``speed``, ``response_format`` (``wav``
or ``pcm``: 16-bit mono at ``sample_rate``) and the studio's extensions ``reference_audio``
(base64 audio of the voice to follow) and ``pitch``. ``GET /v1/models`` lists the model.

It speaks whatever it is sent: it is a component of a studio, whose steps check consent before
they call it. Keep it on 127.0.0.1 or a private network, and give it an API key."""

from __future__ import annotations

import base64
import re
import tempfile
from pathlib import Path

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from core.settings import StudioSettings
from media.analysis import median_f0
from media.ffmpeg_io import load_audio
from script.pace import ordinary_wpm
from script.sentences import Sentence
from voice.assembly import synthesize
from voice.contract import PromptClip, VoiceRequest
from voice.registry import voice_backend

MODEL = "studio-offline-voice"
DEFAULT_F0_HZ = 120.0


class SpeechRequest(BaseModel):
    model: str = MODEL
    input: str = Field(min_length=1, max_length=4096)
    voice: str = "persona"
    response_format: str = "wav"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    reference_audio: str | None = None  # base64
    reference_text: str | None = None
    pitch: float = Field(default=1.0, ge=0.5, le=2.0)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"message": message, "type": "invalid_request_error"}})


def make_app(settings: StudioSettings, api_key: str | None = None) -> FastAPI:
    app = FastAPI(title="Digital-Human Studio voice")
    backend = voice_backend(settings, "kokoro")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "studio"}]}

    @app.post("/v1/audio/speech")
    def speech(request: SpeechRequest, authorization: str | None = Header(default=None)):
        if api_key and authorization != f"Bearer {api_key}":
            return _error(401, "a valid API key is needed (Authorization: Bearer ...)")
        if request.response_format not in ("wav", "pcm"):
            return _error(400, f"response_format {request.response_format!r} is not offered; use wav or pcm")
        with tempfile.TemporaryDirectory() as tmp:
            ref = Path(tmp) / "reference.wav"
            f0 = DEFAULT_F0_HZ
            if request.reference_audio:
                try:
                    ref.write_bytes(base64.b64decode(request.reference_audio, validate=True))
                    f0 = median_f0(load_audio(ref, 16000), 16000) or DEFAULT_F0_HZ
                except Exception as exc:
                    return _error(400, f"reference_audio is not readable audio (base64 of a WAV/MP3/...): {exc}")
            else:
                ref.write_bytes(b"")
            language = "zh" if re.search(r"[\u4e00-\u9fff]", request.input) else "en"
            f0 = min(max(f0 * request.pitch, 50.0), 500.0)
            result = synthesize(backend, VoiceRequest(
                sentences=[Sentence(text=request.input)], language=language,
                prompts=[PromptClip(path=ref, style="neutral", median_f0_hz=f0, transcript=request.reference_text)],
                median_f0_hz=f0, speaking_rate_wpm=ordinary_wpm(language) * request.speed, sample_rate=settings.voice.sample_rate,
                out_path=Path(tmp) / "speech.wav"))
            data = result.path.read_bytes()
        if request.response_format == "pcm":
            import io

            import soundfile as sf

            audio, _ = sf.read(io.BytesIO(data), dtype="int16")
            return Response(audio.tobytes(), media_type="audio/pcm")
        return Response(data, media_type="audio/wav")

    return app


def serve(settings: StudioSettings, host: str, port: int, api_key: str | None = None) -> None:
    import uvicorn

    uvicorn.run(make_app(settings, api_key), host=host, port=port, log_level="warning")
