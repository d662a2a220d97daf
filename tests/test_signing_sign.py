"""Signing a LibreOffice PDF/A: PAdES B-B, visible block, validation, tampering, key types."""

from __future__ import annotations

import hashlib

import pytest
from conftest import needs_soffice
from pypdf import PdfReader
from signing_support import PASSPHRASE, SIGNER, letter_pdfa, make_p12, pyhanko_status  # noqa: F401

from sikro_docs.convert import pdfa_part
from sikro_docs.errors import SikroError
from sikro_docs.signing import (
    SignRequest,
    load_credentials,
    sign_pdf,
    signature_summary,
    validate_signatures,
)

pytestmark = needs_soffice


def sign(pdf, out, p12, **request):
    return sign_pdf(pdf, out, load_credentials(p12.path, p12.passphrase),
                    SignRequest(names=[SIGNER], **request))


@pytest.fixture(scope="module")
def p12(tmp_path_factory):
    return make_p12(tmp_path_factory.mktemp("certs"), kind="ec", label="module")


@pytest.fixture(scope="module")
def signed(letter_pdfa, p12, tmp_path_factory):
    out = tmp_path_factory.mktemp("signed") / "surat-ttd.pdf"
    return sign(letter_pdfa, out, p12, reason="Uji tanda tangan", location="Sidikalang")


def test_signature_is_intact_and_trusted_by_its_root(signed, p12):
    status = pyhanko_status(signed, [p12.ca_pem])
    assert status.intact and status.valid and status.trusted and status.bottom_line
    [report] = validate_signatures(signed, [p12.ca_pem])
    assert report.intact and report.trusted and report.covers_whole_file
    assert report.signer == SIGNER and report.reason == "Uji tanda tangan"
    assert report.signed_at and report.signed_at[:4].isdigit()


def test_untrusted_signer_is_intact_not_broken(signed):
    [report] = validate_signatures(signed, None)
    assert report.intact is True and report.trusted is False
    assert "not trusted" in report.message


def test_pades_baseline_subfilter_and_pdfa_kept(signed, letter_pdfa):
    reader = PdfReader(signed)
    [field] = [f for f in reader.get_fields().values() if f.get("/FT") == "/Sig"]
    assert field["/V"]["/SubFilter"] == "/ETSI.CAdES.detached"
    assert pdfa_part(signed) == ("2", "B")
    # incremental update: LibreOffice's bytes are the unchanged start of the signed file
    original = letter_pdfa.read_bytes()
    assert signed.read_bytes().startswith(original)


def test_visible_block_on_page_one_lower_half_with_embedded_font(signed):
    reader = PdfReader(signed)
    page = reader.pages[0]
    [widget] = [a.get_object() for a in page["/Annots"] if a.get_object().get("/FT") == "/Sig"]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    height = float(page.mediabox.height)
    assert x2 - x1 > 100 and y2 - y1 > 20
    assert 0 < y1 < y2 < height / 2
    assert int(widget["/F"]) & 4  # printable, as PDF/A requires
    fonts = widget["/AP"]["/N"]["/Resources"]
    assert b"FontFile2" in _dump(fonts) or "/FontFile2" in str(fonts)  # the font is embedded


def _dump(resources) -> bytes:
    seen = []

    def walk(obj, depth=0):
        obj = obj.get_object() if hasattr(obj, "get_object") else obj
        if depth > 8:
            return
        if isinstance(obj, dict):
            for key, value in obj.items():
                seen.append(str(key))
                walk(value, depth + 1)
        elif isinstance(obj, list):
            for value in obj:
                walk(value, depth + 1)

    walk(resources)
    return " ".join(seen).encode()


def test_one_changed_byte_in_the_signed_range_breaks_it(signed, tmp_path, p12):
    data = bytearray(signed.read_bytes())
    # the Producer text of LibreOffice's Info dictionary: inside the signed range, never parsed as structure
    at = data.index(b"LibreOffice")
    data[at] = ord("l")
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    assert not pyhanko_status(tampered, [p12.ca_pem]).intact
    [report] = validate_signatures(tampered, [p12.ca_pem])
    assert report.intact is False and report.trusted is False and "broken" in report.message
    assert signature_summary(tampered, [p12.ca_pem])["intact"] is False


