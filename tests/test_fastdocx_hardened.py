"""The fast renderer (documents/fastdocx.py) on templates shaped like docxtpl's own test templates.

The templates are built at test time (tests/docxtpl_templates.py: the same Jinja tags in the
same parts, the header picture, the styles RichText and RichTextParagraph name). Each template is rendered through docxtpl and through render.render_template;
the outputs must say the same, and every output must be a consistent package
(tests/docx_support.py: relationships, styles, unique drawing ids).
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from conftest import needs_soffice
from docx import Document
from docx.shared import Mm
from docx_support import assert_docx_consistent, docx_problems
from docxtpl_templates import build_all
from lxml import etree

from sikro_docs.documents import fastdocx, render
from sikro_docs.documents.check import sandbox_problems
from sikro_docs.errors import SikroError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NAME = "Ros'ina & <Co> \"Séptiani\""


def png(color="red", size=(40, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def variant(src: Path, dest: Path, part: str, edit) -> Path:
    """A copy of the template `src` with the XML of `part` changed by `edit(text) -> text`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return dest


def fast(path: Path, context: dict, out: Path, **kw) -> Path:
    out.write_bytes(render.render_template(path, context, **kw))
    assert_docx_consistent(out)
    return out


def docxtpl_render(path: Path, context_of) -> Path:
    """docxtpl's own output for `context_of(tpl)` (unrestricted environment, autoescape)."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    tpl.render(context_of(tpl), autoescape=True)
    out = path.with_suffix(".docxtpl.docx")
    tpl.save(str(out))
    return out


def part_xml(path: Path, part: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(part))


def paragraphs(path: Path, part: str = "word/document.xml") -> list[str]:
    root = part_xml(path, part)
    return ["".join(t.text or "" for t in p.iter(f"{{{W}}}t")) for p in root.iter(f"{{{W}}}p")]


def style_ids(path: Path) -> set[str]:
    return {s.get(f"{{{W}}}styleId") for s in part_xml(path, "word/styles.xml").iter(f"{{{W}}}style")}


@pytest.fixture(scope="module")
def tpl_dir(tmp_path_factory):
    """The templates and pictures, built once for the module."""
    return build_all(tmp_path_factory.mktemp("tpl"))


# --- drawing ids -----------------------------------------------------------------------------

def test_header_picture_and_lambang_get_distinct_drawing_ids(tpl_dir, tmp_path):
    """A header with a picture Word numbered 1 and `{{ lambang }}` beside it, and the emblem in
    the body too: every wp:docPr id of the package is unique."""
    src = variant(tpl_dir / "header_footer_image_tpl.docx", tmp_path / "t.docx", "word/header1.xml",
                  lambda x: x.replace('<wp:docPr id="2"', '<wp:docPr id="1"')
                  .replace("Here is a picture in the header", "Here is a picture in the header {{ lambang }}"))
    src = variant(src, tmp_path / "t2.docx", "word/document.xml",
                  lambda x: x.replace("Medias replacement", "Medias replacement {{ lambang }}", 1))
    out = fast(src, {"mycompany": NAME, "lambang": png()}, tmp_path / "out.docx")
    ids = [el.get("id") for part in ("word/document.xml", "word/header1.xml")
           for el in part_xml(out, part).iter(f"{{{WP}}}docPr")]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert NAME in "".join(paragraphs(out, "word/header1.xml"))


def test_inline_images_in_headers_footers_and_body(tpl_dir, tmp_path):
    """docxtpl's header_footer_inline_image test: the pictures in every part, each with its
    relationship in that part's .rels and a unique drawing id."""
    from docxtpl import InlineImage

    logo, django = tpl_dir / "python_logo.png", tpl_dir / "django.png"

    def context_of(tpl):
        return {"inline_image": InlineImage(tpl, str(django), height=Mm(10)),
                "images": [InlineImage(tpl, str(logo), height=Mm(10)) for _ in range(3)]}

    path = tpl_dir / "header_footer_inline_image_tpl.docx"
    out = fast(path, context_of(None), tmp_path / "out.docx")
    theirs = docxtpl_render(path, context_of)
    with zipfile.ZipFile(out) as zf:
        for part in zf.namelist():
            if re.fullmatch(r"word/(document|header\d+|footer\d+)\.xml", part):
                mine = [b.get(f"{{{R}}}embed") for b in part_xml(out, part).iter(f"{{{A}}}blip")]
                expected = list(part_xml(theirs, part).iter(f"{{{A}}}blip"))
                assert len(mine) == len(expected), part
    doc = Document(str(out))
    blobs = {rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype}
    assert logo.read_bytes() in blobs
    header_blobs = {rel.target_part.blob for s in doc.sections
                    for rel in s.header.part.rels.values() if "image" in rel.reltype}
    assert django.read_bytes() in header_blobs


