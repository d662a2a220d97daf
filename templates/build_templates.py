"""Build the built-in DOCX templates of sikro-docs (reproducibly) with python-docx.

    .venv/bin/python templates/build_templates.py [OUT_DIR]

writes templates/docx/<kind>.docx for each document kind and
templates/docx/lambang-placeholder.png (a neutral placeholder emblem). The
.docx files are committed as source: an office may open one in Word or
LibreOffice, change the wording, and save it as <workspace>/templates/<kind>.docx.

Template rules kept here (docxtpl):
* every Jinja tag sits in one Word run (each tag is written by one add_run);
* `{%tr ... %}` loops over table rows, `{%p ... %}` over paragraphs;
* the words of the office (name, address, officials) come from the profile
  through the context: kantor.*, pejabat.*, paraf, ... never typed in here.

Page size (A4/F4), the "DRAF" watermark and the images (emblem, QR) are
applied at render time (sikro_docs.documents.render).
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent
OUT = HERE / "docx"
FONT = "Times New Roman"  # LibreOffice uses the metric-compatible Liberation Serif
FIXED_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)
CONTENT_WIDTH = Cm(16.5)  # A4 210 mm - 25 mm left - 20 mm right
CENTER, LEFT, RIGHT, JUSTIFY = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT,
                                WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY)
QR_BOX = Mm(31)  # the reserved QR area: the 27 mm QR (25-30 mm) with room to stay inside the box


# --- low-level helpers --------------------------------------------------------------------------

def new_document(page_numbers: bool) -> Document:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = 1.0
    # the language of the text: Indonesian (spelling, hyphenation)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "id-ID")
    normal.element.get_or_add_rPr().append(lang)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Cm(1.2), Cm(1.5)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.header_distance, section.footer_distance = Cm(0.8), Cm(0.8)
    # Page numbers as tata naskah dinas puts them: none on the first page (the one with the
    # kop), "- 2 -" centred at the top of every later page. A one-page document shows none.
    # The headers are also where the renderer puts the "DRAF" watermark (each of them).
    section.different_first_page_header_footer = True
    for part in (section.first_page_header, section.first_page_footer, section.header, section.footer):
        part.is_linked_to_previous = False
        small = part.paragraphs[0].paragraph_format
        small.space_before = small.space_after = Pt(0)
    if page_numbers:
        hp = section.header.paragraphs[0]
        hp.alignment = CENTER
        _run(hp, "- ", size=11)
        _field(hp, "PAGE", "2", size=11)
        _run(hp, " -", size=11)
        for run in hp.runs:  # the field result too: LibreOffice sizes it from its run
            run.font.size = Pt(11)
    core = doc.core_properties
    core.author = "sikro-docs"
    core.last_modified_by = "sikro-docs"
    core.created = core.modified = FIXED_TIME.replace(tzinfo=None)
    core.revision = 1
    core.title = ""
    # drop the paragraph Document() starts with
    body = doc.element.body
    for child in list(body):
        if child.tag == qn("w:p"):
            body.remove(child)
    return doc


def _run(paragraph, text, *, bold=False, underline=False, italic=False, size=None, color=None,
         caps=False):
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.underline = underline or None
    run.italic = italic or None
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    if caps:
        run.font.all_caps = True
    return run


def _field(paragraph, instr: str, placeholder: str, size=None):
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    begin = paragraph.add_run()
    begin._r.append(fld("begin"))
    code = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instr} "
    code._r.append(text)
    paragraph.add_run()._r.append(fld("separate"))
    shown = paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(fld("end"))
    for run in (begin, code, shown):
        if size:
            run.font.size = Pt(size)


def para(container, text="", *, align=None, bold=False, underline=False, size=None, before=0,
         after=0, indent=None, first=None, keep=False, line=None, italic=False):
    p = container.add_paragraph()
    if text:
        _run(p, text, bold=bold, underline=underline, size=size, italic=italic)
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent is not None:
        fmt.left_indent = indent
    if first is not None:
        fmt.first_line_indent = first
    if keep:
        fmt.keep_with_next = True
    if line:
        fmt.line_spacing = line
    if size:  # the paragraph mark too: an empty paragraph is as high as its mark's font
        _mark_size(p, size)
    return p


def _mark_size(paragraph, size):
    p_pr = paragraph._p.get_or_add_pPr()
    for old in p_pr.findall(qn("w:rPr")):
        p_pr.remove(old)
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(round(size * 2))))
    rpr.append(sz)
    p_pr.append(rpr)


def runs(p, *parts):
    """Add runs to p: each part is text, or (text, dict of run options)."""
    for part in parts:
        if isinstance(part, tuple):
            _run(p, part[0], **part[1])
        else:
            _run(p, part)
    return p


TBL_PR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
                "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
                "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")


def _sort_tbl_pr(table):
    """The table properties in schema order, each once (LibreOffice reads w:tblCellMar
    only where the schema puts it: out of order, a cell gets the default 1.9 mm margins)."""
    tbl_pr = table._tbl.tblPr
    seen = {}
    for child in list(tbl_pr):
        local = child.tag.rsplit("}", 1)[-1]
        tbl_pr.remove(child)
        seen[local] = child  # the last one set wins
    for name in TBL_PR_ORDER:
        if name in seen:
            tbl_pr.append(seen.pop(name))
    for child in seen.values():
        tbl_pr.append(child)


def _set_borders(table, *, inner=True, outer=True, size=4, color="000000", style="single"):
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        show = inner if edge.startswith("inside") else outer
        el.set(qn("w:val"), style if show else "nil")
        if show:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), color)
        borders.append(el)
    tbl_pr.append(borders)
    _sort_tbl_pr(table)


def _cell_margins(table, top=0, left=60, bottom=0, right=60):
    tbl_pr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for edge, value in (("top", top), ("left", left), ("bottom", bottom), ("right", right)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(value))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tbl_pr.append(mar)


def table(container, widths, rows=1, *, borders=False, margins=(0, 60, 0, 60), align=None):
    """A fixed-layout table with column widths (Cm/Mm values).

    In a cell: the cell's still empty first paragraph goes (no blank line above the table),
    and the paragraph python-docx adds after it (a cell must end with one) is made 1 pt high."""
    nested = isinstance(container, _Cell)
    if nested:
        first = container._tc.findall(qn("w:p"))
        lonely = (len(container._tc.findall(qn("w:tbl"))) == 0 and len(first) == 1
                  and not first[0].findall(qn("w:r")))
    t = container.add_table(rows=rows, cols=len(widths))
    if nested:
        if lonely:
            container._tc.remove(first[0])
        after = t._tbl.getnext()
        if after is not None and after.tag == qn("w:p") and not after.findall(qn("w:r")):
            tail = Paragraph(after, container)
            tail.paragraph_format.space_before = tail.paragraph_format.space_after = Pt(0)
            _mark_size(tail, 1)
    t.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    t._tbl.tblPr.append(layout)
    width = OxmlElement("w:tblW")
    for old in t._tbl.tblPr.findall(qn("w:tblW")):
        t._tbl.tblPr.remove(old)
    width.set(qn("w:w"), str(int(sum(w for w in widths) / 635)))
    width.set(qn("w:type"), "dxa")
    t._tbl.tblPr.append(width)
    if align is not None:
        t.alignment = align
    grid = t._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(w / 635)))
    for row in t.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = w
    if borders:
        _set_borders(t)
    else:
        _set_borders(t, inner=False, outer=False)
    _cell_margins(t, *margins)
    _sort_tbl_pr(t)
    return t


def add_row(t, widths):
    row = t.add_row()
    for cell, w in zip(row.cells, widths):
        cell.width = w
    return row


def cell_para(cell, text="", **kwargs):
    """The cell's first empty paragraph, else a new one."""
    if len(cell.paragraphs) == 1 and not cell.paragraphs[0].text and not cell.paragraphs[0].runs:
        p = cell.paragraphs[0]
        if text:
            _run(p, text, bold=kwargs.get("bold", False), underline=kwargs.get("underline", False),
                 size=kwargs.get("size"), italic=kwargs.get("italic", False))
        fmt = p.paragraph_format
        if kwargs.get("align") is not None:
            p.alignment = kwargs["align"]
        fmt.space_before, fmt.space_after = Pt(kwargs.get("before", 0)), Pt(kwargs.get("after", 0))
        if kwargs.get("indent") is not None:
            fmt.left_indent = kwargs["indent"]
        if kwargs.get("first") is not None:
            fmt.first_line_indent = kwargs["first"]
        return p
    return para(cell, text, **kwargs)


