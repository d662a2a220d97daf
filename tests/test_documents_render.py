"""Rendering every document kind: DOCX -> PDF with LibreOffice, then read the PDF's text.

All renders of the module go through ONE soffice call (a session fixture),
so the module stays well under the time budget.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import needs_soffice
from docx_support import assert_docx_consistent
from pypdf import PdfReader

from sikro_docs import permit_types
from sikro_docs.documents import KINDS, build_context, template_path, variables_for
from sikro_docs.documents import formatting as fmt
from sikro_docs.documents import render_document as _render_document
from sikro_docs.documents.check import closure, parse_path_text
from sikro_docs.documents.context import declared_paths
from sikro_docs.errors import SikroError
from sikro_docs.workspace import init_workspace, open_workspace

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

NAME = "Dra. Ros'ina & <Co> \"Séptiani\""
NUMBERS = {
    "receipt": None,  # prints the registration number
    "checklist-return": None,
    "disposition": None,
    "recommendation-request": "500.16.7.2/0041/DPMPTSPK/VIII/2026",
    "task-order": "500.16.7.2/0042/DPMPTSPK/VIII/2026",
    "inspection-report": "BA-07/TIMTEK/2026",
    "rejection": "500.16.7.2/0043/DPMPTSPK/VIII/2026",
    "permit": "500.16.7.2/0007/SIKRO/DPMPTSPK/2026",
    "revocation-decree": "500.16.7.2/0003/KEP/DPMPTSPK/2026",
}
# what each kind is made for: a revocation decree only for a pencabutan of a permit
KIND_OF_APPLICATION = {"revocation-decree": {"application_kind": "pencabutan",
                                             "previous_number": "500.16.7.2/0001/SIKRO/DPMPTSPK/2021",
                                             "previous_date": "2021-06-14"}}
REGISTRATION = "REG/00012/SIKRO/2026"
# 60+ characters of name, address and workplace, with the characters that break XML and quotes
LONG = {
    "name": "Prof. Dr. H. Muhammad Ma'ruf Al-Hakim Simanjuntak & \"Rekan\" <Optik>, S.Tr.Kes., M.Kes.",
    "address": "Jalan Sisingamangaraja Gang Kenanga No. 117 RT 003/RW 005, Kelurahan Batang Beruh, "
               "Kecamatan Sidikalang, Kabupaten Dairi",
    "workplace_name": "Optik Ma'ruf & Sejahtera Bersama <Cabang Sidikalang> \"Utama\" Indonesia Raya",
    "workplace_address": "Jalan Pahlawan Revolusi Kompleks Pertokoan Sidikalang Permai Blok C No. 12-14, "
                         "Sidikalang, Kabupaten Dairi",
    "birth_place": "Kota Pematangsiantar",
    "rejection_reason": "STR tidak berlaku lagi sejak 1 Januari 2026 & alamat tempat kerja <tidak sesuai> "
                        "dengan surat keterangan tempat kerja yang dilampirkan; papan nama praktik belum "
                        "dipasang",
}


def render_document(ws, kind: str, ctx: dict, out: Path) -> Path:
    """render_document, and the output checked: relationships, styles, unique drawing ids."""
    path = _render_document(ws, kind, ctx, out)
    assert_docx_consistent(path)
    return path


def application(kind: str | None = None, **overrides) -> dict:
    """The shape of sikro_docs.registry.describe(app), by hand (of the application kind `kind` is for)."""
    app = {
        "permit_type": "sikro", "application_kind": "baru", "previous_number": None, "previous_date": None,
        "registration_number": REGISTRATION, "name": NAME, "nik": "1211014507900002",
        "status": "diproses", "current_step": 7, "complete": False, "missing": ["Pas Foto", "NPWP"],
        "application_date": "2026-08-03", "birth_place": "Sidikalang", "birth_date": "1990-07-05",
        "sex": "P", "address": "Jl. Pahlawan No. 7, Sidikalang", "phone": "081234567890",
        "email": "rosina@example.id", "education": "D3 Refraksi Optisi", "str_number": "RO 00012345",
        "str_valid_until": None, "str_lifetime": True, "workplace_name": "Optik Sinar & Jaya",
        "workplace_address": "Jl. Sisingamangaraja No. 12, Sidikalang",
        "checklist": {"surat_permohonan": True, "ktp": True, "str": True, "ijazah": True,
                      "surat_keterangan_sehat": True, "surat_keterangan_tempat_kerja": True,
                      "rekomendasi_organisasi_profesi": True, "pas_foto": False, "npwp": False},
        "recommendation_number": "440/123/DINKES/2026", "recommendation_date": "2026-08-20",
        "decision": "Ditolak", "rejection_reason": "STR tidak berlaku & alamat <tidak sesuai>",
    }
    app.update(KIND_OF_APPLICATION.get(kind, {}))
    app.update(overrides)
    return app


def qr_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (290, 290), "white")
    draw = ImageDraw.Draw(img)
    for i in range(29):
        for j in range(29):
            if (i * 7 + j * 3) % 5 < 2:
                draw.rectangle([i * 10, j * 10, i * 10 + 9, j * 10 + 9], fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def document(kind: str, **overrides) -> dict:
    doc = {"number": NUMBERS[kind], "date": dt.date(2026, 8, 28), "uid": "u1d", "short_code": "K7QX-2M4P",
           "qr_png": qr_png(), "draft": False, "valid_until": None,
           "time": dt.datetime(2026, 8, 3, 2, 15, tzinfo=dt.UTC),
           "task_order_number": NUMBERS["task-order"], "task_order_date": "2026-08-25"}
    doc.update(overrides)
    return doc


def to_pdf(docx_files: list[Path], outdir: Path, profile: Path) -> dict[str, Path]:
    """Convert all files in one soffice process; every PDF must exist and be non-empty."""
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
         "--outdir", str(outdir), *map(str, docx_files)],
        check=True, capture_output=True, timeout=180,
    )
    pdfs = {}
    for f in docx_files:
        pdf = outdir / (f.stem + ".pdf")
        assert pdf.is_file() and pdf.stat().st_size > 0, f"no PDF for {f.name}"
        pdfs[f.stem] = pdf
    return pdfs


def pdf_text(pdf: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)


def page_size_mm(pdf: Path) -> tuple[float, float]:
    box = PdfReader(str(pdf)).pages[0].mediabox
    return float(box.width) * 25.4 / 72, float(box.height) * 25.4 / 72


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every kind final (A4), every kind draft, and an F4 permit: one soffice call."""
    if SOFFICE is None and not os.environ.get("CI"):  # in CI, ./run.sh installs it
        pytest.skip("LibreOffice (soffice) is not installed")
    base = tmp_path_factory.mktemp("render")
    ws, _ = init_workspace(base / "ws")
    f4_root = base / "ws-f4"
    init_workspace(f4_root)
    profile = f4_root / "sikro.toml"
    profile.write_text(profile.read_text(encoding="utf-8").replace('paper = "A4"', 'paper = "F4"'),
                       encoding="utf-8")
    ws_f4 = open_workspace(f4_root)
    files = []
    for kind in KINDS:
        ctx = build_context(ws, kind, application(kind), document(kind))
        files.append(render_document(ws, kind, ctx, base / "docx" / f"{kind}.docx"))
        ctx = build_context(ws, kind, application(kind), document(kind, draft=True, number=None))
        files.append(render_document(ws, kind, ctx, base / "docx" / f"draft-{kind}.docx"))
    ctx = build_context(ws_f4, "permit", application(), document("permit"))
    files.append(render_document(ws_f4, "permit", ctx, base / "docx" / "f4-permit.docx"))
    for kind in KINDS:  # long names and addresses, A4 and F4
        ctx = build_context(ws, kind, application(kind, **LONG), document(kind))
        files.append(render_document(ws, kind, ctx, base / "docx" / f"long-{kind}.docx"))
        ctx = build_context(ws_f4, kind, application(kind, **LONG), document(kind))
        files.append(render_document(ws_f4, kind, ctx, base / "docx" / f"f4-long-{kind}.docx"))
    findings = [{"aspect": f"Aspek pemeriksaan nomor {i} yang cukup panjang untuk dua baris pada tabel",
                 "result": "Sesuai", "note": "Baik"} for i in range(1, 16)]
    ctx = build_context(ws, "inspection-report", application(**LONG),
                        document("inspection-report", findings=findings))
    files.append(render_document(ws, "inspection-report", ctx, base / "docx" / "multi-inspection-report.docx"))
    pdfs = to_pdf(files, base / "pdf", base / "lo-profile")
    return {"docx": {f.stem: f for f in files}, "pdf": pdfs, "ws": ws}


