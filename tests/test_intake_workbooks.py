"""The workbooks intake writes: the official blank workbook, the errors workbook,
the sample list, and the excel_safe helper they all use."""

import datetime as dt
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from test_intake_support import HEADERS, make_workbook, messages, record_cells, valid_record

from sikro_docs.excel_safe import safe, write_row
from sikro_docs.intake import FIELDS, open_input, write_blank_workbook, write_errors_workbook
from sikro_docs.intake.errors_book import BAD_FILL
from sikro_docs.intake.workbook import FIRST_DATA_ROW, HEADER_ROW, PREPARED_ROWS, TITLE
from sikro_docs.samples import write_sample_workbook

ROOT = Path(__file__).resolve().parents[1]
INJECTION = '=HYPERLINK("http://x","y")'


# --- excel_safe -------------------------------------------------------------

def test_write_row_keeps_formula_like_text_as_text_in_both_worksheet_kinds(tmp_path):
    values = [INJECTION, "+62 812", "-5", "@SUM(A1)", "\tx", 42, dt.date(2026, 8, 5), None, "biasa"]
    normal, streaming = Workbook(), Workbook(write_only=True)
    write_row(normal.active, values)
    write_row(streaming.create_sheet("S"), values, font=Font(bold=True))
    normal.save(tmp_path / "n.xlsx")
    streaming.save(tmp_path / "s.xlsx")
    for name in ("n.xlsx", "s.xlsx"):
        ws = load_workbook(tmp_path / name).worksheets[0]
        cells = list(ws.iter_rows(min_row=1, max_row=1))[0]
        assert [c.value for c in cells[:5]] == values[:5]
        assert all(c.data_type == "s" for c in cells[:5])
        assert cells[0].font.b == (name == "s.xlsx")
        assert cells[5].value == 42 and cells[6].value.date() == dt.date(2026, 8, 5)


def test_safe_drops_control_characters_and_stringifies_odd_types():
    assert safe("a\x07b") == "ab"
    assert safe(Path("x/y")) == "x/y"
    assert safe(None) is None and safe(3.5) == 3.5


# --- blank workbook ---------------------------------------------------------

def test_blank_workbook_layout(tmp_path):
    path = write_blank_workbook(tmp_path / "kosong.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Permohonan", "Petunjuk"]
    sheet = workbook["Permohonan"]
    assert sheet["A1"].value == TITLE
    assert [c.value for c in sheet[HEADER_ROW]] == HEADERS
    assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}"
    assert sheet.column_dimensions[get_column_letter(HEADERS.index("Nama") + 1)].width == 30
    nik_column = HEADERS.index("NIK") + 1
    last = FIRST_DATA_ROW + PREPARED_ROWS - 1
    assert sheet.cell(FIRST_DATA_ROW, nik_column).number_format == "@"
    assert sheet.cell(last, nik_column).number_format == "@"
    assert sheet.cell(last, HEADERS.index("No HP") + 1).number_format == "@"
    assert sheet.cell(last, HEADERS.index("No STR") + 1).number_format == "@"
    validations = {dv.formula1: dv for dv in sheet.data_validations.dataValidation}
    assert {'"L,P"', '"Y,T"', '"Disetujui,Ditolak"', "DATE(1900,1,1)"} <= set(validations)
    date_check = validations["DATE(1900,1,1)"]
    assert date_check.type == "date" and date_check.showInputMessage and date_check.prompt
    assert f"D{FIRST_DATA_ROW}:D{last}" not in str(validations['"L,P"'].sqref)
    gender = get_column_letter(HEADERS.index("Jenis Kelamin") + 1)
    assert str(validations['"L,P"'].sqref) == f"{gender}{FIRST_DATA_ROW}:{gender}{last}"


def test_petunjuk_explains_every_column(tmp_path):
    sheet = load_workbook(write_blank_workbook(tmp_path / "kosong.xlsx"))["Petunjuk"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if r[0]}
    for fld in FIELDS:
        name, need, form, example, help_text = rows[fld.header]
        if fld.group == "berkas":  # the papers: WAJIB or OPSIONAL per application kind
            assert need.startswith("Baru: Wajib")
        else:
            assert need == ("Wajib" if fld.required else "Opsional")
        assert form and example and help_text


