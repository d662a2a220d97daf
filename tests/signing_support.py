"""Certificates, PKCS#12 files and PDFs for the signing tests.

Fixtures here are imported by the test modules (conftest.py is shared and not
ours to edit). The PDFs come from the real pipeline: LibreOffice PDF/A for
a small letter, and `sikro batch --doc permit --pdf` for a real permit.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from conftest import HAVE_SOFFICE, Result
from cryptography import x509

from sikro_docs.convert import convert_batch
from sikro_docs.signing.demo_ca import (
    make_ca_certificate,
    make_signing_certificate,
    new_key,
    pkcs12_bytes,
)

SIGNER = "NAMA KEPALA DINAS, S.T."
PASSPHRASE = b"rahasia-uji-123"



# --------------------------------------------------------------------------- certificates

@dataclass
class P12:
    path: Path
    ca_pem: Path
    passphrase: bytes | None

    def passphrase_file(self, folder: Path) -> Path:
        path = folder / f"{self.path.stem}.pass"
        path.write_bytes((self.passphrase or b"") + b"\n")
        return path


def make_p12(folder: Path, *, kind: str = "ec", intermediate: bool = False, name: str = SIGNER,
             passphrase: bytes | None = PASSPHRASE, key_usage: x509.KeyUsage | None = None,
             not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
             label: str = "signer") -> P12:
    """A root CA (written as PEM), optionally an intermediate, and a signer in a .p12."""
    from cryptography.hazmat.primitives.serialization import Encoding

    folder.mkdir(parents=True, exist_ok=True)
    root_key = new_key(kind)
    root = make_ca_certificate(root_key, f"Test Root {label}")
    issuer_key, issuer, chain = root_key, root, [root]
    if intermediate:
        issuer_key = new_key(kind)
        issuer = make_ca_certificate(issuer_key, f"Test Intermediate {label}", root_key, root)
        chain = [issuer, root]
    key = new_key(kind)
    cert = make_signing_certificate(key, name, issuer_key, issuer, key_usage=key_usage,
                                    not_before=not_before, not_after=not_after)
    ca_pem = folder / f"{label}-ca.pem"
    ca_pem.write_bytes(root.public_bytes(Encoding.PEM))
    path = folder / f"{label}.p12"
    path.write_bytes(pkcs12_bytes(key, cert, chain, passphrase))
    return P12(path, ca_pem, passphrase)


def encipherment_only() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                         crl_sign=False, encipher_only=False, decipher_only=False)


# --------------------------------------------------------------------------- PDFs

def make_letter_docx(path: Path) -> Path:
    """A one-page letter with a signature block like the permit's (title, space, name)."""
    document = docx.Document()
    document.add_paragraph("SURAT UJI TANDA TANGAN ELEKTRONIK")
    for _ in range(14):
        document.add_paragraph("Isi surat untuk menguji tanda tangan elektronik.")
    for line in ("Kepala Dinas Penanaman Modal,", "Pelayanan Terpadu Satu Pintu", "", "", "", SIGNER,
                 "NIP. 19750831 200312 1 003"):
        document.add_paragraph(line).alignment = 2  # right
    document.save(path)
    return path


@pytest.fixture(scope="session")
def letter_pdfa(tmp_path_factory) -> Path:
    """A small PDF/A-2b from LibreOffice (made once per test run)."""
    if not HAVE_SOFFICE and not os.environ.get("CI"):
        pytest.skip("LibreOffice not installed")
    folder = tmp_path_factory.mktemp("letter")
    [result] = convert_batch([make_letter_docx(folder / "surat.docx")], workers=1)
    assert result.ok, result.message
    return result.pdf


@pytest.fixture(scope="session")
def permit_pdf(tmp_path_factory, new_workspace) -> tuple[Path, Path]:
    """(workspace root, permit PDF) from `sikro batch --doc permit --pdf` (made once per run)."""
    if not HAVE_SOFFICE and not os.environ.get("CI"):
        pytest.skip("LibreOffice not installed")
    from conftest import run_sikro
    from test_intake_support import make_workbook, valid_record

    folder = tmp_path_factory.mktemp("permit")
    ws = new_workspace(folder / "ws")
    record = valid_record(no_registrasi=None, keputusan="Disetujui",
                          nomor_rekomendasi="440/0122/DINKES/VIII/2026",
                          tanggal_rekomendasi=dt.date(2026, 8, 20))
    book = make_workbook(folder / "permohonan.xlsx", [record])
    from workflow_support import import_and_advance

    import_and_advance(ws, book)  # the SOP gates the permit: steps 3-7 done; the row records 8 and 16
    result = run_sikro("batch", book, "--doc", "permit", "--pdf", "--json",
                       "--workspace", ws.root, timeout=300)
    assert result.code == 0, result.err
    [doc] = result.json()["documents"]
    return ws.root, Path(doc["pdf"])


# --------------------------------------------------------------------------- the command

def run_sign(*args, env: dict | None = None, timeout: int = 120) -> Result:
    """`sikro sign ARGS` as a real process; stdin is not a terminal, so it never prompts."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SIKRO_DEBUG", None)
    if env is None or "SIKRO_P12_PASSPHRASE" not in env:
        full_env.pop("SIKRO_P12_PASSPHRASE", None)
    proc = subprocess.run([sys.executable, "-m", "sikro_docs", "sign", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=full_env)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def pyhanko_status(pdf: Path, roots: list[Path]):
    """pyHanko's own verdict on the last signature (independent of sikro_docs.signing)."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(r)) for r in roots])
    with open(pdf, "rb") as fh:
        sig = PdfFileReader(fh).embedded_signatures[-1]
        return validate_pdf_signature(sig, context, key_usage_settings=KeyUsageConstraints(
            key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False))
