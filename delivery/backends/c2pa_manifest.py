"""C2PA content credentials through c2pa-python: the studio's certificate chain, signing,
and reading a manifest back.

The studio makes its own two-level chain on first use (a root CA and an ES256 signing
certificate with the extensions the C2PA trust model asks for: digitalSignature, not a CA,
SKI/AKI, EKU emailProtection) and keeps it under ``<home>/keys/c2pa``. Operators can point
``STUDIO_TRUST__C2PA_CERT_CHAIN`` and ``STUDIO_TRUST__C2PA_PRIVATE_KEY`` at a chain issued by a
CA that verifiers already trust. Signing must be the very last write to a file: any later
remux drops the manifest (a verifier then reports "no manifest" rather than "valid").
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

try:
    import c2pa
except ImportError as exc:  # pragma: no cover
    raise ImportError("C2PA signing needs c2pa-python: uv sync") from exc

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

STUDIO_ASSERTION = "org.digital-human-studio.provenance"
DISCLOSURE_ASSERTION = "org.digital-human-studio.ai-disclosure"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
MIME = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".wav": "audio/wav"}


@dataclass(frozen=True)
class SigningCredentials:
    chain_pem: bytes  # signing certificate first, then its issuers
    key_pem: bytes
    anchors_pem: bytes  # the root(s) a verifier of this studio trusts


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Digital-Human Studio (self-hosted)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def create_chain(directory: Path, organisation: str = "Digital-Human Studio") -> SigningCredentials:
    """Write a new root CA and ES256 signing certificate under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} root CA")
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(_name(f"{organisation} content signer")).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca.public_bytes(pem)
    chain = leaf.public_bytes(pem) + ca_pem
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (directory / "chain.pem").write_bytes(chain)
    (directory / "root-ca.pem").write_bytes(ca_pem)
    private = directory / "signer.key"
    private.touch(mode=0o600)
    private.write_bytes(key_pem)
    return SigningCredentials(chain, key_pem, ca_pem)


def load_credentials(directory: Path, chain_path: Path | None = None, key_path: Path | None = None) -> SigningCredentials:
    """The operator's chain if configured, else the studio's own (created on first use)."""
    if chain_path or key_path:
        if not (chain_path and key_path and Path(chain_path).is_file() and Path(key_path).is_file()):
            raise ValueError("set both STUDIO_TRUST__C2PA_CERT_CHAIN and STUDIO_TRUST__C2PA_PRIVATE_KEY to readable "
                             "PEM files (the signing certificate first in the chain)")
        chain = Path(chain_path).read_bytes()
        certs = x509.load_pem_x509_certificates(chain)
        return SigningCredentials(chain, Path(key_path).read_bytes(), certs[-1].public_bytes(serialization.Encoding.PEM))
    if not (directory / "chain.pem").is_file():
        return create_chain(directory)
    return SigningCredentials((directory / "chain.pem").read_bytes(), (directory / "signer.key").read_bytes(),
                              (directory / "root-ca.pem").read_bytes())


def _context(anchors_pem: bytes) -> c2pa.Context:
    settings = c2pa.Settings.from_dict({"verify": {"verify_trust": True},
                                        "trust": {"user_anchors": anchors_pem.decode()}})
    return c2pa.Context(settings)


@dataclass(frozen=True)
class SignedFile:
    path: Path | None  # None for a text signed in memory (the subtitles)
    manifest_id: str  # the active manifest's label, urn:c2pa:...
    store: bytes  # the manifest store as embedded (application/c2pa), for the manifest repository


def manifest_definition(title: str, studio_assertion: dict, generator: str = "digital-human-studio/0.1",
                        soft_bindings: list[dict] = (), disclosure: dict | None = None) -> dict:
    """The manifest the studio signs: c2pa.created by trained algorithmic media, the studio's
    provenance assertion, and where the file carries invisible marks, one ``c2pa.soft-binding``
    assertion per mark with a ``c2pa.watermarked.bound`` action, and the statement of how it was
    made (``disclosure``)."""
    agent = {"name": "digital-human-studio"}
    actions = [{"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": agent}]
    if soft_bindings:
        actions.append({"action": "c2pa.watermarked.bound", "softwareAgent": agent,
                        "description": "invisible marks that lead back to these credentials (see c2pa.soft-binding)"})
    assertions = [{"label": "c2pa.actions", "data": {"actions": actions}},
                  *({"label": "c2pa.soft-binding", "data": binding} for binding in soft_bindings),
                  {"label": STUDIO_ASSERTION, "data": studio_assertion}]
    if disclosure:
        assertions.append({"label": DISCLOSURE_ASSERTION, "data": disclosure})
    return {"claim_generator_info": [{"name": "digital-human-studio", "version": generator.rsplit('/', 1)[-1]}],
            "title": title, "assertions": assertions}


