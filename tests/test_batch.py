"""`sikro batch` and `sikro generate`: real DOCX, real LibreOffice PDF/A, real QR codes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import assert_no_traceback
from pypdf import PdfReader
from registers_support import sql
from test_intake_support import make_workbook, valid_record
from workflow_support import import_and_advance

from sikro_docs import clock
from sikro_docs.convert import pdfa_part
from sikro_docs.verification import read_qr_codes, verify_input
from sikro_docs.workspace import open_workspace

SPECIAL_NAME = "Dra. Ros'ina & <Co> \"Séptiani\""
# Dates relative to the office's today: the CLI runs as a real process on the real clock (no time bomb).
TODAY = clock.today({})
APPLIED = TODAY - dt.timedelta(days=20)
RECOMMENDATION = {"nomor_rekomendasi": f"440/0122/DINKES/VIII/{TODAY.year}",
                  "tanggal_rekomendasi": TODAY - dt.timedelta(days=5)}


def rows():
    approved = valid_record(no_registrasi=None, nama=SPECIAL_NAME, keputusan="Disetujui", tanggal_permohonan=APPLIED,
                            **RECOMMENDATION)
    approved2 = valid_record(no_registrasi=None, nama="Hotman Simanjuntak, A.Md.RO", nik="1211012111880003",
                             tanggal_lahir="21-11-1988", jenis_kelamin="L", keputusan="Disetujui",
                             tanggal_permohonan=APPLIED, **RECOMMENDATION)
    rejected = valid_record(no_registrasi=None, nama="Jonni Solin, A.Md.RO", nik="1211123001900004",
                            tanggal_lahir="30-01-1990", jenis_kelamin="L", keputusan="Ditolak", tanggal_permohonan=APPLIED,
                            alasan_penolakan="Tempat kerja belum memiliki izin optik", **RECOMMENDATION)
    incomplete = valid_record(no_registrasi=None, nama="Maria Br Ginting, A.Md.RO", nik="1211044812960005",
                              tanggal_lahir="08-12-1996", jenis_kelamin="P", npwp="T", tanggal_permohonan=APPLIED)
    return [approved, approved2, rejected, incomplete]


@pytest.fixture
def book(tmp_path):
    return make_workbook(tmp_path / "permohonan.xlsx", rows())


@pytest.fixture
def at_step_7(book, workspace):
    """The workbook imported and its complete applications brought to SOP step 7: the batch row's
    decision and recommendation then record steps 8 and 16, and the permit (or rejection) follows."""
    import_and_advance(workspace, book)
    return book


def register_rows(workspace, register):
    return sql(workspace, "select seq, number, status, reason from register_entries where register = ? "
                          "order by seq", (register,))


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_permit_batch_makes_numbered_pdfa_with_a_qr_that_verifies(at_step_7, book, sikro, ws_args, workspace):
    result = sikro("batch", book, "--doc", "permit", "--pdf", "--json", *ws_args, timeout=300)
    assert result.code == 0, result.err
    docs = result.json()["documents"]
    assert [d["status"] for d in docs] == ["issued", "issued", "skipped", "skipped"]
    assert docs[2]["message"] == "Keputusan is Ditolak, not Disetujui"
    first = docs[0]
    assert first["row"] == 2 and first["number"] == "500.16.7.2/0001/SIKRO/DPMPTSPK/" + str(clock.today({}).year)
    text = pdf_text(first["pdf"])
    assert first["number"] in text and "Ros'ina & <Co>" in text and "Séptiani" in text
    assert pdfa_part(first["pdf"]) == ("2", "B")
    [code] = read_qr_codes(first["pdf"])
    assert code.startswith("HTTPS://") and "/V/" in code
    verdict = verify_input(workspace, first["pdf"])
    assert verdict.status == "valid" and verdict.number == first["number"]
    assert "1211014503910002" not in code  # never the NIK
    assert [r[:3] for r in register_rows(workspace, "izin")] == [
        (1, first["number"], "used"), (2, docs[1]["number"], "used")]
    results = result.json()["results_file"]
    assert results.endswith(".xlsx")


def test_rerun_issues_nothing_new(at_step_7, book, sikro, ws_args, workspace):
    first = sikro("batch", book, "--doc", "rejection", "--pdf", "--json", *ws_args, timeout=300).json()
    again = sikro("batch", book, "--doc", "rejection", "--pdf", "--json", *ws_args, timeout=300)
    assert again.code == 0
    before = [d for d in first["documents"] if d["status"] == "issued"]
    after = [d for d in again.json()["documents"] if d["status"] == "existing"]
    assert [(d["number"], d["pdf"]) for d in before] == [(d["number"], d["pdf"]) for d in after]
    assert len(register_rows(workspace, "surat-keluar")) == 1
    assert "Tempat kerja belum memiliki izin optik" in pdf_text(after[0]["pdf"])


def test_reissue_voids_the_old_number_with_a_reason(at_step_7, book, sikro, ws_args, workspace):
    sikro("batch", book, "--doc", "rejection", *ws_args)
    result = sikro("generate", "rejection", "1211123001900004", "--reissue", "--json", *ws_args)
    assert result.code == 0, result.err
    rows_ = register_rows(workspace, "surat-keluar")
    assert [(seq, status) for seq, _, status, _ in rows_] == [(1, "void"), (2, "used")]
    assert "reissued" in rows_[0][3]
    assert sikro("register", "verify", *ws_args).code == 0


def test_draft_consumes_nothing_and_says_draf(book, sikro, ws_args, workspace):
    result = sikro("batch", book, "--doc", "permit", "--draft", "--pdf", "--json", *ws_args, timeout=300)
    assert result.code == 0, result.err
    drafts = [d for d in result.json()["documents"] if d["status"] == "draft"]
    assert len(drafts) == 2 and all(d["number"] is None for d in drafts)
    assert "/draf/" in drafts[0]["docx"]
    assert "DRAF" in pdf_text(drafts[0]["pdf"])
    assert register_rows(workspace, "izin") == []
    [(count,)] = sql(workspace, "select count(*) from documents")
    assert count == 0


def test_receipts_only_for_complete_files_with_progress_qr(book, sikro, ws_args, workspace):
    result = sikro("batch", book, "--doc", "receipt", "--pdf", "--json", *ws_args, timeout=300)
    docs = result.json()["documents"]
    assert [d["status"] for d in docs] == ["issued", "issued", "issued", "skipped"]
    assert "NPWP" in docs[3]["message"]
    text = pdf_text(docs[0]["pdf"])
    assert "REG/00001/SIKRO/" in text
    [code] = read_qr_codes(docs[0]["pdf"])
    assert "/P/" in code
    returned = sikro("generate", "checklist-return", "1211044812960005", "--json", *ws_args).json()
    assert returned["documents"][0]["status"] == "issued"


def test_a_checklist_return_issued_before_the_file_was_completed_still_gets_its_pdf(tmp_path, book, sikro,
                                                                                     ws_args):
    sikro("import", book, *ws_args)
    first = sikro("generate", "checklist-return", "1211044812960005", "--json", *ws_args).json()["documents"][0]
    assert first["status"] == "issued" and first["pdf"] is None
    completed = [r for r in rows() if r["nik"] == "1211044812960005"][0] | {"npwp": "Y"}
    sikro("import", make_workbook(tmp_path / "lengkap.xlsx", [completed]), *ws_args)

    again = sikro("generate", "checklist-return", "1211044812960005", "--pdf", "--json", *ws_args,
                  timeout=300).json()["documents"][0]
    assert again["status"] == "existing" and again["docx"] == first["docx"]
    assert "berkas lengkap" in again["message"]
    assert "Klarifikasi" in pdf_text(again["pdf"]) or "KLARIFIKASI" in pdf_text(again["pdf"])


def test_merge_writes_one_pdf_of_the_batch(at_step_7, book, sikro, ws_args):
    result = sikro("batch", book, "--doc", "permit", "--merge", "--json", *ws_args, timeout=300)
    merged = result.json()["merged_pdf"]
    assert merged and len(PdfReader(merged).pages) == 2


def test_broken_template_fails_every_row_and_takes_no_number(book, sikro, ws_args, workspace):
    from docx import Document

    from sikro_docs.documents import template_path

    doc = Document(str(template_path(workspace, "rejection")))
    doc.add_paragraph("{{ pemohon.namaa }}")
    doc.save(str(workspace.templates_dir / "rejection.docx"))
    result = sikro("batch", book, "--doc", "rejection", "--json", *ws_args)
    assert result.code == 1
    [failed] = [d for d in result.json()["documents"] if d["status"] == "failed"]
    assert "pemohon.namaa" in failed["message"] and "rejection.docx" in failed["message"]
    assert register_rows(workspace, "surat-keluar") == []
    assert_no_traceback(result)


def test_a_row_without_the_recommendation_waits_and_takes_no_number(tmp_path, sikro, ws_args, workspace):
    records = rows()
    records[1] = {**records[1], "nomor_rekomendasi": None, "tanggal_rekomendasi": None}
    book = make_workbook(tmp_path / "p.xlsx", records)
    import_and_advance(workspace, book)
    result = sikro("batch", book, "--doc", "permit", "--json", *ws_args)
    assert result.code == 0, result.err
    docs = result.json()["documents"]
    assert [d["status"] for d in docs][:2] == ["issued", "waiting"]
    assert docs[1]["message"] == "menunggu langkah 8 (Pemberian Rekomendasi)"
    assert [r[2] for r in register_rows(workspace, "izin")] == ["used"]


def test_without_libreoffice_docx_is_made_and_the_note_says_how_to_install(at_step_7, book, sikro, ws_args):
    result = sikro("batch", book, "--doc", "permit", "--pdf", "--json", *ws_args,
                   env={"SIKRO_SOFFICE": "/nonexistent/soffice"})
    report = result.json()
    assert all(d["docx"] and d["pdf"] is None for d in report["documents"] if d["status"] == "issued")
    assert any("apt-get install" in note for note in report["notes"])


def test_unusable_workbook_exits_2(tmp_path, sikro, ws_args):
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    result = sikro("batch", bad, "--doc", "permit", *ws_args)
    assert result.code == 2 and "rusak.xlsx" in result.err
    assert_no_traceback(result)


def test_batch_records_the_sop_step_it_performs(book, sikro, ws_args, workspace):
    assert sikro("batch", book, "--doc", "receipt", *ws_args).code == 0
    status = sikro("status", "REG/00001/SIKRO/" + str(TODAY.year), "--json", *ws_args).json()
    assert status["current_step"] == 3 and status["next_step"] == 4
    # a workbook saying "Disetujui" does not make a permit for an application at step 3
    result = sikro("batch", book, "--doc", "permit", "--json", *ws_args)
    docs = result.json()["documents"]
    assert [d["status"] for d in docs][:2] == ["waiting", "waiting"]
    assert docs[0]["message"] == "menunggu langkah 4 (Mengentri berkas permohonan dalam aplikasi e-perizinan dan meneruskan ke Backoffice)"
    assert register_rows(workspace, "izin") == []


def test_signed_batch_verifies_and_a_changed_byte_breaks_it(tmp_path, book, sikro):
    root = tmp_path / "signed"
    assert sikro("init", root, "--demo-certificate").code == 0
    import_and_advance(open_workspace(root), book)
    result = sikro("batch", book, "--doc", "permit", "--sign", "--json", "--workspace", root, timeout=300)
    assert result.code == 0, result.err
    pdf = result.json()["documents"][0]["pdf"]
    verdict = sikro("verify", pdf, "--json", "--workspace", root)
    assert verdict.code == 0, verdict.out
    signature = verdict.json()["signature"]
    assert signature["intact"] and signature["trusted"] and signature["signer"]
    data = bytearray(open(pdf, "rb").read())
    data[len(data) // 3] ^= 0x01
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    broken = sikro("verify", changed, "--json", "--workspace", root)
    assert broken.code == 1 and broken.json()["signature"]["intact"] is False
    events = "".join(p.read_text() for p in (root / "archive").rglob("premis-events.jsonl"))
    assert '"PAdES signature"' in events and '"intact": true' in events


def test_kill_9_in_the_middle_of_a_batch_leaves_no_libreoffice_and_consistent_registers(tmp_path, sikro, ws_args,
                                                                                          workspace):
    many = [valid_record(no_registrasi=None, nama=f"Pemohon {n}, A.Md.RO", nik=f"12110145039100{n:02d}",
                         tanggal_lahir="05-03-1991", jenis_kelamin="P", keputusan="Disetujui",
                         tanggal_permohonan=APPLIED, **RECOMMENDATION)
            for n in range(1, 41)]
    book = make_workbook(tmp_path / "banyak.xlsx", many)
    import_and_advance(workspace, book)
    own_tmp = tmp_path / "tmp"  # where this batch's LibreOffice workers put their profiles
    own_tmp.mkdir()
    batch = subprocess.Popen([sys.executable, "-m", "sikro_docs", "batch", str(book), "--doc", "permit", "--pdf",
                              *ws_args], env={**os.environ, "TMPDIR": str(own_tmp)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((workspace.root / "out" / "permit").glob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait()

    # Each worker's bridge sees its input end and takes LibreOffice down with it, then removes
    # the worker's folder; on a loaded machine that takes a few seconds.
    deadline = time.monotonic() + 30
    while True:
        left = subprocess.run(["pgrep", "-f", str(own_tmp)], capture_output=True, text=True).stdout.split()
        if (not left and not list(own_tmp.iterdir())) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert left == [], "LibreOffice processes outlived the batch"
    assert list(own_tmp.iterdir()) == []
    verify = sikro("register", "verify", *ws_args)
    assert verify.code == 0, verify.err
    statuses = dict(sql(workspace,
                        "select status, count(*) from register_entries where register = 'izin' group by status"))
    assert set(statuses) <= {"used", "void"} and statuses.get("used", 0) >= 1

    again = sikro("batch", book, "--doc", "permit", "--pdf", "--json", *ws_args, timeout=300).json()["documents"]
    assert all(d["status"] in ("issued", "existing") and d["pdf"] for d in again), again
