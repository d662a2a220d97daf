"""`sikro import`, `list`, `show` and `demo`, end to end through the real command."""

from __future__ import annotations

import json

import pytest
from conftest import assert_no_traceback
from openpyxl import load_workbook
from registers_support import sql
from test_intake_support import HEADERS, make_workbook, record_cells, soffice_convert, valid_record

from sikro_docs import clock
from sikro_docs.samples import write_sample_workbook

# Registration numbers are taken on the office's day: of the office's year at import.
YEAR = clock.today({}).year


def new(**changes):
    """A valid record for a new application (No Registrasi blank: assigned on import)."""
    return valid_record(no_registrasi=None, **changes)


def count(workspace, table):
    [(rows,)] = sql(workspace, f"select count(*) from {table}")
    return rows


def second_applicant():
    return new(nama="Hotman Simanjuntak, A.Md.RO", nik="1211012111880003",
               tanggal_lahir="21-11-1988", jenis_kelamin="L")


def test_valid_workbook_imports_and_numbers_without_gaps(tmp_path, sikro, ws_args, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [new(), second_applicant()])
    result = sikro("import", book, "--json", *ws_args)
    assert result.code == 0, result.err
    assert result.json() == {"imported": 2, "updated": 0, "unchanged": 0, "invalid": [],
                             "errors_file": None}
    listed = sikro("list", "--json", *ws_args).json()
    assert [a["registration_number"] for a in listed] == [f"REG/00001/SIKRO/{YEAR}", f"REG/00002/SIKRO/{YEAR}"]
    first = listed[0]
    assert first["name"] == "Rina Sitanggang, A.Md.RO" and first["nik"] == "1211014503910002"
    assert first["status"] == "open" and first["current_step"] == 2
    assert first["complete"] is True and first["missing"] == []
    register = sikro("register", "list", "registrasi", "--json", *ws_args).json()
    assert [e["seq"] for e in register] == [1, 2]
    assert all(e["status"] == "used" for e in register)


def test_reimport_is_idempotent_and_updates_are_logged(tmp_path, sikro, ws_args, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [new(), second_applicant()])
    assert sikro("import", book, *ws_args).code == 0
    again = sikro("import", book, "--json", *ws_args)
    assert again.json()["unchanged"] == 2 and again.json()["imported"] == 0
    changed = make_workbook(tmp_path / "p2.xlsx", [new(no_hp="0813 1111 2222"), second_applicant()])
    third = sikro("import", changed, "--json", *ws_args).json()
    assert (third["imported"], third["updated"], third["unchanged"]) == (0, 1, 1)
    assert count(workspace, "applications") == 2
    shown = sikro("show", "1211014503910002", "--json", *ws_args).json()
    assert shown["phone"] == "+6281311112222"
    update = [e for e in shown["history"] if e["action"] == "updated"][-1]
    assert update["details"]["changes"]["phone"] == ["+6281265432100", "+6281311112222"]
    assert update["source_file"].endswith("p2.xlsx") and update["source_row"] == 2


def test_update_by_registration_number(tmp_path, sikro, ws_args):
    assert sikro("import", make_workbook(tmp_path / "a.xlsx", [new()]), *ws_args).code == 0
    fixed = valid_record(no_registrasi=f"REG/00001/SIKRO/{YEAR}", alamat="Jl. Pahlawan No. 9,  Sidikalang")
    result = sikro("import", make_workbook(tmp_path / "b.xlsx", [fixed]), "--json", *ws_args)
    assert result.json()["updated"] == 1
    assert sikro("show", f"REG/00001/SIKRO/{YEAR}", "--json", *ws_args).json()["address"] == \
        "Jl. Pahlawan No. 9, Sidikalang"


def test_unknown_registration_number_is_a_row_error(tmp_path, sikro, ws_args, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi="REG/09999/SIKRO/2026")])
    result = sikro("import", book, "--json", *ws_args)
    assert result.code == 1
    [problem] = result.json()["invalid"]
    assert problem["row"] == 2 and problem["column"] == "No Registrasi"
    assert "not in the registry" in problem["message"]
    assert count(workspace, "applications") == 0


def test_invalid_rows_go_to_errors_workbook_valid_rows_are_saved(tmp_path, sikro, ws_args, workspace):
    book = make_workbook(tmp_path / "permohonan.xlsx", [
        new(), second_applicant(), new(nik="121101450391000", nama="Bad Nik", tanggal_permohonan="2026-08-06"),
    ])
    result = sikro("import", book, "--json", *ws_args)
    assert result.code == 1
    report = result.json()
    assert report["imported"] == 2
    assert report["invalid"] == [{"row": 4, "column": "NIK",
                                  "message": 'NIK "121101450391000" has 15 digits; a NIK has 16'}]
    errors_file = tmp_path / "permohonan-kesalahan.xlsx"
    assert report["errors_file"] == str(errors_file)
    sheet = load_workbook(errors_file).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    kesalahan = rows[0].index("Kesalahan")
    assert rows[1][kesalahan].startswith('NIK "121101450391000" has 15 digits')
    assert "Bad Nik" in rows[1]
    human = sikro("import", book, *ws_args)
    assert "permohonan.xlsx: row 4, column NIK:" in human.out
    assert_no_traceback(human)


