"""Script drafting through any OpenAI-compatible chat endpoint (vLLM, Ollama, llama.cpp
server, DeepSeek, Qwen ...). The model is asked for the studio markup; output that breaks
the markup is sent back once with the parser's message, then rejected."""

from __future__ import annotations

import json
import time

import httpx

from studio.contracts import DraftRequest, ReviseRequest, ScriptResult
from studio.models import Sentence
from studio.script_markup import MarkupError, parse_markup, render_markup
from tasks.backends.http_retry import post_with_retries

SYSTEM = """You write short spoken scripts for a digital human of a real person, in that person's own voice.
Write ONE sentence per line. A line may start with a voice style in braces, one of: {styles}.
Cues in square brackets: [pause 0.8s] [cough] [laugh] [breath] [drink]. No other markup, no numbering,
no stage directions, no title. Never touch these topics: {forbidden}."""


class LLMError(RuntimeError):
    """The model server failed or kept answering outside the script format."""


class OpenAIScript:
    name = "openai"

    def __init__(self, base_url: str, api_key: str, model: str, timeout_s: float = 120.0,
                 max_retries: int = 2, temperature: float = 0.7):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max_retries
        self.temperature = temperature
        self.client = httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})

    def chat(self, messages: list[dict], stream: bool = False) -> str:
        body = {"model": self.model, "messages": messages, "temperature": self.temperature, "stream": stream}
        if not stream:
            resp = post_with_retries(self.client, f"{self.base_url}/chat/completions", LLMError, "model server",
                                     self.max_retries, json=body)
            return resp.json()["choices"][0]["message"]["content"]
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            try:
                return self._stream(body)
            except (httpx.TransportError, httpx.HTTPStatusError) as exc:
                last = exc
                time.sleep(min(2**attempt, 10))
        raise LLMError(f"the model server at {self.base_url} did not answer after {self.max_retries + 1} tries: {last}")

    def _stream(self, body: dict) -> str:
        parts = []
        with self.client.stream("POST", f"{self.base_url}/chat/completions", json=body) as resp:
            if resp.status_code >= 400:
                raise httpx.HTTPStatusError(f"{resp.status_code}", request=resp.request, response=resp)
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                delta = json.loads(data)["choices"][0].get("delta", {})
                parts.append(delta.get("content") or "")
        return "".join(parts)

    def _ask(self, system: str, user: str) -> list[Sentence]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        for _ in range(2):
            text = self.chat(messages)
            try:
                return parse_markup(text)
            except MarkupError as exc:
                messages += [{"role": "assistant", "content": text},
                             {"role": "user", "content": f"That breaks the format: {exc}. Answer again, only the script."}]
        raise LLMError(f"the model kept answering outside the script format: {text[:200]!r}")

    def _system(self, styles: list[str], forbidden: list[str]) -> str:
        return SYSTEM.format(styles=", ".join(styles), forbidden=", ".join(forbidden) or "none given")

    def draft(self, request: DraftRequest) -> ScriptResult:
        b, p = request.brief, request.persona
        user = (f"Person: {p.name}. Things they have said before:\n" + "\n".join(f"- {x}" for x in p.past_passages[:8])
                + f"\n\nWrite a {b.occasion} message for {b.audience}, in language '{b.language}', about "
                f"{b.target_seconds:.0f} seconds when spoken. Points to make:\n" + "\n".join(f"- {x}" for x in b.points))
        return ScriptResult(sentences=self._ask(self._system(p.styles, request.forbidden_topics), user), backend=self.name)

    def revise(self, request: ReviseRequest) -> ScriptResult:
        user = ("Here is the current script:\n" + render_markup(request.previous)
                + "\nReviewers asked for these changes; change only what they ask and keep everything else:\n"
                + "\n".join(f"- {c}" for c in request.comments))
        sentences = self._ask(self._system(request.persona.styles, request.forbidden_topics), user)
        return ScriptResult(sentences=sentences, backend=self.name)
