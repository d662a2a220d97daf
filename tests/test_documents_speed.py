"""The compiled rendering path (documents/fastdocx.py): correct output, cache, images, drafts.

No timings here (bench/render_bench.py measures): only what the output holds.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from docx import Document
from lxml import etree
from test_documents_render import application, document, qr_png

from sikro_docs.documents import KINDS, build_context, render_document, template_path
from sikro_docs.documents.check import jinja_env
from sikro_docs.workspace import open_workspace

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def png(color: str, size: int = 40) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, "PNG")
    return buf.getvalue()


def texts(docx_bytes: bytes) -> list[str]:
    """Every paragraph's text, body and tables, in order (what a reader sees)."""
    doc = Document(io.BytesIO(docx_bytes))
    out = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            out += [cell.text for cell in row.cells]
    for section in doc.sections:
        out += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return out


def assert_sound_docx(path) -> None:
    """A ZIP without errors; every XML part parses; every internal relationship has its part;
    python-docx opens it."""
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        for name in names:
            if name.endswith((".xml", ".rels")):
                etree.fromstring(zf.read(name))
            if name.endswith(".rels"):
                folder = os.path.dirname(os.path.dirname(name))
                for rel in etree.fromstring(zf.read(name)):
                    if rel.get("TargetMode") == "External":
                        continue
                    target = os.path.normpath(os.path.join(folder, rel.get("Target"))).lstrip("/")
                    assert target in names, (name, rel.get("Target"))
        ct = zf.read("[Content_Types].xml").decode()
        if any(n.endswith(".png") for n in names):
            assert 'Extension="png"' in ct
    Document(str(path))


