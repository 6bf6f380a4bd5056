"""Voice through an OpenAI-compatible speech endpoint (``POST {base}/audio/speech``): OpenAI
itself, or the open servers that speak its protocol in front of zero-shot models, and the
studio's own ``studio voice serve``.

Each sentence is one request (``model``, ``input``, ``voice``, ``speed``, ``response_format:
wav``). Zero-shot servers need the persona's voice, which the standard has no field for: the
studio also sends the sentence's prompt clip as ``reference_audio`` (base64 WAV) and its
transcript as ``reference_text`` where known; servers that do not know these fields ignore
them and speak with their named ``voice``."""

from __future__ import annotations

import base64

import httpx
import numpy as np

from core.http_retry import post_with_retries
from voice.assembly import VoiceServiceError, decode_wav
from voice.contract import Line


class OpenAISpeechVoice:
    name = "openai"
    reads_pinyin = False

    def __init__(self, base_url: str, api_key: str, model: str, voice: str, timeout_s: float = 120.0,
                 max_retries: int = 2):
        self.url = base_url.rstrip("/") + "/audio/speech"
        self.model, self.voice, self.max_retries = model, voice, max_retries
        self.client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})

    def speak(self, line: Line) -> tuple[np.ndarray, int]:
        text, prompt, speed, pitch = line.text, line.prompt, line.speed, line.pitch
        body = {"model": self.model, "input": text, "voice": self.voice, "response_format": "wav",
                "speed": round(float(np.clip(speed, 0.25, 4.0)), 3),
                "reference_audio": base64.b64encode(prompt.path.read_bytes()).decode(),
                "reference_text": prompt.transcript or ""}
        if pitch != 1.0:
            body["pitch"] = round(pitch, 3)  # honoured by `studio voice serve`; others ignore it
        resp = post_with_retries(self.client, self.url, VoiceServiceError, "speech server", self.max_retries, json=body)
        return decode_wav(resp.content, f"speech server at {self.url}")
