"""A digital human's identity code: one person, one code (after the draft MIIT standard on the
identification of digital humans). The code is stable for a persona as long as the studio keeps
its key; every delivery carries it in the GB 45438 label's ProduceID, the C2PA manifest and the
watermark registry, so a verifier can say which digital human a clip shows and who made it.

Format, 23 characters: ``DH1-SSSSSS-PPPPPPPPPP-C``

- ``DH1``: this format, version 1;
- ``SSSSSS``: the studio, 30 bits of HMAC-SHA256(studio key, "studio") in Crockford base32;
- ``PPPPPPPPPP``: the persona, 50 bits of HMAC-SHA256(studio key, "persona:" + persona id);
- ``C``: Crockford's check symbol (the 50+30 bits' value mod 37) against mistyped codes.

The code names; it does not authorise: a verifier still looks the code up in the studio's
records (consent, revocation) before saying what a clip is.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "DH1"
SYMBOLS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CHECK_SYMBOLS = SYMBOLS + "*~$=U"
PATTERN = re.compile(r"^DH1-([0-9A-HJKMNP-TV-Z]{6})-([0-9A-HJKMNP-TV-Z]{10})-([0-9A-HJKMNP-TV-Z*~$=U])$")


def _bits(key: bytes, what: str, count: int) -> int:
    digest = hmac.new(key, what.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") >> (256 - count)


def _base32(value: int, symbols: int) -> str:
    return "".join(SYMBOLS[(value >> (5 * (symbols - 1 - i))) & 31] for i in range(symbols))


def _value(text: str) -> int:
    out = 0
    for ch in text:
        out = out * 32 + SYMBOLS.index(ch)
    return out


def _check(studio: str, persona: str) -> str:
    return CHECK_SYMBOLS[_value(studio + persona) % 37]


def studio_code(key: bytes) -> str:
    return _base32(_bits(key, "studio", 30), 6)


def identity_code(key: bytes, persona_id: str) -> str:
    """The persona's identity code in this studio (``key``: the studio key, ``core.keys``)."""
    studio, persona = studio_code(key), _base32(_bits(key, f"persona:{persona_id}", 50), 10)
    return f"{PREFIX}-{studio}-{persona}-{_check(studio, persona)}"


def well_formed(code: str) -> bool:
    """Whether ``code`` has the format and its check symbol matches (read aloud or typed, a
    code is often given with lower-case letters: those count)."""
    found = PATTERN.match(code.strip().upper())
    return bool(found) and _check(found.group(1), found.group(2)) == found.group(3)
