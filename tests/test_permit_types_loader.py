"""The one loader of permit-type data: every mistake of a type folder names its file and key."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sikro_docs import permit_types
from sikro_docs.permit_types import TYPE_FILE, builtin_root, read_type_dir
from sikro_docs.permit_types.conditions import ConditionInvalid, parse_condition


def type_folder(tmp_path: Path, source: str = "sipb") -> Path:
    folder = tmp_path / source
    shutil.copytree(builtin_root() / source, folder)
    return folder


def edit(folder: Path, old: str, new: str, count: int = 1) -> None:
    path = folder / TYPE_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems(folder: Path) -> list[str]:
    return [str(p) for p in read_type_dir(folder).problems]


def assert_one(folder: Path, key: str, *words: str) -> None:
    found = problems(folder)
    matching = [p for p in found if f": {key}: " in p]
    assert matching, f"no problem at {key}: {found}"
    assert all(p.startswith(str(folder / TYPE_FILE)) for p in found), found
    for word in words:
        assert any(word in p for p in matching), (word, matching)


def test_builtin_types_read_without_problems():
    for folder in sorted(builtin_root().iterdir()):
        if (folder / TYPE_FILE).is_file():
            assert problems(folder) == [], folder.name


def test_unknown_top_level_setting(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'code = "sipb"', 'code = "sipb"\ncolour = "blue"')
    assert_one(folder, "colour", "not a permit-type setting")


def test_unknown_setting_in_a_field(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'name = "no_str"', 'name = "no_str"\nrequird = true')
    assert_one(folder, "fields[0].requird", "not a field setting")


@pytest.mark.parametrize("table, key", [
    ("numbering", "numbering.registr"), ("validity", "validity.rul"), ("qr", "qr.field"),
    ("archive", "archive.retensi"), ("rules", "rules.max_place"),
])
def test_unknown_setting_in_a_section(tmp_path, table, key):
    folder = type_folder(tmp_path)
    edit(folder, f"[{table}]", f'[{table}]\n{key.split(".")[1]} = "x"')
    assert_one(folder, key, "not a setting")


def test_unknown_setting_of_a_checklist_item_and_an_application_entry(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'what = "fotokopi KTP"', 'what = "fotokopi KTP"\nwajb = false')
    edit(folder, '{ item = "surat_permohonan" }, { item = "ktp" }, { item = "str" }, { item = "ijazah" }',
         '{ item = "surat_permohonan", wajb = false }, { item = "ktp" }, { item = "str" }, { item = "ijazah" }')
    assert_one(folder, "checklist[1].wajb", "not a setting")
    assert_one(folder, "applications.baru.checklist[0].wajb", "not a setting")


def test_unknown_field_kind(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'kind = "choice"', 'kind = "pilihan"')
    assert_one(folder, "fields[2].kind", '"pilihan" is not one of')


def test_checklist_item_without_a_checklist_entry(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, '[applications.pencabutan]\nchecklist = [{ item = "surat_permohonan" }',
         '[applications.pencabutan]\nchecklist = [{ item = "surat_pencabutan" }')
    assert_one(folder, "applications.pencabutan.checklist[0].item", '"surat_pencabutan"', "[[checklist]]")


def test_condition_naming_an_unknown_field(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, "when = \"jenis_praktik == 'Mandiri'\"", "when = \"jenis_praktek == 'Mandiri'\"")
    assert_one(folder, "applications.baru.checklist[7].when", '"jenis_praktek" is not a field')


@pytest.mark.parametrize("condition", [
    "__import__('os').system('true')",
    "jenis_praktik.upper() == 'MANDIRI'",
    "jenis_praktik == open('x')",
    "jenis_praktik == __builtins__",
    "(lambda: 1)() == 1",
    "sip_ke == 1 if True else 2",
    "[x for x in ()] == []",
    "sip_ke < 2 < 3",
    "jenis_praktik == True",
])
def test_a_condition_that_is_code_is_refused(tmp_path, condition):
    with pytest.raises(ConditionInvalid):
        parse_condition(condition)
    folder = type_folder(tmp_path)
    edit(folder, "when = \"jenis_praktik == 'Mandiri'\"", f"when = {condition!r}")
    assert_one(folder, "applications.baru.checklist[7].when")


def test_a_condition_that_is_not_python_is_refused():
    for text in ("jenis_praktik ==", "", "   ", "jenis_praktik = 'Mandiri'"):
        with pytest.raises(ConditionInvalid):
            parse_condition(text)


def test_conditions_evaluate_as_data():
    cond = parse_condition("sip_ke >= 2 and jenis_praktik in ['Mandiri', 'Fasilitas'] or not sip_ke == 1")
    assert cond.fields == {"sip_ke", "jenis_praktik"}
    assert cond.holds({"sip_ke": 2, "jenis_praktik": "  mandiri "})
    assert not cond.holds({"sip_ke": 1, "jenis_praktik": "Mandiri"})
    assert not parse_condition("jenis_praktik == 'Mandiri'").holds({"jenis_praktik": None})


@pytest.mark.parametrize("pattern, missing", [
    ("503/{nomor:04d}/SIPB", "{tahun}"),
    ("503/SIPB/{tahun}", "{nomor"),
    ("503/{nomorx}/SIPB/{tahun}", "{nomor"),
])
def test_pattern_without_nomor_or_tahun(tmp_path, pattern, missing):
    folder = type_folder(tmp_path)
    edit(folder, 'pattern = "503/{nomor:04d}/SIPB/DPMPTSPK/{tahun}"', f'pattern = "{pattern}"')
    assert_one(folder, "numbering.pattern", missing)


@pytest.mark.parametrize("pattern, words", [
    ("503/{nomor:04d}/{kota}/{tahun}", ["unknown placeholder", "{kota}"]),
    ("503/{nomor:04d}/{tahun", ["malformed"]),
    ("503/{nomor!r}/{tahun}", ["unsupported"]),
])
def test_pattern_with_unknown_or_malformed_placeholders(tmp_path, pattern, words):
    folder = type_folder(tmp_path)
    edit(folder, 'pattern = "503/{nomor:04d}/SIPB/DPMPTSPK/{tahun}"', f'pattern = "{pattern}"')
    assert_one(folder, "numbering.pattern", *words)


@pytest.mark.parametrize("rule", ["5 tahun", "lima tahun sejak terbit", "5 tahun sejak terbit, paling lama"])
def test_validity_rule_that_does_not_parse(tmp_path, rule):
    folder = type_folder(tmp_path)
    edit(folder, 'rule = "5 tahun sejak terbit, paling lama sampai str_berlaku_sampai"', f'rule = "{rule}"')
    assert_one(folder, "validity.rule", "does not parse")


def test_validity_rule_limited_by_a_field_that_is_not_a_date(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'rule = "5 tahun sejak terbit, paling lama sampai str_berlaku_sampai"',
         'rule = "5 tahun sejak terbit, paling lama sampai jenis_praktik"')
    assert_one(folder, "validity.rule", '"jenis_praktik" is not a date field')


def test_validity_rules_that_parse():
    sipb = permit_types.get(None, "sipb")
    assert sipb.validity.years == 5 and sipb.validity.not_beyond == "str_berlaku_sampai"


def test_a_header_meaning_two_fields(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'aliases = ["Praktik", "Jenis Tempat Praktik"]', 'aliases = ["Praktik", "Tempat Praktik"]')
    found = problems(folder)
    assert found == [f'{folder / TYPE_FILE}: fields[4].aliases: header "tempatpraktik" also means the field '
                     'jenis_praktik (fields[2])'], found


def test_a_field_header_that_is_a_shared_header(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'header = "No STR"', 'header = "Nama"')
    assert_one(folder, "fields[0].header", '"nama" also means the field nama (common.toml)')


def test_a_qr_field_that_is_not_a_field(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'fields = ["no_str", "nama_tempat_praktik", "sip_ke"]', 'fields = ["no_str", "tempat", "sip_ke"]')
    assert_one(folder, "qr.fields[1]", '"tempat" is not a field')


def test_a_wire_v1_field_that_is_not_a_field_is_named_as_such(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, "[qr]", '[qr]\nwire_v1 = ["no_str", "tempat_kerja"]')
    assert_one(folder, "qr.wire_v1[1]", '"tempat_kerja" is not a field')


@pytest.mark.parametrize("key", ["nth_field", "earlier_numbers_field", "place_field"])
def test_a_rule_naming_an_unknown_field(tmp_path, key):
    folder = type_folder(tmp_path)
    edit(folder, f"{key} = ", f'{key} = "tidak_ada"\n_old_{key} = ')
    found = problems(folder)
    assert any(f": rules.{key}: " in p and '"tidak_ada" is not a field' in p for p in found), found


def test_max_places_must_be_a_whole_number(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, "max_places = 3", 'max_places = "tiga"')
    assert_one(folder, "rules.max_places", "whole number")


def test_folder_name_must_be_the_code(tmp_path):
    folder = type_folder(tmp_path)
    renamed = folder.rename(tmp_path / "bidan")
    assert_one(renamed, "code", '"sipb"', '"bidan"')


def test_bad_toml_names_the_line(tmp_path):
    folder = type_folder(tmp_path)
    lines = (folder / TYPE_FILE).read_text(encoding="utf-8").splitlines()
    lines[20] = 'rule = "5 tahun'  # an unclosed string on line 21
    (folder / TYPE_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = problems(folder)
    assert len(found) == 1 and "not valid TOML" in found[0] and re.search(r"line 21\b", found[0]), found


def test_a_folder_without_its_file(tmp_path):
    (tmp_path / "kosong").mkdir()
    found = problems(tmp_path / "kosong")
    assert len(found) == 1 and "no permit-type.toml" in found[0]


class _Ws:
    def __init__(self, root: Path):
        self.root = root
        self.profile: dict = {}


def test_a_workspace_type_overrides_the_builtin_one_whole(tmp_path):
    ws = _Ws(tmp_path)
    folder = tmp_path / "permit-types" / "sipb"
    folder.parent.mkdir()
    shutil.copytree(builtin_root() / "sipb", folder)
    edit(folder, 'title = "Surat Izin Praktik Bidan"', 'title = "Surat Izin Praktik Bidan Kabupaten"')
    # the office drops the NPWP item: the override is the whole type, nothing merged
    text = (folder / TYPE_FILE).read_text(encoding="utf-8")
    text = re.sub(r'\[\[checklist\]\]\nname = "npwp"\n(?:.+\n)+?\n', "", text)
    text = text.replace(', { item = "npwp", when = "jenis_praktik == \'Mandiri\'" }', "")
    text = text.replace('  { item = "npwp", when = "jenis_praktik == \'Mandiri\'" },\n', "")
    (folder / TYPE_FILE).write_text(text, encoding="utf-8")
    assert problems(folder) == []
    catalogue = permit_types.catalogue(ws)
    sipb = catalogue.get("sipb")
    assert sipb.title == "Surat Izin Praktik Bidan Kabupaten"
    assert not sipb.builtin and sipb.source == str(folder)
    assert "npwp" not in sipb.by_name
    assert [t.code for t in catalogue.types.values()].count("sipb") == 1
    assert permit_types.get(None, "sipb").title == "Surat Izin Praktik Bidan"


def test_the_catalogue_rereads_a_type_edited_at_once(tmp_path):
    ws = _Ws(tmp_path)
    folder = tmp_path / "permit-types" / "sipb"
    folder.parent.mkdir()
    shutil.copytree(builtin_root() / "sipb", folder)
    assert permit_types.get(ws, "sipb").short_name == "SIPB"
    for n in range(5):  # edits quicker than the clock's tick still count
        edit(folder, f'short_name = "{"SIPB" if n == 0 else f"SIPB{n - 1}"}"', f'short_name = "SIPB{n}"')
        assert permit_types.get(ws, "sipb").short_name == f"SIPB{n}"


def test_a_broken_workspace_type_stops_the_catalogue_naming_file_and_key(tmp_path):
    ws = _Ws(tmp_path)
    folder = tmp_path / "permit-types" / "sipx"
    folder.parent.mkdir()
    shutil.copytree(builtin_root() / "sipb", folder)
    with pytest.raises(permit_types.PermitTypeError) as err:
        permit_types.catalogue(ws)
    assert str(folder / TYPE_FILE) in str(err.value) and "code" in str(err.value)


@pytest.mark.parametrize("condition", ["not " * 5000 + "sip_ke == 1", "(" * 300 + "sip_ke == 1" + ")" * 300,
                                       " and ".join(["sip_ke == 1"] * 200)])
def test_a_condition_too_deep_or_too_long_is_refused_in_one_short_line(condition):
    with pytest.raises(ConditionInvalid) as err:
        parse_condition(condition)
    assert len(str(err.value)) < 200, str(err.value)


TOP = 'code = "sipb"'


@pytest.mark.parametrize("edits, key", [
    ([("[applications.baru]\nchecklist = [", "[applications.baru]\nchecklist = 5\n_c = [")],
     "applications.baru.checklist"),
    ([("[applications.pencabutan]\nchecklist =", "[applications.pencabutan]\n_c ="),
      ("[applications.pencabutan]", "[applications]\npencabutan = 1\n[_x]")], "applications.pencabutan"),
    ([('[documents.permit]\njudul = "SURAT IZIN PRAKTIK BIDAN"', ""), ("[documents.tempat]", "[_t]"),
      (TOP, TOP + "\ndocuments = 'x'")], "documents"),
    ([('[documents.permit]\njudul = "SURAT IZIN PRAKTIK BIDAN"', "[documents]\npermit = 'x'")], "documents.permit"),
    ([("[wording]", "[_w]"), (TOP, TOP + "\nwording = 1")], "wording"),
    ([('[wording]', '[wording]\nmenimbang = 5')], "wording.menimbang"),
    ([('rows = [\n  { label = "Nomor STR", field = "no_str" },', 'rows = [\n  1,')], "permit.rows[0]"),
    ([("legal_basis = [", "legal_basis = 'x'\n_lb = [")], "legal_basis"),
    ([('fields = ["no_str", "nama_tempat_praktik", "sip_ke"]', 'fields = "no_str"')], "qr.fields"),
    ([('aliases = ["Nomor STR", "No STR Bidan"]', 'aliases = "Nomor STR"')], "fields[0].aliases"),
    ([("max_length = 60", 'max_length = "enam puluh"')], "fields[0].max_length"),
    ([("minimum = 1", 'minimum = "satu"')], "fields[3].minimum"),
    ([('choices = ["Fasilitas", "Mandiri"]', 'choices = "Fasilitas"')], "fields[2].choices"),
    ([("required = true", 'required = "ya"')], "fields[0].required"),
    ([('checklist = [{ item = "surat_permohonan" }, { item = "ktp" }]', "checklist = 'ktp'")],
     "applications.pencabutan.checklist"),
    ([('{ item = "npwp", when = "jenis_praktik == \'Mandiri\'" },\n]', '{ item = "npwp", from = 2027 },\n]')],
     "applications.baru.checklist[7].from"),
    ([('aliases = ["Fotokopi KTP", "FC KTP"]', "aliases = 1")], "checklist[1].aliases"),
])
def test_a_value_of_the_wrong_type_is_a_problem_not_a_crash(tmp_path, edits, key):
    folder = type_folder(tmp_path)
    for old, new in edits:
        edit(folder, old, new)
    assert_one(folder, key)


def test_a_rule_naming_a_list_is_a_problem_not_a_crash(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'place_field = "nama_tempat_praktik"', 'place_field = ["nama_tempat_praktik"]')
    assert_one(folder, "rules.place_field", "non-empty text")


def workspace_copy(tmp_path: Path, source: str, code: str) -> Path:
    folder = tmp_path / "permit-types" / code
    folder.parent.mkdir(exist_ok=True)
    shutil.copytree(builtin_root() / source, folder)
    edit(folder, f'code = "{source}"', f'code = "{code}"')
    return folder


@pytest.mark.parametrize("old, new, key", [
    ('short_name = "SIPB"', 'short_name = "SIPA"', "short_name"),
    ('title = "Surat Izin Praktik Bidan"', 'title = "surat izin praktik  apoteker"', "title"),
    ('short_name = "SIPB"', 'short_name = "sikro"', "short_name"),
])
def test_two_types_answering_to_one_name_stop_the_catalogue(tmp_path, old, new, key):
    folder = workspace_copy(tmp_path, "sipb", "sipp")
    edit(folder, 'title = "Surat Izin Praktik Bidan"', 'title = "Surat Izin Praktik Perawat"')
    edit(folder, 'short_name = "SIPB"', 'short_name = "SIPP"')
    permit_types.catalogue(_Ws(tmp_path))
    edit(folder, old.replace("SIPB", "SIPP").replace("Bidan", "Perawat"), new)
    with pytest.raises(permit_types.PermitTypeError) as err:
        permit_types.catalogue(_Ws(tmp_path))
    assert str(err.value).startswith(f"{folder / TYPE_FILE}: {key}: "), str(err.value)
    assert "also names the type" in str(err.value)


def test_hidden_folders_of_the_workspace_are_not_types(tmp_path):
    workspace_copy(tmp_path, "sipb", "sipp")
    edit(tmp_path / "permit-types" / "sipp", 'short_name = "SIPB"', 'short_name = "SIPP"')
    edit(tmp_path / "permit-types" / "sipp", 'title = "Surat Izin Praktik Bidan"', 'title = "Surat Izin Praktik Perawat"')
    (tmp_path / "permit-types" / ".sipq-x1y2").mkdir()  # a copy being written by `permit-types new`
    assert "sipp" in permit_types.catalogue(_Ws(tmp_path)).codes()


def test_a_validity_of_no_years_is_refused(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'rule = "5 tahun sejak terbit', 'rule = "0 tahun sejak terbit')
    assert_one(folder, "validity.rule", "at least 1")


def test_two_fields_stored_under_one_key(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'name = "jenis_praktik"', 'name = "jenis_praktik"\nkey = "no_str"')
    assert_one(folder, "fields[2].key", '"no_str"', "no_str")


def test_not_before_names_a_date_field(tmp_path):
    folder = type_folder(tmp_path)
    edit(folder, 'not_before = "tanggal_permohonan"', 'not_before = "nama"')
    assert_one(folder, "fields[1].not_before", '"nama" is not a date field')
