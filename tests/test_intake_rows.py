"""Row validation through real workbooks written by openpyxl."""

import datetime as dt

import pytest
from openpyxl import load_workbook
from test_intake_support import HEADERS, make_workbook, messages, record_cells, valid_record

from sikro_docs.intake import CHECKLIST, open_input

D = dt.date


def read_rows(tmp_path, *records, **kwargs):
    path = make_workbook(tmp_path / "permohonan.xlsx", records=list(records), **kwargs)
    with open_input(path) as intake:
        return list(intake.rows())


def only_row(tmp_path, **changes):
    [row] = read_rows(tmp_path, valid_record(**changes))
    return row


def test_valid_row_is_normalised(tmp_path):
    row = only_row(tmp_path, nama="  Rina   Sitanggang,  A.Md.RO ", email="Rina@Example.COM",
                   jenis_kelamin="perempuan", no_hp="+62 812-6543-2100", ktp="ya", npwp="t",
                   keputusan="setuju", nomor_rekomendasi="440/12/DINKES/2026",
                   tanggal_rekomendasi="12 Agustus 2026")
    assert row.ok, messages(row)
    values = row.values
    assert values["nama"] == "Rina Sitanggang, A.Md.RO"
    assert values["email"] == "rina@example.com"
    assert values["jenis_kelamin"] == "P"
    assert values["no_hp"] == "+6281265432100"
    assert values["nik"] == "1211014503910002"
    assert values["tanggal_permohonan"] == D(2026, 8, 5)
    assert values["tanggal_rekomendasi"] == D(2026, 8, 12)
    assert values["str_berlaku_sampai"] is None
    assert values["keputusan"] == "Disetujui"
    assert values["no_registrasi"] == "REG-1"
    assert values["berkas"] == {f.name: f.name != "npwp" for f in CHECKLIST}
    assert row.missing == ["NPWP"]
    assert row.number == 2


def test_optional_fields_empty_are_none(tmp_path):
    row = only_row(tmp_path, no_registrasi=None, email="  ")
    assert row.ok and row.values["email"] is None and row.values["no_registrasi"] is None


def test_every_problem_of_a_row_is_reported(tmp_path):
    row = only_row(tmp_path, nama=None, nik="121101450391000", tanggal_lahir="31-02-1990",
                   jenis_kelamin="X", no_hp="0812", email="rina@", ijazah=None, pas_foto="N",
                   keputusan="mungkin")
    assert [p.column for p in row.problems] == [
        "Nama", "NIK", "Tanggal Lahir", "Jenis Kelamin", "No HP", "Email", "Ijazah", "Pas Foto", "Keputusan"]
    text = messages(row)
    assert "Nama is empty; it is required" in text
    assert 'NIK "121101450391000" has 15 digits; a NIK has 16' in text
    assert 'Tanggal Lahir "31-02-1990" is not a real date' in text
    assert "Ijazah is empty; it must be Y or T" in text
    assert 'Pas Foto "N" must be Y or T' in text
    assert 'Keputusan "mungkin" must be Disetujui or Ditolak' in text
    assert all(p.row == 2 for p in row.problems)


def test_nik_typed_as_number(tmp_path):
    assert only_row(tmp_path, nik=1211014503910002).values["nik"] == "1211014503910002"
    row = only_row(tmp_path, nik=1.21101450391e15)
    assert "must" not in messages(row) and "format the NIK column as text" in messages(row)


@pytest.mark.parametrize("changes, fragment", [
    ({"tanggal_lahir": D(1991, 3, 6)}, 'encodes birth date 05-03-91 but Tanggal Lahir is "06-03-1991"'),
    ({"tanggal_lahir": D(1981, 3, 5)}, "encodes birth date 05-03-91"),
    ({"jenis_kelamin": "L"}, "is the NIK of a woman (day + 40) but Jenis Kelamin is L"),
    ({"nik": "1211010503910002"}, "is the NIK of a man but Jenis Kelamin is P"),
    ({"nik": "1211014503910000"}, "serial 0000"),
])
def test_nik_must_agree_with_birth_date_and_sex(tmp_path, changes, fragment):
    row = only_row(tmp_path, **changes)
    assert fragment in messages(row)
    assert row.problems[0].column == "NIK"


def test_nik_from_another_region_is_fine(tmp_path):
    assert only_row(tmp_path, nik="3471014503910002", tempat_lahir="Yogyakarta").ok


