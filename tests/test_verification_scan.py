"""Reading the QR code back from paper: PDFs, bad scans, and inputs that cannot be read."""

from __future__ import annotations

import io
import os

import pytest
import segno
from PIL import Image, ImageDraw
from test_verification_support import (
    assert_one_line_error,
    degraded_scan,
    make_document,
    paper_pdf,
    run,
)

from sikro_docs.errors import SikroError, UnusableInput
from sikro_docs.verification import make_qr_png, read_qr_codes, verify_input
from sikro_docs.verification.qr import MIN_PRINTED_MM


@pytest.fixture
def permit(workspace):
    return make_document(workspace)


@pytest.fixture
def paper(tmp_path, permit):
    return paper_pdf(tmp_path / "izin.pdf", make_qr_png(permit.token.url))


def test_qr_png_prints_at_least_25_mm(permit):
    png = make_qr_png(permit.token.url, mm=27, dpi=300)
    image = Image.open(io.BytesIO(png))
    printed_mm = image.width / image.info["dpi"][0] * 25.4
    assert 27 <= printed_mm < 27.2 and printed_mm >= MIN_PRINTED_MM
    assert image.width / (printed_mm / 25.4) >= 300  # at least the asked resolution
    with pytest.raises(SikroError):  # qr_size_mm of the profile set too small: a clear message
        make_qr_png(permit.token.url, mm=20)


def test_qr_read_back_from_the_pdf_verifies(workspace, permit, paper):
    assert read_qr_codes(paper) == [permit.token.url]
    verdict = verify_input(workspace, paper)
    assert verdict.status == "valid" and verdict.number == permit.number and verdict.checked_online


def test_skewed_blurred_low_quality_scan_verifies(workspace, tmp_path, permit, paper, ws_args):
    scan = degraded_scan(paper, tmp_path / "scan.jpg", dpi=200, angle=2, blur=1.0, quality=35)
    assert verify_input(workspace, scan).status == "valid"
    scanned_pdf = tmp_path / "scan.pdf"
    Image.open(scan).save(scanned_pdf, "PDF", resolution=200)  # the same scan, as a scanner's PDF
    result = run("verify", scanned_pdf, "--json", *ws_args)
    assert result.code == 0, result.err
    assert result.json()["status"] == "valid" and result.json()["number"] == permit.number


def test_a_qr_code_that_is_not_ours_is_invalid(workspace, tmp_path, ws_args):
    look_alike = "HTTPS://VERIFIKASI.DPMPTSP-DAIRIKAB.GO.ID/V/" + "A" * 400
    for i, text in enumerate(("https://example.org/menu", look_alike)):
        path = tmp_path / f"foreign{i}.png"
        segno.make(text, error="m").save(path, scale=6)
        verdict = verify_input(workspace, path)
        assert verdict.status == "invalid" and "not a verification code" in verdict.reason
    result = run("verify", path, *ws_args)
    assert result.code == 1 and result.out.startswith("INVALID"), result.out


@pytest.mark.parametrize("name, content", [
    ("random.pdf", os.urandom(4096)),
    ("truncated.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n"),
    ("empty.png", b""),
    ("photo.jpg", b"\xff\xd8\xff\xe0garbage" * 10),
])
def test_unreadable_files_exit_2_with_one_line(tmp_path, ws_args, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = run("verify", path, *ws_args)
    assert_one_line_error(result, 2)
    assert name in result.err


def test_image_without_qr_exits_2(tmp_path, workspace, ws_args):
    path = tmp_path / "no-qr.png"
    image = Image.new("L", (800, 600), 255)
    ImageDraw.Draw(image).rectangle([100, 100, 700, 140], fill=0)
    image.save(path)
    with pytest.raises(UnusableInput):
        verify_input(workspace, path)
    result = run("verify", path, *ws_args)
    assert_one_line_error(result, 2)
    assert "no QR code found" in result.err and "no-qr.png" in result.err


def test_missing_file_exits_2(tmp_path, ws_args):
    result = run("verify", tmp_path / "nowhere.pdf", *ws_args)
    assert_one_line_error(result, 2)
    assert "nowhere.pdf" in result.err