def test_blank_workbook_round_trip(tmp_path):
    path = write_blank_workbook(tmp_path / "kosong.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["Permohonan"]
    records = [valid_record(), valid_record(nik="1211010507880004", jenis_kelamin="L",
                                            tanggal_lahir=dt.date(1988, 7, 5), npwp="T")]
    for offset, record in enumerate(records):
        for column, value in enumerate(record_cells(record), start=1):
            sheet.cell(FIRST_DATA_ROW + offset, column).value = value
    workbook.save(path)
    with open_input(path) as intake:
        assert (intake.sheet, intake.header_row) == ("Permohonan", HEADER_ROW)
        rows = list(intake.rows())  # the 1000 prepared (formatted, empty) rows are skipped
    assert [r.ok for r in rows] == [True, True], [messages(r) for r in rows]
    assert rows[1].missing == ["NPWP"] and rows[0].number == FIRST_DATA_ROW


# --- errors workbook --------------------------------------------------------

def test_errors_workbook(tmp_path):
    path = make_workbook(tmp_path / "permohonan.xlsx", title_rows=[["DAFTAR"]],
                         headers=HEADERS + ["Catatan"],
                         rows=[record_cells(valid_record()) + ["ok"],
                               record_cells(valid_record(nik=1.21101450391e15, nama=INJECTION,
                                                         tanggal_lahir="31-02-1990")) + ["cek"]])
    with open_input(path) as intake:
        bad = [row for row in intake.rows() if not row.ok]
        dest = write_errors_workbook(intake, bad)
    assert dest == tmp_path / "permohonan-kesalahan.xlsx"
    sheet = load_workbook(dest).active
    header = [c.value for c in sheet[1]]
    assert header == ["Baris", "Kesalahan", *HEADERS, "Catatan"]
    row = {h: c for h, c in zip(header, sheet[2])}
    assert row["Baris"].value == 4
    assert row["Kesalahan"].value == "; ".join(p.message for p in bad[0].problems)
    assert "NIK" in row["Kesalahan"].value and "31-02-1990" in row["Kesalahan"].value
    assert row["Nama"].value == INJECTION and row["Nama"].data_type == "s"
    assert row["NIK"].value == "1211014503910000"  # digits, not 1.21E+15
    assert row["Tanggal Permohonan"].value.date() == dt.date(2026, 8, 5)
    assert row["Catatan"].value == "cek"
    highlighted = {h for h, c in row.items() if c.fill.fgColor.rgb == BAD_FILL.fgColor.rgb}
    assert highlighted == {"NIK", "Tanggal Lahir"}
    assert sheet.freeze_panes == "C2"
    assert sheet.column_dimensions["B"].width == 70


def test_corrected_errors_workbook_reads_back_as_input(tmp_path):
    path = make_workbook(tmp_path / "p.xlsx", records=[valid_record(no_hp="0812")])
    with open_input(path) as intake:
        dest = write_errors_workbook(intake, [r for r in intake.rows() if not r.ok])
    workbook = load_workbook(dest)
    workbook.active.cell(2, 2 + HEADERS.index("No HP") + 1).value = "081265432100"
    workbook.save(dest)
    with open_input(dest) as intake:
        assert [r.ok for r in intake.rows()] == [True]


# --- the sample list --------------------------------------------------------

def test_sample_workbook_is_reproducible_and_has_the_promised_mistakes(tmp_path):
    fresh = write_sample_workbook(tmp_path / "contoh.xlsx")
    summaries = []
    for path in (fresh, ROOT / "examples" / "permohonan-contoh.xlsx"):
        with open_input(path) as intake:
            rows = list(intake.rows())
        summaries.append([(r.number, r.values.get("nama"), messages(r), r.missing) for r in rows])
    assert summaries[0] == summaries[1], "examples/permohonan-contoh.xlsx is stale: rerun the script"
    rows = summaries[0]
    assert 18 <= len(rows) <= 24
    text = " | ".join(r[2] for r in rows)
    for fragment in ("has 15 digits", "is not a date", "encodes birth date", "No STR is empty",
                     "is a duplicate of row"):
        assert fragment in text
    assert sum(1 for r in rows if r[3]) == 2
    assert sum(1 for r in rows if not r[2]) >= 14