@needs_soffice
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_renders_number_name_and_special_characters(rendered, kind):
    text = pdf_text(rendered["pdf"][kind])
    number = NUMBERS[kind] or REGISTRATION
    assert number in text.replace("\n", "")
    flat = " ".join(text.split())
    assert "Ros'ina & <Co>" in flat or "Ros’ina & <Co>" in flat, flat[:600]
    assert '"Séptiani"' in flat or "“Séptiani”" in flat
    assert "PEMERINTAH KABUPATEN DAIRI" in flat
    assert "DRAF" not in flat
    # the DOCX is valid XML all through (autoescape kept '&' and '<' escaped)
    with zipfile.ZipFile(rendered["docx"][kind]) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert "&amp; &lt;Co&gt;" in xml


@needs_soffice
def test_letters_have_their_parts(rendered):
    permit = " ".join(pdf_text(rendered["pdf"]["permit"]).split())
    for words in ("SURAT IZIN KERJA REFRAKSIONIS OPTISIEN", "memberikan Surat Izin Kerja Refraksionis Optisien kepada",
                  "Tempat/Tanggal Lahir", "Nomor STR", "STR berlaku sampai", "Seumur Hidup",
                  "Alamat tempat kerja", "Profesi", "440/123/DINKES/2026", "20 Agustus 2026",
                  "berlaku sampai dengan 27 Agustus 2031", "Peraturan Menteri Kesehatan Nomor 19 Tahun 2013",
                  "Pas Foto", "Kepala Bidang Pelayanan", "Sekretaris", "NIP. 19750831 200312 1 003",
                  "K7QX-2M4P", "verifikasi.dpmptsp.dairikab.go.id",
                  # EYD: "tanggal" mid-sentence; ";" after each item of the legal basis, "." after the last
                  "Nomor 440/123/DINKES/2026 tanggal 20 Agustus 2026",
                  "Undang-Undang Nomor 17 Tahun 2023 tentang Kesehatan;",
                  "Undang-Undang Nomor 17 Tahun 2023 tentang Kesehatan.",
                  # the signer's title ends with a comma; the place and date of issue
                  "Ketenagakerjaan,", "Ditetapkan di : Sidikalang", "Pada tanggal : 28 Agustus 2026"):
        assert words in permit, words
    assert "https://" not in permit  # the site under the QR is printed without its scheme
    assert "Halaman" not in permit and "- 1 -" not in permit  # one page: no page number
    rejection = " ".join(pdf_text(rendered["pdf"]["rejection"]).split())
    for words in ("Sifat", "Lampiran", "Hal", "Yth. Sdr.", "Sidikalang, 28 Agustus 2026",
                  "STR tidak berlaku & alamat <tidak sesuai>", "Kepala Bidang Pelayanan"):
        assert words in rejection, words
    report = " ".join(pdf_text(rendered["pdf"]["inspection-report"]).split())
    assert ("Pada hari ini, Jumat tanggal dua puluh delapan bulan Agustus tahun dua ribu dua puluh "
            "enam (28-08-2026)") in report
    assert NUMBERS["task-order"] in report
    order = " ".join(pdf_text(rendered["pdf"]["task-order"]).split())
    for words in ("Dasar", "MEMERINTAHKAN", "NAMA KETUA TIM TEKNIS", "Untuk", "Jumat, 28 Agustus 2026"):
        assert words in order, words
    receipt = " ".join(pdf_text(rendered["pdf"]["receipt"]).split())
    assert "3 Agustus 2026 pukul 09.15" in receipt  # 02:15 UTC in office time (WIB)
    assert "1211014507900002" not in receipt  # the NIK is printed masked
    assert "121101******0002" in receipt
    disposition = " ".join(pdf_text(rendered["pdf"]["disposition"]).split())
    for words in ("Surat dari", "No. Agenda", "Sangat Segera", "Rahasia", "Diteruskan kepada",
                  "Catatan", "Paraf"):
        assert words in disposition, words
    returned = " ".join(pdf_text(rendered["pdf"]["checklist-return"]).split())
    assert "Pas Foto" in returned and "Tidak ada" in returned
    assert "1. Pas Foto; 2. NPWP." in returned  # the last item of an enumeration ends with "."
    assert "Pemohon" in returned and "Petugas Penerima Berkas," in returned
    # the team's minutes carry no verification area (the kind has no QR)
    assert "Kode verifikasi" not in report
    assert "Dasar" in order and "DASAR" not in order
    assert "Tembusan: 1. Kepala Dinas Kesehatan; 2. Arsip." in rejection


