"""Intake per permit type: each type's workbook, its columns, its checklists per application kind,
a workbook mixing types, and the errors that name sheet row, column and type.

Workbooks are built here from each type's data (its fields' examples), not from files on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from test_intake_support import make_workbook

from sikro_docs import permit_types
from sikro_docs.cli import cli
from sikro_docs.errors import UnusableInput
from sikro_docs.intake import json_schema, open_input, write_blank_workbook, write_errors_workbook
from sikro_docs.intake.columns import mixed_fields, workbook_fields
from sikro_docs.intake.workbook import FIRST_DATA_ROW, HEADER_ROW

SIPB = permit_types.get(None, "sipb")
SIPA = permit_types.get(None, "sipa")
DEFAULT = permit_types.default()
KNOWN = [t.short_name for t in permit_types.catalogue().types.values()]


def record(ptype, **changes) -> dict:
    """A valid new application of `ptype` from its fields' examples, by header; changes by field name."""
    values = {f.name: f.example or None for f in workbook_fields(ptype)}
    values.update(no_registrasi=None, jenis_permohonan=None, nomor_izin_sebelumnya=None,
                  tanggal_izin_sebelumnya=None, nomor_rekomendasi=None, tanggal_rekomendasi=None,
                  keputusan=None, alasan_penolakan=None)
    unknown = set(changes) - set(values) - {"jenis_izin"}
    assert not unknown, unknown
    values.update(changes)
    return values


def book(tmp_path, records, fields=None, name="in.xlsx", extra_headers=()):
    """A workbook with `fields`' headers (default: the first record's type... given by the caller)."""
    headers = [f.header for f in fields] + list(extra_headers)
    names = [f.name for f in fields] + list(extra_headers)
    rows = [[r.get(n) for n in names] for r in records]
    return make_workbook(tmp_path / name, headers=headers, rows=rows)


def read(path, **kwargs):
    with open_input(path, **kwargs) as intake:
        return intake, list(intake.rows())


def problems(row) -> list[str]:
    return [str(p) for p in row.problems]


# --- a type's own workbook ---------------------------------------------------------


def test_sipb_workbook_has_the_types_columns_lists_and_instructions(tmp_path):
    path = write_blank_workbook(tmp_path / "sipb.xlsx", SIPB)
    workbook = load_workbook(path)
    sheet = workbook["Permohonan"]
    assert sheet["A1"].value == "DAFTAR PERMOHONAN SURAT IZIN PRAKTIK BIDAN (SIPB)"
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert headers == [f.header for f in workbook_fields(SIPB)]
    assert "Jenis Izin" not in headers and "No STRA" not in headers
    assert {"Jenis Praktik", "SIP Ke", "Nama Tempat Praktik", "NPWP", "Jenis Permohonan"} <= set(headers)
    lists = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}

    def validation_of(header):
        letter = sheet.cell(HEADER_ROW, headers.index(header) + 1).column_letter
        return lists[f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + 999}"]

    assert validation_of("Jenis Praktik").formula1 == '"Fasilitas,Mandiri"'
    assert validation_of("Jenis Permohonan").formula1 == '"Baru,Perpanjangan,Perubahan,Pencabutan"'
    sip_ke = validation_of("SIP Ke")
    assert (sip_ke.type, sip_ke.formula1, sip_ke.formula2) == ("whole", "1", "3")
    petunjuk = {r[0]: r for r in workbook["Petunjuk"].iter_rows(values_only=True) if r[0]}
    assert "SIPB" in workbook["Petunjuk"]["A1"].value
    assert "Wajib bila jenis_praktik == 'Mandiri'" in petunjuk["NPWP"][1]
    assert "Fasilitas, Mandiri" in petunjuk["Jenis Praktik"][4]


