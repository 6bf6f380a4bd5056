"""The chat-model contract: a request, a result and the ``LLMBackend`` protocol."""

from __future__ import annotations

from typing import Callable, Literal, Protocol

from pydantic import BaseModel, Field


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int = Field(default=400, ge=1, le=8192)
    temperature: float = Field(default=0.7, ge=0, le=2)
    stop: list[str] = Field(default_factory=list)
    seed: int | None = None
    frequency_penalty: float = Field(default=0.0, ge=-2, le=2)  # > 0: fewer repeated words (small models loop)


class ChatResult(BaseModel):
    text: str
    backend: str
    model: str
    finish_reason: str | None = None  # "stop", or "length" when max_tokens cut it short
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float


class LLMBackend(Protocol):
    """A chat model. ``on_token`` receives the answer piece by piece as it streams."""

    name: str
    languages: tuple[str, ...]  # the languages it writes well enough to draft in

    def chat(self, request: ChatRequest, on_token: Callable[[str], None] | None = None) -> ChatResult: ...


class LLMError(RuntimeError):
    """The model kept answering outside the script format."""