def page_texts(pdf: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages]


@needs_soffice
@pytest.mark.parametrize("kind", list(KINDS))
def test_long_names_fit_and_nothing_is_orphaned(rendered, kind):
    """60+ character names and addresses with & < > quotes and Ma'ruf: printed whole, and the
    signature block never stands alone on a page without the last lines of the text."""
    for variant in (f"long-{kind}", f"f4-long-{kind}"):
        pages = page_texts(rendered["pdf"][variant])
        flat = " ".join(pages)
        assert "Ma'ruf" in flat or "Ma’ruf" in flat, variant
        assert "Simanjuntak &" in flat and "<Optik>" in flat, variant
        if kind == "permit" or (variant.startswith("f4") and kind != "revocation-decree"):
            assert len(pages) == 1, (variant, len(pages))  # the permit is one page, A4 and F4
        if len(pages) == 1:
            assert "- 1 -" not in pages[0] and "Halaman" not in pages[0]
        else:
            assert "- 1 -" not in pages[0]
            assert all(f"- {n} -" in text for n, text in enumerate(pages[1:], 2)), variant
    long_pages = page_texts(rendered["pdf"][f"long-{kind}"])
    last = long_pages[-1]
    closing = {"receipt": "Petugas Penerima Berkas,", "checklist-return": "Setelah dilengkapi",
               "disposition": "Catatan", "recommendation-request": "Demikian kami sampaikan",
               "task-order": "Untuk", "inspection-report": "Demikian Berita Acara",
               "rejection": "Demikian kami sampaikan", "permit": "Surat Izin ini berlaku",
               "revocation-decree": "Ditetapkan di"}[kind]
    assert closing in last, (kind, last[:300])
    if kind in ("recommendation-request", "rejection"):
        assert "Tembusan:" in last and "Arsip." in last


