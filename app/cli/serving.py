"""`studio voice serve` and `studio llm serve`: the offline models as OpenAI-compatible services."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app import services
from app.cli.common import guard
from core.settings import get_settings

voice_app = typer.Typer(no_args_is_help=True, help="The studio's offline voice as a service.")
llm_app = typer.Typer(no_args_is_help=True, help="The studio's offline language model as a service.")


@voice_app.command("serve")
@guard
def voice_serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8890),
                api_key: Optional[str] = typer.Option(None, envvar="STUDIO_VOICE_SERVE_API_KEY",
                                                      help="Require this bearer token.")) -> None:
    """Serve the offline voice over the OpenAI-compatible /v1/audio/speech protocol (for
    STUDIO_VOICE__BACKEND=openai on another machine). Consent is checked by the calling studio."""

    typer.echo(f"voice: http://{host}:{port}/v1/audio/speech")
    services.serve_voice(get_settings(), host, port, api_key)


@llm_app.command("serve")
@guard
def llm_serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8080),
              model: Optional[Path] = typer.Option(None, help="A .gguf file (default: llm.model_path, else the shipped model llm.shipped names)."),
              api_key: Optional[str] = typer.Option(None, envvar="STUDIO_LLM_SERVE_API_KEY", help="Require this bearer token.")) -> None:
    """Serve the offline language model over the OpenAI-compatible /v1/chat/completions protocol
    (llama.cpp's server), for STUDIO_LLM__BACKEND=openai on other machines."""
    services.serve_llm(get_settings(), host, port, model, api_key, say=typer.echo)
