"""Sample workbooks of every permit type, made from the type's data alone (sikro_docs/samples.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sikro_docs import permit_types, samples
from sikro_docs.cli import cli, main
from sikro_docs.intake.nik import parse_nik
from sikro_docs.intake.types import TypeChooser
from sikro_docs.intake.validate import RecordValidator
from sikro_docs.permit_types import model as m

BUILTIN = ["sikro", "sipb", "sipa"]
COPY = "bidanx"  # a type made by copying sipb's folder, with a field renamed
RENAMED = ("nama_tempat_praktik", "Nama Tempat Praktik", "nama_fasilitas_praktik", "Nama Fasilitas Praktik")


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def ws(tmp_path, new_workspace):
    return new_workspace(tmp_path / "ws")


def copied_type(ws, keep_hints: bool = True) -> m.PermitType:
    """sipb's folder copied into the workspace as COPY, one field renamed (data only, no code)."""
    source = permit_types.builtin_root() / "sipb"
    folder = ws.root / permit_types.WORKSPACE_FOLDER / COPY
    shutil.copytree(source, folder)
    if not keep_hints:
        (folder / samples.HINTS_FILE).unlink()
    path = folder / permit_types.TYPE_FILE
    text = path.read_text("utf-8")
    old_name, old_header, new_name, new_header = RENAMED
    text = (text.replace('code = "sipb"', f'code = "{COPY}"').replace('short_name = "SIPB"', 'short_name = "SIPBX"')
            .replace("Surat Izin Praktik Bidan", "Surat Izin Praktik Bidan Desa")
            .replace(old_name, new_name).replace(f'header = "{old_header}"', f'header = "{new_header}"'))
    path.write_text(text, "utf-8")
    return permit_types.get(ws, COPY)


def validated(ptype: m.PermitType, records: list[dict]):
    """Each record as intake's validator judges it against the type's fields (sheet row numbers)."""
    # The type is given (as `--type` would): the Jenis Izin cell is left to the import tests below.
    validator = RecordValidator(TypeChooser(permit_types.catalogue(), fixed=ptype), {})
    return [validator.check(samples.FIRST_DATA_ROW + i, [], values, chosen=(ptype, None))
            for i, values in enumerate(records)]


def assert_exactly_promised(rows, made: samples.Sample) -> None:
    promised = made.promised_rows()
    wrong = {row.number: " | ".join(p.message for p in row.problems) for row in rows if row.problems}
    assert sorted(wrong) == sorted(promised), wrong
    for number, fragment in promised.items():
        assert fragment in wrong[number], (number, wrong[number])
    incomplete = [row.number - samples.FIRST_DATA_ROW for row in rows if row.missing]
    assert incomplete == made.incomplete


@pytest.mark.parametrize("code", BUILTIN)
def test_each_type_sample_has_exactly_the_promised_mistakes(code):
    ptype = permit_types.get(None, code)
    made = samples.sample(ptype)
    assert_exactly_promised(validated(ptype, made.records), made)
    kinds = {values.get("jenis_permohonan") for values in made.records}
    assert kinds == {None, "Perpanjangan", "Perubahan", "Pencabutan"}
    # a type with a choice and a number field gets a wrong choice and an out-of-bounds number too
    fragments = set(made.promised_rows().values())
    assert ("must be one of" in fragments) == any(f.kind == m.CHOICE for f in ptype.own_fields)
    assert ("must be from" in fragments) == any(f.kind == m.NUMBER for f in ptype.own_fields)


@pytest.mark.parametrize("code", BUILTIN)
def test_sample_values_follow_the_type(code):
    ptype = permit_types.get(None, code)
    rows = [r for r in validated(ptype, samples.sample(ptype).records) if r.ok]
    assert len(rows) >= 15
    for row in rows:
        values = row.values
        info = parse_nik(values["nik"])
        born = values["tanggal_lahir"]
        assert (info.day, info.month, info.yy) == (born.day, born.month, born.year % 100)
        assert ("P" if info.female else "L") == values["jenis_kelamin"]
        for fld in ptype.own_fields:
            if fld.required and fld.kind != m.DATE_OR_LIFETIME:  # "Seumur Hidup" reads as None
                assert values[fld.name] is not None, fld.name
            if fld.kind == m.CHOICE:
                assert values[fld.name] in fld.choices
            if fld.kind == m.NUMBER:
                assert fld.minimum <= values[fld.name] <= fld.maximum
    earlier = [r.values for r in rows if r.values["jenis_permohonan"] not in (None, "baru")]
    assert {v["jenis_permohonan"] for v in earlier} == {"perpanjangan", "perubahan", "pencabutan"}
    for values in earlier:  # permits from before the toolkit: number in the type's pattern, date typed in
        assert values["nomor_izin_sebelumnya"] and isinstance(values["tanggal_izin_sebelumnya"], dt.date)
        assert values["tanggal_izin_sebelumnya"] < values["tanggal_permohonan"]
    [revocation] = [v for v in earlier if v["jenis_permohonan"] == "pencabutan"]
    assert revocation["alasan_penolakan"]


