"""Tampering as an insider would: the signed code is the truth, and the issued file is the one recorded.

* office records edited behind the code's back (holder, STR, workplace,
  validity): TIDAK SAH "data kantor tidak cocok dengan kode", logged, and
  what is shown comes from the signed code;
* `sikro verify FILE.pdf` on a permit whose PAdES signature was stripped and
  its page altered, or re-signed with a self-made certificate in the Kepala
  Dinas's name: exit 1, even when that certificate's CA is trusted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import needs_soffice
from registers_support import sql
from signing_support import SIGNER, make_p12
from test_verification_support import make_document, run
from workflow_support import import_and_advance

from sikro_docs import clock, db
from sikro_docs.models import Event
from sikro_docs.verification import verify_token, verify_uid
from sikro_docs.workspace import open_workspace

RECENT = clock.today({}) - dt.timedelta(days=30)
MISMATCH_TEXT = "data kantor tidak cocok dengan kode"  # the documented verdict text


def mismatch_events(ws) -> list[Event]:
    with db.session(ws) as session:
        return session.query(Event).filter(Event.action == "verification.mismatch").all()


# --------------------------------------------------------------------------- office records vs the code


@pytest.mark.parametrize("column,value", [
    ("holder", "Orang Lain Sama Sekali"),
    ("fields", '{"no_str": "RO 99.99.9.9.99 9999999", "nama_tempat_kerja": "Optik Palsu"}'),
    ("permit_type", "sipb"),
    ("valid_until", "2099-12-31"),
])
def test_an_edited_record_is_tidak_sah_and_logged(workspace, ws_args, column, value):
    permit = make_document(workspace, on=RECENT)
    assert verify_token(workspace, permit.token.token).status == "valid"
    sql(workspace, f"update document_verification set {column} = ? where document_id = ?",
        (value, permit.document_id))
    result = run("verify", permit.token.url, "--json", *ws_args)
    assert result.code == 1, result.out
    data = result.json()
    assert data["status"] == "invalid" and data["reason"].startswith(MISMATCH_TEXT)
    assert column in data["reason"]
    assert value not in result.out  # nothing shown comes from the edited row
    events = mismatch_events(workspace)
    assert len(events) == 1 and column in events[0].details["fields"]
    assert events[0].details["number"] == permit.number


def test_short_code_shows_the_signed_holder_not_an_edited_one(workspace, ws_args):
    permit = make_document(workspace, on=RECENT, name="Rosmawati Br. Sitanggang")
    sql(workspace, "update applications set name = 'Nama Diganti' where id = "
                   "(select application_id from documents where id = ?)", (permit.document_id,))
    shown = verify_uid(workspace, permit.uid)
    assert shown.status == "valid" and shown.holder == "Rosmawati Br. Sitanggang"
    sql(workspace, "update document_verification set holder = 'Nama Diganti' where document_id = ?",
        (permit.document_id,))
    typed = run("verify", permit.token.short_code, "--json", *ws_args)
    assert typed.code == 1 and typed.json()["status"] == "invalid"
    assert typed.json()["reason"].startswith(MISMATCH_TEXT) and "Nama Diganti" not in typed.out


def test_an_edited_issue_date_is_tidak_sah(workspace):
    permit = make_document(workspace, on=RECENT)
    sql(workspace, "update documents set date = ? where id = ?",
        ((RECENT - dt.timedelta(days=400)).isoformat(), permit.document_id))
    verdict = verify_token(workspace, permit.token.token)
    assert verdict.status == "invalid" and verdict.reason_code == "registry-mismatch"
    assert verdict.issued == RECENT  # shown from the signed code


def test_the_page_says_the_records_do_not_match(workspace):
    from sikro_docs.web.app import Office, Pages, public_verdict, render_verdict

    permit = make_document(workspace, on=RECENT)
    sql(workspace, "update document_verification set holder = 'X' where document_id = ?", (permit.document_id,))
    pages = Pages(workspace, Office.from_profile(workspace.profile))
    verdict = public_verdict(verify_token(workspace, permit.token.token))
    assert "data kantor tidak cocok dengan kode" in render_verdict(pages, verdict, "id")
    assert "office records do not match the code" in render_verdict(pages, verdict, "en")
    assert "TIDAK SAH" in render_verdict(pages, verdict, "id")


# --------------------------------------------------------------------------- the issued file


@pytest.fixture(scope="module")
def signed_permit(tmp_path_factory, new_workspace):
    """(workspace root, permit PDF) from `sikro batch --doc permit --pdf --sign` with the demo certificate."""
    from test_intake_support import make_workbook, valid_record

    from sikro_docs.signing import enable_demo_signing

    folder = tmp_path_factory.mktemp("signed-permit")
    ws = new_workspace(folder / "ws")
    enable_demo_signing(ws)
    record = valid_record(no_registrasi=None, keputusan="Disetujui",
                          nomor_rekomendasi="440/0122/DINKES/VIII/2026", tanggal_rekomendasi=RECENT)
    book = make_workbook(folder / "permohonan.xlsx", [record])
    import_and_advance(ws, book)  # the SOP gates the permit: steps 3-7 done; the row records 8 and 16
    result = run("batch", book, "--doc", "permit", "--pdf", "--sign", "--json", "--workspace", ws.root,
                 timeout=300)
    assert result.code == 0, result.err
    [doc] = result.json()["documents"]
    return ws.root, Path(doc["pdf"])


FORGED_NAME = "ORANG LAIN SAMA SEKALI"


def strip_and_alter(pdf: Path, out: Path) -> Path:
    """The attack: drop the signature (pypdf) and write another holder's name over the page."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    reader, writer = PdfReader(pdf), PdfWriter()
    for page in reader.pages:  # pages only: no /AcroForm, no signature field
        if "/Annots" in page:
            del page[NameObject("/Annots")]
        writer.add_page(page)
    page = writer.pages[0]
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    resources = page["/Resources"].get_object()
    fonts = resources.get("/Font")
    if fonts is None:
        resources[NameObject("/Font")] = fonts = DictionaryObject()
    fonts.get_object()[NameObject("/FForged")] = writer._add_object(font)
    contents = page.get_contents()  # the page is the writer's now: its contents may be replaced
    overlay = f"q 1 1 1 rg 150 480 300 20 re f Q BT /FForged 11 Tf 0 g 152 485 Td ({FORGED_NAME}) Tj ET"
    contents.set_data(b"q\n" + contents.get_data() + b"\nQ\n" + overlay.encode())
    page.replace_contents(contents)
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