@needs_soffice
def test_a_table_over_two_pages_repeats_its_heading_and_keeps_rows_whole(rendered):
    pages = page_texts(rendered["pdf"]["multi-inspection-report"])
    assert len(pages) == 2
    assert "- 2 -" in pages[1] and "- 1 -" not in pages[0]
    assert "Aspek yang Ditinjau" in pages[0] and "Aspek yang Ditinjau" in pages[1]
    for i in range(1, 16):  # each finding's two lines on one page
        line = f"Aspek pemeriksaan nomor {i} yang cukup panjang untuk dua baris pada tabel"
        assert sum(line in p for p in pages) == 1, i
    # the conclusion, the closing sentence and the team's signatures together
    assert all(w in pages[1] for w in ("Kesimpulan", "Demikian Berita Acara", "Tim Teknis,",
                                       "NAMA ANGGOTA TIM TEKNIS, S.Sos."))


@needs_soffice
def test_paper_a4_and_f4(rendered):
    width, height = page_size_mm(rendered["pdf"]["permit"])
    assert abs(width - 210) < 1 and abs(height - 297) < 1
    width, height = page_size_mm(rendered["pdf"]["f4-permit"])
    assert abs(width - 215) < 1 and abs(height - 330) < 1


@needs_soffice
@pytest.mark.parametrize("kind", ["permit", "rejection", "task-order", "receipt"])
def test_draft_has_no_number_and_shows_draf(rendered, kind):
    text = " ".join(pdf_text(rendered["pdf"][f"draft-{kind}"]).split())
    assert "DRAF" in text
    if NUMBERS[kind]:
        assert NUMBERS[kind] not in text
    # the watermark is in the header of the DOCX, drawn by LibreOffice into the PDF
    with zipfile.ZipFile(rendered["docx"][f"draft-{kind}"]) as zf:
        headers = [zf.read(n).decode() for n in zf.namelist() if n.startswith("word/header")]
    assert any('string="DRAF"' in h for h in headers)
    reader = PdfReader(str(rendered["pdf"][f"draft-{kind}"]))
    assert sum((p.extract_text() or "").count("DRAF") for p in reader.pages) >= 2  # number + watermark


