"""What went wrong, said once, in one line, in the studio's words (for the CLI and the portal)."""

from __future__ import annotations


def one_line(exc: BaseException) -> str:
    """What went wrong, on one line, in the studio's words (pydantic's field errors without its internals)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        text = "; ".join((".".join(str(p) for p in e["loc"]) + ": " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
                         for e in exc.errors())
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