def _tc_margins(cell, value):
    """The cell's own margins (w:tcMar, before w:vAlign as the schema has it)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    mar = OxmlElement("w:tcMar")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(value))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    later = [c for c in tc_pr if c.tag in (qn("w:textDirection"), qn("w:tcFitText"), qn("w:vAlign"),
                                           qn("w:hideMark"))]
    if later:
        later[0].addprevious(mar)
    else:
        tc_pr.append(mar)


def shade(cell, fill="E7E6E6"):
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def row_height(row, height, exact=False):
    row.height = height
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY if exact else WD_ROW_HEIGHT_RULE.AT_LEAST


TR_PR_ORDER = ("cnfStyle", "divId", "gridBefore", "gridAfter", "wBefore", "wAfter", "cantSplit",
               "trHeight", "tblHeader", "tblCellSpacing", "jc", "hidden")


def _tr_flag(row, name):
    """Add w:<name> to the row's properties in schema order (once)."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn(f"w:{name}")) is not None:
        return
    el = OxmlElement(f"w:{name}")
    rank = TR_PR_ORDER.index(name)
    for child in tr_pr:
        local = child.tag.rsplit("}", 1)[-1]
        if local in TR_PR_ORDER and TR_PR_ORDER.index(local) > rank:
            child.addprevious(el)
            return
    tr_pr.append(el)


def no_split(row):
    """The row is never split over two pages."""
    _tr_flag(row, "cantSplit")


def bottom_rule(paragraph, style="thickThinSmallGap", size=24):
    p_pr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), style)
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    bdr.append(bottom)
    p_pr.append(bdr)


# --- the building blocks of an official letter --------------------------------------------------

def kop(doc):
    """Kop surat: emblem left, regency and office name in bold capitals, address, thick+thin rule."""
    widths = [Cm(2.6), Cm(13.9)]
    t = table(doc, widths, margins=(0, 30, 0, 30))
    emblem, text = t.rows[0].cells
    emblem.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    text.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell_para(emblem, "{{ lambang }}", align=CENTER)
    cell_para(text, "{{ kantor.pemerintah }}", align=CENTER, bold=True, size=14)
    para(text, "{%p for baris in kantor.nama_baris %}")
    para(text, "{{ baris }}", align=CENTER, bold=True, size=12)
    para(text, "{%p endfor %}")
    para(text, "{%p for baris in kantor.alamat_baris %}")
    para(text, "{{ baris }}", align=CENTER, size=10)
    para(text, "{%p endfor %}")
    rule = para(doc, "", after=0, size=2)
    rule.paragraph_format.line_spacing = Pt(3)
    bottom_rule(rule)
    para(doc, "", size=6)


def title_block(doc, title_tag="{{ judul }}", number_label="Nomor", number_tag="{{ nomor }}"):
    para(doc, title_tag, align=CENTER, bold=True, underline=True, size=13, before=6, keep=True)
    p = para(doc, "", align=CENTER, after=8, keep=True)
    runs(p, f"{number_label} : ", number_tag)


def letter_head(doc):
    """Nomor (with place and date at the right), Sifat, Lampiran, Hal; then the Yth. addressee."""
    widths = [Cm(2.3), Cm(0.4), Cm(7.3), Cm(6.5)]
    t = table(doc, widths, rows=4)
    labels = ("Nomor", "Sifat", "Lampiran", "Hal")
    tags = ("{{ nomor }}", "{{ sifat }}", "{{ lampiran }}", "{{ hal }}")
    for row, label, tag in zip(t.rows, labels, tags):
        no_split(row)
        cell_para(row.cells[0], label)
        cell_para(row.cells[1], ":")
        if label != "Nomor":
            row.cells[2].merge(row.cells[3])
            row.cells[2].width = Cm(13.8)
        cell_para(row.cells[2], tag, align=LEFT)
    cell_para(t.rows[0].cells[3], "{{ tempat_tanggal }}", align=RIGHT)
    para(doc, "", after=6)
    p = para(doc, "", keep=True, indent=Cm(0.9), first=Cm(-0.9))
    runs(p, "Yth.\t", "{{ kepada }}")
    p.paragraph_format.tab_stops.add_tab_stop(Cm(0.9))
    para(doc, "di", keep=True, indent=Cm(0.9))
    para(doc, "{{ di }}", indent=Cm(1.8), after=12)


