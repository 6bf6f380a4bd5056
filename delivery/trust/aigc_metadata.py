"""GB 45438-2025 implicit labels in file metadata.

The standard names one metadata item, ``AIGC``, whose value is a JSON object with the fields
Label, ContentProducer, ProduceID, ReservedCode1, ContentPropagator, PropagateID and
ReservedCode2. Where it goes per container:

- MP4: a ``AIGC`` key in the movie's metadata (``moov/meta`` with ``mdta`` keys).
- MP3: an ID3v2 ``TXXX`` frame with description ``AIGC``.
- WAV: the RIFF ``LIST/INFO`` comment (``ICMT``) as ``AIGC=<json>``, since RIFF has no
  free-form keys that common tools read.

ReservedCode1 carries the producer's integrity code: an HMAC over the other producer fields
with the studio's watermark key, so a verifier holding the key can tell forged labels.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from media.ffmpeg_io import probe

FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID", "ReservedCode2")
WAV_PREFIX = "AIGC="


def _integrity(key: bytes, label: dict) -> str:
    message = "|".join(str(label.get(f, "")) for f in ("Label", "ContentProducer", "ProduceID"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def make_label(key: bytes, producer: str, produce_id: str, propagator: str = "", propagate_id: str = "") -> dict:
    """The AIGC object; Label "1" means the content is AI-generated."""
    label = {"Label": "1", "ContentProducer": producer, "ProduceID": produce_id, "ReservedCode1": "",
             "ContentPropagator": propagator, "PropagateID": propagate_id, "ReservedCode2": ""}
    label["ReservedCode1"] = _integrity(key, label)
    return label


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


def label_problems(label: dict, key: bytes | None) -> list[str]:
    problems = [f"missing field {f}" for f in FIELDS if f not in label]
    if label.get("Label") not in ("1", 1):
        problems.append(f"Label is {label.get('Label')!r}, not 1 (AI-generated)")
    if key is not None and label.get("ReservedCode1") != _integrity(key, label):
        problems.append("ReservedCode1 does not match: the label was not written by this studio or was altered")
    return problems
