"""`sikro permit-types list | show | check | new`, in process."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from docx import Document

from sikro_docs import permit_types
from sikro_docs.cli import main
from sikro_docs.permit_types import TYPE_FILE, builtin_root
from sikro_docs.permit_types.check import template_variables


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return stop.value.code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def copy_type(tmp_path: Path, source: str = "sipb", name: str | None = None) -> Path:
    folder = tmp_path / (name or source)
    shutil.copytree(builtin_root() / source, folder)
    return folder


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / TYPE_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def docx(path: Path, *paragraphs: str) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


# --------------------------------------------------------------------------- list


def test_list_the_builtin_types(capsys):
    code, out, _ = run(capsys, "permit-types", "list")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert set(rows) >= {"sikro", "sipb", "sipa"}
    assert "Surat Izin Praktik Bidan" in rows["sipb"] and "SIPB" in rows["sipb"] and "[built-in]" in rows["sipb"]


def test_list_json_with_the_workspaces_own_and_overriding_types(capsys, workspace):
    ws_args = ["--workspace", workspace.root]
    assert run(capsys, "permit-types", "new", "sipp", "--from", "sipb", *ws_args)[0] == 0
    assert run(capsys, "permit-types", "new", "sipa", "--from", "sipa", *ws_args)[0] == 0
    code, out, _ = run(capsys, "permit-types", "list", "--json", *ws_args)
    assert code == 0
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows["sipb"]["source"] == "built-in"
    assert rows["sipp"]["source"] == "workspace"
    assert rows["sipp"]["title"] == "Surat Izin Praktik Bidan (salinan)"
    assert rows["sipa"]["source"] == "workspace (overrides built-in)"
    assert rows["sipa"]["folder"] == str(workspace.root / "permit-types" / "sipa")
    code, out, _ = run(capsys, "permit-types", "list", *ws_args)
    assert "workspace (overrides built-in)" in next(line for line in out.splitlines() if line.startswith("sipa "))


# --------------------------------------------------------------------------- show


def test_show_a_type(capsys):
    code, out, _ = run(capsys, "permit-types", "show", "SIPB")
    assert code == 0
    assert out.startswith("sipb  SIPB  Surat Izin Praktik Bidan")
    assert "Undang-Undang Nomor 17 Tahun 2023 tentang Kesehatan" in out
    assert any(line.split()[:2] == ["sip_ke", "SIP"] and "number (1-3), required" in line for line in out.splitlines())
    assert "checklist perpanjangan:" in out and "checklist pencabutan:" in out
    assert "WAJIB    NPWP  (when jenis_praktik == 'Mandiri')" in out
    assert "OPSIONAL Ijazah" in out
    assert "validity: 5 tahun sejak terbit, paling lama sampai str_berlaku_sampai" in out
    assert "number: 503/{nomor:04d}/SIPB/DPMPTSPK/{tahun}  register izin-sipb" in out
    assert "QR fields: no_str, nama_tempat_praktik, sip_ke" in out
    assert "archive: classification 503, retention 503" in out
    assert "max_places = 3" in out
    assert "permit prints: Nomor STR (no_str); STR berlaku sampai (str_berlaku_sampai);" in out


def test_show_json(capsys):
    code, out, _ = run(capsys, "permit-types", "show", "sipa", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["code"] == "sipa" and data["title"] == "Surat Izin Praktik Apoteker"
    fields = {f["name"]: f for f in data["fields"]}
    assert fields["jenis_sarana"]["kind"] == "choice" and fields["jenis_sarana"]["group"] == "izin"
    assert fields["nik"]["required"] is True
    items = {i["item"]: i for i in data["checklists"]["baru"]}
    assert any(i["wajib"] is False for i in items.values())
    assert data["numbering"]["register"] and "{nomor" in data["numbering"]["pattern"]
    assert data["validity"]["years"] == 5
    assert data["qr_fields"] == list(permit_types.get(None, "sipa").qr_fields)


def test_show_an_unknown_type(capsys):
    code, _, err = run(capsys, "permit-types", "show", "sipx")
    assert code == 2
    assert '"sipx" is not a permit type here' in one_line_error(err)


# --------------------------------------------------------------------------- check


def test_check_the_builtin_folders(capsys):
    for code in ("sikro", "sipb", "sipa"):
        result = run(capsys, "permit-types", "check", builtin_root() / code)
        assert result[:2] == (0, "ok\n"), result


def test_check_names_every_mistake_with_file_and_key(capsys, tmp_path):
    folder = copy_type(tmp_path)
    edit(folder, 'pattern = "503/{nomor:04d}/SIPB/DPMPTSPK/{tahun}"', 'pattern = "503/{nomor:04d}/SIPB"')
    edit(folder, 'rule = "5 tahun sejak terbit, paling lama sampai str_berlaku_sampai"', 'rule = "lima tahun"')
    edit(folder, '[applications.pencabutan]\nchecklist = [{ item = "surat_permohonan" }',
         '[applications.pencabutan]\nchecklist = [{ item = "surat_cabut" }')
    edit(folder, 'fields = ["no_str", "nama_tempat_praktik", "sip_ke"]', 'fields = ["no_str", "tempat"]')
    code, out, err = run(capsys, "permit-types", "check", folder)
    assert code == 1
    lines = out.splitlines()
    file = str(folder / TYPE_FILE)
    assert all(line.startswith(f"{file}: ") for line in lines), lines
    keys = [line[len(file) + 2:].split(":")[0] for line in lines]
    assert keys == ["numbering.pattern", "qr.fields[1]", "applications.pencabutan.checklist[0].item",
                    "validity.rule"], lines
    assert "4 problems" in err


def test_check_a_bad_toml_file_names_its_line(capsys, tmp_path):
    folder = copy_type(tmp_path)
    edit(folder, 'short_name = "SIPB"', 'short_name = SIPB')
    code, out, _ = run(capsys, "permit-types", "check", folder)
    assert code == 1
    assert "not valid TOML" in out and "line 4" in out, out


def test_check_a_folder_that_is_not_a_type(capsys, tmp_path):
    code, _, err = run(capsys, "permit-types", "check", tmp_path)
    assert code == 2
    assert f"{tmp_path}: not a permit-type folder" in one_line_error(err)


def test_check_templates_of_the_type(capsys, tmp_path):
    folder = copy_type(tmp_path)
    docx(folder / "templates" / "permit.docx", "{{ judul }} {{ izin.judul }} Nomor {{ nomor }}",
         "{{ pemohon.nama }} {{ data.no_str }} {{ data.sip_ke }}",
         "{% for baris in rincian %}{{ baris.label }}: {{ baris.nilai }}{% endfor %}",
         "{{ data.no_strr }}", "{{ pemohon.namaa }}", "{{ tempat_praktek }}")
    docx(folder / "templates" / "receipt.docx", "{{ nomor }} {{ data.nama }} {{ data.npwp }}")
    docx(folder / "templates" / "surat-lain.docx", "{{ nomor }}")
    docx(folder / "templates" / "rejection.docx", "{% if nomor %}tanpa akhir")
    code, out, _ = run(capsys, "permit-types", "check", folder)
    assert code == 1
    lines = out.splitlines()
    permit = [line for line in lines if line.startswith(str(folder / "templates" / "permit.docx"))]
    assert [line.split("unknown variable ")[1].split()[0] for line in permit] == [
        "data.no_strr", "pemohon.namaa", "tempat_praktek"], permit
    assert all("body, paragraph" in line for line in permit), permit
    assert not [line for line in lines if line.startswith(str(folder / "templates" / "receipt.docx"))], lines
    assert any("surat-lain.docx" in line and "not the template of any document kind" in line for line in lines)
    assert any("rejection.docx" in line and "paragraph 1" in line for line in lines), lines


def test_check_documents_table(capsys, tmp_path):
    folder = copy_type(tmp_path)
    edit(folder, "[documents.permit]", '[documents.sertifikat]\njudul = "X"\n\n[documents.permit]\n'
                                       'template = "izin-bidan.docx"')
    code, out, _ = run(capsys, "permit-types", "check", folder)
    assert code == 1
    assert "documents.sertifikat: \"sertifikat\" is not a document kind" in out
    assert "documents.permit.template: \"izin-bidan.docx\" is not in" in out
    docx(folder / "templates" / "izin-bidan.docx", "{{ izin.judul }} {{ data.no_str }} {{ nomor }}")
    edit(folder, '[documents.sertifikat]\njudul = "X"\n\n', "")
    assert run(capsys, "permit-types", "check", folder)[:2] == (0, "ok\n")


def test_template_variables_are_the_types():
    sipb = permit_types.get(None, "sipb")
    names = template_variables(sipb, "permit")
    assert "data.no_str" in names and "data.npwp" in names and "izin.*" in names and "nomor" in names
    assert "data.no_stra" not in names
    assert "data.no_stra" in template_variables(permit_types.get(None, "sipa"))


# --------------------------------------------------------------------------- new


def test_new_writes_a_copy_to_edit(capsys, workspace):
    code, out, _ = run(capsys, "permit-types", "new", "sipp", "--from", "SIPB", "--workspace", workspace.root)
    assert code == 0
    folder = workspace.root / "permit-types" / "sipp"
    assert f"wrote {folder}" in out and f"sikro permit-types check {folder}" in out and "title" in out
    text = (folder / TYPE_FILE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["code"] == "sipp"
    assert data["title"] == "Surat Izin Praktik Bidan (salinan)" and data["short_name"] == "SIPB (salinan)"
    assert data["numbering"]["register"] == "izin-sipp"
    assert data["numbering"]["pattern"] == "503/{nomor:04d}/SIPP/DPMPTSPK/{tahun}"
    assert "# Surat Izin Praktik Bidan" in text  # the source's comments stay, for the office to read
    sipp = permit_types.get(workspace, "sipp")
    assert not sipp.builtin and [f.name for f in sipp.own_fields] == [f.name for f in
                                                                      permit_types.get(None, "sipb").own_fields]
    assert run(capsys, "permit-types", "check", folder)[:2] == (0, "ok\n")
    assert sorted(p.name for p in folder.parent.iterdir()) == ["sipp"]  # no staging folder left


def test_new_refuses_an_existing_folder(capsys, workspace):
    args = ["permit-types", "new", "sipp", "--from", "sipb", "--workspace", workspace.root]
    assert run(capsys, *args)[0] == 0
    path = workspace.root / "permit-types" / "sipp" / TYPE_FILE
    edit(path.parent, 'title = "Surat Izin Praktik Bidan (salinan)"', 'title = "Surat Izin Praktik Perawat"')
    before = path.read_bytes()
    code, _, err = run(capsys, *args)
    assert code == 2 and "already exists" in one_line_error(err)
    assert path.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["sipp", "--from", "sipx"], '"sipx" is not a permit type here'),
    (["SIPP", "--from", "sipb"], "cannot be a permit type's code"),
    (["s/p", "--from", "sipb"], "cannot be a permit type's code"),
])
def test_new_usage_errors(capsys, workspace, args, message):
    code, _, err = run(capsys, "permit-types", "new", *args, "--workspace", workspace.root)
    assert code == 2 and message in one_line_error(err)
    assert not (workspace.root / "permit-types").exists() or not list((workspace.root / "permit-types").iterdir())


def test_new_needs_a_workspace(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIKRO_WORKSPACE", raising=False)
    code, _, err = run(capsys, "permit-types", "new", "sipp", "--from", "sipb")
    assert code == 2
    one_line_error(err)


def test_new_from_a_workspace_type_copies_its_templates(capsys, workspace):
    ws_args = ["--workspace", workspace.root]
    assert run(capsys, "permit-types", "new", "sipp", "--from", "sipb", *ws_args)[0] == 0
    docx(workspace.root / "permit-types" / "sipp" / "templates" / "permit.docx", "{{ data.no_str }}")
    assert run(capsys, "permit-types", "new", "sipq", "--from", "sipp", *ws_args)[0] == 0
    copy = workspace.root / "permit-types" / "sipq"
    assert (copy / "templates" / "permit.docx").is_file()
    assert tomllib.loads((copy / TYPE_FILE).read_text(encoding="utf-8"))["title"] == \
        "Surat Izin Praktik Bidan (salinan) (salinan)"


def test_check_a_workspace_type_by_its_code(capsys, workspace):
    assert run(capsys, "permit-types", "new", "sipp", "--from", "sipb", "--workspace", workspace.root)[0] == 0
    assert run(capsys, "permit-types", "check", "sipp", "--workspace", workspace.root)[:2] == (0, "ok\n")
    code, _, err = run(capsys, "permit-types", "check", "sipq", "--workspace", workspace.root)
    assert code == 2 and "sipq: not a permit-type folder" in one_line_error(err)


def test_a_broken_workspace_type_is_one_line_for_every_command(capsys, workspace):
    ws_args = ["--workspace", workspace.root]
    assert run(capsys, "permit-types", "new", "sipp", "--from", "sipb", *ws_args)[0] == 0
    folder = workspace.root / "permit-types" / "sipp"
    edit(folder, 'rule = "5 tahun sejak terbit', 'rule = "lima tahun sejak terbit')
    edit(folder, 'kind = "choice"', 'kind = "pilihan"')
    for args in (["list"], ["show", "sipb"]):
        code, _, err = run(capsys, "permit-types", *args, *ws_args)
        line = one_line_error(err)
        assert code == 2 and f"{folder / TYPE_FILE}: fields[2].kind" in line and "and 1 more" in line, line
    code, out, _ = run(capsys, "permit-types", "check", folder / TYPE_FILE)
    assert code == 1 and len(out.splitlines()) == 2


def test_check_output_is_one_line_per_problem_however_long_the_condition(capsys, tmp_path):
    folder = copy_type(tmp_path)
    edit(folder, "when = \"jenis_praktik == 'Mandiri'\"", 'when = "' + " or ".join(["sip_ke == 1"] * 40) + ' or x.y"')
    code, out, _ = run(capsys, "permit-types", "check", folder)
    assert code == 1 and len(out.splitlines()) == 1 and len(out) < 400, out


def test_the_builtin_templates_in_a_type_folder_check_clean(capsys, tmp_path):
    from sikro_docs.documents import builtin_templates_dir

    folder = copy_type(tmp_path)
    shutil.copytree(builtin_templates_dir(), folder / "templates")
    assert run(capsys, "permit-types", "check", folder)[:2] == (0, "ok\n")


def test_set_value_keeps_every_other_line():
    from sikro_docs.permit_types.new import set_value

    text = '# comment\ncode = "a"\n\n[numbering]\npattern = "x"  # keep\n\n[qr]\nfields = []\n'
    assert set_value(text, None, "code", "b") == text.replace('code = "a"', 'code = "b"')
    assert set_value(text, "numbering", "register", "izin-b") == text.replace(
        'pattern = "x"  # keep\n', 'pattern = "x"  # keep\nregister = "izin-b"\n')
    added = set_value(text, "archive", "classification", "503")
    assert added.startswith(text.rstrip("\n")) and tomllib.loads(added)["archive"] == {"classification": "503"}
    assert tomllib.loads(set_value(text, None, "title", 'Ros"ina'))["title"] == 'Ros"ina'