def test_fixed_errors_workbook_imports_and_stale_list_is_removed(tmp_path, sikro, ws_args):
    book = make_workbook(tmp_path / "p.xlsx", [new(no_hp="12")])
    assert sikro("import", book, *ws_args).code == 1
    errors_file = tmp_path / "p-kesalahan.xlsx"
    workbook = load_workbook(errors_file)
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("No HP") + 1).value = "081265432100"
    workbook.save(errors_file)
    assert sikro("import", errors_file, *ws_args).code == 0
    fixed = make_workbook(tmp_path / "p.xlsx", [new()])
    assert sikro("import", fixed, *ws_args).code == 0
    assert not errors_file.exists()


def test_incomplete_file_is_registered_as_returned_with_what_is_missing(tmp_path, sikro, ws_args):
    book = make_workbook(tmp_path / "p.xlsx", [new(npwp="T", surat_keterangan_sehat="t")])
    assert sikro("import", book, *ws_args).code == 0
    [app] = sikro("list", "--json", *ws_args).json()
    assert app["complete"] is False and app["status"] == "returned"
    assert app["missing"] == ["Surat Keterangan Sehat", "NPWP"]


@pytest.mark.parametrize("make_bad", [
    lambda p: p.write_bytes(b"this is not a workbook"),
    lambda p: p.write_bytes(b""),
    lambda p: p.write_bytes(make_workbook(p.with_suffix(".tmp.xlsx"), [new()]).read_bytes()[:3000]),
], ids=["text", "empty", "truncated"])
def test_unusable_file_exits_2_one_line_nothing_saved(tmp_path, sikro, ws_args, workspace, make_bad):
    bad = tmp_path / "rusak.xlsx"
    make_bad(bad)
    result = sikro("import", bad, *ws_args)
    assert result.code == 2
    assert_no_traceback(result)
    assert len(result.err.strip().splitlines()) == 1 and "rusak.xlsx" in result.err
    assert count(workspace, "applications") == 0 and count(workspace, "events") == 0


def test_damage_found_while_streaming_saves_nothing(tmp_path, sikro, ws_args, workspace):
    """Rows before the damage were valid; still nothing may be saved."""
    import zipfile

    good = make_workbook(tmp_path / "good.xlsx", [new(), second_applicant()])
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: int(len(data) * 0.8)]  # rows start fine, then the XML breaks off
            dst.writestr(item, data)
    result = sikro("import", damaged, *ws_args)
    assert result.code == 2, result.out + result.err
    assert_no_traceback(result)
    assert count(workspace, "applications") == 0


def test_password_protected_workbook(tmp_path, sikro, ws_args):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_workbook(tmp_path / "plain.xlsx", [new()])
    locked = tmp_path / "terkunci.xlsx"
    with plain.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("rahasia", dst)
    result = sikro("import", locked, *ws_args)
    assert result.code == 2
    assert "terkunci.xlsx" in result.err and "password" in result.err.lower()
    assert_no_traceback(result)


def test_missing_required_column_is_unusable_and_names_it(tmp_path, sikro, ws_args):
    headers = [h if h != "Tanggal Lahir" else "Tangal Lahir" for h in HEADERS]
    book = make_workbook(tmp_path / "p.xlsx", headers=headers, rows=[record_cells(new())])
    result = sikro("import", book, *ws_args)
    assert result.code == 2
    assert "Tanggal Lahir" in result.err and "Tangal Lahir" in result.err


def test_json_input(tmp_path, sikro, ws_args):
    records = [
        {"tanggal_permohonan": "2026-08-05", "nama": "Rina Sitanggang, A.Md.RO", "nik": "1211014503910002",
         "tempat_lahir": "Sidikalang", "tanggal_lahir": "05-03-1991", "jenis_kelamin": "P",
         "alamat": "Jl. Sisingamangaraja No. 12", "no_hp": "+62 812 6543 2100", "pendidikan": "D3 RO",
         "no_str": "RO1", "str_berlaku_sampai": "Seumur Hidup", "nama_tempat_kerja": "Optik A",
         "alamat_tempat_kerja": "Jl. Pahlawan 5",
         "berkas": {k: True for k in ("surat_permohonan", "ktp", "str", "ijazah", "surat_keterangan_sehat",
                                      "surat_keterangan_tempat_kerja", "rekomendasi_organisasi_profesi",
                                      "pas_foto", "npwp")}},
    ]
    records.append({**records[0], "nik": "12110145039100"})
    path = tmp_path / "permohonan.json"
    path.write_text(json.dumps(records))
    result = sikro("import", path, "--json", *ws_args)
    assert result.code == 1
    report = result.json()
    assert report["imported"] == 1
    assert [p["row"] for p in report["invalid"]] == [2]
    assert sikro("schema").json()["type"] == "array"


def test_sample_resaved_by_libreoffice_imports_the_same(tmp_path, sikro):
    sample = write_sample_workbook(tmp_path / "contoh.xlsx")
    (tmp_path / "lo").mkdir()
    [resaved] = soffice_convert([sample], tmp_path / "lo", "xlsx")
    reports = []
    for name, book in (("a", sample), ("b", resaved)):
        sikro("init", tmp_path / name)
        result = sikro("import", book, "--json", "--workspace", tmp_path / name)
        reports.append((result.code, result.json()["imported"], [p["row"] for p in result.json()["invalid"]]))
    assert reports[0] == reports[1]
    lists = [sikro("list", "--json", "--workspace", tmp_path / n).json() for n in "ab"]
    assert lists[0] == lists[1]