def body(doc, *parts, indent=True, after=6, keep=False):
    p = para(doc, "", align=JUSTIFY, after=after, first=Cm(1.25) if indent else None, line=1.15,
             keep=keep)
    runs(p, *parts)
    return p


RINCIAN = "rincian"  # in data_rows: the permit type's rows ({%tr for r in rincian %} label : nilai)


def _expand_rows(rows):
    out = []
    for row in rows:
        if row == RINCIAN:
            out += [("{%tr for r in rincian %}", None), ("{{ r.label }}", "{{ r.nilai }}"),
                    ("{%tr endfor %}", None)]
        else:
            out.append(row)
    return out


def data_rows(doc, rows, *, indent=Cm(1.25), label_width=Cm(5.0), size=None):
    """Label : value rows (no borders); a row is never split over two pages. A row RINCIAN stands
    for the permit type's own rows (a row loop)."""
    rows = _expand_rows(rows)
    widths = [label_width, Cm(0.4), CONTENT_WIDTH - (indent or 0) - label_width - Cm(0.4)]
    spacer = [indent] if indent else []
    t = table(doc, spacer + widths, rows=len(rows))
    for row, (label, value) in zip(t.rows, rows):
        no_split(row)
        if value is None:  # a {%tr %} row: the tag alone, in the row's first cell
            cell_para(row.cells[0], label, size=size)
            continue
        cells = row.cells[1:] if indent else row.cells
        cell_para(cells[0], label, size=size)
        cell_para(cells[1], ":", size=size)
        p = cell_para(cells[2], "", size=size)
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, tuple):
                _run(p, part[0], size=size, **part[1])
            else:
                _run(p, part, size=size)
    para(doc, "", size=6, after=2)
    return t


# the end of an item of an enumeration: ";" after each, "." after the last (EYD)
ITEM_END = "{% if loop.last %}.{% else %};{% endif %}"


def numbered(container, list_tag: str, item_tag: str, *, indent=Cm(0.7), after=2, end=ITEM_END,
             align=JUSTIFY):
    """A numbered list over `list_tag` ({%p for %} paragraphs with a hanging indent)."""
    para(container, f"{{%p for item in {list_tag} %}}")
    p = para(container, "", align=align, indent=indent, first=-indent, after=after)
    runs(p, "{{ loop.index }}.", "\t", item_tag.replace("ITEM", "item") + end)
    tabs = p.paragraph_format.tab_stops
    tabs.add_tab_stop(indent)
    para(container, "{%p endfor %}")


def _label_list_format(p, label_w, colon_w, num_w, after, keep, align):
    text_at = label_w + colon_w + num_w
    f = p.paragraph_format
    f.left_indent, f.first_line_indent = text_at, -text_at
    f.space_after = Pt(after)
    f.line_spacing = 1.0
    for stop in (label_w, label_w + colon_w, text_at):
        f.tab_stops.add_tab_stop(stop)
    if keep:
        f.keep_with_next = True
    p.alignment = align


def labelled_list(doc, label, *, loop=None, items=(), label_w=Cm(2.5), colon_w=Cm(0.5),
                  num_w=Cm(0.7), bold=False, after=2, keep=False, align=JUSTIFY):
    """"Dasar : 1. ...  2. ..." as paragraphs with tabs and a hanging indent (not a table), so
    that a list can keep with what follows it. `loop`: a context list, else `items` (parts)."""
    style = {"bold": bold}
    if loop:
        para(doc, f"{{%p for item in {loop} %}}")
        p = para(doc, "")
        runs(p, ("{% if loop.first %}" + label + "{% endif %}", style), "\t",
             "{% if loop.first %}:{% endif %}", "\t", "{{ loop.index }}.", "\t", "{{ item }}" + ITEM_END)
        _label_list_format(p, label_w, colon_w, num_w, after, keep, align)
        para(doc, "{%p endfor %}")
        return
    for i, item in enumerate(items, 1):
        p = para(doc, "")
        runs(p, (label if i == 1 else "", style), "\t", ":" if i == 1 else "", "\t", f"{i}.", "\t", *item)
        _label_list_format(p, label_w, colon_w, num_w, after, keep, align)


def header_row(row):
    """A table's heading row: repeated at the top of the next page when the table runs over."""
    no_split(row)
    _tr_flag(row, "tblHeader")


def qr_area(cell):
    """The reserved verification area: a ≥ 25 mm box for the QR, centred, with the number, the
    short code and the verification site under it (7 pt, each on its own line)."""
    inner = table(cell, [QR_BOX], rows=1, margins=(20, 20, 20, 20), align=WD_TABLE_ALIGNMENT.CENTER)
    _set_borders(inner, size=4, color="A6A6A6", style="dashed")
    box = inner.rows[0].cells[0]
    _tc_margins(box, 0)
    row_height(inner.rows[0], QR_BOX, exact=True)
    box.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell_para(box, "{{ verifikasi.qr }}", align=CENTER)
    para(cell, "{{ nomor }}", size=7, before=2, align=CENTER)
    p = para(cell, "", size=7, align=CENTER)
    runs(p, ("Kode verifikasi: ", {"size": 7}), ("{{ verifikasi.kode }}", {"size": 7, "bold": True}))
    para(cell, "{{ verifikasi.laman }}", size=7, align=CENTER)


def signature(cell, *, place_date: str | None = "{{ tempat_tanggal }}", prefix_lines=(),
              title="{{ pejabat.jabatan }},", name="{{ pejabat.nama }}", nip="{{ pejabat.nip }}",
              rank=True, first_line=None):
    """Signature block: (place, date,) title and comma, space, name underlined bold, rank, NIP.

    `first_line` stands where the place and date stand (a block beside a dated one lines up)."""
    first = True
    for line in prefix_lines:
        p = cell_para(cell, "") if first else para(cell, "")
        runs(p, *line)
        first = False
    if first_line is not None:
        cell_para(cell, first_line, align=CENTER)
        first = False
    elif place_date:
        (cell_para(cell, place_date, align=CENTER) if first else para(cell, place_date, align=CENTER))
        first = False
    (cell_para(cell, title, align=CENTER, bold=True) if first else
     para(cell, title, align=CENTER, bold=True, before=4))
    para(cell, "", after=0)
    para(cell, "", after=0)
    para(cell, "", after=10)
    para(cell, name, align=CENTER, bold=True, underline=True)
    if rank:
        para(cell, "{{ pejabat.pangkat }}", align=CENTER)
    if nip:
        p = para(cell, "", align=CENTER)
        runs(p, "NIP. ", nip)


