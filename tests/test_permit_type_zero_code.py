"""A fourth permit type from data alone: `permit-types new`, its TOML edited, the whole path run.

Surat Izin Praktik Perawat (SIPP) is copied from SIPB, renamed, given a field
(No Sertifikat Kompetensi) and a checklist item of its own, then taken through
workbook, import, receipt, permit PDF, verification and the archive with the
`sikro` command only: not a line of Python knows it.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from sikro_docs import clock
from sikro_docs.permit_types import TYPE_FILE

FROZEN = "2026-09-01T10:00:00+07:00"
TITLE = "Surat Izin Praktik Perawat"
JUDUL = "SURAT IZIN PRAKTIK PERAWAT"
NEW_FIELD = "No Sertifikat Kompetensi"
NEW_FIELD_LABEL = "Nomor Sertifikat Kompetensi"
CERTIFICATE = "SKP/PPNI/2026/00123"
NEW_ITEM = "Sertifikat Kompetensi"
RENAMED_ITEM = "Ijazah Keperawatan"

# The applicant, by column header (the shared columns and SIPB's own, which the copy keeps).
ROW = {
    "Jenis Izin": "SIPP", "Jenis Permohonan": "Baru", "Tanggal Permohonan": "20-08-2026",
    "Nama": "Rina Sitanggang, S.Kep., Ns.", "NIK": "1211014503910002", "Tempat Lahir": "Sidikalang",
    "Tanggal Lahir": "05-03-1991", "Jenis Kelamin": "P", "Alamat": "Jl. Sisingamangaraja No. 12, Sidikalang",
    "No HP": "0812-6543-2100", "Pendidikan": "Profesi Ners", "No STR": "1211505226012345",
    "STR Berlaku Sampai": "Seumur Hidup", "Jenis Praktik": "Fasilitas", "SIP Ke": 1,
    "Nama Tempat Praktik": "RSUD Sidikalang", "Alamat Tempat Praktik": "Jl. Pahlawan No. 5, Sidikalang",
    NEW_FIELD: CERTIFICATE,
    "Nomor Rekomendasi": "440/0211/DINKES/VIII/2026", "Tanggal Rekomendasi": "28-08-2026", "Keputusan": "Disetujui",
}

PERAWAT_EDITS = [  # (old, new) on the copied permit-type.toml: data only
    ('title = "Surat Izin Praktik Bidan (salinan)"', f'title = "{TITLE}"'),
    ('short_name = "SIPB (salinan)"', 'short_name = "SIPP"'),
    ('profession = "Bidan"', 'profession = "Perawat"'),
    ('"Peraturan Menteri Kesehatan Nomor 28 Tahun 2017 tentang Izin dan Penyelenggaraan Praktik Bidan"',
     '"Peraturan Menteri Kesehatan Nomor 26 Tahun 2019 tentang Peraturan Pelaksanaan Undang-Undang Nomor 38 '
     'Tahun 2014 tentang Keperawatan"'),
    ('register_title = "Buku Agenda Penomoran Surat Izin Praktik Bidan (salinan)"',
     'register_title = "Buku Agenda Penomoran Surat Izin Praktik Perawat"'),
    ('fields = ["no_str", "nama_tempat_praktik", "sip_ke"]',
     'fields = ["no_str", "nama_tempat_praktik", "sip_ke", "no_sertifikat_kompetensi"]'),
    ("[[checklist]]\nname = \"surat_permohonan\"",
     f'[[fields]]\nname = "no_sertifikat_kompetensi"\nheader = "{NEW_FIELD}"\nlabel = "{NEW_FIELD_LABEL}"\n'
     'kind = "code"\nrequired = true\nhelp = "Nomor sertifikat kompetensi perawat."\n'
     f'example = "{CERTIFICATE}"\ntext_format = true\nmax_length = 60\n\n'
     f'[[checklist]]\nname = "sertifikat_kompetensi"\nheader = "{NEW_ITEM}"\n'
     'what = "fotokopi sertifikat kompetensi"\n\n'
     "[[checklist]]\nname = \"surat_permohonan\""),
    ('header = "Ijazah"\nwhat = "fotokopi ijazah kebidanan yang dilegalisir"',
     f'header = "{RENAMED_ITEM}"\nwhat = "fotokopi ijazah keperawatan yang dilegalisir"'),
    ('[applications.baru]\nchecklist = [\n', '[applications.baru]\nchecklist = [\n  { item = "sertifikat_kompetensi" },\n'),
    ('  { label = "Alamat tempat praktik", field = "alamat_tempat_praktik" },\n',
     '  { label = "Alamat tempat praktik", field = "alamat_tempat_praktik" },\n'
     f'  {{ label = "{NEW_FIELD_LABEL}", field = "no_sertifikat_kompetensi" }},\n'),
    ('judul = "SURAT IZIN PRAKTIK BIDAN"', f'judul = "{JUDUL}"'),
    ('profesi_lengkap = "Bidan"', 'profesi_lengkap = "Perawat"'),
    ('izin_untuk = "menjalankan praktik kebidanan"', 'izin_untuk = "menjalankan praktik keperawatan"'),
]


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(FROZEN):
        yield


class Office:
    """The `sikro` command on one workspace, in process; each call names the step it is."""

    def __init__(self, root: Path):
        self.root = root

    def __call__(self, step: str, *args, ok=(0,)) -> str:
        # before the command: every command takes it there (its own --workspace wins where it has one)
        result = CliRunner().invoke(_cli(), ["--workspace", str(self.root), *map(str, args)])
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        assert "Traceback" not in output, f"{step}: {output}"
        assert result.exit_code in ok, f"{step}: `sikro {' '.join(map(str, args))}` exit {result.exit_code}: " \
                                       f"{output[-2000:]}{result.exception!r}"
        return result.stdout

    def json(self, step: str, *args, ok=(0,)):
        return json.loads(self(step, *args, "--json", ok=ok))


def _cli():
    from sikro_docs.cli import cli

    return cli


def make_the_type(office: Office) -> Path:
    out = office("new", "permit-types", "new", "sipp", "--from", "sipb")
    folder = office.root / "permit-types" / "sipp"
    assert f"wrote {folder}" in out
    path = folder / TYPE_FILE
    text = path.read_text(encoding="utf-8")
    for old, new in PERAWAT_EDITS:
        assert old in text, f"the copy of sipb has no {old!r}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    tomllib.loads(text)
    return folder


def fill_workbook(book: Path, checklist_headers: list[str]) -> None:
    wb = openpyxl.load_workbook(book)
    sheet = wb["Permohonan"] if "Permohonan" in wb.sheetnames else wb.worksheets[0]
    header_row = next(row[0].row for row in sheet.iter_rows() if any(c.value == "NIK" for c in row))
    headers = {sheet.cell(header_row, col).value: col for col in range(1, sheet.max_column + 1)}
    assert NEW_FIELD in headers and NEW_ITEM in headers and RENAMED_ITEM in headers, headers
    row = header_row + 1
    while any(sheet.cell(row, col).value not in (None, "") for col in headers.values()):
        row += 1  # below any row of column numbers or examples the workbook carries
    values = {**ROW, **{header: "Y" for header in checklist_headers}}
    for header, value in values.items():
        if header in headers:
            sheet.cell(row, headers[header]).value = value
    wb.save(book)


def pdf_text(path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(str(path)).pages)


def test_a_fourth_permit_type_from_data_alone(workspace, tmp_path):
    office = Office(workspace.root)
    folder = make_the_type(office)
    assert office("check", "permit-types", "check", folder).strip() == "ok"

    shown = office.json("show", "permit-types", "show", "sipp")
    assert shown["title"] == TITLE and shown["source"] == "workspace"
    checklist = [f["header"] for f in shown["fields"] if f["group"] == "berkas"]
    assert NEW_ITEM in checklist and RENAMED_ITEM in checklist
    assert [i["header"] for i in shown["checklists"]["baru"]][0] == NEW_ITEM

    book = tmp_path / "permohonan-sipp.xlsx"
    office("workbook", "workbook", "--type", "sipp", "-o", book)
    fill_workbook(book, checklist)

    imported = office.json("import", "import", book, "--type", "sipp")
    assert (imported["imported"], imported["invalid"]) == (1, []), imported
    [application] = office.json("list", "list")
    assert (application["permit_type"], application["application_kind"]) == ("sipp", "baru"), application
    assert application["complete"] and application["checklist"]["sertifikat_kompetensi"] is True, application
    ref = application["registration_number"]
    shown_app = office.json("show application", "show", ref)
    assert CERTIFICATE in json.dumps(shown_app, ensure_ascii=False), shown_app

    receipt = office.json("receipt", "batch", book, "--type", "sipp", "--doc", "receipt", "--pdf")
    [resi] = [d for d in receipt["documents"] if d["status"] == "issued"]
    assert Path(resi["pdf"]).is_file()

    for step in range(4, 8):
        office(f"step {step}", "step", ref, step, "--by", "tester", "--no-documents")

    permit = office.json("permit", "batch", book, "--type", "sipp", "--doc", "permit", "--pdf")
    [issued] = [d for d in permit["documents"] if d["status"] == "issued"]
    number, pdf = issued["number"], Path(issued["pdf"])
    assert re.fullmatch(r"503/0001/SIPP/DPMPTSPK/2026", number), number
    text = pdf_text(pdf)
    assert JUDUL in text or TITLE in text, text[:600]
    assert NEW_FIELD_LABEL in text and CERTIFICATE in text, text
    assert not re.search(r"\bBidan\b|kebidanan", text), text  # "Kepala Bidang" is not a midwife

    verdict = office.json("verify", "verify", pdf)
    assert verdict["status"] == "valid" and verdict["number"] == number, verdict
    assert TITLE in json.dumps(verdict, ensure_ascii=False), verdict
    assert CERTIFICATE in json.dumps(verdict, ensure_ascii=False), verdict

    # The signed copy comes back from the holder's file as a scan would: from outside out/ (ingest never
    # reads the workspace's own outputs).
    handed_in = shutil.copy(pdf, tmp_path / "dari-pemegang.pdf")
    filed = office.json("archive", "archive", "ingest", handed_in, "--keep", "--no-ocr")
    assert [f["status"] for f in filed["files"]] in (["filed"], ["duplicate"]), filed
    berkas = office.json("archive show", "archive", "show", number)
    assert berkas["classification"] == "503" and number in [f["number"] for f in berkas["files"]], berkas
