"""Lists (Daftar Arsip), retention due dates, box labels, OCR text for search."""

from __future__ import annotations

import datetime as dt
import shutil

from archive_support import bad_scan, make_permit, paper, run
from conftest import needs_tool
from openpyxl import load_workbook

from sikro_docs.archive.retention import retention_dates, rule_for
from sikro_docs.verification import read_qr_codes


def _filed_and_placed(workspace, tmp_path, ws_args, name="=HYPERLINK(\"x\")"):
    permit = make_permit(workspace, name=name)
    scan = bad_scan(paper(tmp_path / "p.pdf", permit.url), tmp_path / "s.jpg")
    assert run("archive", "ingest", scan, "--no-ocr", *ws_args).code == 0
    assert run("archive", "place", permit.registration_number, "--room", "Ruang Arsip 1", "--cabinet", "2",
               "--shelf", "3", "--box", "12", "--folder", "4", *ws_args).code == 0
    return permit


def test_retention_schedule_is_data():
    rule = rule_for("500.16.7.2")
    assert (rule.active_years, rule.inactive_years, rule.fate) == (3, 7, "Permanen")
    assert rule_for("500.16.7.2.9").code == "500.16.7.2"  # a sub-code inherits its parent's rule
    assert retention_dates("500.16.7.2", dt.date(2026, 3, 7)) == (dt.date(2029, 12, 31), dt.date(2036, 12, 31), "Permanen")


def test_lists_due_and_labels(workspace, tmp_path, ws_args):
    permit = _filed_and_placed(workspace, tmp_path, ws_args)
    active = tmp_path / "aktif.xlsx"
    assert run("archive", "export", "daftar-aktif", "-o", active, "--on", "2026-06-01", *ws_args).code == 0
    sheet = load_workbook(active).active
    header = [c.value for c in sheet[5]]
    assert header[:6] == ["No", "Nomor Berkas", "Kode Klasifikasi", "Uraian Informasi Berkas", "Kurun Waktu", "Jumlah"]
    row = [c for c in sheet[6]]
    assert row[1].value == "REG-00001-SIKRO-2026" and row[2].value == "500.16.7.2"
    uraian = row[3]
    assert uraian.value.startswith("Permohonan SIKRO a.n. =HYPERLINK") and uraian.data_type == "s"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$5:$5"
    inactive = tmp_path / "inaktif.xlsx"
    assert run("archive", "export", "daftar-inaktif", "-o", inactive, "--on", "2031-01-01", *ws_args).code == 0
    values = [c.value for c in load_workbook(inactive).active[6]]
    assert "Asli" in values and "12" in values and "4" in values and "Permanen" in values

    due = run("archive", "due", "--on", "2030-01-02", "--json", *ws_args).json()["due"]
    assert [(d["registration_number"], d["action"]) for d in due] == [(permit.registration_number, "move-inactive")]
    later = run("archive", "due", "--on", "2037-01-01", "--json", *ws_args).json()["due"]
    assert later[0]["action"] == "permanent"
    assert run("archive", "due", "--on", "2027-01-01", "--json", *ws_args).json()["due"] == []

    labels = tmp_path / "labels.pdf"
    assert run("archive", "labels", "--box", "12", "-o", labels, *ws_args).code == 0
    # No [archive] internal_url: the QR holds the box and its place as text, never a public address.
    assert read_qr_codes(labels) == ["BOKS 12 · Ruang Arsip 1, Lemari 2, Rak 3 · DPMPTSPK Kabupaten Dairi"]
    empty = run("archive", "labels", "--box", "99", "-o", tmp_path / "x.pdf", *ws_args)
    assert empty.code == 1 and "holds no berkas" in empty.err


@needs_tool(shutil.which("tesseract") is not None, "tesseract")
def test_ocr_text_of_a_scan_is_searchable(workspace, tmp_path, ws_args):
    permit = make_permit(workspace, name="Dewi Lubis")
    page = paper(tmp_path / "p.pdf", permit.url, words="REKOMENDASI KESEHATAN SIDIKALANG")
    scan = bad_scan(page, tmp_path / "s.jpg", blur=0.5, angle=0.5, quality=60)
    result = run("archive", "ingest", scan, "--json", *ws_args)
    assert result.code == 0, result.out
    hits = run("archive", "search", "sidikalang", "--json", *ws_args).json()["hits"]
    assert [h["registration_number"] for h in hits] == [permit.registration_number]
    text_files = list(workspace.archive_dir.glob("*/*/*/data/text/scans/*.txt"))
    assert len(text_files) == 1 and "SIDIKALANG" in text_files[0].read_text().upper()
    originals = list(workspace.archive_dir.glob("*/*/*/data/scans/*.jpg"))
    assert len(originals) == 1  # the scan itself is kept as it came, beside its text


def test_without_tesseract_filing_works_and_says_how_to_add_ocr(workspace, tmp_path, ws_args):
    import os
    import subprocess

    from archive_support import command

    permit = make_permit(workspace)
    scan = bad_scan(paper(tmp_path / "p.pdf", permit.url), tmp_path / "s.jpg")
    env = {**os.environ, "PATH": os.path.dirname(shutil.which("python3") or "/usr/bin/python3") + ":/nonexistent"}
    env["PATH"] = "/nonexistent"  # no tesseract on the PATH
    proc = subprocess.run(command("archive", "ingest", scan, "--json", *ws_args), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json

    report = json.loads(proc.stdout)
    assert report["files"][0]["status"] == "filed"
    assert any("sudo apt-get install tesseract-ocr tesseract-ocr-ind" in n for n in report["notes"])