def paraf_table(container, width=Cm(8.0), narrow=False):
    """Paraf koordinasi: the officials who initial before the signer ({%tr %} rows)."""
    widths = [Cm(0.6), width - Cm(2.1), Cm(1.5)] if narrow else [Cm(0.8), width - Cm(3.0), Cm(2.2)]
    t = table(container, widths, rows=4, borders=True, margins=(20, 60, 20, 60))
    head = t.rows[0].cells
    header_row(t.rows[0])
    for cell, text in zip(head, ("No", "Paraf Koordinasi", "Paraf")):
        cell_para(cell, text, align=CENTER, bold=True, size=8)
        shade(cell)
    r_open, r_item, r_close = t.rows[1], t.rows[2], t.rows[3]
    cell_para(r_open.cells[0], "{%tr for p in paraf %}", size=8)
    cell_para(r_item.cells[0], "{{ p.no }}", align=CENTER, size=8)
    cell_para(r_item.cells[1], "{{ p.jabatan }}", size=8)
    cell_para(r_item.cells[2], "", size=8)
    no_split(r_item)
    row_height(r_item, Cm(0.75))
    cell_para(r_close.cells[0], "{%tr endfor %}", size=8)
    return t


QR_COLUMN = Cm(5.0)          # the QR and its caption (the number is ~45 mm at 7 pt)
SIGN_COLUMN = Cm(8.5)        # the signature block: the right half of the page


def closing_table(doc, left_width=QR_COLUMN, right_width=SIGN_COLUMN):
    """Left (QR / photo / paraf), a gap, right (signature). Never split over two pages."""
    gap = CONTENT_WIDTH - left_width - right_width
    widths = [left_width, gap, right_width] if gap > Cm(0.1) else [left_width, right_width]
    t = table(doc, widths)
    no_split(t.rows[0])
    cells = t.rows[0].cells
    return cells[0], cells[-1]


def keep_block(doc):
    """A borderless one-cell table whose row never splits: what is put in it stays on one page
    (a signature block with the last lines of the text before it; the tembusan)."""
    t = table(doc, [CONTENT_WIDTH], margins=(0, 0, 0, 0))
    no_split(t.rows[0])
    cell = t.rows[0].cells[0]
    for p in cell._tc.findall(qn("w:p")):
        cell._tc.remove(p)
    return cell


def tembusan(doc, lines):
    """Tembusan: its lines kept together on one page."""
    para(doc, "", size=4)
    block = keep_block(doc)
    para(block, "Tembusan:", size=10, before=6)
    for i, line in enumerate(lines, 1):
        p = para(block, "", size=10, indent=Cm(0.6), first=Cm(-0.6))
        p.paragraph_format.tab_stops.add_tab_stop(Cm(0.6))
        runs(p, (f"{i}.\t", {"size": 10}), *[(x, {"size": 10}) for x in line])


def notes(doc, items, *, size=10):
    """Numbered notes in small type with a hanging indent (a tab after the number)."""
    for i, parts in enumerate(items, 1):
        p = para(doc, "", size=size, indent=Cm(0.6), first=Cm(-0.6), align=JUSTIFY)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(0.6))
        runs(p, (f"{i}.\t", {"size": size}), *[(x, {"size": size}) for x in parts])


# --- the kinds -----------------------------------------------------------------------------------

def build_receipt():
    doc = new_document(page_numbers=True)
    kop(doc)
    title_block(doc, number_label="Nomor Registrasi")
    body(doc, "Telah diterima berkas permohonan ", "{{ izin.nama }}", " (", "{{ izin.singkatan }}", ") dari:",
         indent=False)
    data_rows(doc, [
        ("Nama", ("{{ pemohon.nama }}", {"bold": True})),
        ("NIK", "{{ pemohon.nik_tersamar }}"),
        ("Alamat", "{{ pemohon.alamat }}"),
        ("Nomor Telepon/HP", "{{ pemohon.telepon }}"),
        ("Jenis Permohonan", "{{ izin.jenis_permohonan }}"),
        ("{{ tempat.label }}", "{{ tempat.lengkap }}"),
        ("Diterima pada", "{{ waktu_terima }}"),
    ], indent=None, label_width=Cm(4.5))
    para(doc, "dengan kelengkapan berkas sebagai berikut:", after=4, keep=True)
    checklist_table(doc)
    para(doc, "Catatan:", size=10, before=8, bold=True, keep=True)
    notes(doc, [
        ["Resi ini adalah bukti penerimaan berkas; simpan dan bawa kembali pada saat pengambilan "
         "Surat Izin atau surat jawaban."],
        ["Berkas diproses sesuai dengan standar pelayanan; status permohonan dapat ditanyakan dengan "
         "menyebutkan Nomor Registrasi di atas atau dengan memindai kode QR pada resi ini."],
    ])
    para(doc, "{%p if catatan %}")
    notes_p = para(doc, "", size=10, indent=Cm(0.6), first=Cm(-0.6), align=JUSTIFY)
    notes_p.paragraph_format.tab_stops.add_tab_stop(Cm(0.6))
    runs(notes_p, ("3.\t", {"size": 10}), ("{{ catatan }}", {"size": 10}))
    para(doc, "{%p endif %}")
    para(doc, "", after=8)
    left, right = closing_table(keep_block(doc))
    qr_area(left)
    signature(right, rank=False)
    return doc


def checklist_table(doc):
    widths = [Cm(1.2), Cm(11.0), Cm(4.3)]
    t = table(doc, widths, rows=4, borders=True, margins=(30, 80, 30, 80))
    header_row(t.rows[0])
    for cell, text in zip(t.rows[0].cells, ("No", "Persyaratan / Jenis Berkas", "Keterangan")):
        cell_para(cell, text, align=CENTER, bold=True)
        shade(cell)
    cell_para(t.rows[1].cells[0], "{%tr for b in berkas %}")
    no_split(t.rows[2])
    cell_para(t.rows[2].cells[0], "{{ b.no }}", align=CENTER)
    cell_para(t.rows[2].cells[1], "{{ b.nama }}")
    cell_para(t.rows[2].cells[2], "{{ b.tanda }}", align=CENTER)
    cell_para(t.rows[3].cells[0], "{%tr endfor %}")
    return t


