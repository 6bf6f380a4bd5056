"""What a delivery's C2PA manifest states beyond "made by AI": the marks inside it and how it was made.

- **Soft bindings** (C2PA 2.4 ``c2pa.soft-binding``): one assertion per invisible mark, with the
  studio's algorithm identifier, the registered content id as the value (8 lowercase hex
  digits, the same id ``studio verify`` prints) and the time span it covers. A verifier that
  finds the mark in a stripped copy looks the value up in the manifest repository
  (``delivery.manifests``) and gets these very credentials back. The marks are keyed: the
  value names the content, only the studio's key finds it in a picture or a sound.
- **How it was made**: trained algorithmic media, the model behind each step, and human
  oversight as the gates, roles and versions that were approved. Reviewers' names, consent
  evidence and comments stay in the studio's records: anyone holding the file can read its
  manifest.

The identifiers are the studio's own (reverse domain, versioned), not entries of the C2PA
soft-binding algorithm list.
"""

from __future__ import annotations

from delivery.records import MARK_ALGORITHMS, PICTURE_MARK_ALG, SOUND_MARK_ALG, SoftBinding
from review.records import Approval

__all__ = ["MARK_ALGORITHMS", "PICTURE_MARK_ALG", "SOUND_MARK_ALG", "SoftBinding", "binding_value", "content_id_of",
           "disclosure", "soft_bindings"]


def binding_value(content_id: int) -> str:
    return f"{content_id:08x}"


def content_id_of(value: str) -> int | None:
    """The content id a binding value names, or None for anything that is not 8 hex digits."""
    text = value.strip().lower()
    if len(text) != 8 or any(c not in "0123456789abcdef" for c in text):
        return None
    return int(text, 16)


def soft_bindings(content_id: int, duration_s: float, picture: bool) -> list[SoftBinding]:
    """The marks a delivered file carries: the sound's always, the picture's in a video. Both
    run from the first frame (the spoken notice included) to the last."""
    end = max(1, round(duration_s * 1000))
    marks = [SoftBinding(alg=SOUND_MARK_ALG, value=binding_value(content_id), end_ms=end)]
    if picture:
        marks.insert(0, SoftBinding(alg=PICTURE_MARK_ALG, value=binding_value(content_id), end_ms=end))
    return marks


def disclosure(models: dict[str, str], approvals: list[Approval], script_version: int, video_take: int) -> dict:
    """How the content was made, for everyone who reads the manifest: the model per step and
    which roles approved which versions (no names)."""
    oversight = [{"gate": a.gate, "role": a.role, "round": a.round, "at": a.at.isoformat(),
                  "approved": f"script version {script_version}" if a.gate == "script"
                  else f"script version {script_version}, take {video_take}" if a.gate == "video" else "the template"}
                 for a in approvals]
    return {"digital_source_type": "trainedAlgorithmicMedia",
            "statement": "AI-generated likeness and voice of a real person, made with recorded consent and "
                         "approved by the people named in that consent before release",
            "models": models, "human_oversight": oversight}
