"""The studio's secrets for trust features: the watermark key and the C2PA credentials."""

from __future__ import annotations

import os
import secrets

from studio.settings import StudioSettings


def watermark_key(settings: StudioSettings) -> bytes:
    """The configured key, or the studio's own, created on first use under ``<home>/keys``."""
    if settings.trust.watermark_key is not None:
        value = settings.trust.watermark_key.get_secret_value()
        try:
            key = bytes.fromhex(value)
        except ValueError:
            raise ValueError("STUDIO_TRUST__WATERMARK_KEY must be hex (e.g. `openssl rand -hex 32`)") from None
        if len(key) < 16:
            raise ValueError("STUDIO_TRUST__WATERMARK_KEY must be at least 16 bytes (32 hex digits)")
        return key
    path = settings.keys_dir / "watermark.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.touch(mode=0o600)
        tmp.write_text(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # first writer wins; others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return bytes.fromhex(path.read_text().strip())


def c2pa_credentials(settings: StudioSettings):
    from tasks.trust.c2pa_manifest import load_credentials

    return load_credentials(settings.keys_dir / "c2pa", settings.trust.c2pa_cert_chain, settings.trust.c2pa_private_key)