@pytest.mark.parametrize("code", BUILTIN)
def test_a_change_of_workplace_changes_the_place_and_a_renewal_keeps_it(code):
    ptype = permit_types.get(None, code)
    hints, person = samples.hints_for(ptype), samples.Person.of(samples.PEOPLE[0])
    base = samples.record(ptype, hints, random.Random(1), 0, person, dt.date(2026, 7, 6))
    place = ptype.rules.place_field or samples._place_fields(ptype)[0].name
    earlier = ("503/0001/X/2021", dt.date(2021, 7, 1))
    change = samples.later_row(ptype, base, samples.Later("perubahan", *earlier, new_place=True), hints,
                               random.Random(2), 0, person)
    renewal = samples.later_row(ptype, base, samples.Later("perpanjangan", *earlier), hints, random.Random(2), 0,
                                person)
    assert change[place] and change[place] != base[place]
    assert renewal[place] == base[place]
    assert (change["jenis_permohonan"], renewal["jenis_permohonan"]) == ("Perubahan", "Perpanjangan")


@pytest.mark.parametrize("keep_hints", [True, False])
def test_a_type_copied_with_a_renamed_field_gets_a_sample(ws, tmp_path, keep_hints):
    ptype = copied_type(ws, keep_hints)
    dest = tmp_path / "contoh-bidanx.xlsx"
    result = run("sample", "--type", COPY, "-o", dest, "--workspace", ws.root)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(dest)["Permohonan"]
    headers = [c.value for c in sheet[samples.HEADER_ROW]]
    assert RENAMED[3] in headers and RENAMED[1] not in headers
    column = headers.index(RENAMED[3]) + 1
    filled = [sheet.cell(r, column).value for r in range(samples.FIRST_DATA_ROW, sheet.max_row + 1)]
    assert sum(1 for v in filled if v) >= 20
    assert {sheet.cell(r, headers.index("Jenis Izin") + 1).value
            for r in range(samples.FIRST_DATA_ROW, sheet.max_row + 1)} == {"SIPBX"}
    made = samples.sample(ptype)
    assert_exactly_promised(validated(ptype, made.records), made)


def test_sample_command_for_an_unknown_type_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no workspace here: the built-in types
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", "--type", "nope", "-o", str(tmp_path / "x.xlsx")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and '"nope" is not a permit type' in err and "sipb" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_mixed_sample_names_each_row_type(tmp_path):
    dest = tmp_path / "campur.xlsx"
    assert run("sample", "--mixed", "-o", dest).exit_code == 0
    sheet = load_workbook(dest)["Permohonan"]
    headers = [c.value for c in sheet[samples.HEADER_ROW]]
    types = [sheet.cell(r, headers.index("Jenis Izin") + 1).value
             for r in range(samples.FIRST_DATA_ROW, sheet.max_row + 1)]
    assert set(types) == {t.short_name for t in permit_types.catalogue().types.values()}
    for code in BUILTIN:  # every type's own columns are there
        assert all(f.header in headers for f in permit_types.get(None, code).own_fields)


# --- through `sikro import`: intake reads each type's columns (`Jenis Izin`) ----------------------


def _import(ws, path) -> dict:
    result = run("import", path, "--json", "--workspace", ws.root)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.mark.parametrize("code", BUILTIN)
def test_each_type_sample_imports_with_exactly_the_promised_mistakes(ws, tmp_path, code):
    ptype = permit_types.get(ws, code)
    made = samples.sample(ptype, profile=ws.profile)
    path = samples.write_sample_workbook(tmp_path / f"contoh-{code}.xlsx", code, ws)
    report = _import(ws, path)
    wrong: dict[int, list[str]] = {}
    for problem in report["invalid"]:
        wrong.setdefault(problem["row"], []).append(problem["message"])
    assert sorted(wrong) == sorted(made.promised_rows()), wrong
    for row, fragment in made.promised_rows().items():
        assert any(fragment in message for message in wrong[row]), (row, wrong[row])
    assert report["imported"] == len(made.records) - len(made.promised_rows())
    listed = json.loads(run("list", "--json", "--workspace", ws.root).output)
    assert {a["permit_type"] for a in listed} == {code}
    assert sorted(a["application_kind"] for a in listed if a["application_kind"] != "baru") == [
        "pencabutan", "perpanjangan", "perubahan"]
    assert sum(1 for a in listed if not a["complete"]) == len(made.incomplete)


def test_a_copied_type_sample_imports_with_exactly_the_promised_mistakes(ws, tmp_path):
    ptype = copied_type(ws)
    made = samples.sample(ptype, profile=ws.profile)
    report = _import(ws, samples.write_sample_workbook(tmp_path / "contoh.xlsx", COPY, ws))
    assert sorted({p["row"] for p in report["invalid"]}) == sorted(made.promised_rows())
    listed = json.loads(run("list", "--json", "--workspace", ws.root).output)
    assert {a["permit_type"] for a in listed} == {COPY}
