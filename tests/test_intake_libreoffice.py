"""Workbooks re-saved by LibreOffice, which writes dates, shared strings and numbers
differently from openpyxl. One soffice process per conversion batch, each with its own profile."""

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook
from test_intake_support import HEADERS, messages, needs_soffice, record_cells, soffice_convert, valid_record

from sikro_docs.errors import UnusableInput
from sikro_docs.excel_safe import write_cell, write_row
from sikro_docs.intake import open_input, write_blank_workbook, write_errors_workbook
from sikro_docs.intake.workbook import FIRST_DATA_ROW

pytestmark = needs_soffice
INJECTION = '=HYPERLINK("http://x","y")'


def typed_like_a_clerk(path):
    """The blank workbook filled the way a clerk would: real date cells, text dates, a NIK typed as number."""
    write_blank_workbook(path)
    workbook = load_workbook(path)
    sheet = workbook["Permohonan"]
    records = [
        valid_record(),
        valid_record(nik="1211010507880004", jenis_kelamin="L", tanggal_lahir="5 Juli 1988",
                     tanggal_permohonan=dt.datetime(2026, 8, 6, 0, 0), str_berlaku_sampai=dt.date(2031, 1, 1),
                     no_hp=81265432100),
        valid_record(nama=INJECTION, nik="1211014503910009", tanggal_lahir="31-02-1991"),
        # Exact as an int from openpyxl; LibreOffice saves numbers with 15 significant digits.
        valid_record(nik=1211014503910007, tanggal_permohonan=dt.date(2026, 8, 7)),
    ]
    for offset, record in enumerate(records):
        for column, value in enumerate(record_cells(record), start=1):
            write_cell(sheet.cell(FIRST_DATA_ROW + offset, column), value)
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def resaved(tmp_path_factory):
    """Inputs written by openpyxl, then re-saved by LibreOffice as .xlsx (and one as .xls)."""
    source = tmp_path_factory.mktemp("source")
    clerk = typed_like_a_clerk(source / "isian.xlsx")
    out = tmp_path_factory.mktemp("lo")
    [xlsx] = soffice_convert([clerk], out, "xlsx")
    [xls] = soffice_convert([clerk], out, "xls")
    return {"xlsx": xlsx, "xls": xls, "source": clerk}


def test_libreoffice_resaved_workbook_reads_the_same(resaved):
    results = []
    for key in ("source", "xlsx"):
        with open_input(resaved[key]) as intake:
            results.append([(r.number, r.ok, r.values.get("nik"), r.values.get("tanggal_lahir"),
                             r.values.get("no_hp"), messages(r)) for r in intake.rows()])
    assert results[0][:3] == results[1][:3]
    first, second, third, fourth = results[1]
    assert first[1] and second[1], results[1]
    assert second[2] == "1211010507880004" and second[3] == dt.date(1988, 7, 5)
    assert second[4] == "+6281265432100"
    assert not third[1] and 'is not a real date' in third[5]
    assert results[0][3][1], "the int NIK written by openpyxl is exact"
    # LibreOffice rounded ...0007 to ...0010 (15 significant digits): the error shows what the file holds.
    assert fourth[5] == ('NIK "1211014503910010" was stored as a number, which keeps only 15 digits; '
                         "format the NIK column as text and type the NIK again")


def test_libreoffice_resaved_keeps_injection_as_text_and_errors_workbook_too(resaved, tmp_path):
    with open_input(resaved["xlsx"]) as intake:
        bad = [r for r in intake.rows() if not r.ok]
        assert [r.number for r in bad] == [FIRST_DATA_ROW + 2, FIRST_DATA_ROW + 3]
        assert bad[0].raw[HEADERS.index("Nama")] == INJECTION
        dest = write_errors_workbook(intake, bad, tmp_path / "kesalahan.xlsx")
    [csv] = soffice_convert([dest], tmp_path / "csv", "csv:Text - txt - csv (StarCalc):44,34,76")
    text = csv.read_text(encoding="utf-8")
    assert '=HYPERLINK(""http://x"",""y"")' in text  # the literal text, quoted as CSV, not "y"


def test_excel_safe_text_survives_libreoffice(tmp_path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("S")
    write_row(sheet, [INJECTION, "+1+1", "@x", 5])
    workbook.save(tmp_path / "safe.xlsx")
    [csv] = soffice_convert([tmp_path / "safe.xlsx"], tmp_path / "out", "csv:Text - txt - csv (StarCalc):44,34,76")
    assert csv.read_text(encoding="utf-8").strip() == '"=HYPERLINK(""http://x"",""y"")",+1+1,@x,5'
    assert load_workbook(tmp_path / "safe.xlsx").active["A1"].value == INJECTION


def test_real_xls_from_libreoffice_is_refused(resaved):
    with pytest.raises(UnusableInput, match=r"isian.xls: a legacy Excel 97-2003 \(.xls\) file"):
        open_input(resaved["xls"])