def sign_file(src: Path, dst: Path, credentials: SigningCredentials, title: str, studio_assertion: dict,
              generator: str = "digital-human-studio/0.1", soft_bindings: list[dict] = (),
              disclosure: dict | None = None) -> SignedFile:
    """Write ``dst``: ``src`` with the signed manifest ``manifest_definition`` describes."""
    mime = MIME.get(Path(src).suffix.lower())
    if mime is None:
        raise ValueError(f"cannot sign {Path(src).name}: supported types are {', '.join(MIME)}")
    manifest = manifest_definition(title, studio_assertion, generator, soft_bindings, disclosure)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=credentials.chain_pem, private_key=credentials.key_pem, ta_url=None))
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    context = _context(credentials.anchors_pem)
    with signer, c2pa.Builder.from_json(json.dumps(manifest), context) as builder:
        with open(src, "rb") as source, open(dst, "wb") as dest:
            store = bytes(builder.sign(signer, mime, source, dest))
    return SignedFile(dst, store_label(store), store)


def store_label(store: bytes) -> str:
    """The active manifest's label (``urn:c2pa:...``) of a manifest store, read from the store alone."""
    with c2pa.Reader("application/c2pa", io.BytesIO(store)) as reader:
        return json.loads(reader.json())["active_manifest"]


def validation_codes(read: dict) -> tuple[set[str], list[dict]]:
    """Of a store as c2pa reads it: the codes of the active manifest's passed checks, and its failures."""
    results = (read.get("validation_results") or {}).get("activeManifest") or {}
    return {s.get("code") for s in results.get("success") or []}, list(results.get("failure") or [])


def read_store(store: bytes, asset: Path | None = None, anchors_pem: bytes | None = None) -> tuple[dict, str]:
    """A manifest store kept apart from its asset (the manifest repository's copy), read and
    validated: against ``asset`` where given (a copy's bytes then show whether they are the
    signed ones), else on its own (signature and certificate; the content hash cannot match)."""
    mime = MIME.get(Path(asset).suffix.lower()) if asset is not None else None
    context = _context(anchors_pem) if anchors_pem else None
    with open(asset, "rb") if mime else io.BytesIO(b"") as stream, \
            c2pa.Reader(mime or "audio/wav", stream, manifest_data=store, context=context) as reader:
        return json.loads(reader.json()), str(reader.get_validation_state() or "Valid")


@dataclass
class ManifestReport:
    present: bool
    state: str = "none"  # none | Invalid | Valid | Trusted
    signer: str | None = None
    digital_source_type: str | None = None
    studio: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    soft_bindings: list[dict] = field(default_factory=list)  # each c2pa.soft-binding assertion's data
    disclosure: dict = field(default_factory=dict)


def read_manifest(path: Path, anchors_pem: bytes | None = None) -> ManifestReport:
    mime = MIME.get(Path(path).suffix.lower())
    if mime is None:
        return ManifestReport(present=False, problems=[f"{Path(path).suffix} files are not read for C2PA"])
    try:
        context = _context(anchors_pem) if anchors_pem else None
        with open(path, "rb") as stream, c2pa.Reader(mime, stream, context=context) as reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state() or "Valid"
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in text or "JumbfNotFound" in text or "not found" in text.lower():
            return ManifestReport(present=False)
        return ManifestReport(present=True, state="Invalid", problems=[text[:300]])
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    report = ManifestReport(present=True, state=str(state), signer=(active.get("signature_info") or {}).get("common_name"))
    for assertion in active.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                report.actions.append(action.get("action"))
                if action.get("action") == "c2pa.created":
                    report.digital_source_type = action.get("digitalSourceType")
        elif assertion.get("label", "").startswith("c2pa.soft-binding"):
            report.soft_bindings.append(assertion.get("data", {}))
        elif assertion.get("label") == STUDIO_ASSERTION:
            report.studio = assertion.get("data", {})
        elif assertion.get("label") == DISCLOSURE_ASSERTION:
            report.disclosure = assertion.get("data", {})
    for status in store.get("validation_status") or []:
        report.problems.append(f"{status.get('code')}: {status.get('explanation', '')}"[:200])
    return report