def test_sipa_choice_with_long_values_and_the_workbook_round_trip(tmp_path):
    path = write_blank_workbook(tmp_path / "sipa.xlsx", SIPA)
    sheet = load_workbook(path)["Permohonan"]
    assert sheet["A1"].value == "DAFTAR PERMOHONAN SURAT IZIN PRAKTIK APOTEKER (SIPA)"
    formulas = {dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert '"Apotek,Instalasi Farmasi Rumah Sakit,Puskesmas,Klinik"' in formulas
    headers = [c.value for c in sheet[HEADER_ROW]]
    filled = load_workbook(path)
    target = filled["Permohonan"]
    for index, fld in enumerate(workbook_fields(SIPA), start=1):
        target.cell(FIRST_DATA_ROW, index, record(SIPA).get(fld.name))
    filled.save(path)
    intake, [row] = read(path, permit_type="sipa")
    assert row.ok, problems(row)
    assert intake.headers == headers
    assert row.values["jenis_izin"] == "sipa" and row.values["jenis_permohonan"] == "baru"
    assert row.values["jenis_sarana"] == "Apotek" and row.values["sip_ke"] == 1
    assert row.values["no_stra"] == "19700101/STRA-UGM/2020/123456"


# --- choice, number and the checklist's conditions -------------------------------------


def test_choice_and_number_are_normalised_and_out_of_range_names_row_and_column(tmp_path):
    fields = workbook_fields(SIPB)
    path = book(tmp_path, [record(SIPB, jenis_praktik="mandiri", sip_ke="ke-2", npwp="Y"),
                           record(SIPB, sip_ke=4, nik="1211014503910003"),
                           record(SIPB, jenis_praktik="Praktik Bersama", nik="1211014503910004")], fields)
    _, (good, too_many, bad_choice) = read(path, permit_type="sipb")
    assert good.ok, problems(good)
    assert good.values["jenis_praktik"] == "Mandiri" and good.values["sip_ke"] == 2
    assert problems(too_many) == ['row 3, SIP Ke: SIP Ke "4" must be from 1 to 3']
    assert problems(bad_choice) == ['row 4, Jenis Praktik: Jenis Praktik "Praktik Bersama" must be one of: '
                                    'Fasilitas, Mandiri']


def test_npwp_is_wajib_only_for_a_mandiri_practice(tmp_path):
    fields = workbook_fields(SIPB)
    rows = [record(SIPB, jenis_praktik="Fasilitas", npwp=None),
            record(SIPB, jenis_praktik="Mandiri", npwp=None, nik="1211014503910003"),
            record(SIPB, jenis_praktik="Mandiri", npwp="T", nik="1211014503910004"),
            record(SIPB, jenis_praktik="Fasilitas", npwp="T", nik="1211014503910005")]
    _, (facility, blank, handed_none, facility_none) = read(book(tmp_path, rows, fields), permit_type="sipb")
    assert facility.ok and facility.missing == [] and facility.values["berkas"]["npwp"] is False
    assert problems(blank) == ["row 3, NPWP: NPWP is empty; it must be Y or T"]
    assert handed_none.ok and handed_none.missing == ["NPWP"]
    assert facility_none.ok and facility_none.missing == []


def test_a_from_date_on_an_item_in_a_workspace_copy_of_the_type(tmp_path):
    folder = tmp_path / "ws" / permit_types.WORKSPACE_FOLDER / "sipb"
    shutil.copytree(SIPB.source, folder)
    toml = folder / permit_types.TYPE_FILE
    text = toml.read_text(encoding="utf-8")
    old = '{ item = "surat_keterangan_sehat" }, { item = "surat_keterangan_tempat_praktik" }, { item = "pas_foto" },\n  { item = "npwp"'
    assert text.count(old) == 1
    toml.write_text(text.replace(old, old.replace('{ item = "surat_keterangan_sehat" }',
                                                  '{ item = "surat_keterangan_sehat", from = 2026-09-01 }')),
                    encoding="utf-8")
    ws = SimpleNamespace(root=tmp_path / "ws", profile={})
    fields = workbook_fields(SIPB)
    rows = [record(SIPB, tanggal_permohonan="31-08-2026", surat_keterangan_sehat=None),
            record(SIPB, tanggal_permohonan="01-09-2026", surat_keterangan_sehat=None, nik="1211014503910003"),
            record(SIPB, tanggal_permohonan="01-09-2026", surat_keterangan_sehat="T", nik="1211014503910004")]
    _, (before, blank, handed_none) = read(book(tmp_path, rows, fields), ws=ws, permit_type="sipb")
    assert before.ok and before.missing == [], problems(before)
    assert problems(blank) == ["row 3, Surat Keterangan Sehat: Surat Keterangan Sehat is empty; it must be Y or T"]
    assert handed_none.missing == ["Surat Keterangan Sehat"]
    # The built-in type (no workspace) still requires it on every date.
    _, (builtin, *_rest) = read(book(tmp_path, rows, fields, name="b.xlsx"), permit_type="sipb")
    assert "Surat Keterangan Sehat is empty" in " ".join(problems(builtin))


# --- application kinds ----------------------------------------------------------------


def test_application_kinds_their_previous_permit_reason_and_checklist(tmp_path):
    fields = workbook_fields(SIPB)
    rows = [record(SIPB, jenis_permohonan="Perpanjang", nomor_izin_sebelumnya="503/0012/SIPB/DPMPTSPK/2021",
                   ijazah=None),
            record(SIPB, jenis_permohonan="Perpanjangan", nik="1211014503910003"),
            record(SIPB, jenis_permohonan="Pencabutan", nomor_izin_sebelumnya="503/0001/SIPB/DPMPTSPK/2022",
                   nik="1211014503910004", **{f.name: None for f in fields if f.group == "berkas"}) | {
                "surat_permohonan": "Y", "ktp": "Y"},
            record(SIPB, jenis_permohonan="Pencabutan", nomor_izin_sebelumnya="503/0002/SIPB/DPMPTSPK/2022",
                   alasan_penolakan="Pindah domisili", nik="1211014503910005", str=None),
            record(SIPB, jenis_permohonan="Sementara", nik="1211014503910006")]
    _, (renewal, no_previous, no_reason, revocation, unknown) = read(book(tmp_path, rows, fields),
                                                                    permit_type="sipb")
    assert renewal.ok, problems(renewal)
    assert renewal.values["jenis_permohonan"] == "perpanjangan" and renewal.values["berkas"]["ijazah"] is False
    assert renewal.values["tanggal_izin_sebelumnya"] is None  # optional: the registry may know the permit
    assert problems(no_previous) == ["row 3, Nomor Izin Sebelumnya: Nomor Izin Sebelumnya is empty; it is "
                                     "required for Perpanjangan (the permit it replaces)"]
    assert problems(no_reason) == ["row 4, Alasan Penolakan: Alasan Penolakan is empty; it is required for "
                                   "Pencabutan (the reason of the revocation)"]
    assert revocation.ok and revocation.missing == [], problems(revocation)  # STR is not asked of it
    assert revocation.values["jenis_permohonan"] == "pencabutan"
    assert problems(unknown)[0].startswith('row 6, Jenis Permohonan: Jenis Permohonan "Sementara" is not one of')


def test_the_reason_of_a_revocation_under_its_own_header(tmp_path):
    fields = workbook_fields(SIPB)
    headers = ["Alasan Pencabutan" if f.header == "Alasan Penolakan" else f.header for f in fields]
    values = record(SIPB, jenis_permohonan="Cabut", nomor_izin_sebelumnya="503/0002/SIPB/DPMPTSPK/2022",
                    alasan_penolakan="Atas permintaan sendiri")
    path = make_workbook(tmp_path / "c.xlsx", headers=headers, rows=[[values.get(f.name) for f in fields]])
    _, [row] = read(path, permit_type="sipb")
    assert row.ok and row.values["alasan_penolakan"] == "Atas permintaan sendiri"


# --- other types' columns, mixed workbooks ----------------------------------------------


def test_a_value_in_another_types_column_is_a_row_error_naming_the_type(tmp_path):
    fields = workbook_fields(SIPB)
    rows = [{**record(SIPB), "No STRA": "19700101/STRA-UGM/2020/1"},
            {**record(SIPB, nik="1211014503910003"), "No STRA": None}]
    _, (filled, blank) = read(book(tmp_path, rows, fields, extra_headers=["No STRA"]), permit_type="sipb")
    assert problems(filled) == ["row 2, No STRA: No STRA is a column of SIPA (Surat Izin Praktik Apoteker), "
                                "not of SIPB"]
    assert blank.ok, problems(blank)


def test_a_mixed_workbook_reads_each_row_through_its_own_type(tmp_path):
    path = write_blank_workbook(tmp_path / "semua.xlsx", types=list(permit_types.catalogue().types.values()))
    workbook = load_workbook(path)
    sheet = workbook["Permohonan"]
    headers = [c.value for c in sheet[HEADER_ROW]]
    assert headers[:3] == ["No Registrasi", "Jenis Izin", "Jenis Permohonan"]
    assert {"No STRA", "Jenis Praktik", "Ijazah", "Ijazah Apoteker", "Nama Tempat Praktik"} <= set(headers)
    assert len(headers) == len(set(headers))
    jenis_izin = sheet.cell(HEADER_ROW, 2).column_letter
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists[f"{jenis_izin}{FIRST_DATA_ROW}:{jenis_izin}{FIRST_DATA_ROW + 999}"] == f'"{",".join(KNOWN)}"'
    by_header = {f.header: f.name for f in mixed_fields(permit_types.catalogue().types.values())}
    rows = [record(SIPB, jenis_izin="SIPB"),
            record(SIPA, jenis_izin="Surat Izin Praktik Apoteker", nik="1211014503910003"),
            record(DEFAULT, jenis_izin=None, nik="1211014503910004"),
            {**record(SIPB, jenis_izin="sipb", nik="1211014503910005"), "no_stra": "X/STRA/1"},
            record(SIPB, jenis_izin="SIPX", nik="1211014503910006")]
    for offset, values in enumerate(rows):
        for index, header in enumerate(headers, start=1):
            sheet.cell(FIRST_DATA_ROW + offset, index, values.get(by_header[header]))
    workbook.save(path)
    intake, (bidan, apoteker, default, stray, unknown) = read(path)
    assert bidan.ok and apoteker.ok and default.ok, (problems(bidan), problems(apoteker), problems(default))
    assert [r.values["jenis_izin"] for r in (bidan, apoteker, default)] == ["sipb", "sipa", DEFAULT.code]
    assert apoteker.values["berkas"]["ijazah_apoteker"] is True and "ijazah" not in apoteker.values["berkas"]
    assert bidan.values["nama_tempat_praktik"] == SIPB.by_name["nama_tempat_praktik"].example
    assert problems(stray) == ["row 7, No STRA: No STRA is a column of SIPA (Surat Izin Praktik Apoteker), "
                               "not of SIPB"]
    assert problems(unknown) == [f'row 8, Jenis Izin: Jenis Izin "SIPX" is not a permit type here; '
                                 f'known: {", ".join(KNOWN)}']
    # The errors workbook keeps the mixed file's columns, as typed.
    dest = write_errors_workbook(intake, [stray, unknown], tmp_path / "kesalahan.xlsx")
    back = load_workbook(dest).active
    assert [c.value for c in back[1]][2:] == headers
    assert back.cell(2, 3 + headers.index("No STRA")).fill.fgColor.rgb.endswith("FFC7CE")


def test_a_mixed_file_needs_the_required_columns_of_each_type_it_holds(tmp_path):
    fields = [f for f in mixed_fields([SIPB, SIPA]) if f.name != "no_stra"]
    sipb_only = book(tmp_path, [record(SIPB, jenis_izin="SIPB")], fields, name="a.xlsx")
    _, [row] = read(sipb_only)
    assert row.ok, problems(row)
    with_sipa = book(tmp_path, [record(SIPB, jenis_izin="SIPB"),
                                record(SIPA, jenis_izin="SIPA", nik="1211014503910003")], fields, name="b.xlsx")
    with pytest.raises(UnusableInput) as err:
        read(with_sipa)
    assert str(err.value).endswith('header row 1 lacks required column(s) of SIPA (Surat Izin Praktik '
                                   'Apoteker) for row 3: "No STRA"')


def test_type_given_and_a_jenis_izin_naming_another(tmp_path):
    fields = (SIPB.fields[1], *workbook_fields(SIPB))  # Jenis Izin first
    path = book(tmp_path, [record(SIPB, jenis_izin="SIPA"), record(SIPB, jenis_izin=None, nik="1211014503910003")],
                fields)
    _, (other, blank) = read(path, permit_type="SIPB")
    assert problems(other) == ['row 2, Jenis Izin: Jenis Izin "SIPA" is SIPA (Surat Izin Praktik Apoteker), '
                               'but this file was given as SIPB (Surat Izin Praktik Bidan) (--type)']
    assert blank.ok and blank.values["jenis_izin"] == "sipb"


def test_unknown_type_is_refused_before_reading(tmp_path):
    path = book(tmp_path, [record(SIPB)], workbook_fields(SIPB))
    with pytest.raises(permit_types.UnknownPermitType) as err:
        open_input(path, permit_type="SIPX")
    assert str(err.value) == f'"SIPX" is not a permit type here; known: {", ".join(permit_types.catalogue().codes())}'
    assert err.value.exit_code == 2


def test_duplicates_are_the_same_nik_date_type_kind_and_place(tmp_path):
    fields = workbook_fields(SIPB)
    first = record(SIPB)
    rows = [first, dict(first), {**first, "nama_tempat_praktik": "Klinik Bidan Rina"},
            {**first, "jenis_permohonan": "Perubahan", "nomor_izin_sebelumnya": "503/1/SIPB/DPMPTSPK/2025"}]
    _, (one, again, other_place, other_kind) = read(book(tmp_path, rows, fields), permit_type="sipb")
    assert one.ok and other_place.ok and other_kind.ok, (problems(other_place), problems(other_kind))
    assert problems(again) == ['row 3, NIK: NIK "1211014503910002" with Tanggal Permohonan "05-08-2026" is a '
                               'duplicate of row 2']


def test_a_file_without_type_or_jenis_izin_is_of_the_default_type(tmp_path):
    path = book(tmp_path, [record(SIPB)], workbook_fields(SIPB))
    with pytest.raises(UnusableInput) as err:
        read(path, profile={"permit_types": {"default": "sipa"}})
    assert 'lacks required column(s): "No STRA"' in str(err.value)
    assert str(err.value).endswith("(the columns are those of SIPB (Surat Izin Praktik Bidan): give --type sipb, "
                                   "or add a Jenis Izin column)")
    _, [row] = read(path, profile={"permit_types": {"default": "sipb"}})
    assert row.ok and row.values["jenis_izin"] == "sipb"


def test_sipb_keeps_every_intake_habit(tmp_path):
    """Header variants, a two-row header, the TTL column, Indonesian dates, a NIK typed as a number."""
    fields = [f for f in workbook_fields(SIPB) if f.name not in ("tempat_lahir", "tanggal_lahir")]
    top = ["Tgl. Permohonan" if f.name == "tanggal_permohonan" else
           "Kelengkapan Berkas" if f.name == "surat_permohonan" else
           None if f.group == "berkas" else f.header for f in fields] + ["Tempat, Tanggal Lahir"]
    below = [f.header if f.group == "berkas" else None for f in fields] + [None]
    values = record(SIPB, tanggal_permohonan="5 Agustus 2026", nik=1211014503910002,
                    str_berlaku_sampai="31 Des 2030", jenis_praktik="FASILITAS", sip_ke=1.0)
    cells = [values.get(f.name) for f in fields] + ["Sidikalang, 05-03-1991"]
    path = make_workbook(tmp_path / "kebiasaan.xlsx", title_rows=[["DAFTAR SIPB"], top], headers=below,
                         rows=[cells])
    intake, [row] = read(path, permit_type="sipb")
    assert intake.header_row == 2 and row.number == 4
    assert row.ok, problems(row)
    assert row.values["tanggal_permohonan"] == dt.date(2026, 8, 5)
    assert row.values["tanggal_lahir"] == dt.date(1991, 3, 5) and row.values["tempat_lahir"] == "Sidikalang"
    assert row.values["nik"] == "1211014503910002" and row.values["str_berlaku_sampai"] == dt.date(2030, 12, 31)
    assert row.values["jenis_praktik"] == "Fasilitas" and row.values["sip_ke"] == 1


# --- JSON per type ----------------------------------------------------------------------


def json_of(ptype, **changes) -> dict:
    values = record(ptype, **changes)
    berkas = {f.name: values.pop(f.name) == "Y" for f in workbook_fields(ptype) if f.group == "berkas"}
    return {**{k: v for k, v in values.items() if v is not None}, "berkas": berkas}


def test_json_records_are_validated_against_their_type(tmp_path):
    records = [json_of(SIPA, jenis_izin="SIPA"), {**json_of(SIPA, jenis_izin="sipa", nik="1211014503910003"),
                                                  "no_str": "RO1", "sip_ke": 5}]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    intake, (good, bad) = read(path)
    assert good.ok, problems(good)
    assert good.values["jenis_izin"] == "sipa" and good.values["no_stra"] == records[0]["no_stra"]
    assert problems(bad)[0] == 'row 2, sip_ke: sip_ke "5" must be from 1 to 3'
    assert any("no_str is a column of" in p and p.endswith("not of SIPA") for p in problems(bad))
    assert intake.headers == [("berkas." if f.group == "berkas" else "") + f.name for f in workbook_fields(SIPA)]


def test_schema_per_type():
    schema = json_schema(SIPB)
    items = schema["items"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Daftar permohonan SIPB (Surat Izin Praktik Bidan)"
    assert items["properties"]["jenis_praktik"]["enum"] == ["Fasilitas", "Mandiri"]
    assert items["properties"]["sip_ke"] == {**items["properties"]["sip_ke"], "type": "integer", "minimum": 1,
                                             "maximum": 3}
    assert {"jenis_izin", "jenis_permohonan", "no_str", "nama_tempat_praktik"} <= set(items["properties"])
    assert "no_stra" not in items["properties"]
    assert set(items["properties"]["berkas"]["properties"]) == {f.name for f in SIPB.checklist_fields}
    renewal = next(r for r in items["allOf"] if "Perpanjangan" in json.dumps(r["if"]))
    assert "nomor_izin_sebelumnya" in renewal["then"]["required"]
    new = next(r for r in items["allOf"] if "Baru" in json.dumps(r["if"]))
    assert "npwp" not in new["then"]["properties"]["berkas"]["required"]  # WAJIB only for Mandiri


# --- the CLI ----------------------------------------------------------------------------


def test_cli_workbook_and_schema_per_type(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["workbook", "--type", "SIPA", "a.xlsx"])
    assert result.exit_code == 0, result.output
    assert load_workbook(tmp_path / "a.xlsx")["Permohonan"]["A1"].value.endswith("(SIPA)")
    result = runner.invoke(cli, ["workbook", "--type", "all"])
    assert result.exit_code == 0 and (tmp_path / "permohonan-all.xlsx").exists()
    result = runner.invoke(cli, ["schema", "--type", "Surat Izin Praktik Bidan"])
    assert json.loads(result.output)["title"].startswith("Daftar permohonan SIPB")


def test_cli_unknown_type_exits_2_with_one_line(tmp_path, sikro, ws_args):
    path = book(tmp_path, [record(SIPB)], workbook_fields(SIPB))
    for command in (["import", path, "--type", "SIPX"], ["batch", path, "--doc", "receipt", "--type", "SIPX"],
                    ["workbook", "--type", "SIPX", tmp_path / "x.xlsx"]):
        result = sikro(*command, *ws_args)
        assert result.code == 2, result.err
        assert result.err.strip().splitlines() == [
            f'sikro: error: "SIPX" is not a permit type here; known: {", ".join(permit_types.catalogue().codes())}']


def test_cli_import_with_type_and_a_mixed_file_record_each_rows_type(tmp_path, workspace):
    runner = CliRunner()
    args = ["--workspace", str(workspace.root)]
    single = book(tmp_path, [record(SIPB), record(SIPB, nik="1211014503910003", jenis_praktik="Mandiri", npwp="T")],
                  workbook_fields(SIPB), name="sipb.xlsx")
    result = runner.invoke(cli, ["import", str(single), "--type", "sipb", "--json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["imported"] == 2
    mixed = book(tmp_path, [record(SIPA, jenis_izin="SIPA", nik="1211014503910005"),
                            {**record(SIPB, jenis_izin="SIPB", nik="1211014503910006"), "no_stra": "X/1"}],
                 mixed_fields([SIPB, SIPA]), name="campur.xlsx")
    result = runner.invoke(cli, ["import", str(mixed), "--json", *args])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["imported"] == 1
    assert report["invalid"] == [{"row": 3, "column": "No STRA",
                                  "message": "No STRA is a column of SIPA (Surat Izin Praktik Apoteker), not of SIPB"}]
    listed = json.loads(runner.invoke(cli, ["list", "--json", *args]).output)
    assert [a["permit_type"] for a in listed] == ["sipb", "sipb", "sipa"]
    assert [a["complete"] for a in listed] == [True, False, True]


def test_a_type_column_missing_in_a_mixed_file_saves_nothing(tmp_path, workspace):
    runner = CliRunner()
    args = ["--workspace", str(workspace.root)]
    fields = [f for f in mixed_fields([SIPB, SIPA]) if f.name != "no_stra"]
    path = book(tmp_path, [record(SIPB, jenis_izin="SIPB"), record(SIPA, jenis_izin="SIPA", nik="1211014503910003")],
                fields, name="campur.xlsx")
    result = runner.invoke(cli, ["import", str(path), *args])
    assert isinstance(result.exception, UnusableInput) and result.exception.exit_code == 2  # `main` exits 2
    assert "lacks required column(s) of SIPA (Surat Izin Praktik Apoteker) for row 3" in str(result.exception)
    assert json.loads(runner.invoke(cli, ["list", "--json", *args]).output) == []
    assert not (tmp_path / "campur-kesalahan.xlsx").exists()


def test_an_offices_own_type_from_data_alone(tmp_path):
    """A fourth type, made by copying a folder and editing its data: its workbook and its rows."""
    folder = tmp_path / "ws" / permit_types.WORKSPACE_FOLDER / "sipt"
    shutil.copytree(SIPB.source, folder)
    toml = folder / permit_types.TYPE_FILE
    text = toml.read_text(encoding="utf-8")
    for old, new in (('code = "sipb"', 'code = "sipt"'), ('title = "Surat Izin Praktik Bidan"',
                      'title = "Surat Izin Praktik Terapis Gigi dan Mulut"'), ('short_name = "SIPB"', 'short_name = "SIPTGM"'),
                     ('header = "Jenis Praktik"', 'header = "Jenis Layanan"')):
        assert old in text
        text = text.replace(old, new)
    toml.write_text(text, encoding="utf-8")
    ws = SimpleNamespace(root=tmp_path / "ws", profile={})
    own = permit_types.get(ws, "SIPTGM")
    path = write_blank_workbook(tmp_path / "sipt.xlsx", "sipt", ws=ws)
    sheet = load_workbook(path)["Permohonan"]
    assert sheet["A1"].value == "DAFTAR PERMOHONAN SURAT IZIN PRAKTIK TERAPIS GIGI DAN MULUT (SIPTGM)"
    assert "Jenis Layanan" in [c.value for c in sheet[HEADER_ROW]]
    fields = (own.fields[1], *workbook_fields(own))
    rows = [record(own, jenis_izin="SIPTGM", jenis_praktik="mandiri", npwp=None),
            record(own, jenis_izin="Surat Izin Praktik Terapis Gigi dan Mulut", nik="1211014503910003")]
    _, (mine, by_title) = read(book(tmp_path, rows, fields), ws=ws)
    assert problems(mine) == ["row 2, NPWP: NPWP is empty; it must be Y or T"]
    assert mine.values["jenis_izin"] == "sipt" and mine.values["jenis_praktik"] == "Mandiri"
    assert by_title.ok and by_title.values["jenis_izin"] == "sipt", problems(by_title)
    # Without the workspace the type is unknown: a row error naming the column.
    _, (unknown, _) = read(book(tmp_path, rows, fields, name="b.xlsx"))
    assert problems(unknown)[0].startswith('row 2, Jenis Izin: Jenis Izin "SIPTGM" is not a permit type here')


def test_a_long_choice_list_goes_to_a_hidden_sheet_and_the_workbook_still_reads(tmp_path):
    import dataclasses

    choices = tuple(f"Sarana nomor {i}, cabang {i}" for i in range(12))
    fields = tuple(dataclasses.replace(f, choices=choices) if f.name == "jenis_sarana" else f for f in SIPA.fields)
    long_type = dataclasses.replace(SIPA, fields=fields)
    path = write_blank_workbook(tmp_path / "panjang.xlsx", long_type)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Permohonan", "Petunjuk", "Pilihan"]
    assert workbook["Pilihan"].sheet_state == "hidden"
    formulas = {dv.formula1 for dv in workbook["Permohonan"].data_validations.dataValidation}
    assert "'Pilihan'!$A$2:$A$13" in formulas
    sheet = workbook["Permohonan"]
    for index, fld in enumerate(workbook_fields(long_type), start=1):
        sheet.cell(FIRST_DATA_ROW, index, record(long_type, jenis_sarana="sarana nomor 3, cabang 3").get(fld.name))
    workbook.save(path)
    intake, [row] = read(path, permit_type=long_type)
    assert intake.sheet == "Permohonan" and row.ok, problems(row)
    assert row.values["jenis_sarana"] == "Sarana nomor 3, cabang 3"
