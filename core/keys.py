"""The studio's own secret key: configured (``STUDIO_TRUST__WATERMARK_KEY``) or made once under
``<home>/keys``. The watermarks and the GB 45438 integrity code use it as it is; the audit log's
anchor signs with a key derived from it. Every machine that delivers or verifies must share it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from core.settings import StudioSettings


def studio_key(settings: StudioSettings) -> bytes:
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


def derived_key(settings: StudioSettings, purpose: str) -> bytes:
    """A key for one purpose only (e.g. ``"audit-log"``), derived from the studio key."""
    return hmac.new(studio_key(settings), f"digital-human-studio/{purpose}".encode(), hashlib.sha256).digest()


def source_digest(*packages: str) -> str:
    """A digest of the Python source of ``packages`` (as Prefect's task-source cache policy
    does for one function): cached results made by other code are not reused."""
    import importlib.util
    from pathlib import Path

    digest = hashlib.sha256()
    for name in packages:
        spec = importlib.util.find_spec(name)
        root = Path(spec.origin).parent if spec and spec.origin else None
        for path in sorted(root.rglob("*.py")) if root else []:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
