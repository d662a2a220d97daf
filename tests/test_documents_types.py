"""Documents worded from the application's permit type: `izin`, `data`, `rincian`, the old
variables as the type's data, validity, application kinds, providers, the one filler, and the
permits of SIKRO, SIPB and SIPA (a renewal, a revocation decree) read back from their PDFs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import needs_soffice
from docx_support import assert_docx_consistent
from pypdf import PdfReader

from sikro_docs import numbering, permit_types
from sikro_docs.documents import (
    KINDS,
    build_context,
    permit_valid_until,
    permit_validity,
    render_document,
    template_path,
    variables_for,
)
from sikro_docs.documents import context as context_module
from sikro_docs.documents.check import closure
from sikro_docs.documents.context import PROVIDERS, declared_paths
from sikro_docs.workflow.sop import sop_for
from sikro_docs.workflow.steps import documents_plan

TYPES = ("sikro", "sipb", "sipa")
DAY = dt.date(2026, 8, 28)
NUMBER = "503/0007/X/DPMPTSPK/2026"


def application(ws, code: str, **overrides) -> dict:
    """A registry.describe() dict of an application of type `code`, its own facts from each field's example."""
    ptype = permit_types.get(ws, code)
    app = {
        "registration_number": "REG/00012/DPMPTSPK/2026", "permit_type": code, "application_kind": "baru",
        "previous_number": None, "previous_date": None, "name": "Rosina Br. Sitorus", "nik": "1211014507900002",
        "status": "diproses", "current_step": 17, "complete": True, "missing": [],
        "application_date": "2026-08-03", "birth_place": "Sidikalang", "birth_date": "1990-07-05", "sex": "P",
        "address": "Jl. Pahlawan No. 7, Sidikalang", "phone": "081234567890", "email": "r@example.id",
        "education": "D3", "checklist": {}, "recommendation_number": "440/123/DINKES/2026",
        "recommendation_date": "2026-08-20", "decision": "Disetujui", "rejection_reason": None,
    }
    for fld in ptype.own_fields:
        value = fld.example
        if fld.kind == "date_or_lifetime":
            value = None  # Seumur Hidup
        elif fld.kind == "number":
            value = 1
        app[fld.storage_key] = value
    app.update(overrides)
    return app


def document(**overrides) -> dict:
    return {"number": NUMBER, "date": DAY, "uid": "U1", "short_code": "ABCD-EFGH", "qr_png": None, **overrides}


def renewal(ws, code="sipb"):
    return application(ws, code, application_kind="perpanjangan", previous_number="503/0012/SIPB/DPMPTSPK/2021",
                       previous_date="2021-06-14")


def revocation(ws, code="sipa"):
    return application(ws, code, application_kind="pencabutan", previous_number="503/0003/SIPA/DPMPTSPK/2024",
                       previous_date="2024-02-01")


# --------------------------------------------------------------------------- the context


@pytest.mark.parametrize("code", TYPES)
def test_izin_data_and_rincian_come_from_the_type(workspace, code):
    ptype = permit_types.get(workspace, code)
    ctx = build_context(workspace, "permit", application(workspace, code), document())
    izin = ctx["izin"]
    assert (izin["nama"], izin["singkatan"], izin["profesi"]) == (ptype.title, ptype.short_name, ptype.profession)
    assert izin["dasar_hukum"] == list(ptype.legal_basis) == ctx["dasar_hukum"]
    assert izin["judul"] == ctx["judul"] == ptype.documents["permit"]["judul"]
    assert izin["jenis_permohonan"] == "Baru" and izin["menggantikan"] == "" and izin["keterangan"] == ""
    assert [r["label"] for r in ctx["rincian"]] == [label for label, _ in ptype.permit_rows]
    assert set(ctx["data"]) == {f.name for f in ptype.fields}
    lifetime = [f.name for f in ptype.own_fields if f.kind == "date_or_lifetime"]
    assert lifetime and all(ctx["data"][name] == "Seumur Hidup" for name in lifetime)
    assert ctx["data"]["tanggal_permohonan"] == "3 Agustus 2026"
    assert ctx["data"]["jenis_kelamin"] == "Perempuan"


