"""Issue 21, item 3: GB 45438's ReservedCode1 is an ECDSA signature over the label's producer
fields, made with the studio's C2PA signing key, so that anyone holding the public certificate
(and nothing else: here OpenSSL) can check it; labels with the older HMAC code still verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from delivery.backends.c2pa_manifest import create_chain
from delivery.trust.aigc_metadata import (
    SIGNED,
    integrity_kind,
    label_problems,
    make_label,
    signature_valid,
    signed_message,
)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return create_chain(tmp_path_factory.mktemp("c2pa"))


def test_anyone_with_the_certificate_checks_the_code(chain, tmp_path):
    label = make_label(chain.key_pem, "Digital-Human Studio", "prod-1-delivery-v001-t1")
    assert label["ReservedCode1"].startswith(SIGNED) and integrity_kind(label) == "signature"
    signer = x509.load_pem_x509_certificates(chain.chain_pem)[0].public_bytes(serialization.Encoding.PEM)
    assert signature_valid(label, signer) and label_problems(label, None, chain.chain_pem) == []

    # a stranger's check: the signer's certificate, the label's fields, OpenSSL
    (tmp_path / "signer.pem").write_bytes(signer)
    (tmp_path / "message").write_bytes(signed_message(label))
    (tmp_path / "signature.der").write_bytes(base64.b64decode(label["ReservedCode1"][len(SIGNED):]))
    public = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "signer.pem"), "-pubkey", "-noout"],
                            capture_output=True, check=True).stdout
    (tmp_path / "signer.pub").write_bytes(public)
    checked = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "signer.pub"), "-signature",
                              str(tmp_path / "signature.der"), str(tmp_path / "message")], capture_output=True, text=True)
    assert checked.returncode == 0 and "Verified OK" in checked.stdout, checked.stdout + checked.stderr


def test_altered_forged_or_foreign_codes_are_refused(chain, tmp_path):
    label = make_label(chain.key_pem, "Digital-Human Studio", "prod-1-delivery-v001-t1")
    assert not signature_valid(dict(label, ProduceID="prod-2-delivery-v001-t1"), chain.chain_pem)
    assert label_problems(dict(label, ContentProducer="someone else"), None, chain.chain_pem)
    other = create_chain(tmp_path / "other")
    assert not signature_valid(label, other.chain_pem)  # signed by another studio's key
    assert label_problems(make_label(other.key_pem, "Digital-Human Studio", "prod-1-delivery-v001-t1"), None, chain.chain_pem)
    for garbage in ("ES256:", "ES256:not base64!", "ES256:" + base64.b64encode(b"\x30\x02\x01").decode()):
        assert not signature_valid(dict(label, ReservedCode1=garbage), chain.chain_pem)
    assert not signature_valid(label, b"not a certificate")


def test_older_hmac_codes_still_verify_with_the_studio_key(chain):
    key = bytes(range(32))
    label = {"Label": "1", "ContentProducer": "Digital-Human Studio", "ProduceID": "prod-old-delivery-v001-t1",
             "ReservedCode1": "", "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""}
    label["ReservedCode1"] = hmac.new(key, signed_message(label), hashlib.sha256).hexdigest()[:32]
    assert integrity_kind(label) == "hmac"
    assert label_problems(label, key, chain.chain_pem) == []
    assert label_problems(dict(label, ProduceID="prod-other"), key, chain.chain_pem)