@needs_soffice
def test_the_issued_signed_permit_verifies(signed_permit):
    root, pdf = signed_permit
    result = run("verify", pdf, "--json", "--workspace", root)
    assert result.code == 0, result.out
    data = result.json()
    assert data["status"] == "valid" and data["file"]["ok"] and data["file"]["status"] == "issued"
    assert data["signature"]["intact"] and data["signature"]["trusted"]


@needs_soffice
def test_stripped_signature_and_altered_page_is_not_valid(signed_permit, tmp_path):
    root, pdf = signed_permit
    forged = strip_and_alter(pdf, tmp_path / "izin-diubah.pdf")
    assert b"/ByteRange" not in forged.read_bytes()
    from pypdf import PdfReader

    assert FORGED_NAME in PdfReader(forged).pages[0].extract_text()
    result = run("verify", forged, "--workspace", root)
    assert result.code == 1, result.out
    assert result.out.startswith("INVALID")
    assert "not the file the office issued" in result.out
    data = run("verify", forged, "--json", "--workspace", root).json()
    assert data["status"] == "invalid" and data["file"]["status"] == "not-issued"


@needs_soffice
def test_truncated_to_the_unsigned_revision_says_not_issued(signed_permit, tmp_path):
    """An incremental signature leaves the unsigned PDF as a prefix: cut it off and the signature is gone."""
    root, pdf = signed_permit
    data = pdf.read_bytes()
    unsigned = data[:data.rfind(b"%%EOF", 0, data.find(b"/ByteRange")) + len(b"%%EOF\n")]
    stripped = tmp_path / "izin-tanpa-ttd.pdf"
    stripped.write_bytes(unsigned)
    result = run("verify", stripped, "--json", "--workspace", root)
    assert result.code == 1, result.out
    assert result.json()["file"]["ok"] is False and "signature" not in result.json()


@needs_soffice
def test_resigned_with_a_self_made_certificate_is_not_valid(signed_permit, tmp_path):
    from sikro_docs.signing import SignRequest, load_credentials, sign_pdf

    root, pdf = signed_permit
    forged = strip_and_alter(pdf, tmp_path / "izin-diubah.pdf")
    fake = make_p12(tmp_path / "fake", name=SIGNER, label="palsu")  # a CA of the forger's own
    resigned = sign_pdf(forged, tmp_path / "izin-ttd-palsu.pdf", load_credentials(fake.path, fake.passphrase),
                        SignRequest(reason="Penetapan izin"))
    for trust in ((), ("--trust", fake.ca_pem)):  # even when the forger's CA is trusted
        result = run("verify", resigned, "--json", "--workspace", root, *trust)
        assert result.code == 1, result.out
        data = result.json()
        assert data["status"] == "invalid" and data["file"]["status"] == "not-issued"
        assert data["signature"]["signer"] == SIGNER


