"""C2PA end to end on photos signed here, offline, by a throw-away certificate authority.

The authority is made for each test run; trusting its root (EVIDENCE_CHECK_C2PA_TRUST_ANCHORS)
shows the trusted path, leaving it out the untrusted one, and changing a signed file's pixels the
hash-mismatch path. Nothing touches the network.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from evidence_check.checks import integrity
from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import load_photo
from evidence_check.models import Claim, Finding, Timeline
from evidence_check.settings import Settings
from tests.conftest import FIXTURES

CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
PHOTO = FIXTURES.parent / "integrity" / "plain_camera_photo.jpg"


@dataclass(frozen=True)
class Authority:
    root_pem: bytes
    chain_pem: bytes
    key_pem: bytes


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tests"),
        ]
    )


def _usage(signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


@pytest.fixture(scope="module")
def authority() -> Authority:
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root"))
        .issuer_name(_name("Test Root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Phone Camera"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Authority(
        root_pem=root.public_bytes(pem),
        chain_pem=leaf.public_bytes(pem) + root.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def signed(authority: Authority, source_type: str, jpeg: bytes | None = None) -> bytes:
    manifest = {
        "claim_generator_info": [{"name": "evidence-check tests", "version": "1"}],
        "title": "photo.jpg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": source_type}]},
            }
        ],
    }
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(b"es256", authority.chain_pem, authority.key_pem, None)
    )
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(PHOTO.read_bytes() if jpeg is None else jpeg), out)
    return out.getvalue()


def check(data: bytes, anchors: Path | None = None) -> Finding:
    photo = load_photo(data, "photo.jpg")
    context = CheckContext(settings=Settings(c2pa_trust_anchors=anchors), now=dt.datetime.now(dt.UTC))
    return integrity.check(photo, Claim(claim_id="t", timeline=Timeline()), context)


@pytest.fixture
def anchors(authority: Authority, tmp_path: Path) -> Path:
    path = tmp_path / "anchors.pem"
    path.write_bytes(authority.root_pem)
    return path


def test_a_capture_signed_by_a_trusted_camera_is_positive_evidence(
    authority: Authority, anchors: Path
) -> None:
    finding = check(signed(authority, CAPTURE), anchors)
    assert (finding.status.value, finding.code) == ("pass", "integrity.c2pa_trusted")
    assert finding.details["provenance_trusted"] is True
    assert "Test Phone Camera" in finding.params["signer"]


def test_a_trusted_capture_too_small_to_verify_keeps_its_positive_evidence(
    authority: Authority, anchors: Path
) -> None:
    tiny = io.BytesIO()
    Image.open(PHOTO).convert("RGB").resize((120, 90)).save(tiny, "JPEG", quality=90)
    finding = check(signed(authority, CAPTURE, tiny.getvalue()), anchors)
    assert (finding.status.value, finding.code) == ("pass", "integrity.c2pa_trusted")
    assert "too_small" in finding.details["notes"]
    # Unsigned, the same photo says it is too small to verify.
    assert check(tiny.getvalue(), anchors).code == "integrity.too_small"


def test_the_same_capture_by_an_unknown_signer_is_reported_not_penalised(authority: Authority) -> None:
    finding = check(signed(authority, CAPTURE))
    assert (finding.status.value, finding.code, finding.score) == ("pass", "integrity.c2pa_untrusted", 0.0)
    assert finding.details["provenance_trusted"] is False


def test_pixels_changed_after_signing_fail(authority: Authority, anchors: Path) -> None:
    data = bytearray(signed(authority, CAPTURE))
    scan = data.rfind(b"\xff\xda")  # the compressed picture of the signed file
    for offset in range(scan + 200, scan + 260):
        if data[offset] < 0xFE and data[offset - 1] != 0xFF:  # never make or break a marker
            data[offset] ^= 0x01
    finding = check(bytes(data), anchors)
    assert (finding.status.value, finding.code) == ("fail", "integrity.c2pa_invalid")
    assert "assertion.dataHash.mismatch" in finding.params["failures"]


def test_a_manifest_declaring_generated_content_fails_even_when_trusted(
    authority: Authority, anchors: Path
) -> None:
    finding = check(signed(authority, TRAINED), anchors)
    assert (finding.status.value, finding.code) == ("fail", "integrity.ai_marker")
    assert "c2pa_generated" in finding.details["flags"]
    assert finding.details["c2pa"]["state"] == "trusted"
