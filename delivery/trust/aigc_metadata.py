"""GB 45438-2025 implicit labels in file metadata.

The standard names one metadata item, ``AIGC``, whose value is a JSON object with the fields
Label, ContentProducer, ProduceID, ReservedCode1, ContentPropagator, PropagateID and
ReservedCode2. Where it goes per container:

- MP4: a ``AIGC`` key in the movie's metadata (``moov/meta`` with ``mdta`` keys).
- MP3: an ID3v2 ``TXXX`` frame with description ``AIGC``.
- WAV: the RIFF ``LIST/INFO`` comment (``ICMT``) as ``AIGC=<json>``, since RIFF has no
  free-form keys that common tools read.

ReservedCode1 carries the producer's integrity code over the producer fields, signed (the message
is ``Label|ContentProducer|ProduceID`` in UTF-8):

- ``ES256:<base64 of a DER ECDSA P-256/SHA-256 signature>`` made with the studio's C2PA signing
  key, so anyone holding the public certificate (the first of the C2PA chain, served by the public
  verifier) can check it, e.g. with OpenSSL::

      printf '%s' '1|<ContentProducer>|<ProduceID>' > message
      printf '%s' '<base64 after ES256:>' | base64 -d > signature.der
      openssl x509 -in signer.pem -pubkey -noout > signer.pub
      openssl dgst -sha256 -verify signer.pub -signature signature.der message

- 32 hex digits: the older HMAC-SHA256 with the studio key, which only the studio can check;
  labels written so still verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from media.ffmpeg_io import probe

FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID", "ReservedCode2")
WAV_PREFIX = "AIGC="
SIGNED = "ES256:"


def signed_message(label: dict) -> bytes:
    """What the integrity code covers: the producer's fields."""
    return "|".join(str(label.get(f, "")) for f in ("Label", "ContentProducer", "ProduceID")).encode()


def _hmac_code(key: bytes, label: dict) -> str:
    return hmac.new(key, signed_message(label), hashlib.sha256).hexdigest()[:32]


def make_label(signing_key_pem: bytes, producer: str, produce_id: str, propagator: str = "",
               propagate_id: str = "") -> dict:
    """The AIGC object (Label "1": the content is AI-generated), its integrity code signed with
    the studio's C2PA signing key (PKCS#8 PEM)."""
    label = {"Label": "1", "ContentProducer": producer, "ProduceID": produce_id, "ReservedCode1": "",
             "ContentPropagator": propagator, "PropagateID": propagate_id, "ReservedCode2": ""}
    key = serialization.load_pem_private_key(signing_key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the GB 45438 integrity code is signed with the C2PA signing key, which must be an EC (ES256) key")
    signature = key.sign(signed_message(label), ec.ECDSA(hashes.SHA256()))
    label["ReservedCode1"] = SIGNED + base64.b64encode(signature).decode()
    return label


def signature_valid(label: dict, certificate_pem: bytes) -> bool:
    """Whether ``label``'s ES256 integrity code was made by the key of ``certificate_pem`` (the
    first certificate of the PEM is used): the public certificate alone decides it."""
    code = str(label.get("ReservedCode1", ""))
    if not code.startswith(SIGNED):
        return False
    try:
        signature = base64.b64decode(code[len(SIGNED):], validate=True)
        certificate = x509.load_pem_x509_certificates(certificate_pem)[0]
        public = certificate.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            return False
        public.verify(signature, signed_message(label), ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, binascii.Error, IndexError):
        return False


def ffmpeg_metadata(label: dict, container: str) -> dict:
    """Output options for ffmpeg-python that write ``label`` into a ``container`` file."""
    value = json.dumps(label, ensure_ascii=False, separators=(",", ":"))
    if container == "mp4":
        return {"metadata:g:9": f"AIGC={value}", "movflags": "+faststart+use_metadata_tags"}
    if container == "mp3":
        return {"metadata:g:9": f"AIGC={value}", "id3v2_version": 3}
    if container == "wav":
        return {"metadata:g:9": f"comment={WAV_PREFIX}{value}"}
    raise ValueError(f"no AIGC metadata mapping for {container}")


def read_label(path: Path) -> dict | None:
    """The AIGC object in a file's metadata, or None."""
    tags = probe(Path(path)).tags or {}
    raw = tags.get("aigc")
    if raw is None and str(tags.get("comment", "")).startswith(WAV_PREFIX):
        raw = tags["comment"][len(WAV_PREFIX):]
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def integrity_kind(label: dict) -> str:
    """``signature`` (ES256, checkable by anyone), ``hmac`` (the older code), or ``none``."""
    code = str(label.get("ReservedCode1", ""))
    return "signature" if code.startswith(SIGNED) else "hmac" if code else "none"


def integrity_state(label: dict, key: bytes | None, certificate_pem: bytes | None = None) -> str:
    """``integrity_kind``, or ``invalid`` where the code does not match (a signature checked with
    ``certificate_pem``, an older HMAC with ``key``; unchecked where that is None)."""
    kind = integrity_kind(label)
    if kind == "signature" and certificate_pem is not None and not signature_valid(label, certificate_pem):
        return "invalid"
    if kind != "signature" and key is not None and label.get("ReservedCode1") != _hmac_code(key, label):
        return "invalid"
    return kind


def label_problems(label: dict, key: bytes | None, certificate_pem: bytes | None = None) -> list[str]:
    """What is wrong with ``label``: missing fields, a Label other than 1, an integrity code that
    does not match (a signature is checked with ``certificate_pem``, an older HMAC with ``key``)."""
    problems = [f"missing field {f}" for f in FIELDS if f not in label]
    if label.get("Label") not in ("1", 1):
        problems.append(f"Label is {label.get('Label')!r}, not 1 (AI-generated)")
    if integrity_state(label, key, certificate_pem) == "invalid":
        problems.append("ReservedCode1's signature does not match the studio's certificate: the label was not "
                        "written by this studio or was altered" if integrity_kind(label) == "signature" else
                        "ReservedCode1 does not match: the label was not written by this studio or was altered")
    return problems
