"""The books as printable workbooks, read back by openpyxl and by LibreOffice."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess

import openpyxl
import pytest
from registers_support import DOC_DATE, make_applications

from sikro_docs import db, numbering
from sikro_docs.models import Application

EVIL = '=HYPERLINK("http://evil","x")'
BOOKS = {
    "registrasi": ["No", "No Registrasi", "Tanggal", "Nama pemohon", "Jenis izin", "Keterangan"],
    "surat-keluar": ["No urut", "No surat", "Tgl surat", "Ditujukan kepada", "Isi singkat", "Keterangan"],
    # a book of one permit type: the type's short name and its first QR fields, labelled by the type
    "izin": ["No urut", "Nomor Izin", "Tanggal", "Nama pemegang izin", "Jenis izin", "Nomor STR", "Tempat kerja",
             "Keterangan"],
    "ekspedisi": ["No", "Tgl pengiriman", "No. surat", "Tgl surat", "Isi singkat", "Ditujukan kepada", "Keterangan"],
}
HEADER_ROW = 5


def nothing(_document):
    return []


@pytest.fixture
def exported(workspace, sikro, ws_args, tmp_path):
    [evil] = make_applications(workspace, 1, name=EVIL)
    [plain] = make_applications(workspace, 1, name="Sri Rahayu")
    request = numbering.issue_document(workspace, kind="recommendation-request", application_id=evil,
                                       on=DOC_DATE, produce=nothing)
    numbering.issue_document(workspace, kind="rejection", application_id=plain, on=dt.date(2025, 3, 20),
                             produce=nothing)
    permit = numbering.issue_document(workspace, kind="permit", application_id=evil, on=DOC_DATE, produce=nothing)
    with db.session(workspace, write=True) as session:
        numbering.void(session, workspace, "surat-keluar", request.number, "salah alamat")
        numbering.record_dispatch(session, workspace, permit.number, to=EVIL, received_by=EVIL,
                                  at=dt.datetime(2025, 3, 10, 14, 30))
    files = {}
    for book in BOOKS:
        files[book] = tmp_path / f"{book}.xlsx"
        result = sikro("register", "export", book, "-o", files[book], "--year", "2025", *ws_args)
        assert result.code == 0, result.err
    profile = workspace.profile_path.read_text().replace('paper = "A4"', 'paper = "F4"')
    workspace.profile_path.write_text(profile)
    files["f4"] = tmp_path / "f4.xlsx"
    assert sikro("register", "export", "izin", "-o", files["f4"], *ws_args).code == 0
    return files


def rows_of(path):
    sheet = openpyxl.load_workbook(path)["2025"]
    return sheet, [[c.value for c in row] for row in sheet.iter_rows()]


def test_books_have_title_header_lines_and_totals(exported, workspace):
    for book, header in BOOKS.items():
        sheet, rows = rows_of(exported[book])
        assert rows[2][0] == "Tahun 2025" and rows[1][0] == "DPMPTSPK Kabupaten Dairi"
        assert rows[HEADER_ROW - 1][:len(header)] == header
    _, agenda = rows_of(exported["surat-keluar"])
    assert agenda[0][0] == "BUKU AGENDA SURAT KELUAR"
    assert agenda[5][:3] == [1, "500.16.7.2/0001/DPMPTSPK/III/2025", "7 Maret 2025"]
    assert agenda[5][5] == "BATAL: salah alamat"
    assert agenda[6][2] == "20 Maret 2025"
    assert agenda[6][4] == "Penolakan permohonan SIKRO a.n. Sri Rahayu"
    assert agenda[-1][0] == "Jumlah: 1 terpakai, 1 batal, 2 seluruhnya"
    _, permits = rows_of(exported["izin"])
    assert permits[5][3:7] == [EVIL, "SIKRO", "STR-00001", "Optik Terang"]
    _, registrations = rows_of(exported["registrasi"])
    assert registrations[5][3:5] == [EVIL, "SIKRO"]
    _, dispatches = rows_of(exported["ekspedisi"])
    assert dispatches[5][1] == "10 Maret 2025 14.30 WIB"
    assert dispatches[5][6] == f"Diterima oleh {EVIL}"


def test_a_book_of_several_types_shows_each_permit_s_type_and_facts(workspace, tmp_path):
    """A shared register of permits of several types: a generic "Keterangan izin" column."""
    from sikro_docs import books, permit_types
    from sikro_docs.workspace import open_workspace

    text = workspace.profile_path.read_text("utf-8").replace('registers = "per-type"', 'registers = "shared"')
    workspace.profile_path.write_text(text + '\n[registers.izin]\ntitle = "Buku Agenda Penomoran Izin"\n'
                                      'classification = "503"\npattern = "503/{nomor:04d}/{unit}/{tahun}"\n', "utf-8")
    workspace = open_workspace(workspace.root)  # every type's permits from the one register
    [first, second] = make_applications(workspace, 2)
    other = next(t for t in permit_types.catalogue(workspace).types.values() if t.code != "sikro")
    facts = {f.storage_key: f.example for f in other.own_fields}
    with db.session(workspace, write=True) as session:
        app = session.get(Application, second)
        app.permit_type, app.facts = other.code, facts
    for app_id in (first, second):
        numbering.issue_document(workspace, kind="permit", application_id=app_id, on=DOC_DATE, produce=nothing)
    with db.session(workspace) as session:
        books.export_book(session, workspace, "izin", tmp_path / "izin.xlsx", year=2025)
    _, rows = rows_of(tmp_path / "izin.xlsx")
    assert rows[HEADER_ROW - 1] == ["No urut", "Nomor Izin", "Tanggal", "Nama pemegang izin", "Jenis izin",
                                    "Keterangan izin", "Keterangan"]
    assert rows[5][4] == "SIKRO" and rows[5][5].startswith("Nomor STR: STR-")
    label = other.by_name[other.qr_fields[0]].shown_label
    assert rows[6][4] == other.short_name and f"{label}: {facts[other.by_name[other.qr_fields[0]].storage_key]}" in rows[6][5]


def test_books_are_printable(exported):
    sheet, _ = rows_of(exported["izin"])
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.column_dimensions["B"].width >= 30
    f4 = openpyxl.load_workbook(exported["f4"])["2025"].page_setup
    assert (f4.paperSize, f4.paperWidth, f4.paperHeight) == (14, "215mm", "330mm")


def test_applicant_text_stays_text_in_openpyxl_and_libreoffice(exported, tmp_path):
    for book in ("registrasi", "izin", "ekspedisi"):
        sheet, _ = rows_of(exported[book])
        cells = [c for row in sheet.iter_rows() for c in row if c.value == EVIL]
        assert cells and all(c.data_type == "s" for c in cells)
    outdir = tmp_path / "csv"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
         "--convert-to", "csv", "--outdir", str(outdir), *map(str, exported.values())],
        check=True, capture_output=True, timeout=120,
    )
    for name, path in exported.items():
        converted = outdir / f"{path.stem}.csv"
        assert converted.is_file(), f"LibreOffice could not open {name}"
        rows = list(csv.reader(converted.open(encoding="utf-8")))
        assert rows[HEADER_ROW - 1][0] in ("No", "No urut")
        if name in ("registrasi", "izin", "ekspedisi", "f4"):
            assert EVIL in [cell for row in rows for cell in row], name


def test_unknown_paper_and_book_are_clear_errors(workspace, sikro, ws_args, tmp_path):
    assert sikro("register", "export", "surat-masuk", "-o", tmp_path / "x.xlsx", *ws_args).code == 1
    workspace.profile_path.write_text(workspace.profile_path.read_text().replace('paper = "A4"', 'paper = "A5"'))
    result = sikro("register", "export", "izin", "-o", tmp_path / "x.xlsx", *ws_args)
    assert result.code == 1 and "paper 'A5' is not supported" in result.err
    assert not (tmp_path / "x.xlsx").exists()