def test_final_document_without_number_is_refused(workspace):
    with pytest.raises(SikroError, match="number"):
        build_context(workspace, "permit", application(), document("permit", number=None))


def test_strict_undefined_names_template_and_variable(workspace, tmp_path):
    from docx import Document

    doc = Document()
    doc.add_paragraph().add_run("Nama: {{ pemohon.namaa }}")
    own = workspace.templates_dir / "receipt.docx"
    doc.save(own)
    ctx = build_context(workspace, "receipt", application(), document("receipt"))
    with pytest.raises(SikroError) as err:
        render_document(workspace, "receipt", ctx, tmp_path / "out.docx")
    assert "receipt.docx" in str(err.value)
    assert "pemohon.namaa" in str(err.value)
    assert not (tmp_path / "out.docx").exists()


def test_workspace_template_overrides_builtin(workspace, tmp_path):
    from docx import Document

    builtin = template_path(workspace, "rejection")
    assert builtin.parent.name == "docx" and builtin.is_file()
    doc = Document()
    doc.add_paragraph().add_run("TEMPLATE KANTOR {{ nomor }} {{ pemohon.nama }}")
    doc.save(workspace.templates_dir / "rejection.docx")
    assert template_path(workspace, "rejection") == workspace.templates_dir / "rejection.docx"
    ctx = build_context(workspace, "rejection", application(), document("rejection"))
    out = render_document(workspace, "rejection", ctx, tmp_path / "r.docx")
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("word/document.xml").decode()
    assert "TEMPLATE KANTOR 500.16.7.2/0043/DPMPTSPK/VIII/2026" in xml
    assert "Dra. Ros'ina &amp; &lt;Co&gt;" in xml


def _empty_list(ctx, path) -> bool:
    """An item attribute of a list that is empty here (no paraf on a receipt)."""
    if "[]" not in path:
        return False
    value = ctx
    for seg in path[: path.index("[]")]:
        value = value[seg]
    return value == []


def test_context_provides_exactly_the_declared_variables(workspace):
    for kind in KINDS:
        ctx = build_context(workspace, kind, application(kind), document(kind))
        provided = closure(declared_paths(ctx))
        declared = closure(variables_for(kind, permit_types.get(workspace, "sikro")))
        missing = {p for p in declared if p not in provided and not _empty_list(ctx, p)}
        assert not missing, (kind, missing)
        extra = {p for p in provided if p not in declared and p[0] not in ("verifikasi",)}
        assert not extra, (kind, extra)


def test_render_is_atomic_and_leaves_no_temp_files(workspace, tmp_path):
    ctx = build_context(workspace, "receipt", application(), document("receipt"))
    out = render_document(workspace, "receipt", ctx, tmp_path / "deep" / "receipt.docx")
    assert out.is_file()
    assert [p.name for p in out.parent.iterdir()] == ["receipt.docx"]


def test_qr_absent_leaves_box_empty(workspace, tmp_path):
    ctx = build_context(workspace, "permit", application(), document("permit", qr_png=None))
    out = render_document(workspace, "permit", ctx, tmp_path / "p.docx")
    with zipfile.ZipFile(out) as zf:
        media = [n for n in zf.namelist() if n.startswith("word/media/")]
    assert len(media) == 1  # the emblem only