def test_unsigned_pdf_has_no_summary(letter_pdfa):
    assert validate_signatures(letter_pdfa, None) == []
    assert signature_summary(letter_pdfa, None) is None


@pytest.mark.parametrize("kind,intermediate", [("rsa", False), ("ec", False), ("rsa", True), ("ec", True)])
def test_rsa_ecdsa_and_chains_with_an_intermediate(letter_pdfa, tmp_path, kind, intermediate):
    p12 = make_p12(tmp_path, kind=kind, intermediate=intermediate, label=f"{kind}-{intermediate}")
    out = sign(letter_pdfa, tmp_path / "out.pdf", p12)
    assert pyhanko_status(out, [p12.ca_pem]).bottom_line
    [report] = validate_signatures(out, [p12.ca_pem])
    assert (report.intact, report.trusted) == (True, True), report.message


def test_signing_again_is_an_incremental_update(signed, tmp_path, p12):
    second = make_p12(tmp_path, kind="rsa", name="NAMA SEKRETARIS, S.H.", label="second")
    before = signed.read_bytes()
    out = sign(signed, tmp_path / "twice.pdf", second)
    assert signed.read_bytes() == before  # the input is untouched
    assert out.read_bytes().startswith(before)
    first, last = validate_signatures(out, [p12.ca_pem, second.ca_pem])
    assert first.intact and first.trusted and not first.covers_whole_file
    assert last.intact and last.trusted and last.covers_whole_file
    assert last.signer == "NAMA SEKRETARIS, S.H."
    assert pdfa_part(out) == ("2", "B")


def test_never_signs_in_place(signed, p12):
    digest = hashlib.sha256(signed.read_bytes()).hexdigest()
    with pytest.raises(SikroError, match="never signed in place"):
        sign(signed, signed, p12)
    assert hashlib.sha256(signed.read_bytes()).hexdigest() == digest


def test_fixed_box_from_the_profile_when_the_name_is_not_printed(letter_pdfa, tmp_path, p12):
    request = SignRequest(names=["SOMEONE ELSE"], box=(300, 100, 500, 160))
    credentials = load_credentials(p12.path, PASSPHRASE)
    # the certificate's own name is printed on the letter, so use one that is not
    other = make_p12(tmp_path, name="NOT PRINTED", label="other")
    out = sign_pdf(letter_pdfa, tmp_path / "box.pdf", load_credentials(other.path, other.passphrase), request)
    widget = next(a.get_object() for a in PdfReader(out).pages[0]["/Annots"])
    assert [round(float(v)) for v in widget["/Rect"]] == [300, 100, 500, 160]
    with pytest.raises(SikroError, match=r"\[signing\] box"):
        sign_pdf(letter_pdfa, tmp_path / "nobox.pdf", load_credentials(other.path, other.passphrase),
                 SignRequest(names=["SOMEONE ELSE"]))
    assert not (tmp_path / "nobox.pdf").exists()
    assert credentials.common_name == SIGNER


def test_timestamp_makes_it_pades_b_t(letter_pdfa, tmp_path, p12, monkeypatch):
    """With [signing] timestamp_url the signature carries a timestamp token (B-T).

    No timestamp server is reachable in tests: pyHanko's in-process DummyTimeStamper
    stands in for the HTTP one, issued by the same test root.
    """
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.timestamps import DummyTimeStamper

    from sikro_docs.signing import sign as sign_module
    from sikro_docs.signing.demo_ca import make_ca_certificate, make_signing_certificate, new_key

    tsa_root_key = new_key("rsa")  # pyHanko's dummy TSA signs with RSA only
    tsa_root = make_ca_certificate(tsa_root_key, "Test TSA Root")
    tsa_key = new_key("rsa")
    tsa_cert = make_signing_certificate(tsa_key, "Test TSA", tsa_root_key, tsa_root)
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa_cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))
    seen = []
    monkeypatch.setattr(sign_module, "_timestamper", lambda url: seen.append(url) or stamper)
    out = sign(letter_pdfa, tmp_path / "bt.pdf", p12, timestamp_url="http://tsa.example/tsr")
    assert seen == ["http://tsa.example/tsr"]
    [report] = validate_signatures(out, [p12.ca_pem])
    assert report.intact
    status = pyhanko_status(out, [p12.ca_pem])
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
