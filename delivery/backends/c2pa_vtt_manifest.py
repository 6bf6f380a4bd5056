"""C2PA content credentials for the WebVTT subtitles: a manifest bound to the file's bytes by a
data hash, embedded in a ``NOTE`` line right after ``WEBVTT`` (c2pa-vtt, the registry's binding
for WebVTT), and read back.

c2pa-rs has no handler for text/vtt, and c2pa-python 0.38 exposes no data-hashed signing, so the
signing calls the two functions of c2pa-python's own C library made for this
(``c2pa_builder_data_hashed_placeholder``, ``c2pa_builder_sign_data_hashed_embeddable``):
1. a placeholder manifest of the final size is embedded, which fixes the excluded byte range;
2. the file is hashed without that range and the manifest signed over the hash;
3. the signed manifest (the same size) replaces the placeholder.
Reading it back, c2pa checks the signature, the certificate and the data hash; it also reports
that the exclusion is not where it would find raw manifest bytes (here they are base64 text), which
c2pa-vtt's own format-aware check of the exclusion stands in for.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import io
import json

try:
    import c2pa
    import c2pa.c2pa as c2pa_native
    import c2pa_vtt
except ImportError as exc:  # pragma: no cover
    raise ImportError("signing subtitles needs c2pa-python and c2pa-vtt: uv sync") from exc

from delivery.backends.c2pa_manifest import (
    SignedFile,
    SigningCredentials,
    _context,
    manifest_definition,
    store_label,
    validation_codes,
)

_BYTES = ctypes.POINTER(ctypes.c_ubyte)
_NOT_A_LOCATION = "data hash exclusion does not match the manifest location"  # base64 in text: expected


def _native():
    lib = c2pa_native._lib
    lib.c2pa_builder_data_hashed_placeholder.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                                         ctypes.POINTER(_BYTES)]
    lib.c2pa_builder_data_hashed_placeholder.restype = ctypes.c_int64
    lib.c2pa_builder_sign_data_hashed_embeddable.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                                             ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(_BYTES)]
    lib.c2pa_builder_sign_data_hashed_embeddable.restype = ctypes.c_int64
    lib.c2pa_free.argtypes = [ctypes.c_void_p]
    return lib


def _taken(lib, size: int, pointer: _BYTES, what: str) -> bytes:
    if size < 0:
        raise RuntimeError(f"c2pa could not {what}; nothing was delivered")
    data = bytes(ctypes.string_at(pointer, size))
    lib.c2pa_free(pointer)
    return data


def sign_vtt(text: str, credentials: SigningCredentials, title: str, studio_assertion: dict,
             disclosure: dict | None = None) -> tuple[str, SignedFile]:
    """``text`` (a WebVTT file) with its signed manifest embedded, and the manifest's id and store."""
    lib = _native()
    definition = manifest_definition(title, studio_assertion, disclosure=disclosure)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=credentials.chain_pem, private_key=credentials.key_pem, ta_url=None))
    with signer, c2pa.Builder.from_json(json.dumps(definition), _context(credentials.anchors_pem)) as builder:
        out = _BYTES()
        size = lib.c2pa_builder_data_hashed_placeholder(builder._handle, signer.reserve_size(), b"application/c2pa",
                                                        ctypes.byref(out))
        placeholder = _taken(lib, size, out, "reserve the subtitles' manifest")
        held = c2pa_vtt.embed_manifest(text, placeholder).encode()
        start, length = c2pa_vtt.data_hash_exclusion(held.decode())
        digest = hashlib.sha256(held[:start] + held[start + length:]).digest()
        data_hash = {"exclusions": [{"start": start, "length": length}], "name": "jumbf manifest", "alg": "sha256",
                     "hash": list(digest), "pad": []}
        out = _BYTES()
        size = lib.c2pa_builder_sign_data_hashed_embeddable(builder._handle, signer._handle, json.dumps(data_hash).encode(),
                                                            b"application/c2pa", None, ctypes.byref(out))
        store = _taken(lib, size, out, "sign the subtitles' manifest")
    signed = c2pa_vtt.embed_manifest(text, store)
    if c2pa_vtt.data_hash_exclusion(signed) != (start, length):
        raise RuntimeError("the signed subtitles' manifest changed size; nothing was delivered")
    return signed, SignedFile(path=None, manifest_id=store_label(store), store=store)


def read_vtt(text: str, anchors_pem: bytes | None = None) -> tuple[dict, list[str]]:
    """The manifest embedded in a WebVTT file, validated; and the problems found (empty: the
    signature, the certificate and the hash of these very bytes hold)."""
    found = c2pa_vtt.extract_manifest(text)
    if found is None:
        return {}, ["no C2PA manifest in these subtitles"]
    reference = str(found["reference"])
    if not reference.startswith("data:application/c2pa;base64,"):
        return {}, [f"the manifest is not embedded here but at {reference[:120]}"]
    store = base64.b64decode(reference.split(",", 1)[1])
    context = _context(anchors_pem) if anchors_pem else None
    with c2pa.Reader("application/c2pa", io.BytesIO(text.encode()), manifest_data=store, context=context) as reader:
        read = json.loads(reader.json())
    passed, failures = validation_codes(read)
    problems = [f"{s.get('code')}: {s.get('explanation', '')}" for s in failures
                if _NOT_A_LOCATION not in (s.get("explanation") or "")]
    problems += [f"not {code}" for code in ("claimSignature.validated", "assertion.dataHash.match") if code not in passed]
    if anchors_pem and "signingCredential.trusted" not in passed:
        problems.append("the signing certificate is not one this verifier trusts")
    return read, problems
