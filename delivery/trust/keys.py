"""The studio's secrets for trust features: the watermark key and the C2PA credentials."""

from __future__ import annotations

from core.keys import studio_key
from core.settings import StudioSettings
from delivery.backends.c2pa_manifest import load_credentials


def watermark_key(settings: StudioSettings) -> bytes:
    """The studio key (``core.keys``): the watermarks and the GB 45438 integrity code use it."""
    return studio_key(settings)


def c2pa_credentials(settings: StudioSettings):
    return load_credentials(settings.keys_dir / "c2pa", settings.trust.c2pa_cert_chain, settings.trust.c2pa_private_key)