def docxtpl_reference(ws, kind: str, context: dict) -> bytes:
    """The same document the way docxtpl renders it (the former renderer, images included)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    tpl = DocxTemplate(str(template_path(ws, kind)))
    tpl.init_docx()
    ctx = dict(context)
    ctx["lambang"] = InlineImage(tpl, ctx["lambang"], height=Mm(24))
    verification = dict(ctx["verifikasi"])
    if verification.get("qr"):
        verification["qr"] = InlineImage(tpl, io.BytesIO(verification["qr"]), width=Mm(27), height=Mm(27))
    else:
        verification["qr"] = ""
    ctx["verifikasi"] = verification
    tpl.render(ctx, jinja_env=jinja_env(), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("kind", list(KINDS))
def test_compiled_output_reads_as_docxtpl_output(workspace, tmp_path, kind):
    ctx = build_context(workspace, kind, application(kind), document(kind))
    out = render_document(workspace, kind, ctx, tmp_path / f"{kind}.docx")
    assert_sound_docx(out)
    assert texts(out.read_bytes()) == texts(docxtpl_reference(workspace, kind, ctx))
    with zipfile.ZipFile(out) as zf:
        media = sorted(n for n in zf.namelist() if n.startswith("word/media/"))
        xml = zf.read("word/document.xml").decode()
    assert len(media) == (2 if KINDS[kind].qr else 1)
    # the paper (A4) in every section, no sentinel left
    assert 'w:w="11906"' in xml and 'w:h="16838"' in xml
    assert "98765431" not in xml and "98765437" not in xml
    ids = [el.get("id") for el in etree.fromstring(xml.encode()).iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")]
    assert len(ids) == len(set(ids))


def test_same_context_same_bytes(workspace, tmp_path):
    ctx = build_context(workspace, "permit", application(), document("permit"))
    a = render_document(workspace, "permit", ctx, tmp_path / "a.docx").read_bytes()
    b = render_document(workspace, "permit", ctx, tmp_path / "b.docx").read_bytes()
    assert a == b


def test_f4_paper_in_every_section(workspace, tmp_path):
    profile = workspace.profile_path
    profile.write_text(profile.read_text(encoding="utf-8").replace('paper = "A4"', 'paper = "F4"'),
                       encoding="utf-8")
    ws = open_workspace(workspace.root)
    ctx = build_context(ws, "permit", application(), document("permit"))
    out = render_document(ws, "permit", ctx, tmp_path / "f4.docx")
    doc = Document(str(out))
    for section in doc.sections:
        assert round(section.page_width.mm) == 215 and round(section.page_height.mm) == 330


def test_office_template_edited_on_disk_is_picked_up(workspace, tmp_path):
    own = workspace.templates_dir / "rejection.docx"

    def write(text: str, stamp: int) -> None:
        doc = Document()
        doc.add_paragraph().add_run(text)
        doc.save(own)
        os.utime(own, ns=(stamp, stamp))

    ctx = build_context(workspace, "rejection", application(), document("rejection"))
    write("VERSI SATU {{ nomor }}", 1_700_000_000_000_000_000)
    first = render_document(workspace, "rejection", ctx, tmp_path / "1.docx")
    assert any("VERSI SATU 500.16.7.2/0043" in t for t in texts(first.read_bytes()))
    write("VERSI DUA {{ pemohon.nama }}", 1_700_000_001_000_000_000)
    second = render_document(workspace, "rejection", ctx, tmp_path / "2.docx")
    assert any("VERSI DUA Dra. Ros'ina & <Co>" in t for t in texts(second.read_bytes()))
    assert not any("VERSI SATU" in t for t in texts(second.read_bytes()))
    own.unlink()  # back to the built-in one
    third = render_document(workspace, "rejection", ctx, tmp_path / "3.docx")
    assert not any("VERSI" in t for t in texts(third.read_bytes()))


def test_kinds_rendered_alternately_keep_their_own_images(workspace, tmp_path):
    red, blue = png("red"), png("blue")
    assert red != blue
    for round_ in range(3):
        for kind, qr in (("permit", red), ("receipt", blue), ("checklist-return", None), ("rejection", None)):
            ctx = build_context(workspace, kind, application(kind), document(kind, qr_png=qr))
            out = render_document(workspace, kind, ctx, tmp_path / f"{round_}-{kind}.docx")
            assert_sound_docx(out)
            with zipfile.ZipFile(out) as zf:
                media = {n: zf.read(n) for n in zf.namelist() if n.startswith("word/media/")}
                rels = zf.read("word/_rels/document.xml.rels").decode()
            qrs = [data for name, data in media.items() if "qr" in name]
            if qr is None or not KINDS[kind].qr:
                assert qrs == [] and "rIdSikroQr" not in rels
            else:
                assert qrs == [qr] and "rIdSikroQr" in rels
            emblem = (workspace.root / ctx["lambang"]).read_bytes() if not os.path.isabs(ctx["lambang"]) \
                else open(ctx["lambang"], "rb").read()
            assert [d for n, d in media.items() if "lambang" in n] == [emblem]


def test_value_with_newline_becomes_a_line_break(workspace, tmp_path):
    ctx = build_context(workspace, "receipt", application(), document("receipt", note="baris satu\nbaris dua"))
    out = render_document(workspace, "receipt", ctx, tmp_path / "r.docx")
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("word/document.xml").decode()
    assert "baris satu</w:t><w:br/>" in xml


def test_draft_of_template_without_header_gets_one_with_watermark(workspace, tmp_path):
    doc = Document()
    doc.add_paragraph().add_run("KANTOR {{ nomor }}")
    doc.save(workspace.templates_dir / "permit.docx")
    ctx = build_context(workspace, "permit", application(), document("permit", draft=True, number=None))
    out = render_document(workspace, "permit", ctx, tmp_path / "d.docx")
    assert_sound_docx(out)
    with zipfile.ZipFile(out) as zf:
        headers = [zf.read(n).decode() for n in zf.namelist() if n.startswith("word/header")]
    assert len(headers) == 1 and 'string="DRAF"' in headers[0]
    rendered = Document(str(out))
    assert not rendered.sections[0].header.is_linked_to_previous
    # the final document of the same template has no header added
    ctx = build_context(workspace, "permit", application(), document("permit"))
    out = render_document(workspace, "permit", ctx, tmp_path / "f.docx")
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith("word/header")]
    assert_sound_docx(out)


def test_header_with_jinja_is_rendered_and_carries_the_watermark(workspace, tmp_path):
    doc = Document()
    doc.add_paragraph().add_run("Isi {{ pemohon.nama }} {{ verifikasi.qr }}")
    doc.sections[0].header.paragraphs[0].add_run("Kepala: {{ nomor }} {{ lambang }}")
    doc.save(workspace.templates_dir / "permit.docx")
    ctx = build_context(workspace, "permit", application(), document("permit", draft=True, number=None,
                                                                      qr_png=qr_png()))
    out = render_document(workspace, "permit", ctx, tmp_path / "h.docx")
    assert_sound_docx(out)
    rendered = Document(str(out))
    assert rendered.sections[0].header.paragraphs[0].text.startswith("Kepala: DRAF")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        header = next(n for n in names if n.startswith("word/header"))
        assert 'string="DRAF"' in zf.read(header).decode()
        header_rels = zf.read(f"word/_rels/{os.path.basename(header)}.rels").decode()
        assert "rIdSikroLambang" in header_rels and "rIdSikroQr" not in header_rels
        doc_rels = zf.read("word/_rels/document.xml.rels").decode()
        assert "rIdSikroQr" in doc_rels and "rIdSikroLambang" not in doc_rels
