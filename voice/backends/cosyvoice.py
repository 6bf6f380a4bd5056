"""Voice through CosyVoice's FastAPI server (``runtime/python/fastapi/server.py`` in
FunAudioLLM/CosyVoice): zero-shot cloning from the sentence's prompt clip.

With the prompt's transcript: ``POST /inference_zero_shot`` (form fields ``tts_text``,
``prompt_text``, file ``prompt_wav``); without one: ``POST /inference_cross_lingual``
(``tts_text``, ``prompt_wav``), which needs no transcript. The server answers with raw 16-bit
little-endian mono PCM at the model's rate (22050 Hz for CosyVoice, 24000 for CosyVoice2;
``voice.cosyvoice_sample_rate``, or the ``X-Custom-Header-sampleRate`` header some builds send)."""

from __future__ import annotations

import httpx
import numpy as np

from core.http_retry import post_with_retries
from voice.assembly import VoiceServiceError
from voice.contract import Line


class CosyVoiceVoice:
    name = "cosyvoice"
    reads_pinyin = False

    def __init__(self, base_url: str, sample_rate: int = 22050, timeout_s: float = 120.0, max_retries: int = 2):
        self.base_url = base_url.rstrip("/")
        self.sample_rate, self.max_retries = sample_rate, max_retries
        self.client = httpx.Client(timeout=timeout_s)

    def speak(self, line: Line) -> tuple[np.ndarray, int]:
        text, prompt = line.text, line.prompt
        # The server's endpoints take no speed or pitch: the assembly keeps the cues and timing.
        files = {"prompt_wav": (prompt.path.name, prompt.path.read_bytes(), "audio/wav")}
        if prompt.transcript:
            url, data = f"{self.base_url}/inference_zero_shot", {"tts_text": text, "prompt_text": prompt.transcript}
        else:
            url, data = f"{self.base_url}/inference_cross_lingual", {"tts_text": text}
        resp = post_with_retries(self.client, url, VoiceServiceError, "CosyVoice server", self.max_retries,
                                 data=data, files=files)
        body = resp.content
        if len(body) < 2 or len(body) % 2 or body[:1] in (b"{", b"<"):
            raise VoiceServiceError(f"the CosyVoice server at {url} did not return 16-bit PCM: {body[:120]!r}")
        rate = int(resp.headers.get("X-Custom-Header-sampleRate", self.sample_rate))
        return np.frombuffer(body, dtype="<i2").astype(np.float32) / 32768.0, rate
