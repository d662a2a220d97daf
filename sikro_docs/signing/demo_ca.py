"""A demonstration CA and a Kepala Dinas certificate, so a new workspace can sign at once.

Clearly labelled as not for production: a real permit is signed with a
certificate from BSrE. The CA's private key is discarded after issuing the
one certificate, so the demo CA cannot be used to issue anything else.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .. import clock
from ..fsutil import create_private_file, fsync_dir

DEMO_CA_NAME = "sikro-docs DEMO CA — TIDAK UNTUK PRODUKSI"
DEMO_DIR = "demo-ca"
P12_NAME = "kepala-dinas.p12"
PASSPHRASE_NAME = "kepala-dinas.passphrase"
CA_NAME = "ca.pem"
SIGNING_YEARS = 2


def demo_signing_settings() -> dict:
    """The [signing] keys of sikro.toml that make a workspace sign with the demo certificate."""
    base = f"keys/{DEMO_DIR}"
    return {"p12": f"{base}/{P12_NAME}", "passphrase_file": f"{base}/{PASSPHRASE_NAME}",
            "trust_roots": [f"{base}/{CA_NAME}"]}


def make_demo_certificate(ws) -> Path:
    """Write keys/demo-ca/{ca.pem, kepala-dinas.p12, kepala-dinas.passphrase}; returns the .p12.

    An existing demo CA is kept as it is. The folder is assembled under a
    temporary name and renamed, so an interrupted run leaves no half CA.
    """
    target = ws.keys_dir / DEMO_DIR
    if (target / P12_NAME).is_file():
        return target / P12_NAME
    ws.keys_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{DEMO_DIR}.", dir=ws.keys_dir))
    try:
        _write_demo_files(building, _kepala_dinas_name(ws.profile))
        shutil.rmtree(target, ignore_errors=True)  # only a half-made folder can be here
        os.rename(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    fsync_dir(ws.keys_dir)
    return target / P12_NAME


def _kepala_dinas_name(profile: dict) -> str:
    return profile.get("officials", {}).get("kepala_dinas", {}).get("name") or "KEPALA DINAS"


def _write_demo_files(folder: Path, signer_name: str) -> None:
    ca_key = new_key("ec")
    ca_cert = make_ca_certificate(ca_key, DEMO_CA_NAME)
    key = new_key("ec")
    cert = make_signing_certificate(key, signer_name, ca_key, ca_cert,
                                    organization="sikro-docs DEMO — TIDAK UNTUK PRODUKSI")
    passphrase = secrets.token_urlsafe(24)
    (folder / CA_NAME).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    create_private_file(folder / PASSPHRASE_NAME, passphrase.encode("ascii") + b"\n")
    create_private_file(folder / P12_NAME, pkcs12_bytes(key, cert, [ca_cert], passphrase.encode()))
    (folder / "README.txt").write_text(
        f"{DEMO_CA_NAME}\nSertifikat uji coba: tanda tangan dengan sertifikat ini TIDAK sah.\n"
        "Gunakan sertifikat dari BSrE untuk dokumen resmi.\n", encoding="utf-8")


# --------------------------------------------------------------------------- building blocks
# Also used by the tests to make RSA/ECDSA keys, chains, expired certificates.

def new_key(kind: str = "ec"):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "ID")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def _now() -> dt.datetime:
    return clock.utcnow().replace(microsecond=0)


def make_ca_certificate(key, common_name: str, issuer_key=None, issuer_cert=None,
                        years: int = 10) -> x509.Certificate:
    """A self-signed root, or an intermediate when `issuer_key`/`issuer_cert` are given."""
    start = _now() - dt.timedelta(minutes=5)
    issuer_name = issuer_cert.subject if issuer_cert is not None else _name(common_name)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name)).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=365 * years))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(_key_usage(cert_sign=True), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return builder.sign(issuer_key or key, hashes.SHA256())


def make_signing_certificate(key, common_name: str, issuer_key, issuer_cert, *,
                             organization: str | None = None, not_before: dt.datetime | None = None,
                             not_after: dt.datetime | None = None,
                             key_usage: x509.KeyUsage | None = None) -> x509.Certificate:
    """An end-entity certificate for document signing (digitalSignature + nonRepudiation)."""
    start = not_before or _now() - dt.timedelta(minutes=5)
    end = not_after or start + dt.timedelta(days=365 * SIGNING_YEARS)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name, organization)).issuer_name(issuer_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(key_usage or _key_usage(signing=True), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(signing: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def pkcs12_bytes(key, cert, chain: list[x509.Certificate], passphrase: bytes | None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    return pkcs12.serialize_key_and_certificates(b"kepala-dinas", key, cert, chain or None, encryption)


def enable_demo_signing(ws):
    """Make the demo certificate and point the profile's [signing] at it (if it has none).

    Returns (workspace with the new profile, .p12 path, whether [signing] was added).
    """
    from ..workspace import append_profile_section

    p12 = make_demo_certificate(ws)
    if "signing" in ws.profile:
        return ws, p12, False
    ws = append_profile_section(ws, "signing", demo_signing_settings(),
                                comment="TEST certificate made by `sikro init --demo-certificate`: "
                                        "replace with the office's own (BSrE) before real use")
    return ws, p12, True