def build_checklist_return():
    doc = new_document(page_numbers=True)
    kop(doc)
    title_block(doc, number_label="Nomor Registrasi")
    body(doc, "Berkas permohonan ", "{{ izin.nama }}", " (", "{{ izin.singkatan }}", ") atas nama:",
         indent=False)
    data_rows(doc, [
        ("Nama", ("{{ pemohon.nama }}", {"bold": True})),
        ("Alamat", "{{ pemohon.alamat }}"),
        ("Jenis Permohonan", "{{ izin.jenis_permohonan }}"),
        ("{{ tempat.label }}", "{{ tempat.lengkap }}"),
        ("Tanggal Permohonan", "{{ pemohon.tanggal_permohonan }}"),
    ], indent=None, label_width=Cm(4.5))
    body(doc, "telah diperiksa kelengkapannya pada tanggal ", "{{ tanggal }}",
         " dengan hasil sebagai berikut:", indent=False, after=4, keep=True)
    checklist_table(doc)
    para(doc, "", after=4)
    body(doc, "Berkas belum lengkap dan ", ("dikembalikan kepada pemohon untuk dilengkapi", {"bold": True}),
         ". Kekurangan yang harus dilengkapi:", indent=False, after=2, keep=True)
    numbered(doc, "kekurangan", "{{ ITEM }}")
    para(doc, "{%p if catatan %}")
    p = para(doc, "", before=4, align=JUSTIFY)
    runs(p, "Catatan: ", "{{ catatan }}")
    para(doc, "{%p endif %}")
    block = keep_block(doc)
    p = para(block, "", align=JUSTIFY, before=6, after=8, line=1.15)
    runs(p, "Setelah dilengkapi, berkas dapat diajukan kembali di loket pelayanan ",
         "{{ kantor.nama_singkat }}", ". Berkas yang belum lengkap belum dapat diberi resi penerimaan.")
    half = CONTENT_WIDTH / 2
    left, right = closing_table(block, left_width=half, right_width=half)
    # the applicant signs that the file came back, level with the clerk's block
    signature(left, first_line="Yang menerima kembali berkas,", title="Pemohon",
              name="{{ pemohon.nama }}", nip=None, rank=False)
    signature(right, rank=False)
    return doc


def build_disposition():
    doc = new_document(page_numbers=True)
    kop(doc)
    para(doc, "{{ judul }}", align=CENTER, bold=True, size=14, after=8)
    widths = [Cm(3.2), Cm(5.05), Cm(3.2), Cm(5.05)]
    t = table(doc, widths, rows=9, borders=True, margins=(60, 100, 60, 100))
    rows = t.rows
    for row in rows:
        no_split(row)

    def merged(row, start=1):
        cell = row.cells[start].merge(row.cells[3])
        return cell

    cell_para(rows[0].cells[0], "Surat dari")
    cell_para(merged(rows[0]), "{{ disposisi.surat_dari }}", bold=True)
    cell_para(rows[1].cells[0], "No. Surat")
    cell_para(rows[1].cells[1], "{{ disposisi.nomor_surat }}")
    cell_para(rows[1].cells[2], "Diterima Tgl.")
    cell_para(rows[1].cells[3], "{{ disposisi.diterima_tanggal }}")
    cell_para(rows[2].cells[0], "Tgl. Surat")
    cell_para(rows[2].cells[1], "{{ disposisi.tanggal_surat }}")
    cell_para(rows[2].cells[2], "No. Agenda")
    cell_para(rows[2].cells[3], "{{ disposisi.nomor_agenda }}", bold=True)
    cell_para(rows[3].cells[0], "Sifat")
    cell_para(merged(rows[3]), "{% for s in disposisi.sifat %}{{ s.tanda }} {{ s.label }}"
              "{% if not loop.last %}        {% endif %}{% endfor %}")
    cell_para(rows[4].cells[0], "Perihal")
    cell_para(merged(rows[4]), "{{ disposisi.perihal }}")
    left = rows[5].cells[0].merge(rows[5].cells[1])
    right = rows[5].cells[2].merge(rows[5].cells[3])
    cell_para(left, "Diteruskan kepada Sdr.:", bold=True)
    cell_para(right, "Dengan hormat harap:", bold=True)
    for c in (left, right):
        shade(c)
    left = rows[6].cells[0].merge(rows[6].cells[1])
    right = rows[6].cells[2].merge(rows[6].cells[3])
    row_height(rows[6], Cm(4.5))
    for cell, name in ((left, "disposisi.diteruskan"), (right, "disposisi.instruksi")):
        cell_para(cell, f"{{%p for d in {name} %}}")
        para(cell, "{{ d.tanda }} {{ d.label }}", after=3)
        para(cell, "{%p endfor %}")
    catatan = rows[7].cells[0].merge(rows[7].cells[3])
    row_height(rows[7], Cm(4.0))
    cell_para(catatan, "Catatan:", bold=True)
    para(catatan, "{{ disposisi.catatan }}")
    row_height(rows[8], Cm(2.0))
    cell_para(rows[8].cells[0], "Paraf", bold=True)
    cell_para(rows[8].cells[2], "Tanggal", bold=True)
    para(doc, "", after=6)
    p = para(doc, "", size=9, italic=True)
    runs(p, ("Sesudah digunakan harap segera dikembalikan kepada Sub Bagian Umum. ", {"size": 9, "italic": True}),
         ("Lembar ini tidak dikirim ke luar kantor.", {"size": 9, "italic": True}))
    return doc


def build_recommendation_request():
    doc = new_document(page_numbers=True)
    kop(doc)
    letter_head(doc)
    body(doc, "Sehubungan dengan permohonan ", "{{ izin.nama }}", " (", "{{ izin.singkatan }}", ") yang "
         "diterima oleh ", "{{ kantor.nama_singkat }}", " pada tanggal ", "{{ pemohon.tanggal_permohonan }}",
         " dengan Nomor Registrasi ", "{{ pemohon.nomor_registrasi }}", ", atas nama:")
    data_rows(doc, [
        ("Nama", ("{{ pemohon.nama }}", {"bold": True})),
        ("Tempat/Tanggal Lahir", "{{ pemohon.tempat_tanggal_lahir }}"),
        ("Alamat", "{{ pemohon.alamat }}"),
        ("Jenis Permohonan", "{{ izin.jenis_permohonan }}"),
        RINCIAN,
    ])
    body(doc, "bersama ini kami mohon kesediaan Saudara untuk menugaskan Tim Teknis melakukan "
         "verifikasi dan peninjauan lapangan ke tempat praktik yang bersangkutan serta memberikan "
         "rekomendasi teknis sebagai dasar penerbitan izin dimaksud. Salinan berkas permohonan "
         "kami lampirkan.", indent=False)
    block = keep_block(doc)
    body(block, "Demikian kami sampaikan. Atas perhatian dan kerja sama Saudara, kami ucapkan terima "
         "kasih.", after=14)
    left, right = closing_table(block)
    qr_area(left)
    signature(right, place_date=None)
    tembusan(doc, [["Sdr. ", "{{ pemohon.nama }}", " (sebagai pemberitahuan);"], ["Arsip."]])
    return doc