def test_dates_of_the_type_print_in_indonesian(workspace):
    ctx = build_context(workspace, "permit", application(workspace, "sipb", str_berlaku_sampai="2028-01-31"),
                        document())
    assert ctx["data"]["str_berlaku_sampai"] == "31 Januari 2028"
    assert {"label": "STR berlaku sampai", "nilai": "31 Januari 2028"} in ctx["rincian"]
    assert ctx["izin"]["berlaku_sampai"] == "31 Januari 2028"  # the type's rule: not beyond the STR


def test_old_variables_work_for_the_type_whose_data_maps_them(workspace):
    """SIKRO's [documents.variables] keeps pemohon.nomor_str and tempat_kerja.* of older templates;
    another type has none of them."""
    sikro = build_context(workspace, "receipt", application(workspace, "sikro"), document())
    ptype = permit_types.get(workspace, "sikro")
    example = {f.name: f.example for f in ptype.own_fields}
    assert sikro["pemohon"]["nomor_str"] == example["no_str"]
    assert sikro["pemohon"]["str_berlaku"] == "Seumur Hidup"
    assert sikro["tempat_kerja"] == {"nama": example["nama_tempat_kerja"], "alamat": example["alamat_tempat_kerja"]}
    sipb = build_context(workspace, "receipt", application(workspace, "sipb"), document())
    assert "tempat_kerja" not in sipb and "nomor_str" not in sipb["pemohon"]
    assert sipb["tempat"]["nama"] == "Puskesmas Sidikalang" and sipb["tempat"]["label"] == "Tempat praktik"


@pytest.mark.parametrize("code", TYPES)
def test_every_kind_provides_exactly_its_variables_for_the_type(workspace, code):
    for kind in KINDS:
        app = revocation(workspace, code) if kind == "revocation-decree" else application(workspace, code)
        ctx = build_context(workspace, kind, app, document(reason="alasan", task_order_number="1"))
        provided = {p for p in closure(declared_paths(ctx)) if p[0] not in ("verifikasi", "data", "paraf")}
        declared = {p for p in closure(variables_for(kind, permit_types.get(workspace, code)))
                    if p[0] not in ("verifikasi", "data", "paraf")}
        assert provided == declared, (kind, provided ^ declared)


def test_a_renewal_names_the_permit_it_replaces(workspace):
    ctx = build_context(workspace, "permit", renewal(workspace), document())
    assert ctx["izin"]["keterangan"] == "PERPANJANGAN"
    assert ctx["izin"]["menggantikan"] == ("Surat Izin ini menggantikan Surat Izin Praktik Bidan Nomor "
                                           "503/0012/SIPB/DPMPTSPK/2021 tanggal 14 Juni 2021.")


def test_validity_is_the_types_rule(workspace):
    app = application(workspace, "sipb", str_berlaku_sampai="2028-01-31")
    assert permit_valid_until(workspace, DAY, app) == dt.date(2028, 1, 31)
    assert permit_valid_until(workspace, DAY, application(workspace, "sipb")) == dt.date(2031, 8, 27)
    # the compatible form verification used: the default type's rule with the STR's expiry
    assert permit_validity(workspace.profile, DAY, dt.date(2027, 5, 1)) == dt.date(2027, 5, 1)
    assert permit_validity(workspace.profile, DAY, None) == dt.date(2031, 8, 27)


def test_a_pencabutan_gets_a_revocation_decree_not_a_permit(workspace):
    with pytest.raises(numbering.KindNotForApplication) as err:
        build_context(workspace, "permit", revocation(workspace), document())
    assert (err.value.code, err.value.kind, err.value.application_kind) == (
        "kind_not_for_application", "permit", "pencabutan")
    assert numbering.kind_for_application("permit", "pencabutan") == "revocation-decree"
    assert numbering.kind_for_application("permit", "perpanjangan") == "permit"
    assert numbering.kind_for_application("revocation-decree", "baru") is None
    sop = sop_for(workspace)
    step = sop.step(sop.step_for_kind("permit"))
    assert ("revocation-decree", False) in documents_plan(step, False, "pencabutan")
    assert ("permit", False) in documents_plan(step, False, "perpanjangan")
    assert all(kind != "permit" for kind, _ in documents_plan(step, False, "pencabutan"))
    # the decree is gated and made where the permit would be
    from sikro_docs.workflow.gates import issue_gate

    gate, permit_gate = issue_gate(sop, "revocation-decree"), issue_gate(sop, "permit")
    assert gate is not None and (gate.kind, gate.requires, gate.path) == (
        "revocation-decree", permit_gate.requires, permit_gate.path)
    assert sop.step_for_kind("revocation-decree") == sop.step_for_kind("permit")
    assert sop.step_for_kind("revocation-decree", draft=True) == sop.step_for_kind("permit", draft=True)


