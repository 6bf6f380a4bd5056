"""A chat model behind any OpenAI-compatible ``/v1/chat/completions`` endpoint: vLLM, Ollama,
llama.cpp's server (``studio llm serve``), DeepSeek, Qwen (DashScope) and others.

Retries what is worth retrying (no answer, 5xx, 429, honouring ``Retry-After``), refuses at
once what is not (other 4xx), bounds every wait by ``timeout_s`` (and connecting by 10 s),
and streams: with ``on_token`` the answer arrives as server-sent events, piece by piece. A
stream that breaks after the first piece is not retried (the pieces were already handed on).
"""

from __future__ import annotations

import json
import time
from typing import Callable

import httpx

from script.llm.contract import ChatRequest, ChatResult


class LLMError(RuntimeError):
    """The model server failed, or kept answering outside what was asked."""


class OpenAIChat:
    name = "openai"

    def __init__(self, base_url: str, api_key: str, model: str, timeout_s: float = 120.0, max_retries: int = 2,
                 languages: tuple[str, ...] = ("en", "zh")):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"llm.base_url {base_url!r} must start with http:// or https:// (e.g. http://127.0.0.1:8080/v1)")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.max_retries = max_retries
        self.languages = languages
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
                                   headers={"Authorization": f"Bearer {api_key}"})

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def chat(self, request: ChatRequest, on_token: Callable[[str], None] | None = None) -> ChatResult:
        body = {"model": self.model, "messages": [m.model_dump() for m in request.messages],
                "max_tokens": request.max_tokens, "temperature": request.temperature, "stream": on_token is not None}
        if request.stop:
            body["stop"] = request.stop
        if request.seed is not None:
            body["seed"] = request.seed
        if request.frequency_penalty:
            body["frequency_penalty"] = request.frequency_penalty
        start = time.perf_counter()
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            wait = min(2.0**attempt, 10.0)
            try:
                if on_token is None:
                    return self._once(body, start)
                return self._stream(body, on_token, start)
            except _Retry as exc:
                last, wait = exc.cause, exc.wait or wait
            except httpx.TransportError as exc:  # refused, reset, timed out
                last = exc
            if attempt < self.max_retries:
                time.sleep(wait)
        raise LLMError(f"the model server at {self.url} did not answer after {self.max_retries + 1} tries: "
                       f"{type(last).__name__}: {last}")

    def _check(self, resp: httpx.Response) -> None:
        if resp.status_code < 400:
            return
        text = resp.read().decode("utf-8", "replace")[:300]
        if resp.status_code >= 500 or resp.status_code == 429:
            retry_after = resp.headers.get("retry-after", "")
            raise _Retry(httpx.HTTPStatusError(f"{resp.status_code}: {text}", request=resp.request, response=resp),
                         min(float(retry_after), 30.0) if retry_after.replace(".", "", 1).isdigit() else None)
        hint = " (check llm.model)" if resp.status_code == 404 else " (check llm.api_key)" if resp.status_code in (401, 403) else ""
        raise LLMError(f"the model server at {self.url} refused the request ({resp.status_code}){hint}: {text}")

    def _once(self, body: dict, start: float) -> ChatResult:
        resp = self.client.post(self.url, json=body)
        self._check(resp)
        try:
            data = resp.json()
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"the model server at {self.url} answered something that is not a chat completion: "
                           f"{resp.text[:200]!r}") from exc
        usage = data.get("usage") or {}
        return ChatResult(text=text, backend=self.name, model=data.get("model") or self.model,
                          finish_reason=choice.get("finish_reason"), prompt_tokens=usage.get("prompt_tokens"),
                          completion_tokens=usage.get("completion_tokens"), seconds=time.perf_counter() - start)

    def _stream(self, body: dict, on_token: Callable[[str], None], start: float) -> ChatResult:
        parts: list[str] = []
        finish, model, usage = None, self.model, {}
        try:
            with self.client.stream("POST", self.url, json=body) as resp:
                self._check(resp)
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        event = json.loads(data)
                    except ValueError as exc:
                        raise LLMError(f"the model server at {self.url} streamed a line that is not JSON: {data[:200]!r}") from exc
                    if "error" in event:
                        raise LLMError(f"the model server at {self.url} failed mid-answer: {event['error']}")
                    model = event.get("model") or model
                    usage = event.get("usage") or usage
                    for choice in event.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content") or ""
                        if piece:
                            parts.append(piece)
                            on_token(piece)
                        finish = choice.get("finish_reason") or finish
        except httpx.TransportError as exc:
            if parts:
                raise LLMError(f"the model server at {self.url} broke off mid-answer after {len(parts)} pieces: {exc}") from exc
            raise
        return ChatResult(text="".join(parts), backend=self.name, model=model, finish_reason=finish,
                          prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens") or len(parts),
                          seconds=time.perf_counter() - start)


class _Retry(Exception):
    def __init__(self, cause: Exception, wait: float | None):
        super().__init__(str(cause))
        self.cause, self.wait = cause, wait