@pytest.mark.parametrize("changes, fragment", [
    ({"str_berlaku_sampai": D(2026, 8, 4)}, 'STR Berlaku Sampai "04-08-2026" is before Tanggal Permohonan'),
    ({"tanggal_lahir": D(2010, 3, 5), "nik": "1211014503100002"}, "makes the applicant 16"),
    ({"tanggal_permohonan": D(1990, 1, 1)}, 'is not before Tanggal Permohonan "01-01-1990"'),
    ({"keputusan": "Ditolak"}, "Alasan Penolakan is empty; it is required when Keputusan is Ditolak"),
    ({"tanggal_permohonan": "5 Maretz 2026"}, '"Maretz" is not a month name'),
])
def test_date_and_decision_rules(tmp_path, changes, fragment):
    assert fragment in messages(only_row(tmp_path, **changes))


def test_str_valid_on_the_application_day_and_17th_birthday_are_fine(tmp_path):
    assert only_row(tmp_path, str_berlaku_sampai=D(2026, 8, 5)).ok
    assert only_row(tmp_path, tanggal_lahir=D(2009, 8, 5), nik="1211014508090002").ok
    assert only_row(tmp_path, keputusan="Ditolak", alasan_penolakan="STR tidak sah").ok


def test_duplicates_name_the_earlier_row(tmp_path):
    first = valid_record()
    other_day = valid_record(tanggal_permohonan=D(2026, 9, 1))
    other_person = valid_record(nik="1211014503910003")
    same_again = valid_record(nik="1211.0145.0391.0002", tanggal_permohonan="05-08-2026")
    rows = read_rows(tmp_path, first, other_day, other_person, same_again, first)
    assert [r.ok for r in rows] == [True, True, True, False, False]
    assert 'is a duplicate of row 2' in messages(rows[3])
    assert 'NIK "1211014503910002" with Tanggal Permohonan "05-08-2026" is a duplicate of row 2' \
        == rows[4].problems[0].message


def test_blank_rows_are_skipped_and_numbers_match_excel(tmp_path):
    path = make_workbook(tmp_path / "in.xlsx", title_rows=[["DAFTAR PERMOHONAN"]],
                         rows=[record_cells(valid_record()), [None] * 5, ["   ", None],
                               record_cells(valid_record(nik="1211014503910009"))])
    with open_input(path) as intake:
        assert [r.number for r in intake.rows()] == [3, 6]


def test_formula_text_in_a_name_is_read_as_text_and_written_back_as_text(tmp_path):
    formula = '=HYPERLINK("http://x","y")'
    path = make_workbook(tmp_path / "in.xlsx", records=[valid_record(nama=formula, nik="bad")])
    with open_input(path) as intake:
        [row] = list(intake.rows())
        assert row.raw[HEADERS.index("Nama")] == formula
        dest = intake_errors(intake, [row], tmp_path)
    cell = load_workbook(dest)["Kesalahan"].cell(2, 3 + HEADERS.index("Nama"))  # after Baris, Kesalahan
    assert cell.value == formula and cell.data_type == "s"


def test_a_real_formula_cell_is_read_as_its_text(tmp_path):
    path = make_workbook(tmp_path / "in.xlsx", records=[valid_record(nama='=HYPERLINK("http://x","y")')],
                         raw_strings=False)  # ws.append: openpyxl stores a formula
    with open_input(path) as intake:
        [row] = list(intake.rows())
    assert row.values["nama"] == '=HYPERLINK("http://x","y")'


def intake_errors(intake, rows, tmp_path):
    from sikro_docs.intake import write_errors_workbook
    return write_errors_workbook(intake, rows, tmp_path / "out-kesalahan.xlsx")


def test_rows_can_be_iterated_twice(tmp_path):
    path = make_workbook(tmp_path / "in.xlsx", records=[valid_record(), valid_record()])
    with open_input(path) as intake:
        assert [r.ok for r in intake.rows()] == [True, False]
        assert [r.ok for r in intake.rows()] == [True, False]  # duplicate memory is per pass


def test_a_value_repeated_down_the_sheet_is_judged_the_same_on_every_row(tmp_path):
    """Each distinct cell value is parsed once per file (validate.PARSED_MEMO): a wrong one still
    makes a problem at every row it is on, and 1, 1.0 and TRUE stay different values."""
    rows = read_rows(tmp_path, *[valid_record(no_registrasi=f"R{i}", jenis_kelamin="X",
                                              nik=f"12110145039100{i:02d}") for i in range(1, 4)],
                     valid_record(no_registrasi="R9", nik="1211014503910009", ktp=1),
                     valid_record(no_registrasi="R8", nik="1211014503910008", ktp=True),
                     valid_record(no_registrasi="R7", nik="1211014503910007", ktp=2))
    assert [[p.row for p in r.problems if p.column == "Jenis Kelamin"] for r in rows[:3]] == [[2], [3], [4]]
    assert all("must be L or P" in r.problems[0].message for r in rows[:3])
    assert rows[3].ok and rows[4].ok and rows[3].values["berkas"]["ktp"] is True is rows[4].values["berkas"]["ktp"]
    assert [p.column for p in rows[5].problems] == ["KTP"]