def test_inline_image_sizes_match_docxtpl(tpl_dir, tmp_path):
    from docxtpl import InlineImage

    logo, django = tpl_dir / "python_logo.png", tpl_dir / "django.png"

    def context_of(tpl):
        return {"myimage": InlineImage(tpl, str(logo), width=Mm(20)),
                "myimageratio": InlineImage(tpl, str(django), width=Mm(30), height=Mm(60)),
                "frameworks": [{"image": InlineImage(tpl, str(django), height=Mm(10)), "desc": NAME}
                               for _ in range(2)]}

    path = tpl_dir / "inline_image_tpl.docx"
    out = fast(path, context_of(None), tmp_path / "out.docx")
    theirs = docxtpl_render(path, context_of)
    extents = [(e.get("cx"), e.get("cy")) for e in part_xml(out).iter(f"{{{WP}}}extent")]
    assert extents == [(e.get("cx"), e.get("cy")) for e in part_xml(theirs).iter(f"{{{WP}}}extent")]
    assert len(extents) == 6
    assert paragraphs(out) == paragraphs(theirs)


def test_inline_image_with_a_link(tpl_dir, tmp_path):
    from docxtpl import InlineImage

    path = tpl_dir / "multi_rendering_tpl.docx"
    img = InlineImage(None, str(tpl_dir / "django.png"), height=Mm(10), anchor="https://sikro.example.id/v")
    out = fast(path, {"title": img, "body": "x"}, tmp_path / "out.docx")
    doc = Document(str(out))
    links = [r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert links == ["https://sikro.example.id/v"]


# --- document properties ---------------------------------------------------------------------

def test_document_properties_are_escaped_once(tpl_dir, tmp_path):
    path = tpl_dir / "doc_properties_tpl.docx"
    out = fast(path, {"test": NAME}, tmp_path / "out.docx")
    assert Document(str(out)).core_properties.title == NAME
    theirs = docxtpl_render(path, lambda tpl: {"test": NAME})
    assert paragraphs(out) == paragraphs(theirs)


# --- styles ----------------------------------------------------------------------------------

def test_richtext_keeps_its_style_and_says_what_docxtpl_says(tpl_dir, tmp_path):
    from docxtpl import RichText

    def context_of(tpl):
        rt = RichText("an example of ")
        rt.add("a rich text", style="myrichtextstyle")
        rt.add(" with ")
        rt.add("some italic", italic=True)
        rt.add("\n1st line\n2nd line")
        rt.add("\aA new paragraph : <cool>\a")
        rt.add(NAME, color="#ff00ff")
        return {"example": rt}

    path = tpl_dir / "richtext_tpl.docx"
    out = fast(path, context_of(None), tmp_path / "out.docx")
    theirs = docxtpl_render(path, context_of)
    assert paragraphs(out) == paragraphs(theirs)
    assert "myrichtextstyle" in style_ids(out)
    assert "A new paragraph : <cool>" in paragraphs(out)


def test_richtext_paragraph_keeps_paragraph_and_numbering_styles(tpl_dir, tmp_path):
    from docxtpl import RichText, RichTextParagraph

    def context_of(tpl):
        rtp = RichTextParagraph()
        rtp.add("Numbered", parastyle="BasicNumbered")
        rtp.add("Quoted", parastyle="IntenseQuote")
        rtp.add(RichText("Rich ", style="Myrichtextstyle"), parastyle="Myrichparastyle")
        return {"example": rtp}

    path = tpl_dir / "richtext_paragraph_tpl.docx"
    out = fast(path, context_of(None), tmp_path / "out.docx")
    kept = style_ids(out)
    # the styles and what they are based on, linked to, followed by
    assert {"BasicNumbered", "BasicNumberedChar", "IntenseQuote", "IntenseQuoteChar", "Myrichtextstyle",
            "Myrichparastyle", "MyrichparastyleChar"} <= kept
    theirs = docxtpl_render(path, context_of)
    assert paragraphs(out) == paragraphs(theirs)


def test_template_style_ids_stay_slim(tpl_dir, tmp_path):
    """A style nothing uses is still left out (the reason the sheet is trimmed)."""
    out = fast(tpl_dir / "richtext_paragraph_tpl.docx", {"example": "x"}, tmp_path / "out.docx")
    assert "WideLineSpacing" not in style_ids(out)


# --- page size and orientation ---------------------------------------------------------------

def _landscape(text: str) -> str:
    """A first section in portrait (ending at the first paragraph), the last one landscape."""
    body_sect = re.search(r"<w:sectPr\b.*?</w:sectPr>", text, re.S).group(0)
    portrait = body_sect
    landscape = re.sub(r'<w:pgSz [^>]*/>', '<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>', body_sect)
    text = text.replace(body_sect, landscape)
    first_p_end = text.index("</w:p>")
    first_ppr = text.rfind("<w:pPr>", 0, first_p_end)
    return text[:first_ppr + len("<w:pPr>")] + portrait + text[first_ppr + len("<w:pPr>"):]


@pytest.mark.parametrize("paper,size", [("A4", ("11906", "16838")), ("F4", ("12189", "18709"))])
def test_landscape_section_stays_landscape(tpl_dir, tmp_path, paper, size):
    src = variant(tpl_dir / "multi_rendering_tpl.docx", tmp_path / "t.docx", "word/document.xml", _landscape)
    out = fast(src, {"title": NAME, "body": "isi"}, tmp_path / "out.docx", paper=paper)
    sizes = [(p.get(f"{{{W}}}w"), p.get(f"{{{W}}}h"), p.get(f"{{{W}}}orient"))
             for p in part_xml(out).iter(f"{{{W}}}pgSz")]
    assert sizes == [(size[0], size[1], None), (size[1], size[0], "landscape")]


# --- docxtpl objects the renderer cannot carry -----------------------------------------------

def test_subdoc_is_refused_naming_template_variable_and_type(tpl_dir, tmp_path):
    from docxtpl import DocxTemplate

    path = tpl_dir / "subdoc_tpl.docx"
    tpl = DocxTemplate(str(path))
    sd = tpl.new_subdoc()
    sd.add_paragraph("sub")
    with pytest.raises(SikroError) as err:
        render.render_template(path, {"mysubdoc": sd})
    msg = str(err.value)
    assert str(path) in msg and "mysubdoc" in msg and "Subdoc" in msg and "\n" not in msg
    assert err.value.code == "unsupported-context-value"
    assert (err.value.variable, err.value.type_name) == ("mysubdoc", "Subdoc")


def test_richtext_link_is_refused(tpl_dir):
    from docxtpl import DocxTemplate, RichText

    path = tpl_dir / "richtext_tpl.docx"
    tpl = DocxTemplate(str(path))
    rt = RichText("google", url_id=tpl.build_url_id("http://google.com"))
    with pytest.raises(SikroError) as err:
        render.render_template(path, {"example": [rt]})
    msg = str(err.value)
    assert str(path) in msg and "example[0]" in msg and "RichText" in msg and "link" in msg


def test_listing_keeps_its_lines(tpl_dir, tmp_path):
    from docxtpl import Listing

    out = fast(tpl_dir / "multi_rendering_tpl.docx", {"title": Listing("a & b\nc"), "body": "x"},
               tmp_path / "out.docx")
    text = paragraphs(out)
    assert "a & bc" in text  # the line break is a <w:br/> inside the paragraph, as in docxtpl
    assert b"<w:br/>" in zipfile.ZipFile(out).read("word/document.xml")


def test_a_missing_inline_image_file_names_the_variable(tpl_dir):
    from docxtpl import InlineImage

    path = tpl_dir / "multi_rendering_tpl.docx"
    with pytest.raises(SikroError) as err:
        render.render_template(path, {"title": "x", "body": InlineImage(None, str(tpl_dir / "none.png"))})
    assert "body" in str(err.value) and "none.png" in str(err.value)


# --- growth: self-referential set, the output cap --------------------------------------------

def _with_body(tpl_dir, tmp_path, text: str) -> Path:
    return variant(tpl_dir / "multi_rendering_tpl.docx", tmp_path / "grow.docx", "word/document.xml",
                   lambda x: x.replace("{{ body }}", text))


@pytest.mark.parametrize("tag", ["{% set x = x ~ x %}", "{% set x = (x ~ 'a') ~ x %}",
                                 "{% set x = [x, x]|join %}", "{% set x = x.replace('a', x) %}"])
def test_a_set_that_grows_its_own_value_is_refused(tpl_dir, tmp_path, tag):
    path = _with_body(tpl_dir, tmp_path, "{% set x = title %}" + tag * 40 + "{{ x }}")
    problems = sandbox_problems(path, None)
    assert any("refers to itself" in p for p in problems), problems
    with pytest.raises(SikroError) as err:
        render.render_template(path, {"title": "ab", "body": ""})
    assert str(path) in str(err.value)


def test_a_set_of_another_name_is_allowed(tpl_dir, tmp_path):
    path = _with_body(tpl_dir, tmp_path, "{% set y = title ~ title %}{{ y }}")
    out = fast(path, {"title": "ab"}, tmp_path / "out.docx")
    assert any("abab" in p for p in paragraphs(out))


@pytest.mark.parametrize("body", ["{% for i in rows %}{{ s ~ s ~ s }}{% endfor %}",
                                  "{% for i in rows %}{% for j in rows %}{{ s }}{% endfor %}{% endfor %}"])
def test_rendered_output_is_capped(tpl_dir, tmp_path, body):
    path = _with_body(tpl_dir, tmp_path, body)
    start = time.monotonic()
    with pytest.raises(SikroError) as err:
        render.render_template(path, {"title": "t", "rows": list(range(2000)), "s": "x" * 10_000})
    msg = str(err.value)
    assert str(path) in msg and f"{fastdocx.MAX_RENDERED_CHARS:,}" in msg and "\n" not in msg
    assert time.monotonic() - start < 10


def test_the_cap_leaves_ordinary_documents_alone(tpl_dir, tmp_path):
    path = _with_body(tpl_dir, tmp_path, "{% for i in rows %}{{ s }}{% endfor %}")
    out = fast(path, {"title": "t", "rows": list(range(100)), "s": "y" * 10_000}, tmp_path / "out.docx")
    assert docx_problems(out) == []


@pytest.mark.parametrize("step", ["{% set x{n} = x{p} ~ x{p} %}", "{% set x{n} = [x{p}, x{p}]|join %}",
                                  "{% set x{n} = x{p}.replace('a', 'aa') %}", "{% set x{n} = ''.join([x{p}, x{p}]) %}"])
def test_doubling_through_new_names_is_stopped_while_rendering(tpl_dir, tmp_path, step):
    """No tag refers to itself, yet each doubles the text: the sandbox stops it at MAX_TEXT,
    before the text is made, whatever the memory."""
    from sikro_docs.documents.sandbox import MAX_TEXT

    chain = "{% set x0 = title %}" + "".join(step.replace("{n}", str(i)).replace("{p}", str(i - 1)) for i in range(1, 60)) + "{{ x59 }}"
    path = _with_body(tpl_dir, tmp_path, chain)
    assert sandbox_problems(path, None) == []
    with pytest.raises(SikroError) as err:
        render.render_template(path, {"title": "ab"})
    assert str(path) in str(err.value) and f"{MAX_TEXT:,}" in str(err.value)


@needs_soffice
def test_pdf_shows_the_title_once_escaped_and_the_landscape_page(tpl_dir, tmp_path):
    """What a person sees: LibreOffice's PDF of the outputs (one soffice call)."""
    from pypdf import PdfReader
    from test_documents_render import to_pdf

    props = fast(tpl_dir / "doc_properties_tpl.docx", {"test": NAME}, tmp_path / "props.docx")
    src = variant(tpl_dir / "multi_rendering_tpl.docx", tmp_path / "t.docx", "word/document.xml", _landscape)
    turned = fast(src, {"title": NAME, "body": "isi"}, tmp_path / "turned.docx")
    pdfs = to_pdf([props, turned], tmp_path / "pdf", tmp_path / "lo-profile")
    assert PdfReader(str(pdfs["props"])).metadata.title == NAME
    pages = PdfReader(str(pdfs["turned"])).pages
    sizes = [(round(float(p.mediabox.width) * 25.4 / 72), round(float(p.mediabox.height) * 25.4 / 72))
             for p in pages]
    assert sizes == [(210, 297), (297, 210)]


@pytest.mark.parametrize("name,context", [
    ("multi_rendering_tpl.docx", {"title": NAME, "body": "isi\nbaris dua"}),
    ("doc_properties_tpl.docx", {"test": NAME}),
    ("header_footer_image_tpl.docx", {"mycompany": NAME}),
])
def test_plain_values_say_what_docxtpl_says_in_every_part(tpl_dir, tmp_path, name, context):
    path = tpl_dir / name
    out = fast(path, context, tmp_path / "out.docx")
    theirs = docxtpl_render(path, lambda tpl: context)
    with zipfile.ZipFile(out) as zf:
        parts = [n for n in zf.namelist() if re.fullmatch(r"word/(document|header\d+|footer\d+)\.xml", n)]
    for part in parts:
        assert paragraphs(out, part) == paragraphs(theirs, part), part
