"""Finding the header row and the columns of an input workbook."""

import pytest
from openpyxl import Workbook
from test_intake_support import HEADERS, make_workbook, record_cells, valid_record

from sikro_docs.errors import UnusableInput
from sikro_docs.intake import open_input
from sikro_docs.intake.columns import field_for_header

VARIANTS = {
    "Tgl. Permohonan": "tanggal_permohonan",
    "TANGGAL PERMOHONAN": "tanggal_permohonan",
    "tgl lahir": "tanggal_lahir",
    "Jenis Kelamin (L/P)": "jenis_kelamin",
    "No. HP": "no_hp",
    "Nomor HP": "no_hp",
    "nomor   str": "no_str",
    "No.STR": "no_str",
    "E-mail": "email",
    "N.I.K.": "nik",
    "Nama [sesuai KTP]": "nama",
    "Nomor Registrasi": "no_registrasi",
    "No. Rekomendasi": "nomor_rekomendasi",
    "STR Berlaku Sampai (dd-mm-yyyy)": "str_berlaku_sampai",
}


@pytest.mark.parametrize("text, name", VARIANTS.items())
def test_header_spellings(text, name):
    assert field_for_header(text).name == name


def test_unknown_and_empty_headers_are_not_fields():
    assert field_for_header("Catatan Petugas") is None
    assert field_for_header(None) is None


def renamed_headers() -> list[str]:
    renames = {"Tanggal Permohonan": "Tgl. Permohonan", "Jenis Kelamin": "Jenis Kelamin (L/P)",
               "No HP": "Nomor HP", "No STR": "No. STR", "Tanggal Lahir": "TGL LAHIR"}
    return [renames.get(h, h) for h in HEADERS]


def test_title_rows_variant_headers_and_extra_column(tmp_path):
    record = valid_record()
    path = make_workbook(
        tmp_path / "in.xlsx",
        title_rows=[["DAFTAR PERMOHONAN SIKRO"], ["Kabupaten Dairi, Agustus 2026"], []],
        headers=renamed_headers() + ["Catatan Petugas"],
        rows=[record_cells(record) + ["sudah ditelepon"]])
    with open_input(path) as intake:
        assert (intake.sheet, intake.header_row, intake.format) == ("Permohonan", 4, "xlsx")
        assert intake.headers[HEADERS.index("Tanggal Permohonan")] == "Tgl. Permohonan"
        assert intake.headers[-1] == "Catatan Petugas"
        [row] = list(intake.rows())
    assert row.ok, row.problems
    assert row.number == 5
    assert row.raw[-1] == "sudah ditelepon"  # unknown column kept for the errors workbook
    assert row.values["jenis_kelamin"] == "P"


def test_problem_column_is_the_header_as_found(tmp_path):
    path = make_workbook(tmp_path / "in.xlsx", headers=renamed_headers(),
                         records=[valid_record(tanggal_lahir="31-02-1990")])
    with open_input(path) as intake:
        [row] = list(intake.rows())
    assert [p.column for p in row.problems] == ["TGL LAHIR"]
    assert row.problems[0].message == 'TGL LAHIR "31-02-1990" is not a real date'


def two_sheet_workbook(path, first: str, second: str):
    """Both sheets hold a valid list: one row in the first sheet, two in the second."""
    workbook = Workbook()
    workbook.active.title = first
    workbook.create_sheet(second)
    for name, count in ((first, 1), (second, 2)):
        workbook[name].append(HEADERS)
        for _ in range(count):
            workbook[name].append(record_cells(valid_record()))
    workbook.save(path)
    return path


def test_sheet_named_permohonan_wins_over_first_sheet(tmp_path):
    path = two_sheet_workbook(tmp_path / "in.xlsx", "Rekap", "Permohonan")
    with open_input(path) as intake:
        assert intake.sheet == "Permohonan"
        assert len(list(intake.rows())) == 2


def test_first_sheet_used_when_no_permohonan_sheet(tmp_path):
    path = two_sheet_workbook(tmp_path / "in.xlsx", "Data Agustus", "Lain")
    with open_input(path) as intake:
        assert intake.sheet == "Data Agustus"
        assert len(list(intake.rows())) == 1


def test_misspelt_required_column_suggests_the_close_header(tmp_path):
    headers = [("Tanggal Lahr" if h == "Tanggal Lahir" else h) for h in HEADERS if h != "NPWP"]
    path = make_workbook(tmp_path / "daftar.xlsx", headers=headers)
    with pytest.raises(UnusableInput) as caught:
        open_input(path)
    message = str(caught.value)
    assert "daftar.xlsx" in message and "\n" not in message
    assert '"Tanggal Lahir" (did you mean "Tanggal Lahr"?)' in message
    assert '"NPWP"' in message and 'NPWP" (did you mean' not in message


def test_no_recognisable_header(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", headers=["Barang", "Jumlah", "Harga"], rows=[["a", 1, 2]])
    with pytest.raises(UnusableInput, match="x.xlsx: .*no recognisable header row"):
        open_input(path)


def test_header_beyond_row_20_is_not_found(tmp_path):
    path = make_workbook(tmp_path / "late.xlsx", title_rows=[["judul"]] * 20, records=[valid_record()])
    with pytest.raises(UnusableInput, match="no recognisable header row"):
        open_input(path)


def test_two_columns_meaning_the_same_field(tmp_path):
    path = make_workbook(tmp_path / "dup.xlsx", headers=HEADERS + ["No. KTP"])
    with pytest.raises(UnusableInput, match='"NIK" and "No. KTP" both mean "NIK"'):
        open_input(path)
