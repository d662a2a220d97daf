"""`sikro sign` as a user runs it: refusals are one line, exit 1, and write nothing;
a real permit from `sikro batch` is signed with the workspace's demo certificate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import stat

import pytest
from conftest import assert_no_traceback, needs_soffice
from cryptography import x509
from pypdf import PdfReader
from signing_support import (  # noqa: F401  (fixtures)
    PASSPHRASE,
    SIGNER,
    encipherment_only,
    letter_pdfa,
    make_p12,
    permit_pdf,
    pyhanko_status,
    run_sign,
)

from sikro_docs import clock
from sikro_docs.signing import (
    demo_signing_settings,
    make_demo_certificate,
    sign_workspace_pdf,
    signature_summary,
    validate_signatures,
    workspace_trust_roots,
)
from sikro_docs.verification import verify_input
from sikro_docs.workspace import open_workspace

pytestmark = needs_soffice
NOW = clock.utcnow()  # certificates are checked against the real time: the clock is not frozen here


def assert_refused(result, out, needle: str):
    assert result.code == 1, (result.code, result.err)
    assert_no_traceback(result)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sikro: error:") and needle in lines[0], result.err
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}.*"))  # no temporary file left either


def test_signs_with_a_passphrase_file(letter_pdfa, tmp_path):
    p12 = make_p12(tmp_path)
    out = tmp_path / "signed.pdf"
    result = run_sign(letter_pdfa, "--p12", p12.path, "--passphrase-file", p12.passphrase_file(tmp_path),
                      "-o", out, "--reason", "Penetapan izin", "--location", "Sidikalang")
    assert result.code == 0, result.err
    assert "PAdES B-B" in result.out
    [report] = validate_signatures(out, [p12.ca_pem])
    assert report.intact and report.trusted and report.reason == "Penetapan izin"


def test_passphrase_from_the_environment(letter_pdfa, tmp_path):
    p12 = make_p12(tmp_path, kind="rsa", intermediate=True)
    out = tmp_path / "signed.pdf"
    result = run_sign(letter_pdfa, "--p12", p12.path, "-o", out, "--json",
                      env={"SIKRO_P12_PASSPHRASE": PASSPHRASE.decode()})
    assert result.code == 0, result.err
    assert result.json()["signer"] == SIGNER
    assert pyhanko_status(out, [p12.ca_pem]).bottom_line


def test_wrong_passphrase(letter_pdfa, tmp_path):
    p12 = make_p12(tmp_path)
    wrong = tmp_path / "wrong.pass"
    wrong.write_text("not-the-passphrase\n")
    out = tmp_path / "signed.pdf"
    assert_refused(run_sign(letter_pdfa, "--p12", p12.path, "--passphrase-file", wrong, "-o", out),
                   out, "wrong passphrase")


def test_missing_passphrase_says_how_to_give_one(letter_pdfa, tmp_path):
    p12 = make_p12(tmp_path)
    out = tmp_path / "signed.pdf"
    assert_refused(run_sign(letter_pdfa, "--p12", p12.path, "-o", out), out, "--passphrase-file")


@pytest.mark.parametrize("window,needle", [
    ((NOW - dt.timedelta(days=400), NOW - dt.timedelta(days=1)), "expired"),
    ((NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=400)), "not valid before"),
])
def test_certificate_outside_its_validity(letter_pdfa, tmp_path, window, needle):
    p12 = make_p12(tmp_path, not_before=window[0], not_after=window[1])
    out = tmp_path / "signed.pdf"
    assert_refused(run_sign(letter_pdfa, "--p12", p12.path, "--passphrase-file",
                            p12.passphrase_file(tmp_path), "-o", out), out, needle)


def test_certificate_without_signing_key_usage(letter_pdfa, tmp_path):
    p12 = make_p12(tmp_path, kind="rsa", key_usage=encipherment_only())
    out = tmp_path / "signed.pdf"
    assert_refused(run_sign(letter_pdfa, "--p12", p12.path, "--passphrase-file",
                            p12.passphrase_file(tmp_path), "-o", out), out, "digitalSignature")


def test_refuses_to_overwrite_its_input(letter_pdfa, tmp_path):
    p12 = make_p12(tmp_path)
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(letter_pdfa.read_bytes())
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    result = run_sign(copy, "--p12", p12.path, "--passphrase-file", p12.passphrase_file(tmp_path), "-o", copy)
    assert result.code == 1 and "in place" in result.err
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest


def test_not_a_pdf_and_not_a_p12_are_unusable_input(tmp_path, letter_pdfa):
    p12 = make_p12(tmp_path)
    text = tmp_path / "notes.pdf"
    text.write_text("hello")
    result = run_sign(text, "--p12", p12.path, "--passphrase-file", p12.passphrase_file(tmp_path),
                      "-o", tmp_path / "o.pdf")
    assert result.code == 2 and "not a PDF" in result.err
    assert_no_traceback(result)
    result = run_sign(letter_pdfa, "--p12", text, "-o", tmp_path / "o.pdf")
    assert result.code == 2 and "not a PKCS#12" in result.err


# --------------------------------------------------------------------------- a real permit

def demo_workspace(root):
    ws = open_workspace(root)
    make_demo_certificate(ws)
    profile = {**ws.profile, "signing": demo_signing_settings()}
    return dataclasses.replace(ws, profile=profile)


def test_demo_certificate_files(permit_pdf):
    ws = demo_workspace(permit_pdf[0])
    folder = ws.keys_dir / "demo-ca"
    for name in ("kepala-dinas.p12", "kepala-dinas.passphrase"):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    assert "sikro-docs DEMO CA — TIDAK UNTUK PRODUKSI" in ca.subject.rfc4514_string()
    assert make_demo_certificate(ws) == folder / "kepala-dinas.p12"  # a second call keeps it
    for key in ("p12", "passphrase_file"):
        assert (ws.root / demo_signing_settings()[key]).is_file()


def test_real_permit_signed_with_the_workspace_certificate(permit_pdf, tmp_path):
    root, pdf = permit_pdf
    ws = demo_workspace(root)
    out = sign_workspace_pdf(ws, pdf, tmp_path / "izin-ttd.pdf", reason="Penetapan SIKRO")
    roots = workspace_trust_roots(ws)
    assert pyhanko_status(out, roots).bottom_line
    summary = signature_summary(out, roots)
    assert summary["intact"] and summary["trusted"] and summary["signer"] == SIGNER
    # the box sits in the Kepala Dinas block: page 1, lower half, right side, above the name
    page = PdfReader(out).pages[0]
    widget = next(a.get_object() for a in page["/Annots"] if a.get_object().get("/FT") == "/Sig")
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert y2 < float(page.mediabox.height) / 2 and x1 > float(page.mediabox.width) / 2 - 20
    # the signed permit's QR code still verifies: signing came after it, and changed nothing printed
    assert verify_input(ws, out).status == "valid"


def test_real_permit_signed_from_the_command_line(permit_pdf, tmp_path):
    root, pdf = permit_pdf
    ws = demo_workspace(root)
    settings = demo_signing_settings()
    out = tmp_path / "izin-ttd.pdf"
    result = run_sign(pdf, "--p12", root / settings["p12"], "--passphrase-file",
                      root / settings["passphrase_file"], "-o", out, "--workspace", root)
    assert result.code == 0, result.err
    [report] = validate_signatures(out, workspace_trust_roots(ws))
    assert report.intact and report.trusted
