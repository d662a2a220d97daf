"""JSON input and its schema."""

import datetime as dt
import json
from pathlib import Path

from openpyxl import load_workbook
from test_intake_support import messages

from sikro_docs.intake import CHECKLIST, FIELDS, json_schema, open_input, write_errors_workbook
from sikro_docs.intake.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "sikro_docs" / "intake" / "schema.json"


def json_record(**changes):
    record = {
        "tanggal_permohonan": "2026-08-05", "nama": "Hotman Simanjuntak, A.Md.RO",
        "nik": "1211012111880003", "tempat_lahir": "Sidikalang", "tanggal_lahir": "1988-11-21",
        "jenis_kelamin": "L", "alamat": "Jl. Pakpak No. 3, Sidikalang", "no_hp": "+6281265432101",
        "pendidikan": "D3 Refraksi Optisi", "no_str": "RO123", "str_berlaku_sampai": "Seumur Hidup",
        "nama_tempat_kerja": "Optik Sehat Sidikalang", "alamat_tempat_kerja": "Jl. Sudirman 4",
        "berkas": {f.name: True for f in CHECKLIST},
    }
    record.update(changes)
    return record


def read_json(tmp_path, records):
    path = tmp_path / "permohonan.json"
    path.write_text(json.dumps(records, indent=1))
    with open_input(path) as intake:
        assert (intake.format, intake.sheet, intake.header_row) == ("json", None, None)
        return intake, list(intake.rows())


def test_valid_json_records(tmp_path):
    berkas = {f.name: True for f in CHECKLIST} | {"pas_foto": False}
    intake, rows = read_json(tmp_path, [json_record(berkas=berkas, email="H@X.id"), {},
                                        json_record(nik="1211012111880004", keputusan="Disetujui")])
    assert [r.number for r in rows] == [1, 3]  # {} is a blank record, skipped
    assert all(r.ok for r in rows), [messages(r) for r in rows]
    assert rows[0].values["tanggal_lahir"] == dt.date(1988, 11, 21)
    assert rows[0].values["email"] == "h@x.id"
    assert rows[0].missing == ["Pas Foto"]
    assert rows[1].values["keputusan"] == "Disetujui"


def test_json_problems_name_the_key(tmp_path):
    berkas = {f.name: True for f in CHECKLIST if f.name != "npwp"}
    misspelt = json_record(nik="1211012111880", berkas=berkas, tanggal_lahr="1988-11-21")
    del misspelt["tanggal_lahir"]
    _, rows = read_json(tmp_path, [misspelt, json_record(berkas="semua ada")])
    assert {p.column for p in rows[0].problems} == {"nik", "berkas.npwp", "tanggal_lahr", "tanggal_lahir"}
    assert "tanggal_lahir is empty; it is required" in messages(rows[0])
    assert 'nik "1211012111880" has 13 digits; a NIK has 16' in messages(rows[0])
    assert 'unknown key "tanggal_lahr"; did you mean "tanggal_lahir"?' in messages(rows[0])
    assert "berkas must be an object of booleans" in messages(rows[1])


def test_json_duplicates_and_errors_workbook(tmp_path):
    intake, rows = read_json(tmp_path, [json_record(), json_record(no_hp="123")])
    assert "duplicate of row 1" in messages(rows[1])
    dest = write_errors_workbook(intake, [r for r in rows if not r.ok])
    assert dest.name == "permohonan-kesalahan.xlsx"
    sheet = load_workbook(dest).active
    assert [c.value for c in sheet[1]] == ["Baris", "Kesalahan", *[f.header for f in FIELDS]]
    row = {h.value: c for h, c in zip(sheet[1], sheet[2])}
    assert row["Baris"].value == 2 and row["NPWP"].value == "Y" and row["No HP"].value == "123"
    assert row["No HP"].fill.fgColor.rgb.endswith("FFC7CE")


def test_schema_file_matches_the_column_spec():
    assert json_schema() == build_schema() == json.loads(SCHEMA_FILE.read_text())
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    items = schema["items"]
    assert set(items["properties"]) == {f.name for f in FIELDS if f not in CHECKLIST} | {"berkas", "jenis_izin"}
    assert set(items["properties"]["berkas"]["properties"]) == {f.name for f in CHECKLIST}
    assert "email" not in items["required"] and "nik" in items["required"]
    assert items["properties"]["nik"]["pattern"] == "^[0-9]{16}$"
