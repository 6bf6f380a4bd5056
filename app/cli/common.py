"""What every command shares: the API, and one clear line instead of a traceback."""

from __future__ import annotations

import typer

from app.api import ReviewError, StudioAPI
from core.errors import one_line
from core.settings import get_settings
from persona.consent import ConsentError
from storage.base import StoreError


def open_api():
    return StudioAPI(get_settings())


def fail(exc: Exception) -> None:
    typer.secho(f"error: {one_line(exc)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def guard(fn):
    """Turn expected errors into one clear line and exit code 1 instead of a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (ValueError, OverflowError, FileNotFoundError, IsADirectoryError, PermissionError, StoreError, ReviewError,
                ConsentError, TimeoutError, RuntimeError) as exc:
            fail(exc)

    return wrapper
