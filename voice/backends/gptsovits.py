"""Voice through GPT-SoVITS's ``api_v2.py`` (``POST /tts`` with JSON): zero-shot from a
reference clip the server reads from its own disk.

The adapter copies each prompt clip into ``voice.gptsovits_ref_dir`` (a folder the server also
sees) and sends its path as the server sees it (``voice.gptsovits_ref_dir_on_server``), with
``text``, ``text_lang``, ``prompt_text``, ``prompt_lang``, ``speed_factor`` and
``media_type: wav``. The server answers with a WAV file, or JSON ``{"message": ...}`` and 400."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import httpx
import numpy as np

from core.http_retry import post_with_retries
from voice.assembly import VoiceServiceError, decode_wav
from voice.contract import Line, PromptClip


class GPTSoVITSVoice:
    name = "gptsovits"
    reads_pinyin = False

    def __init__(self, base_url: str, ref_dir: Path | None, ref_dir_on_server: str | None = None,
                 timeout_s: float = 120.0, max_retries: int = 2):
        if ref_dir is None:
            raise ValueError("GPT-SoVITS reads reference clips from its own disk: set STUDIO_VOICE__GPTSOVITS_REF_DIR to a "
                             "folder it can read (and STUDIO_VOICE__GPTSOVITS_REF_DIR_ON_SERVER to its path there)")
        self.url = base_url.rstrip("/") + "/tts"
        self.ref_dir = Path(ref_dir)
        self.ref_dir_on_server = (ref_dir_on_server or str(self.ref_dir.resolve())).rstrip("/")
        self.max_retries = max_retries
        self.client = httpx.Client(timeout=timeout_s)

    def _share(self, prompt: PromptClip) -> str:
        data = prompt.path.read_bytes()
        name = f"studio-{hashlib.sha256(data).hexdigest()[:16]}.wav"
        self.ref_dir.mkdir(parents=True, exist_ok=True)
        target = self.ref_dir / name
        if not target.exists():
            shutil.copyfile(prompt.path, target)
        return f"{self.ref_dir_on_server}/{name}"

    def speak(self, line: Line) -> tuple[np.ndarray, int]:
        text, prompt, speed = line.text, line.prompt, line.speed
        body = {"text": text, "text_lang": line.language, "ref_audio_path": self._share(prompt),
                "prompt_text": prompt.transcript or "", "prompt_lang": line.language, "text_split_method": "cut5",
                "batch_size": 1, "speed_factor": round(float(np.clip(speed, 0.5, 2.0)), 3), "media_type": "wav",
                "streaming_mode": False}
        resp = post_with_retries(self.client, self.url, VoiceServiceError, "GPT-SoVITS server", self.max_retries,
                                 json=body)
        return decode_wav(resp.content, f"GPT-SoVITS server at {self.url}")
