"""`sikro templates check` against a permit type's variables: `data.<field>` of its fields and its
own `[documents.variables]`; a type's own templates (<type folder>/templates/) are checked too."""

from __future__ import annotations

import shutil
from pathlib import Path

from docx import Document

from sikro_docs import permit_types
from sikro_docs.documents import check_template


def make_docx(path: Path, *paragraphs: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph().add_run(text)
    doc.save(path)
    return path


def _own_type(ws, code: str) -> Path:
    folder = ws.root / "permit-types" / code
    shutil.copytree(permit_types.get(None, code).source, folder)
    return folder


def test_a_template_may_use_its_types_fields_and_no_other_types(tmp_path):
    path = make_docx(tmp_path / "permit.docx", "{{ izin.nama }} {{ data.sip_ke }}", "{{ data.no_stra }}")
    sipb, sipa = permit_types.get(None, "sipb"), permit_types.get(None, "sipa")
    problems = check_template(path, "permit", sipb)
    assert problems == ["permit.docx: body, paragraph 2: unknown variable data.no_stra "
                        "(kind permit of sipb does not provide it) in {{ data.no_stra }}"]
    assert any("data.sip_ke" in p for p in check_template(path, "permit", permit_types.get(None, "sikro")))
    assert [p for p in check_template(path, "permit", sipa) if "data.sip_ke" in p] == []  # SIPA has sip_ke too


def test_old_variables_belong_to_the_type_that_maps_them(tmp_path):
    path = make_docx(tmp_path / "receipt.docx", "{{ pemohon.nomor_str }} {{ tempat_kerja.nama }}")
    assert check_template(path, "receipt", permit_types.get(None, "sikro")) == []
    problems = check_template(path, "receipt", permit_types.get(None, "sipb"))
    assert problems and all("sipb" in p or "tempat_kerja" in p for p in problems), problems


def test_check_type_names_file_paragraph_and_tag_of_a_types_template(workspace, sikro, ws_args):
    folder = _own_type(workspace, "sipb")
    bad = make_docx(folder / "templates" / "permit.docx", "{{ izin.judul }}", "{{ data.nama_sarana }}")
    result = sikro("templates", "check", "--type", "sipb", *ws_args)
    assert result.code == 1, result.out + result.err
    line = next(line for line in result.out.splitlines() if "unknown variable" in line)
    assert line.startswith(f"{bad}: permit.docx: body, paragraph 2: unknown variable data.nama_sarana")
    assert line.endswith("in {{ data.nama_sarana }}")
    assert "revocation-decree.docx: sound (kind revocation-decree, type sipb)" in result.out
    # the file alone: its folder says which type it is of
    alone = sikro("templates", "check", bad, *ws_args)
    assert alone.code == 1 and "data.nama_sarana" in alone.out
    assert sikro("templates", "check", bad, "--type", "sipa", *ws_args).code == 0
    assert sikro("templates", "check", "--type", "sipa", *ws_args).code == 0


def test_check_without_file_or_type_is_a_usage_error(sikro, ws_args):
    result = sikro("templates", "check", *ws_args)
    assert result.code == 2 and "--type" in result.err
