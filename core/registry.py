"""The one helper every capability's registry uses to pick a backend by a settings value."""

from __future__ import annotations

from core.settings import StudioSettings


def pick_backend(registry: dict, key: str, what: str, settings: StudioSettings):
    if key not in registry:
        raise ValueError(f"unknown {what} backend {key!r}; choose one of {sorted(registry)} (STUDIO_{what.upper()}__BACKEND)")
    return registry[key](settings)