def test_missing_emblem_file_is_a_user_error(workspace, tmp_path):
    profile = workspace.profile_path
    profile.write_text(profile.read_text(encoding="utf-8").replace('emblem = ""', 'emblem = "lambang.png"'),
                       encoding="utf-8")
    ws = open_workspace(workspace.root)
    with pytest.raises(SikroError, match="emblem"):
        build_context(ws, "permit", application(), document("permit"))


def test_rejection_needs_a_reason(workspace):
    with pytest.raises(SikroError, match="reason"):
        build_context(workspace, "rejection", application(rejection_reason=None), document("rejection"))


def test_permit_validity_limited_by_str(workspace):
    ctx = build_context(workspace, "permit", application(str_valid_until="2028-01-31"), document("permit"))
    assert ctx["izin"]["berlaku_sampai"] == "31 Januari 2028"
    assert ctx["pemohon"]["str_berlaku"] == "31 Januari 2028"
    ctx = build_context(workspace, "permit", application(), document("permit"))
    assert ctx["izin"]["berlaku_sampai"] == "27 Agustus 2031"


def test_indonesian_formatting():
    assert fmt.tanggal(dt.date(2025, 3, 7)) == "7 Maret 2025"
    assert fmt.tanggal("2025-03-07") == "7 Maret 2025"
    assert fmt.hari(dt.date(2025, 3, 7)) == "Jumat"
    assert fmt.tanggal_kata(dt.date(2026, 8, 28)) == (
        "Jumat tanggal dua puluh delapan bulan Agustus tahun dua ribu dua puluh enam (28-08-2026)")
    assert fmt.terbilang(11) == "sebelas"
    assert [fmt.bulan_romawi(m) for m in (1, 4, 8, 9, 12)] == ["I", "IV", "VIII", "IX", "XII"]
    assert fmt.bulan_romawi(dt.date(2026, 10, 1)) == "X"
    assert fmt.masa_berlaku(5) == "5 (lima) tahun"
    assert parse_path_text("berkas[].nama") == ("berkas", "[]", "nama")


def test_verification_site_is_printed_without_scheme(workspace):
    ctx = build_context(workspace, "permit", application(), document("permit"))
    assert ctx["verifikasi"]["alamat"] == "https://verifikasi.dpmptsp.dairikab.go.id"
    assert ctx["verifikasi"]["laman"] == "verifikasi.dpmptsp.dairikab.go.id"


def test_builtin_templates_put_page_numbers_after_the_first_page_only():
    """Tata naskah dinas: no number on the first page (the kop), "- 2 -" centred at the top after."""
    for kind in KINDS:
        with zipfile.ZipFile(template_path_builtin(kind)) as zf:
            xml = zf.read("word/document.xml").decode()
            headers = {n: zf.read(n).decode() for n in zf.namelist() if n.startswith("word/header")}
        assert "<w:titlePg/>" in xml, kind
        numbered = [h for h in headers.values() if "PAGE" in h]
        assert len(numbered) == 1 and "NUMPAGES" not in numbered[0], kind
        assert len(headers) == 2, kind  # the first page's (empty) and the later pages' header


def template_path_builtin(kind: str) -> Path:
    from sikro_docs.documents import builtin_templates_dir

    return builtin_templates_dir() / KINDS[kind].template


def test_an_error_in_a_template_expression_names_the_template(workspace, tmp_path):
    """An office's `{{ 1 / 0 }}` is the template's fault: one line naming it, not an internal error."""
    from docx import Document

    doc = Document()
    doc.add_paragraph().add_run("Nomor {{ nomor }} {{ 1 / 0 }}")
    doc.save(workspace.templates_dir / "receipt.docx")
    ctx = build_context(workspace, "receipt", application(), document("receipt"))
    with pytest.raises(SikroError, match=r"receipt\.docx.*ZeroDivisionError"):
        render_document(workspace, "receipt", ctx, tmp_path / "out.docx")
    assert not (tmp_path / "out.docx").exists()