def test_the_revocation_decree_names_the_permit_and_the_reason(workspace):
    ctx = build_context(workspace, "revocation-decree", revocation(workspace), document(reason="pindah domisili"))
    assert ctx["judul"] == "SURAT KEPUTUSAN PENCABUTAN IZIN"
    assert ctx["pencabutan"]["nomor_izin"] == "503/0003/SIPA/DPMPTSPK/2024"
    assert ctx["pencabutan"]["tanggal_izin"] == "1 Februari 2024"
    assert ctx["pencabutan"]["alasan"] == "pindah domisili"
    assert ctx["pejabat"]["jabatan"].startswith("Kepala Dinas")
    assert numbering.document_kind("revocation-decree").register == "keputusan"


def test_kind_facts_come_from_providers_registered_by_name():
    assert set(PROVIDERS) <= set(KINDS)
    assert {"receipt", "checklist-return", "permit", "revocation-decree", "rejection"} <= set(PROVIDERS)


def test_one_reading_of_the_document_kinds():
    assert context_module._kinds_data() is numbering.document_kinds_data()
    for kind, spec in KINDS.items():
        assert numbering.document_kind(kind).key == spec.kind


def test_one_placeholder_filler(workspace):
    app = application(workspace, "sipb")
    text = numbering.fill_placeholders("{izin} {nama} {tempat} {alamat} {kota} {registrasi} {lain}", app, workspace)
    assert text == ("SIPB Rosina Br. Sitorus Puskesmas Sidikalang Jl. Pahlawan No. 7, Sidikalang Sidikalang "
                    "REG/00012/DPMPTSPK/2026 {lain}")
    ctx = build_context(workspace, "task-order", app, document())
    assert ctx["hal"] == "Peninjauan Lapangan Puskesmas Sidikalang"


def test_the_checklist_is_the_types_for_the_application_kind(workspace):
    ptype = permit_types.get(workspace, "sipb")
    ctx = build_context(workspace, "checklist-return", revocation(workspace, "sipb"), document())
    assert [row["nama"] for row in ctx["berkas"]] == [i.field.header for i in ptype.checklist("pencabutan")]


# --------------------------------------------------------------------------- a type's own templates


def _own_type(ws, code="sipb") -> Path:
    folder = ws.root / "permit-types" / code
    shutil.copytree(permit_types.get(None, code).source, folder)
    (folder / "templates").mkdir()
    return folder


def test_a_type_brings_its_own_template_and_the_workspace_still_wins(workspace):
    folder = _own_type(workspace)
    own = folder / "templates" / "permit.docx"
    shutil.copy(template_path(workspace, "permit"), own)
    ptype = permit_types.get(workspace, "sipb")
    assert template_path(workspace, "permit", ptype) == own
    assert template_path(workspace, "permit", permit_types.get(workspace, "sipa")) != own
    office = workspace.templates_dir / "permit.docx"
    shutil.copy(own, office)
    assert template_path(workspace, "permit", ptype) == office


# --------------------------------------------------------------------------- the PDFs

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
LETTERS = ("receipt", "checklist-return", "disposition", "recommendation-request", "task-order",
           "inspection-report", "rejection")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    from sikro_docs.workspace import init_workspace

    base = tmp_path_factory.mktemp("types")
    ws, _ = init_workspace(base / "ws")
    jobs = {code: ("permit", application(ws, code)) for code in TYPES}
    jobs["renewal"] = ("permit", renewal(ws))
    jobs["revocation"] = ("revocation-decree", revocation(ws))
    for kind in LETTERS:  # the SOP's other papers, for a SIPB application
        jobs[f"sipb-{kind}"] = (kind, application(ws, "sipb", rejection_reason="STR tidak berlaku"))
    files = []
    for name, (kind, app) in jobs.items():
        ctx = build_context(ws, kind, app, document(reason="pindah domisili"))
        path = render_document(ws, kind, ctx, base / "docx" / f"{name}.docx")
        assert_docx_consistent(path)
        files.append(path)
    out = base / "pdf"
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{base / 'lo'}", "--convert-to", "pdf",
                    "--outdir", str(out), *map(str, files)], check=True, capture_output=True, timeout=240)
    return {name: " ".join("\n".join(p.extract_text() or "" for p in PdfReader(str(out / f"{name}.pdf")).pages)
                           .split()) for name in jobs}


