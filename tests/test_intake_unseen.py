"""Workbooks made by clerks, not by `sikro workbook`: other layouts, other value forms, other files.

Each kind either reads as the official workbook would, or is refused: a row with
a one-line reason naming its column, or the whole file (exit 2) with one line.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import pytest
from conftest import assert_no_traceback
from openpyxl import Workbook
from openpyxl.worksheet.table import Table, TableStyleInfo
from registers_support import sql
from test_intake_support import (
    HEADERS,
    make_workbook,
    messages,
    needs_soffice,
    record_cells,
    soffice_convert,
    valid_record,
)

from sikro_docs.errors import UnusableInput
from sikro_docs.excel_safe import write_row
from sikro_docs.intake import CHECKLIST, FIELDS, open_input

D = dt.date
SECOND = dict(nama="Hotman Simanjuntak", nik="1211012111880003", tanggal_lahir=D(1988, 11, 21),
              jenis_kelamin="L")


def read(path):
    with open_input(path) as intake:
        return intake, list(intake.rows())


def workbook_with(path, fill, sheet="Permohonan"):
    """A workbook whose sheet `fill(workbook, sheet)` writes; cells via write_row stay text."""
    workbook = Workbook()
    workbook.active.title = sheet
    fill(workbook, workbook.active)
    workbook.save(path)
    return path


def assert_all_ok(rows, count):
    assert [r.ok for r in rows] == [True] * count, [messages(r) for r in rows]


# --- layout -------------------------------------------------------------------

def test_headers_in_another_order_and_spelling(tmp_path):
    order = list(reversed(range(len(FIELDS))))
    spelt = [f"  {HEADERS[i].upper()} :" if i % 3 == 0 else HEADERS[i].replace(" ", "\n") + ":"
             for i in order]

    def fill(_, ws):
        write_row(ws, spelt)
        for record in (valid_record(), valid_record(**SECOND)):
            cells = record_cells(record)
            write_row(ws, [cells[i] for i in order])

    _, rows = read(workbook_with(tmp_path / "urutan.xlsx", fill))
    assert_all_ok(rows, 2)
    assert rows[1].values["nik"] == "1211012111880003" and rows[1].values["jenis_kelamin"] == "L"


def test_merged_title_rows_and_unknown_columns(tmp_path):
    def fill(_, ws):
        ws.append(["PEMERINTAH KABUPATEN DAIRI"])
        ws.merge_cells("A1:AC1")
        ws.append(["DAFTAR PERMOHONAN SIKRO BULAN AGUSTUS 2026"])
        ws.merge_cells("A2:AC2")
        ws.append([])
        write_row(ws, ["No", *HEADERS, "Keterangan", "Petugas"])
        write_row(ws, [1, *record_cells(valid_record()), "baru", "Ani"])

    intake, rows = read(workbook_with(tmp_path / "judul.xlsx", fill))
    assert intake.header_row == 4 and [r.number for r in rows] == [5]
    assert_all_ok(rows, 1)


def test_list_on_another_sheet_behind_a_title_page(tmp_path):
    def fill(workbook, ws):
        ws.append(["Daftar permohonan: lihat sheet berikut"])
        hidden = workbook.create_sheet("Lama")  # an old copy, hidden: not the one to read
        hidden.sheet_state = "hidden"
        write_row(hidden, HEADERS)
        write_row(hidden, record_cells(valid_record(**SECOND)))
        data = workbook.create_sheet("Data Agustus")
        write_row(data, HEADERS)
        write_row(data, record_cells(valid_record()))

    intake, rows = read(workbook_with(tmp_path / "lembar.xlsx", fill, sheet="Sampul"))
    assert intake.sheet == "Data Agustus"
    assert_all_ok(rows, 1)
    assert rows[0].values["nik"] == "1211014503910002"


def test_no_header_on_any_sheet_names_the_sheets(tmp_path):
    def fill(workbook, ws):
        ws.append(["Rekap"])
        workbook.create_sheet("Catatan").append(["apa saja"])

    with pytest.raises(UnusableInput, match=r'sheet "Sampul" has no recognisable header row .*Catatan'):
        open_input(workbook_with(tmp_path / "kosong.xlsx", fill, sheet="Sampul"))


def test_header_split_over_two_rows(tmp_path):
    """A group header "Kelengkapan Berkas" over the checklist; the other headers merged down."""
    first = next(i for i, f in enumerate(FIELDS) if f in CHECKLIST)
    top = [None if f in CHECKLIST else f.header for f in FIELDS]
    top[first] = "Kelengkapan Berkas"
    below = [f.header if f in CHECKLIST else None for f in FIELDS]

    def fill(_, ws):
        ws.append(["DAFTAR PERMOHONAN"])
        write_row(ws, top)
        write_row(ws, below)
        for col in range(1, first + 1):
            ws.merge_cells(start_row=2, end_row=3, start_column=col, end_column=col)
        ws.merge_cells(start_row=2, end_row=2, start_column=first + 1, end_column=first + len(CHECKLIST))
        write_row(ws, record_cells(valid_record(npwp="T")))

    intake, rows = read(workbook_with(tmp_path / "dua-baris.xlsx", fill))
    assert intake.headers[first] == "Surat Permohonan" and [r.number for r in rows] == [4]
    assert_all_ok(rows, 1)
    assert rows[0].missing == ["NPWP"]


def test_group_header_above_the_checklist_names_when_they_are_the_best_row(tmp_path):
    """The other way round: the item names are the fuller row, the personal headers sit above."""
    split = 6  # the first columns' headers are in the row above, merged down
    top = [f.header if i < split else None for i, f in enumerate(FIELDS)]
    top[split] = "Data Pemohon dan Berkas"
    below = [None if i < split else f.header for i, f in enumerate(FIELDS)]

    def fill(_, ws):
        write_row(ws, top)
        write_row(ws, below)
        write_row(ws, record_cells(valid_record()))

    intake, rows = read(workbook_with(tmp_path / "atas.xlsx", fill))
    assert intake.headers[:2] == HEADERS[:2] and intake.header_row == 2
    assert_all_ok(rows, 1)


@pytest.mark.parametrize("numbers", [list(range(1, len(HEADERS) + 1)), [f"({n})" for n in range(1, 25)]],
                         ids=["numbers", "bracketed"])
def test_column_numbering_row_under_the_header_is_skipped(tmp_path, numbers):
    path = make_workbook(tmp_path / "nomor.xlsx", rows=[numbers, record_cells(valid_record())])
    _, rows = read(path)
    assert [r.number for r in rows] == [3]
    assert_all_ok(rows, 1)


def test_prefilled_no_column_empty_and_whitespace_rows_and_formatted_tail(tmp_path):
    def fill(_, ws):
        write_row(ws, ["No", *HEADERS, "Keterangan"])
        write_row(ws, [1, *record_cells(valid_record())])
        ws.append([2])  # numbered ahead, never filled
        write_row(ws, [3, "  ", "\u00a0", "\u200b", "\t", "'"])  # only invisible content
        ws.append([])
        write_row(ws, [5, *record_cells(valid_record(**SECOND))])
        write_row(ws, [6] + [None] * len(HEADERS) + ["catatan tanpa data"])
        for number in range(7, 600):  # formatted, bordered, empty: max_row says 599
            ws.cell(number, 1).value = number
            for col in (3, 5, 10):
                ws.cell(number, col).number_format = "@"

    _, rows = read(workbook_with(tmp_path / "bernomor.xlsx", fill))
    assert [r.number for r in rows] == [2, 6]
    assert_all_ok(rows, 2)


# --- values ---------------------------------------------------------------------

@pytest.mark.parametrize("changes, field, expected", [
    (dict(nik=1211014503910002), "nik", "1211014503910002"),  # a number written exactly by a program
    (dict(nik=1211014503910002.0), "nik", "1211014503910002"),
    (dict(nik="1211 0145 0391 0002"), "nik", "1211014503910002"),
    (dict(nik="1211.0145.0391.0002"), "nik", "1211014503910002"),
    (dict(nik="'1211014503910002"), "nik", "1211014503910002"),
    (dict(nik="1211014503910002\u200b"), "nik", "1211014503910002"),
    (dict(tanggal_permohonan="5-8-2026"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="05/08/2026"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="5 Agustus 2026"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="2026-08-05"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="2026/08/05"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="Rabu, 5 Agustus 2026"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="5 Agust 2026"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="05/08/2026 14:30:12"), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan="46239"), "tanggal_permohonan", D(2026, 8, 5)),  # serial kept as text
    (dict(tanggal_permohonan=46239), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(tanggal_permohonan=dt.datetime(2026, 8, 5, 14, 30)), "tanggal_permohonan", D(2026, 8, 5)),
    (dict(no_hp=81265432100), "no_hp", "+6281265432100"),  # leading 0 lost
    (dict(no_hp=6281265432100), "no_hp", "+6281265432100"),
    (dict(no_hp="'081265432100"), "no_hp", "+6281265432100"),
    (dict(no_hp="0812\u00a06543\u00a02100"), "no_hp", "+6281265432100"),
    (dict(jenis_kelamin="Perempuan "), "jenis_kelamin", "P"),
    (dict(keputusan="disetujui"), "keputusan", "Disetujui"),
    (dict(keputusan="Setuju"), "keputusan", "Disetujui"),
    (dict(keputusan="DITOLAK ", alasan_penolakan="STR kedaluwarsa"), "keputusan", "Ditolak"),
    (dict(keputusan="Tidak Disetujui", alasan_penolakan="STR kedaluwarsa"), "keputusan", "Ditolak"),
    (dict(keputusan="Belum"), "keputusan", None),
    (dict(nama="  Rina 😊 Sitanggang  "), "nama", "Rina 😊 Sitanggang"),
    (dict(nama="Σίσυφος 山田 Ñúñez"), "nama", "Σίσυφος 山田 Ñúñez"),
    (dict(nama="'Rina Sitanggang"), "nama", "Rina Sitanggang"),
])
def test_values_typed_many_ways_normalise(tmp_path, changes, field, expected):
    _, [row] = read(make_workbook(tmp_path / "nilai.xlsx", [valid_record(**changes)]))
    assert row.ok, messages(row)
    assert row.values[field] == expected


@pytest.mark.parametrize("value, expected", [
    ("ya", True), ("Ya", True), ("YA", True), ("v", True), ("V", True), ("✓", True), ("√", True),
    (1, True), ("1", True), (True, True), ("TRUE", True), ("Ada", True), ("Sudah", True),
    ("Ada (legalisir)", True), ("T", False), (0, False), ("0", False), (False, False), ("Belum", False),
    ("Tidak Ada", False), ("tdk", False),
])
def test_checklist_marks(tmp_path, value, expected):
    _, [row] = read(make_workbook(tmp_path / "cek.xlsx", [valid_record(ktp=value)]))
    assert row.ok, messages(row)
    assert row.values["berkas"]["ktp"] is expected


@pytest.mark.parametrize("changes, column, fragment", [
    (dict(ktp="x"), "KTP", '"x" must be Y or T'),  # a cross means "there" to some, "missing" to others
    (dict(ktp="-"), "KTP", '"-" must be Y or T'),
    (dict(ktp=2), "KTP", '"2" must be Y or T'),
    (dict(nik="1.21101E+15"), "NIK", "keeps only 15 digits"),
    (dict(nik=1.21101e15), "NIK", "keeps only 15 digits"),
    (dict(nik="１２１１０１４５０３９１０００２"), "NIK", "contains characters other than digits"),
    (dict(tanggal_permohonan="05-08-26"), "Tanggal Permohonan", "write it as dd-mm-yyyy"),
    (dict(tanggal_permohonan="#N/A"), "Tanggal Permohonan", 'shows the Excel error "#N/A"'),
    (dict(nama="#REF!"), "Nama", 'shows the Excel error "#REF!"'),
    (dict(nama="A" * 400), "Nama", "is 400 characters long; at most 150 fit"),
    (dict(alamat="Jl. " + "Panjang " * 100), "Alamat", "characters long; at most 300 fit"),
    (dict(no_hp="0812 / 0813 1234 5678"), "No HP", "is not an Indonesian phone number"),
    (dict(keputusan="Mungkin"), "Keputusan", "must be Disetujui or Ditolak"),
])
def test_values_that_cannot_be_used_name_the_column(tmp_path, changes, column, fragment):
    _, [row] = read(make_workbook(tmp_path / "salah.xlsx", [valid_record(**changes)]))
    assert not row.ok
    [problem] = row.problems
    assert problem.column == column and fragment in problem.message, problem.message
    assert "\n" not in problem.message


def test_formula_saved_without_result_is_a_row_error(tmp_path):
    """openpyxl writes formulas without results, as scripts and some web exports do."""
    record = valid_record(tanggal_permohonan="=DATE(2026,8,5)", nama='=UPPER("rina")')
    path = make_workbook(tmp_path / "rumus.xlsx", records=[record, valid_record(**SECOND)], raw_strings=False)
    _, [bad, good] = read(path)
    assert good.ok and not bad.ok
    assert [p.column for p in bad.problems] == ["Tanggal Permohonan", "Nama"]
    assert "is a formula saved without its result; open the file in Excel or LibreOffice" in messages(bad)


def test_text_that_starts_with_equals_is_still_text(tmp_path):
    path = make_workbook(tmp_path / "teks.xlsx", records=[valid_record(alamat="=Jl. Merdeka 1")])
    _, [row] = read(path)
    assert row.ok and row.values["alamat"] == "=Jl. Merdeka 1"


# --- files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["daftar.xlsm", "daftar.xlsx.bak", "daftar", "DAFTAR.XLSX"])
def test_workbook_under_another_name(tmp_path, name):
    source = make_workbook(tmp_path / "asli.xlsx", [valid_record()])
    _, rows = read(shutil.copy(source, tmp_path / name))
    assert_all_ok(rows, 1)


def test_excel_table_autofilter_hidden_rows_and_columns_are_read_as_data(tmp_path):
    def fill(_, ws):
        write_row(ws, HEADERS)
        write_row(ws, record_cells(valid_record()))
        write_row(ws, record_cells(valid_record(**SECOND)))
        table = Table(displayName="Permohonan", ref="A1:AB3")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
        ws.add_table(table)
        ws.row_dimensions[3].hidden = True
        ws.column_dimensions["J"].hidden = True

    _, rows = read(workbook_with(tmp_path / "tabel.xlsx", fill))
    assert_all_ok(rows, 2)  # hidden is not deleted: a hidden row is imported like any other


WEB_PAGE = b"<html><body><table><tr><td>Nama</td><td>NIK</td></tr></table></body></html>"
XML_2003 = (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>')


def xlsb(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return path


@pytest.mark.parametrize("name, make, fragment", [
    ("web.xls", lambda p: p.write_bytes(WEB_PAGE), "a web page (HTML) saved under a spreadsheet name"),
    ("web.xlsx", lambda p: p.write_bytes(b"\xef\xbb\xbf<!DOCTYPE html>\n" + WEB_PAGE), "a web page (HTML)"),
    ("xml2003.xls", lambda p: p.write_bytes(XML_2003), "an Excel 2003 XML spreadsheet"),
    ("arsip.xls", lambda p: p.write_bytes(b"MIME-Version: 1.0\r\nContent-Type: multipart/related"), "MHTML"),
    ("biner.xlsb", xlsb, "an Excel binary workbook (.xlsb) is not accepted"),
    ("unicode.xlsx", lambda p: p.write_bytes("Nama\tNIK\tTanggal\nRina\t1\t2\n".encode("utf-16")), "CSV/text"),
    ("ansi.xlsx", lambda p: p.write_bytes("Nama;NIK;Alamat\nJosé;1;Jl. Ñ\n".encode("cp1252")), "CSV/text"),
], ids=lambda v: v if isinstance(v, str) and "." in v else "")
def test_exports_that_are_not_workbooks_are_refused_in_one_line(tmp_path, name, make, fragment):
    path = tmp_path / name
    make(path)
    with pytest.raises(UnusableInput) as caught:
        open_input(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and fragment in message and "\n" not in message
    assert "save it as" in message


# --- LibreOffice --------------------------------------------------------------------

@pytest.fixture(scope="module")
def through_libreoffice(tmp_path_factory):
    """Workbooks re-saved by LibreOffice: it calculates formulas and stores their results."""
    source = tmp_path_factory.mktemp("unseen-source")

    def with_formulas(_, ws):
        ws.append(HEADERS)  # ws.append: formulas stay formulas
        ws.append(record_cells(valid_record(tanggal_permohonan="=DATE(2026,8,5)", nama='=PROPER("rina sitanggang")',
                                            ktp="=IF(1>0,\"Y\",\"T\")")))
        ws.append(record_cells(valid_record(**{**SECOND, "nik": "=\"1211012111880003\""},
                                            tanggal_permohonan="=A99")))  # refers to an empty cell: 0
        ws.auto_filter.ref = "A1:AB3"
        ws.row_dimensions[3].hidden = True

    formulas = workbook_with(source / "rumus.xlsx", with_formulas)
    plain = make_workbook(source / "biasa.xlsx", [valid_record()])
    out = tmp_path_factory.mktemp("unseen-lo")
    [resaved] = soffice_convert([formulas], out / "xlsx", "xlsx")
    [ods] = soffice_convert([plain], out / "ods", "ods")
    [html] = soffice_convert([plain], out / "html", "html:HTML (StarCalc)")
    return {"formulas": resaved, "ods": ods, "html": html}


@needs_soffice
def test_formulas_resaved_by_libreoffice_give_their_results(through_libreoffice):
    _, [first, second] = read(through_libreoffice["formulas"])
    assert first.ok, messages(first)
    assert first.values["nama"] == "Rina Sitanggang" and first.values["tanggal_permohonan"] == D(2026, 8, 5)
    assert first.values["berkas"]["ktp"] is True
    assert second.values["nik"] == "1211012111880003"  # the result, not the formula text
    assert [p.column for p in second.problems] == ["Tanggal Permohonan"]  # =A99 of an empty cell is 0


@needs_soffice
@pytest.mark.parametrize("key, fragment", [("ods", "an OpenDocument file (.ods)"), ("html", "a web page (HTML)")])
def test_libreoffice_exports_that_are_not_xlsx(through_libreoffice, tmp_path, key, fragment):
    renamed = shutil.copy(through_libreoffice[key], tmp_path / "dari-lo.xlsx")
    with pytest.raises(UnusableInput, match=rf"dari-lo.xlsx: {__import__('re').escape(fragment)}.*save it as"):
        open_input(renamed)


# --- through the command --------------------------------------------------------------

def count(workspace, table):
    [(rows,)] = sql(workspace, f"select count(*) from {table}")
    return rows


def clerk_workbook(path):
    """A layout never written by sikro: cover sheet, two-row header, numbering row, No column."""
    first = next(i for i, f in enumerate(FIELDS) if f in CHECKLIST)
    top = ["No", *[None if f in CHECKLIST else f.header.upper() for f in FIELDS]]
    top[first + 1] = "KELENGKAPAN BERKAS"
    below = [None, *[f.header if f in CHECKLIST else None for f in FIELDS]]

    def fill(workbook, ws):
        ws.append(["Lihat sheet Daftar"])
        data = workbook.create_sheet("Daftar")
        data.append(["DAFTAR PERMOHONAN SIKRO"])
        write_row(data, top)
        write_row(data, below)
        data.append(list(range(1, len(top) + 1)))
        write_row(data, [1, *record_cells(valid_record(no_registrasi=None, tanggal_permohonan="5 Agustus 2026",
                                                       ktp="✓", npwp="Belum"))])
        write_row(data, [2, *record_cells(valid_record(no_registrasi=None, **SECOND, no_hp=81265432100))])
        write_row(data, [3, *record_cells(valid_record(no_registrasi=None, nik="1211014503910009",
                                                       tanggal_lahir="31-02-1991"))])
        for number in range(4, 40):
            data.append([number])

    return workbook_with(path, fill, sheet="Sampul")


def test_import_of_a_clerk_layout_end_to_end(tmp_path, sikro, ws_args, workspace):
    path = clerk_workbook(tmp_path / "daftar-agustus.xlsx")
    result = sikro("import", path, "--json", *ws_args)
    assert_no_traceback(result)
    assert result.code == 1, result.err
    report = result.json()
    assert (report["imported"], [p["row"] for p in report["invalid"]]) == (2, [7])
    assert report["invalid"][0]["column"] == "TANGGAL LAHIR"  # the header as the clerk wrote it
    intake, [bad] = read(report["errors_file"])  # the errors list reads back as input
    assert intake.headers[:3] == ["Baris", "Kesalahan", "No"] and bad.values["nik"] == "1211014503910009"
    listed = sikro("list", "--json", *ws_args).json()
    assert [a["status"] for a in listed] == ["returned", "open"]  # NPWP "Belum": incomplete file
    assert listed[0]["missing"] == ["NPWP"] and listed[1]["phone"] == "+6281265432100"
    again = sikro("import", path, "--json", *ws_args)
    assert again.json()["unchanged"] == 2 and count(workspace, "applications") == 2


def test_batch_reads_the_same_clerk_layout(tmp_path, sikro, ws_args, workspace):
    path = clerk_workbook(tmp_path / "daftar.xlsx")
    result = sikro("batch", path, "--doc", "receipt", "--json", *ws_args)
    assert_no_traceback(result)
    assert result.code == 1, result.out + result.err  # row 7 is invalid; the others are done
    assert count(workspace, "applications") == 2


@pytest.mark.parametrize("make", [
    lambda p: p.write_bytes(WEB_PAGE),
    lambda p: p.write_bytes(XML_2003),
    xlsb,
], ids=["html", "xml2003", "xlsb"])
def test_refused_exports_exit_2_one_line_nothing_saved(tmp_path, sikro, ws_args, workspace, make):
    path = tmp_path / "ekspor.xls"
    make(path)
    result = sikro("import", path, *ws_args)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert_no_traceback(result)
    assert count(workspace, "applications") == 0


def test_errors_list_that_cannot_be_written_saves_nothing(tmp_path, sikro, ws_args, workspace):
    path = clerk_workbook(tmp_path / "daftar.xlsx")
    (tmp_path / "daftar-kesalahan.xlsx").mkdir()  # in the way, like a file Excel holds open on Windows
    result = sikro("import", path, *ws_args)
    assert_no_traceback(result)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert "daftar-kesalahan.xlsx: cannot write the list of invalid rows" in result.err
    assert "nothing was imported" in result.err
    assert count(workspace, "applications") == 0 and count(workspace, "events") == 0


def test_place_and_date_of_birth_in_one_column(tmp_path):
    """"Tempat, Tanggal Lahir" (TTL) in one column, as on most Indonesian forms."""
    place, date = HEADERS.index("Tempat Lahir"), HEADERS.index("Tanggal Lahir")
    headers = [h for i, h in enumerate(HEADERS) if i != date]
    headers[place] = "Tempat/Tgl. Lahir"

    def row(ttl, **changes):
        cells = record_cells(valid_record(**changes))
        cells[place] = ttl
        return [v for i, v in enumerate(cells) if i != date]

    path = make_workbook(tmp_path / "ttl.xlsx", headers=headers, rows=[
        row("Sidikalang, 05-03-1991"),
        row("Pematang Siantar 21 November 1988", **SECOND),
        row("Sidikalang", nik="1211014503910009"),
    ])
    _, rows = read(path)
    assert [r.ok for r in rows] == [True, True, False]
    assert (rows[0].values["tempat_lahir"], rows[0].values["tanggal_lahir"]) == ("Sidikalang", D(1991, 3, 5))
    assert rows[1].values["tempat_lahir"] == "Pematang Siantar"
    assert messages(rows[2]) == "Tempat/Tgl. Lahir is empty; it is required"
