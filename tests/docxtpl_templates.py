"""Test templates built at test time with python-docx, shaped like docxtpl's own test templates.

Each builder writes one template into a folder: the same Jinja tags in the same parts
(body, headers, footers, core properties) and the styles, pictures and tables the tests in
tests/test_fastdocx_hardened.py rely on. The text around the tags is our own.
`build_all(folder)` writes every template and the two PNG pictures.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

PICTURES = {"python_logo.png": ((120, 60), "navy"), "django.png": ((80, 100), "darkgreen")}


def png_bytes(size: tuple[int, int], color: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def edit_part(path: Path, part: str, edit) -> None:
    """Rewrite the XML of `part` in the package at `path` with `edit(text) -> text`."""
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)


def _style(doc, name: str, kind, style_id: str | None = None, base: str | None = None,
           link: str | None = None, next_id: str | None = None):
    """A custom style; `link` and `next_id` are style ids (python-docx has no setter for link)."""
    style = doc.styles.add_style(name, kind)
    if style_id:
        style.style_id = style_id
    if base:
        style.base_style = doc.styles[base]
    for tag, value in (("w:next", next_id), ("w:link", link)):
        if value:
            el = OxmlElement(tag)
            el.set(qn("w:val"), value)
            style.element.append(el)
    return style


def _numbered(style, num_id: str) -> None:
    num_pr = OxmlElement("w:numPr")
    for tag, value in (("w:ilvl", "0"), ("w:numId", num_id)):
        el = OxmlElement(tag)
        el.set(qn("w:val"), value)
        num_pr.append(el)
    style.element.get_or_add_pPr().append(num_pr)


def multi_rendering_tpl(folder: Path) -> Path:
    doc = Document()
    doc.add_paragraph("{{ title }}", style="Title")
    doc.add_paragraph("")
    doc.add_paragraph("{{ body }}")
    doc.add_paragraph("Catatan: templat sederhana untuk varian uji.")
    path = _save(doc, folder / "multi_rendering_tpl.docx")
    # As a localised Word saves it: the title style gets another id, while "Title Char" still
    # links to "Title", an id no style has. The renderer must not carry that dangling link.
    edit_part(path, "word/styles.xml", lambda x: x.replace('w:styleId="Title"', 'w:styleId="Judulutama"'))
    edit_part(path, "word/document.xml", lambda x: x.replace('w:val="Title"', 'w:val="Judulutama"'))
    return path


def doc_properties_tpl(folder: Path) -> Path:
    doc = Document()
    doc.core_properties.title = "{{ test }}"
    doc.sections[0].header.paragraphs[0].text = "{{ test }}"
    doc.add_paragraph("{{ test }}", style="Title")
    doc.add_paragraph("Judul di atas dan judul berkas berasal dari variabel yang sama.")
    doc.add_paragraph("{{ test }}")
    return _save(doc, folder / "doc_properties_tpl.docx")


def header_footer_image_tpl(folder: Path) -> Path:
    doc = Document()
    head = doc.sections[0].header.paragraphs[0]
    head.add_run("Here is a picture in the header : ")
    head.add_run().add_picture(io.BytesIO(png_bytes((60, 30), "orange")), height=Mm(8))
    head.add_run(" My company is : {{mycompany}}")
    doc.add_paragraph("Medias replacement", style="Title")
    doc.add_paragraph("Gambar di kepala halaman tetap; hanya teksnya yang diisi.")
    path = _save(doc, folder / "header_footer_image_tpl.docx")
    # Word numbers this picture 2; the drawing-id test renumbers it to 1 to force a clash.
    edit_part(path, "word/header1.xml", lambda x: x.replace('<wp:docPr id="1"', '<wp:docPr id="2"'))
    return path


def header_footer_inline_image_tpl(folder: Path) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.header.paragraphs[0].text = "Here is an inline image in the header : {{inline_image}}"
    for part in (section.footer, section.first_page_header, section.first_page_footer):
        part.paragraphs[0].text = "Halaman"
    doc.add_paragraph("Inline image in header/footer", style="Title")
    doc.add_paragraph("Tiga gambar lagi di badan dokumen:")
    for text in ("{%p for img in images%}", "{{ img }} ", "{%p endfor %}"):
        doc.add_paragraph(text)
    return _save(doc, folder / "header_footer_inline_image_tpl.docx")


def inline_image_tpl(folder: Path) -> Path:
    doc = Document()
    doc.add_paragraph("Kotak teks:", style="Heading 1")
    for text in ("{{ myimage }}", "Bagus!", "{{ myimage }}",
                 "Gambar dalam baris: {{ myimage }} -> teks sesudahnya",
                 "Gambar dengan rasio tetap: {{ myimageratio }}"):
        doc.add_paragraph(text)
    doc.add_paragraph("Dalam tabel:", style="Heading 1")
    table = doc.add_table(rows=4, cols=2)
    rows = [("Image", "Description"), ("{%tr for f in frameworks %}", ""),
            ("{{ f.image }}", "{{ f.desc }}"), ("{%tr endfor %}", "")]
    for row, texts in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    return _save(doc, folder / "inline_image_tpl.docx")


def richtext_tpl(folder: Path) -> Path:
    doc = Document()
    style = _style(doc, "myrichtextstyle", WD_STYLE_TYPE.CHARACTER, base="Default Paragraph Font")
    style.font.bold, style.font.color.rgb = True, RGBColor(0xFF, 0, 0)
    doc.add_paragraph("Teks kaya dengan warna dan gaya.")
    doc.add_paragraph("Here is an {{r example}}.", style="Heading 1")
    doc.add_paragraph("Catatan: gaya karakter myrichtextstyle ditetapkan di templat ini.")
    return _save(doc, folder / "richtext_tpl.docx")


def richtext_paragraph_tpl(folder: Path) -> Path:
    doc = Document()
    para, char = WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER
    _style(doc, "myrichtextstyle", char, "Myrichtextstyle", "Default Paragraph Font").font.bold = True
    _style(doc, "myrichparastyle", para, "Myrichparastyle", "Normal", link="MyrichparastyleChar")
    _style(doc, "myrichparastyle Char", char, "MyrichparastyleChar", "Default Paragraph Font",
           link="Myrichparastyle")
    _numbered(_style(doc, "BasicNumbered", para, "BasicNumbered", "Normal", link="BasicNumberedChar"), "5")
    _style(doc, "BasicNumbered Char", char, "BasicNumberedChar", "Default Paragraph Font", link="BasicNumbered")
    _style(doc, "WideLineSpacing", para, "WideLineSpacing", "Normal",
           next_id="Normal").paragraph_format.line_spacing = Pt(24)
    doc.add_paragraph("Paragraf kaya dengan gaya paragraf sendiri:")
    doc.add_paragraph("{{p example }}")
    doc.add_paragraph("Juga di dalam tabel:")
    doc.add_table(rows=1, cols=2).cell(0, 0).text = "{{p example }}"
    doc.add_paragraph("Catatan: gaya-gaya di atas ditetapkan di templat ini.")
    return _save(doc, folder / "richtext_paragraph_tpl.docx")


def subdoc_tpl(folder: Path) -> Path:
    doc = Document()
    doc.add_paragraph("Sub-dokumen saya:", style="Heading 1")
    doc.add_paragraph("{{p mysubdoc}}")
    doc.add_paragraph("Selesai.")
    return _save(doc, folder / "subdoc_tpl.docx")


BUILDERS = (multi_rendering_tpl, doc_properties_tpl, header_footer_image_tpl, header_footer_inline_image_tpl,
            inline_image_tpl, richtext_tpl, richtext_paragraph_tpl, subdoc_tpl)


def _save(doc, path: Path) -> Path:
    doc.save(str(path))
    return path


def build_all(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (size, color) in PICTURES.items():
        (folder / name).write_bytes(png_bytes(size, color))
    for build in BUILDERS:
        build(folder)
    return folder