@needs_soffice
def test_sign_records_the_signed_copy_of_an_issued_unsigned_permit(tmp_path, new_workspace):
    """`sikro sign` on an issued PDF records the signed copy; the unsigned one then lacks its signature."""
    from signing_support import run_sign
    from test_intake_support import make_workbook, valid_record

    from sikro_docs.signing import demo_signing_settings, enable_demo_signing

    ws = new_workspace(tmp_path / "ws")
    record = valid_record(no_registrasi=None, keputusan="Disetujui",
                          nomor_rekomendasi="440/0122/DINKES/VIII/2026", tanggal_rekomendasi=RECENT)
    book = make_workbook(tmp_path / "permohonan.xlsx", [record])
    import_and_advance(ws, book)  # the SOP gates the permit
    made = run("batch", book, "--doc", "permit", "--pdf", "--json", "--workspace", ws.root, timeout=300)
    assert made.code == 0, made.err
    pdf = Path(made.json()["documents"][0]["pdf"])
    assert run("verify", pdf, "--workspace", ws.root).code == 0  # issued unsigned: its own file
    enable_demo_signing(ws)
    settings = demo_signing_settings()
    out = tmp_path / "izin-ttd.pdf"
    signed = run_sign(pdf, "--p12", ws.root / settings["p12"], "--passphrase-file",
                      ws.root / settings["passphrase_file"], "-o", out, "--workspace", ws.root)
    assert signed.code == 0 and "recorded as the issued file" in signed.out, signed.err
    assert run("verify", out, "--workspace", ws.root).code == 0
    unsigned = run("verify", pdf, "--json", "--workspace", ws.root)
    assert unsigned.code == 1 and unsigned.json()["file"]["status"] == "signature-missing"


def test_a_scan_is_judged_by_its_code(workspace, ws_args, tmp_path):
    from test_verification_support import paper_pdf

    from sikro_docs.verification import make_qr_png

    permit = make_document(workspace, on=RECENT)
    scan = paper_pdf(tmp_path / "scan.pdf", make_qr_png(permit.token.url))
    result = run("verify", scan, "--json", *ws_args)
    assert result.code == 0, result.out
    assert result.json()["file"]["status"] == "scan"




@needs_soffice
def test_a_file_record_inserted_by_hand_does_not_make_a_forgery_the_issued_file(signed_permit, tmp_path):
    """The insider records the forgery's hash in the database: without the chain secret the row does not count."""
    import hashlib

    from sikro_docs.signing import SignRequest, load_credentials, sign_pdf

    root, pdf = signed_permit
    fake = make_p12(tmp_path / "fake", name=SIGNER, label="palsu")
    resigned = sign_pdf(strip_and_alter(pdf, tmp_path / "izin-diubah.pdf"), tmp_path / "izin-ttd-palsu.pdf",
                        load_credentials(fake.path, fake.passphrase), SignRequest(reason="Penetapan izin"))
    data = resigned.read_bytes()
    ws = open_workspace(root)
    [(document_id,)] = sql(ws, "select distinct document_id from issued_files")
    sql(ws, "insert into issued_files (document_id, sha256, size, signed, signer_fingerprint, path, "
            "recorded_at, mac) values (?, ?, ?, ?, NULL, 'x.pdf', '2026-01-01 00:00:00', ?)",
        (document_id, hashlib.sha256(data).hexdigest(), len(data), True, "0" * 64))
    result = run("verify", resigned, "--json", "--workspace", root, "--trust", fake.ca_pem)
    assert result.code == 1 and result.json()["file"]["status"] == "not-issued", result.out


@needs_soffice
def test_a_rerun_with_sign_records_the_signed_copy_of_an_issued_permit(tmp_path, new_workspace):
    """`batch` without --sign, then again with --sign: the signed PDF is the issued file from then on."""
    from test_intake_support import make_workbook, valid_record

    from sikro_docs.signing import enable_demo_signing

    ws = new_workspace(tmp_path / "ws")
    record = valid_record(no_registrasi=None, keputusan="Disetujui",
                          nomor_rekomendasi="440/0122/DINKES/VIII/2026", tanggal_rekomendasi=RECENT)
    book = make_workbook(tmp_path / "permohonan.xlsx", [record])
    import_and_advance(ws, book)  # the SOP gates the permit
    first = run("batch", book, "--doc", "permit", "--pdf", "--json", "--workspace", ws.root, timeout=300)
    assert first.code == 0, first.err
    pdf = Path(first.json()["documents"][0]["pdf"])
    unsigned = tmp_path / "tanpa-ttd.pdf"
    unsigned.write_bytes(pdf.read_bytes())
    enable_demo_signing(ws)
    again = run("batch", book, "--doc", "permit", "--pdf", "--sign", "--json", "--workspace", ws.root, timeout=300)
    assert again.code == 0, again.err
    assert b"/ByteRange" in pdf.read_bytes()
    assert run("verify", pdf, "--workspace", ws.root).code == 0
    old = run("verify", unsigned, "--json", "--workspace", ws.root)
    assert old.code == 1 and old.json()["file"]["status"] == "signature-missing"