def build_task_order():
    doc = new_document(page_numbers=True)
    kop(doc)
    title_block(doc)
    labelled_list(doc, "Dasar", loop="dasar", label_w=Cm(2.5), bold=True, align=LEFT)
    para(doc, "MEMERINTAHKAN:", align=CENTER, bold=True, before=8, after=6, keep=True)
    p = para(doc, "", after=4, keep=True)
    runs(p, ("Kepada", {"bold": True}), "\t:")
    p.paragraph_format.tab_stops.add_tab_stop(Cm(2.5))
    team = [Cm(1.0), Cm(6.2), Cm(3.8), Cm(3.7), Cm(1.8)]
    tt = table(doc, team, rows=4, borders=True, margins=(40, 80, 40, 80))
    header_row(tt.rows[0])
    for cell, text in zip(tt.rows[0].cells, ("No", "Nama / NIP", "Pangkat/Gol.", "Jabatan/Instansi",
                                             "Dalam Tim")):
        cell_para(cell, text, align=CENTER, bold=True, size=10)
        shade(cell)
    cell_para(tt.rows[1].cells[0], "{%tr for m in tim %}")
    no_split(tt.rows[2])
    r = tt.rows[2].cells
    cell_para(r[0], "{{ m.no }}", align=CENTER, size=10)
    cell_para(r[1], "{{ m.nama }}", size=10, bold=True)
    p = para(r[1], "", size=10)
    runs(p, ("NIP. ", {"size": 10}), ("{{ m.nip }}", {"size": 10}))
    cell_para(r[2], "{{ m.pangkat }}", size=10)
    cell_para(r[3], "{{ m.jabatan }}", size=10)
    cell_para(r[4], "{{ m.peran }}", align=CENTER, size=10)
    cell_para(tt.rows[3].cells[0], "{%tr endfor %}")
    para(doc, "", size=6)
    block = keep_block(doc)
    labelled_list(block, "Untuk", label_w=Cm(2.5), bold=True, items=[
        ["Melaksanakan peninjauan lapangan ke tempat praktik pemohon ", "{{ izin.nama }}", " atas nama ", ("{{ pemohon.nama }}", {"bold": True}), " (Nomor Registrasi ",
         "{{ pemohon.nomor_registrasi }}", ") di ", "{{ peninjauan.tempat }}", " pada hari ",
         "{{ peninjauan.hari_tanggal }}", ";"],
        ["Menuangkan hasil peninjauan dalam Berita Acara Peninjauan Lapangan dan menyampaikannya "
         "kepada Kepala Dinas paling lambat 1 (satu) hari kerja setelah peninjauan;"],
        ["Melaksanakan perintah ini dengan penuh tanggung jawab."],
    ])
    para(block, "", after=6)
    left, right = closing_table(block)
    qr_area(left)
    signature(right)
    return doc


def build_inspection_report():
    doc = new_document(page_numbers=True)
    kop(doc)
    title_block(doc)
    body(doc, "Pada hari ini, ", "{{ peninjauan.tanggal_kata }}", ", bertempat di ",
         "{{ peninjauan.tempat }}", ", kami yang bertanda tangan di bawah ini, Tim Teknis yang "
         "ditugaskan dengan Surat Perintah Tugas Nomor ", "{{ peninjauan.nomor_surat_tugas }}",
         " tanggal ", "{{ peninjauan.tanggal_surat_tugas }}", ", telah melakukan peninjauan lapangan "
         "ke tempat praktik pemohon ", "{{ izin.nama }}", ":")
    data_rows(doc, [
        ("Nama Pemohon", ("{{ pemohon.nama }}", {"bold": True})),
        ("Nomor Registrasi", "{{ pemohon.nomor_registrasi }}"),
        RINCIAN,
    ])
    body(doc, "dengan hasil peninjauan sebagai berikut:", indent=False, after=4, keep=True)
    widths = [Cm(1.0), Cm(9.0), Cm(2.5), Cm(4.0)]
    t = table(doc, widths, rows=4, borders=True, margins=(30, 80, 30, 80))
    header_row(t.rows[0])
    for cell, text in zip(t.rows[0].cells, ("No", "Aspek yang Ditinjau", "Hasil", "Keterangan")):
        cell_para(cell, text, align=CENTER, bold=True)
        shade(cell)
    cell_para(t.rows[1].cells[0], "{%tr for t in temuan %}")
    r = t.rows[2]
    no_split(r)
    row_height(r, Cm(0.7))
    cell_para(r.cells[0], "{{ t.no }}", align=CENTER)
    cell_para(r.cells[1], "{{ t.aspek }}")
    cell_para(r.cells[2], "{{ t.hasil }}", align=CENTER)
    cell_para(r.cells[3], "{{ t.keterangan }}")
    cell_para(t.rows[3].cells[0], "{%tr endfor %}")
    para(doc, "", size=6)
    block = keep_block(doc)
    p = para(block, "", before=2, after=6, align=JUSTIFY)
    runs(p, ("Kesimpulan: ", {"bold": True}), "{{ kesimpulan }}")
    body(block, "Demikian Berita Acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana "
         "mestinya.", after=8)
    # the team's own minutes (no QR: not an outgoing letter of the office); the members sign
    p = para(block, "", after=4)
    runs(p, ("Tim Teknis,", {"bold": True}))
    widths = [Cm(0.8), Cm(7.4), Cm(2.3), Cm(1.0), Cm(5.0)]
    st = table(block, widths[:3] + [widths[3] + widths[4]], rows=4, borders=True, margins=(40, 80, 40, 80))
    header_row(st.rows[0])
    for cell, text in zip(st.rows[0].cells, ("No", "Nama / NIP", "Dalam Tim", "Tanda Tangan")):
        cell_para(cell, text, align=CENTER, bold=True, size=10)
        shade(cell)
    cell_para(st.rows[1].cells[0], "{%tr for m in tim %}")
    r = st.rows[2]
    row_height(r, Cm(1.3))
    no_split(r)
    r.cells[0].vertical_alignment = r.cells[2].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell_para(r.cells[0], "{{ m.no }}", align=CENTER, size=10)
    cell_para(r.cells[1], "{{ m.nama }}", bold=True, size=10)
    p = para(r.cells[1], "", size=10)
    runs(p, ("NIP. ", {"size": 10}), ("{{ m.nip }}", {"size": 10}))
    cell_para(r.cells[2], "{{ m.peran }}", align=CENTER, size=10)
    cell_para(r.cells[3], "{{ m.no }}.", size=9)
    cell_para(st.rows[3].cells[0], "{%tr endfor %}")
    return doc