def _words(code: str) -> list[str]:
    ptype = permit_types.get(None, code)
    return [ptype.documents["permit"]["judul"], ptype.title, ptype.profession,
            *(label for label, _ in ptype.permit_rows)]


@needs_soffice
@pytest.mark.parametrize("code", TYPES)
def test_each_permit_reads_as_its_type_and_no_other(pdfs, code):
    text = pdfs[code]
    for word in _words(code):
        assert word in text, (code, word)
    for other in set(TYPES) - {code}:
        ptype = permit_types.get(None, other)
        for word in (ptype.title, ptype.documents["permit"]["judul"], f"/{ptype.short_name}/"):
            assert word not in text, (code, other, word)
    for part in ("PEMERINTAH KABUPATEN DAIRI", "NOMOR : " + NUMBER, "Dasar", "Rosina Br. Sitorus",
                 "berlaku sampai dengan 27 Agustus 2031", "Ditetapkan di", "Kode verifikasi", "NIP."):
        assert part in text, (code, part)


@needs_soffice
def test_the_renewal_permit_says_what_it_replaces(pdfs):
    text = pdfs["renewal"]
    assert "SURAT IZIN PRAKTIK BIDAN PERPANJANGAN" in text
    assert "menggantikan Surat Izin Praktik Bidan Nomor 503/0012/SIPB/DPMPTSPK/2021 tanggal 14 Juni 2021" in text
    assert "PERPANJANGAN" not in pdfs["sipb"]


@needs_soffice
def test_the_revocation_decree_reads_as_a_decree(pdfs):
    text = pdfs["revocation"]
    for part in ("SURAT KEPUTUSAN PENCABUTAN IZIN", "TENTANG", "PENCABUTAN SURAT IZIN PRAKTIK APOTEKER",
                 "Menimbang", "Mengingat", "MEMUTUSKAN", "KESATU", "503/0003/SIPA/DPMPTSPK/2024",
                 "pindah domisili", "tidak berlaku", "Kode verifikasi", "Ditetapkan di"):
        assert part in text, part
    assert "Surat Izin Praktik Bidan" not in text and "Refraksionis" not in text


@needs_soffice
@pytest.mark.parametrize("kind", LETTERS)
def test_the_sop_letters_of_a_type_carry_its_words_and_no_other_types(pdfs, kind):
    text = pdfs[f"sipb-{kind}"]
    if kind == "disposition":  # its perihal names the short name
        assert "Permohonan SIPB a.n. Rosina Br. Sitorus" in text
    else:
        assert "Surat Izin Praktik Bidan" in text
    for word in ("SIKRO", "Refraksionis", "Optik", "optik", "tempat kerja", "SIPA", "Apoteker"):
        assert word not in text, (kind, word)


def test_a_type_made_from_data_alone_words_its_documents(workspace):
    """A fourth type, its folder only: title, one field, no [documents] tables at all."""
    source = Path(permit_types.get(None, "sipb").source) / "permit-type.toml"
    text = source.read_text(encoding="utf-8")
    text = text[:text.index("[documents.")] + text[text.index("[wording]"):]
    text = text.replace('code = "sipb"', 'code = "sipp"').replace(
        'title = "Surat Izin Praktik Bidan"', 'title = "Surat Izin Praktik Perawat"').replace(
        'short_name = "SIPB"', 'short_name = "SIPP"').replace('profession = "Bidan"', 'profession = "Perawat"')
    assert "[documents" not in text
    folder = workspace.root / "permit-types" / "sipp"
    folder.mkdir(parents=True)
    (folder / "permit-type.toml").write_text(text, encoding="utf-8")
    ctx = build_context(workspace, "permit", application(workspace, "sipp"), document())
    assert ctx["judul"] == "SURAT IZIN PRAKTIK PERAWAT" and ctx["izin"]["profesi"] == "Perawat"
    assert ctx["tempat"]["nama"] == "Puskesmas Sidikalang"  # its rule's place field
    assert ctx["hal"] == "SIPP a.n. Rosina Br. Sitorus"