def build_rejection():
    doc = new_document(page_numbers=True)
    kop(doc)
    letter_head(doc)
    body(doc, "Sehubungan dengan permohonan ", "{{ izin.nama }}", " (", "{{ izin.singkatan }}", ") Saudara "
         "tanggal ", "{{ pemohon.tanggal_permohonan }}", " dengan Nomor Registrasi ",
         "{{ pemohon.nomor_registrasi }}", ", dan berdasarkan hasil verifikasi berkas, peninjauan "
         "lapangan, serta rekomendasi Tim Teknis, dengan ini kami sampaikan bahwa permohonan Saudara ",
         ("tidak dapat dikabulkan", {"bold": True}), " dengan alasan:", keep=True)
    p = para(doc, "", indent=Cm(1.25), after=6, align=JUSTIFY, line=1.15)
    runs(p, ("{{ alasan }}", {"bold": True}))
    body(doc, "Saudara dapat mengajukan permohonan kembali setelah persyaratan dipenuhi sesuai dengan "
         "ketentuan peraturan perundang-undangan.")
    block = keep_block(doc)
    body(block, "Demikian kami sampaikan untuk dapat dimaklumi.", after=14)
    left, right = closing_table(block)
    qr_area(left)
    signature(right, place_date=None)
    para(block, "", after=6)
    paraf_table(block)
    tembusan(doc, [["Kepala Dinas Kesehatan;"], ["Arsip."]])
    return doc


def permit_title(doc, title_tag="{{ izin.judul }}"):
    """The permit's title, the application kind under it when it is not a new one, its number."""
    para(doc, title_tag, align=CENTER, bold=True, underline=True, size=13, before=6, keep=True)
    para(doc, "{%p if izin.keterangan %}")
    para(doc, "{{ izin.keterangan }}", align=CENTER, bold=True, size=11, keep=True)
    para(doc, "{%p endif %}")
    p = para(doc, "", align=CENTER, after=8, keep=True)
    runs(p, "NOMOR : ", "{{ nomor }}")


def build_permit():
    doc = new_document(page_numbers=True)
    kop(doc)
    permit_title(doc)
    labelled_list(doc, "Dasar", loop="dasar_hukum", label_w=Cm(2.0), align=LEFT)
    para(doc, "", size=6)
    body(doc, "Berdasarkan Surat Rekomendasi Nomor ", "{{ rekomendasi.nomor }}", " tanggal ",
         "{{ rekomendasi.tanggal }}", ", ", "{{ pejabat.jabatan }}", " memberikan ", "{{ izin.nama }}",
         " kepada:", indent=False, after=4)
    data_rows(doc, [
        ("Nama", ("{{ pemohon.nama }}", {"bold": True})),
        ("Tempat/Tanggal Lahir", "{{ pemohon.tempat_tanggal_lahir }}"),
        ("Jenis Kelamin", "{{ pemohon.jenis_kelamin }}"),
        ("Alamat Rumah", "{{ pemohon.alamat }}"),
        ("Profesi", "{{ izin.profesi }}"),
        RINCIAN,
    ], indent=None, label_width=Cm(5.8))
    body(doc, "untuk ", "{{ izin.untuk }}", " pada tempat sebagaimana tersebut di atas.", indent=False)
    para(doc, "{%p if izin.menggantikan %}")
    body(doc, "{{ izin.menggantikan }}", indent=False)
    para(doc, "{%p endif %}")
    block = keep_block(doc)
    body(block, "Surat Izin ini berlaku sampai dengan ", ("{{ izin.berlaku_sampai }}", {"bold": True}),
         " sepanjang surat tanda registrasi yang bersangkutan masih berlaku dan tempat praktik "
         "masih sesuai dengan yang tercantum di atas.", indent=False, after=10)
    # left: the QR area with the paraf boxes under it; then the pas foto 3x4; right: the
    # signature block (one row: never split; the permit is one page)
    widths = [QR_COLUMN, Cm(3.4), CONTENT_WIDTH - QR_COLUMN - Cm(3.4)]
    t = table(block, widths)
    no_split(t.rows[0])
    left, photo_cell, right = t.rows[0].cells
    qr_area(left)
    para(left, "", size=6)
    paraf_table(left, width=QR_COLUMN - Cm(0.1), narrow=True)
    photo = table(photo_cell, [Mm(30)], rows=1, align=WD_TABLE_ALIGNMENT.CENTER)
    _set_borders(photo, size=6)
    row_height(photo.rows[0], Mm(40), exact=True)
    pc = photo.rows[0].cells[0]
    pc.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell_para(pc, "Pas Foto", align=CENTER, size=9)
    para(pc, "3 x 4", align=CENTER, size=9)
    para(photo_cell, "", size=2)
    _decided_signature(right)
    return doc


def _decided_signature(right):
    """"Ditetapkan di / Pada tanggal" over the signature block (a permit, a decree)."""
    signature(right, place_date=None, prefix_lines=[
        ["Ditetapkan di\t: ", "{{ kota }}"],
        ["Pada tanggal\t: ", "{{ tanggal }}"],
    ])
    for p in right.paragraphs[:2]:
        p.paragraph_format.tab_stops.add_tab_stop(Cm(3.4))
        p.paragraph_format.left_indent = Cm(0.6)
    bottom_rule(right.paragraphs[1], style="single", size=6)


def diktum(doc, label, *parts, label_w=Cm(2.6), after=4):
    """One article of a decree: "KESATU  :  text" with the text hanging after the colon."""
    p = para(doc, "", after=after, align=JUSTIFY)
    runs(p, (label, {"bold": True}), "\t:\t", *parts)
    f = p.paragraph_format
    text_at = label_w + Cm(0.5)
    f.left_indent, f.first_line_indent = text_at, -text_at
    f.tab_stops.add_tab_stop(label_w)
    f.tab_stops.add_tab_stop(text_at)
    return p


def build_revocation_decree():
    doc = new_document(page_numbers=True)
    kop(doc)
    title_block(doc, number_label="NOMOR")
    para(doc, "TENTANG", align=CENTER, bold=True, after=2, keep=True)
    p = para(doc, "", align=CENTER, bold=True, after=8, keep=True)
    runs(p, ("PENCABUTAN ", {"bold": True}), ("{{ izin.judul }}", {"bold": True}))
    para(doc, "{{ pejabat.jabatan }},", align=CENTER, bold=True, after=8, keep=True)
    labelled_list(doc, "Menimbang", label_w=Cm(2.6), items=[
        ["bahwa Saudara ", ("{{ pemohon.nama }}", {"bold": True}), " pemegang ", "{{ izin.nama }}",
         " Nomor ", "{{ pencabutan.nomor_izin }}", " tanggal ", "{{ pencabutan.tanggal_izin }}",
         " telah mengajukan permohonan pencabutan izin tersebut dengan Nomor Registrasi ",
         "{{ pemohon.nomor_registrasi }}", " tanggal ", "{{ pemohon.tanggal_permohonan }}", ";"],
        ["bahwa berdasarkan pertimbangan sebagaimana dimaksud pada angka 1, perlu menetapkan Keputusan "
         "tentang Pencabutan ", "{{ izin.nama }}", ";"],
    ])
    para(doc, "", size=4)
    labelled_list(doc, "Mengingat", loop="dasar_hukum", label_w=Cm(2.6), align=LEFT)
    para(doc, "MEMUTUSKAN:", align=CENTER, bold=True, before=8, after=6, keep=True)
    diktum(doc, "Menetapkan", "KEPUTUSAN TENTANG PENCABUTAN ", "{{ izin.judul }}", ".").alignment = LEFT
    diktum(doc, "KESATU", "Mencabut ", "{{ izin.nama }}", " Nomor ", ("{{ pencabutan.nomor_izin }}", {"bold": True}),
           " tanggal ", "{{ pencabutan.tanggal_izin }}", " yang diberikan kepada:", after=2)
    data_rows(doc, [
        ("Nama", ("{{ pemohon.nama }}", {"bold": True})),
        ("NIK", "{{ pemohon.nik_tersamar }}"),
        ("Alamat Rumah", "{{ pemohon.alamat }}"),
        ("Profesi", "{{ izin.profesi }}"),
        RINCIAN,
    ], indent=Cm(3.1), label_width=Cm(4.6))
    diktum(doc, "KEDUA", "Pencabutan sebagaimana dimaksud pada Diktum KESATU dilakukan ",
           "{{ pencabutan.atas }}", " dengan alasan: ", ("{{ pencabutan.alasan }}", {"bold": True}), ".")
    diktum(doc, "KETIGA", "Dengan berlakunya Keputusan ini, ", "{{ izin.nama }}",
           " sebagaimana dimaksud pada Diktum KESATU dinyatakan tidak berlaku, dan yang bersangkutan tidak "
           "lagi berhak ", "{{ izin.untuk }}", " berdasarkan izin tersebut.")
    diktum(doc, "KEEMPAT", "Keputusan ini mulai berlaku pada tanggal ditetapkan.", after=10)
    block = keep_block(doc)
    left, right = closing_table(block)
    qr_area(left)
    para(left, "", size=6)
    paraf_table(left, width=QR_COLUMN - Cm(0.1), narrow=True)
    _decided_signature(right)
    tembusan(doc, [["Sdr. ", "{{ pemohon.nama }}", ";"], ["Kepala Dinas Kesehatan;"], ["Arsip."]])
    return doc


BUILDERS = {
    "receipt": build_receipt,
    "checklist-return": build_checklist_return,
    "disposition": build_disposition,
    "recommendation-request": build_recommendation_request,
    "task-order": build_task_order,
    "inspection-report": build_inspection_report,
    "rejection": build_rejection,
    "permit": build_permit,
    "revocation-decree": build_revocation_decree,
}


# --- output --------------------------------------------------------------------------------------

def _reproducible_zip(data: bytes) -> bytes:
    """Same input, same bytes: fixed member times and order."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, blob)
    return out.getvalue()


def placeholder_emblem(path: Path) -> None:
    """A neutral emblem: a shield outline with LAMBANG in it (the office sets its own).

    240 x 288 px: 300 dpi at the kop's 24 mm height ([documents] emblem_height_mm), no more
    (the image travels in every document and through every conversion)."""
    from PIL import Image, ImageDraw, ImageFont

    k = 0.8  # drawn on the 300 x 360 grid, scaled

    def xy(points):
        return [(round(x * k), round(y * k)) for x, y in points]

    w, h = round(300 * k), round(360 * k)
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    shield = [(20, 20), (280, 20), (280, 190), (260, 250), (215, 300), (150, 340),
              (85, 300), (40, 250), (20, 190)]
    d.polygon(xy(shield), outline=(90, 90, 90, 255), fill=(255, 255, 255, 255), width=round(10 * k))
    inner = [(45, 45), (255, 45), (255, 185), (238, 237), (200, 280), (150, 312),
             (100, 280), (62, 237), (45, 185)]
    d.line(xy(inner + [inner[0]]), fill=(150, 150, 150, 255), width=3)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", round(34 * k))
    except OSError:
        font = ImageFont.load_default()
    text = "LAMBANG"
    box = d.textbbox((0, 0), text, font=font)
    d.text(((w - (box[2] - box[0])) / 2, 145 * k), text, fill=(90, 90, 90, 255), font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    path.write_bytes(buf.getvalue())


def build_all(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, builder in BUILDERS.items():
        doc = builder()
        package = doc.part.package
        for rid, rel in list(package.rels.items()):
            if rel.reltype.endswith("/thumbnail"):  # python-docx's blank-page thumbnail: misleading
                del package.rels[rid]
        buf = io.BytesIO()
        doc.save(buf)
        path = out / f"{kind}.docx"
        path.write_bytes(_reproducible_zip(buf.getvalue()))
        written.append(path)
    emblem = out / "lambang-placeholder.png"
    placeholder_emblem(emblem)
    written.append(emblem)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    for p in build_all(target):
        print(p)
