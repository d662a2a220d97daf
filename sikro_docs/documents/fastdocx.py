"""A DOCX template compiled once, rendered many times (the per-document path of render.py).

docxtpl's own work per document is re-opening the template, re-patching and
re-compiling Jinja for every part, and saving every part again through
python-docx. Here that is done once per template file (cached by path, mtime,
size, inode):

* the ZIP is read once; every entry not rendered is kept as its compressed
  bytes and copied as is into each output (no inflate, no deflate);
* the body, each header and footer (and footnotes) with Jinja tags go through
  docxtpl's own `patch_xml` (so `{%p %}`, `{%tr %}`, `{{r }}` ... mean exactly
  what they mean in docxtpl) and are compiled with the caller's Jinja
  environment (render.py: the sandbox of sandbox.py); what a template's own
  expression raises (a division by zero) is a TemplateFailed naming the part; after rendering, docxtpl's own post-processing applies
  (`{_{` escapes, `resolve_listing`, `fix_tables`); drawing ids (wp:docPr)
  are renumbered in every rendered part, one sequence for the package that
  skips the ids of parts not rendered, so no two drawings share one; a part's
  output stops at MAX_RENDERED_CHARS (OutputTooLarge);
* the paper size lives in the compiled body (every section's pgSz carries
  sentinel numbers replaced per document by A4 or F4), in the section's own
  orientation (a landscape section gets the paper's height as its width);
* document properties render as plain text (escaped once, by the XML);
* images (emblem, QR) have fixed relationship ids (`rIdSikroLambang`,
  `rIdSikroQr`), the context's own pictures (docxtpl_values.py) ids of the
  render (`rIdSikroPic<n>`, and `…Link` for a picture's link): the context value renders the `<w:drawing>` XML (made by
  python-docx's own CT_Inline, cached), records which part used it, and the
  writer adds that part's relationship and the `word/media/...` entry;
* the draft watermark is added to each header as render.add_watermark does
  with python-docx (a header without Jinja gets its draft form once, at
  compile time; a template without a header gets python-docx's default one).

* the style sheet keeps only the styles the template uses (with what they
  are based on, link to and are followed by) and no latent-style list; a
  render whose content names a style left out (a RichText's style) gets the
  slim sheet with that style and its chain (StyleSheet, cached per set); and Word 2010's duplicate
  ``stylesWithEffects.xml`` is left out: Word's and python-docx's default
  style sheets are 0.8 MB that LibreOffice parses for every document, about
  40 % of its time to load a permit.

Everything else the output holds besides rendered parts is bytes of the
template, so an office's own template keeps whatever Word put in it.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RT_HEADER = R_NS + "/header"
RT_FOOTER = R_NS + "/footer"
RT_IMAGE = R_NS + "/image"
RT_OFFICE_DOCUMENT = R_NS + "/officeDocument"
CT_HEADER = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
CT_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
XML_DECL = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "gif": "image/gif",
               "bmp": "image/bmp", "tiff": "image/tiff", "tif": "image/tiff"}

# Sentinel page sizes written into every sectPr at compile time (twips), replaced per document.
PG_W, PG_H = 98765431, 98765437
_TAGGED = re.compile(r"{[{%#]")


class TemplateUnreadable(Exception):
    """The file is not a DOCX this module can compile (the caller names the template)."""


# ------------------------------------------------------------------------------------------ ZIP

@dataclass(frozen=True)
class ZipEntry:
    """One stored entry: its compressed bytes and what the headers say of them."""
    name: str
    method: int
    crc: int
    compress_size: int
    file_size: int
    dostime: int
    dosdate: int
    data: bytes
    flags: int = 0

    @classmethod
    def deflated(cls, name: str, payload: bytes, dostime: int, dosdate: int) -> ZipEntry:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = comp.compress(payload) + comp.flush()
        flags = 0x800 if not name.isascii() else 0
        return cls(name, zipfile.ZIP_DEFLATED, zlib.crc32(payload), len(data), len(payload),
                   dostime, dosdate, data, flags)


def read_zip_entries(blob: bytes) -> list[ZipEntry]:
    """Every entry of the ZIP `blob` with its raw (still compressed) bytes, in stored order."""
    entries = []
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for info in zf.infolist():
            if info.flag_bits & 0x1:
                raise TemplateUnreadable(f"{info.filename} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise TemplateUnreadable(f"{info.filename}: unsupported compression {info.compress_type}")
            off = info.header_offset
            sig, _v, _f, _m, dostime, dosdate, _c, _cs, _us, nlen, elen = struct.unpack(
                "<4s5H3L2H", blob[off:off + 30])
            if sig != b"PK\x03\x04":
                raise TemplateUnreadable(f"{info.filename}: bad local header")
            start = off + 30 + nlen + elen
            data = blob[start:start + info.compress_size]
            entries.append(ZipEntry(info.filename, info.compress_type, info.CRC, info.compress_size,
                                    info.file_size, dostime, dosdate, data, info.flag_bits & 0x800))
    return entries


def zip_bytes(entries: list[ZipEntry]) -> bytes:
    """A ZIP of `entries` (no ZIP64: a DOCX is far below 4 GB and 65535 entries)."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for e in entries:
        name = e.name.encode("utf-8")
        version = 20 if e.method == zipfile.ZIP_DEFLATED else 10
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", version, e.flags, e.method, e.dostime,
                            e.dosdate, e.crc, e.compress_size, e.file_size, len(name), 0)
        out += (local, name, e.data)
        central.append(struct.pack("<4s4B4H3L5H2L", b"PK\x01\x02", 20, 0, version, 0, e.flags,
                                   e.method, e.dostime, e.dosdate, e.crc, e.compress_size,
                                   e.file_size, len(name), 0, 0, 0, 0, 0o600 << 16, offset) + name)
        offset += len(local) + len(name) + len(e.data)
    cd = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), offset, 0)
    return b"".join(out) + cd + end


# ------------------------------------------------------------------------------------- images

@dataclass
class RenderState:
    """Per render: the part being rendered, the image slots each part used, and the slots
    made for this render's own pictures (docxtpl InlineImages of the context)."""
    part: str = ""
    used: dict = field(default_factory=dict)  # part name -> set of slot names
    slots: dict = field(default_factory=dict)  # slot name -> ImageSlot (besides SLOTS)

    def use(self, slot: str) -> None:
        self.used.setdefault(self.part, set()).add(slot)

    def slot(self, name: str) -> ImageSlot:
        return SLOTS.get(name) or self.slots[name]

    def new_slot(self, media_stem: str, link: str | None = None) -> ImageSlot:
        n = len(self.slots) + 1
        slot = ImageSlot(f"picture{n}", f"rIdSikroPic{n}", media_stem, link)
        self.slots[slot.slot] = slot
        return slot


class ImageValue:
    """A context value that renders an inline picture (as docxtpl's InlineImage does)."""

    def __init__(self, slot: str, drawing_xml: str, state: RenderState):
        self.slot, self.drawing_xml, self.state = slot, drawing_xml, state

    def __html__(self) -> str:
        self.state.use(self.slot)
        return (f"</w:t></w:r><w:r><w:drawing>{self.drawing_xml}</w:drawing></w:r><w:r>"
                '<w:t xml:space="preserve">')

    __str__ = __html__


@dataclass(frozen=True)
class ImageSlot:
    """A picture slot of the compiled output: fixed relationship id and media name."""
    slot: str
    rid: str
    media_stem: str
    link: str | None = None  # an address the picture links to (relationship rid + "Link")

    @property
    def link_rid(self) -> str | None:
        return self.rid + "Link" if self.link else None


SLOTS = {"lambang": ImageSlot("lambang", "rIdSikroLambang", "sikro-lambang"),
         "qr": ImageSlot("qr", "rIdSikroQr", "sikro-qr")}

_drawing_cache: dict = {}


def image_info(blob: bytes, filename: str | None = None):
    """python-docx's Image of `blob` (format, pixel size, dpi, file name)."""
    from docx.image.image import Image

    image = Image.from_blob(blob) if filename is None else Image._from_stream(io.BytesIO(blob), blob, filename)
    return image


def drawing_xml(slot: ImageSlot, blob: bytes, width, height, filename: str | None = None,
                fast_png: bool = False) -> tuple[str, str]:
    """(the inline picture XML python-docx makes for `blob` at width/height, file extension).

    `fast_png`: both sizes given and the blob is a PNG, so the XML depends on
    the sizes only (the QR of every document) and is cached by them.
    """
    from docx.oxml.shape import CT_Inline

    if fast_png and width is not None and height is not None and blob[:8] == b"\x89PNG\r\n\x1a\n":
        key = (slot.slot, int(width), int(height), "png")
        hit = _drawing_cache.get(key)
        if hit is None:
            inline = CT_Inline.new_pic_inline(1, slot.rid, "image.png", width, height)
            hit = _drawing_cache[key] = (_compact(inline), "png")
        return hit
    image = image_info(blob, filename)
    cx, cy = image.scaled_dimensions(width, height)
    inline = CT_Inline.new_pic_inline(1, slot.rid, image.filename, cx, cy)
    if slot.link_rid:  # as docxtpl's InlineImage(anchor=...): a click on the picture opens the link
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        for holder in inline.xpath(".//wp:docPr | .//pic:cNvPr"):
            click = OxmlElement("a:hlinkClick")
            click.set(qn("r:id"), slot.link_rid)
            holder.append(click)
    return _compact(inline), image.ext


def _compact(inline) -> str:
    """The inline's XML without python-docx's pretty-printing newlines (no text lives
    between DrawingML tags; a newline would only make every render run docxtpl's
    resolve_listing)."""
    return re.sub(r">\s+<", "><", etree.tostring(inline, encoding="unicode"))


# ------------------------------------------------------------------------------- compilation

@dataclass
class CompiledPart:
    name: str               # zip entry name, e.g. word/document.xml
    kind: str               # "body", "hdrftr" or "raw" (footnotes: rendered text, not re-serialized)
    template: object        # jinja2 Template
    prefix: str = ""        # body: the document up to and with <w:body>; hdrftr/raw: ""
    suffix: str = ""        # body: from </w:body> on
    header_no: int = 0      # the watermark number of a header (0: not a header)


@dataclass
class CompiledTemplate:
    path: Path
    entries: list           # ZipEntry, in stored order (templated ones replaced per document)
    parts: dict             # entry name -> CompiledPart
    rels: dict              # part entry name -> (rels entry name, rels XML text or None)
    content_types: str
    draft_entries: dict     # entry name -> ZipEntry of a header in its draft form (no Jinja)
    new_header: tuple | None = None  # (entry name, bytes, rId): a header for drafts of a template without one
    properties: dict = field(default_factory=dict)  # core property -> jinja Template
    dostime: int = 0
    dosdate: int = 0
    fixed_ids: frozenset = frozenset()  # drawing ids of the parts not rendered
    styles: StyleSheet | None = None  # the full sheet, for styles only rendered content uses
    _ct_cache: dict = field(default_factory=dict)


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _target_entry(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _tagged(text: str) -> bool:
    return _TAGGED.search(text) is not None


def _patched(src: str) -> str:
    from docxtpl import DocxTemplate

    src = DocxTemplate.patch_xml(None, src)
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", src)


def _watermark_element(n: int, text: str = "DRAF"):
    from docx.oxml import parse_xml

    from .render import WATERMARK_VML

    xml = WATERMARK_VML.replace("{n}", str(n)).replace("{spid}", str(2048 + n))
    return parse_xml(xml.replace('string="DRAF"', f'string="{text}"'))


def _serialize(root) -> bytes:
    return etree.tostring(root, encoding="UTF-8", standalone=True)


def _main_part(entries_by_name: dict) -> str:
    rels = entries_by_name.get("_rels/.rels")
    if rels is not None:
        for rel in etree.fromstring(rels).iter(f"{{{PKG_REL_NS}}}Relationship"):
            if rel.get("Type") == RT_OFFICE_DOCUMENT:
                return _target_entry("", rel.get("Target"))
    return "word/document.xml"


# ----------------------------------------------------------------------------- unused styles

RT_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
# a style named by a paragraph, run, table, numbering definition (fast: anchored on "Style"/"Link")
_STYLE_USE = re.compile(r'(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink|clickAndTypeStyle|defaultTableStyle)'
                        r'\b[^>]*?\bval="([^"]+)"')


# the same in rendered parts, where no numbering style links live; anchored on the literal
# "Style", which the regex engine searches for fast (a tenth of _STYLE_USE's time)
_STYLE_NAMED = re.compile(r'Style\b[^>]*?\bval="([^"]+)"')


def _used_styles(plain: dict[str, bytes], styles_name: str) -> set[str]:
    """Style ids that any part other than the style sheets names."""
    used: set[str] = set()
    for name, data in plain.items():
        if name.endswith(".xml") and name != styles_name and "stylesWithEffects" not in name \
                and not name.startswith("word/glossary/"):
            used.update(_STYLE_USE.findall(data.decode("utf-8", "replace")))
    return used


@dataclass
class StyleSheet:
    """The template's full style sheet, for a render whose content names a style the slim
    sheet left out (a RichText's style, a style chosen by a Jinja expression)."""
    name: str               # zip entry, e.g. word/styles.xml
    full: bytes             # the template's styles.xml as it is
    used: frozenset         # the ids the template itself uses
    kept: frozenset         # the ids of the slim sheet
    known: frozenset        # every id of the full sheet
    _cache: dict = field(default_factory=dict)  # frozenset of extra ids -> ZipEntry

    def extra(self, named: set[str]) -> frozenset:
        """Of the style ids rendered content names, those the slim sheet lacks and the full has."""
        return frozenset(sid for sid in named if sid not in self.kept and sid in self.known)

    def entry(self, extra: frozenset, dostime: int, dosdate: int) -> ZipEntry:
        hit = self._cache.get(extra)
        if hit is None:
            if len(self._cache) > 32:
                self._cache.clear()
            payload, _kept = slim_styles(self.full, set(self.used) | extra)
            hit = self._cache[extra] = ZipEntry.deflated(self.name, payload, dostime, dosdate)
        return hit


def slim_styles(styles_xml: bytes, used: set[str]) -> tuple[bytes, frozenset]:
    """(styles.xml with the used styles, the defaults and what they are based on, link to and are
    followed by, and no latent styles; the ids kept). A chain link to a style the sheet does not
    have is dropped (Word ignores it; a reference to nothing is what the tests refuse)."""
    root = etree.fromstring(styles_xml)
    w = f"{{{W_NS}}}"
    styles = {style.get(w + "styleId"): style for style in root.findall(w + "style")}
    keep = {sid for sid, style in styles.items() if sid in used or style.get(w + "default") in ("1", "true")}
    todo = list(keep)
    while todo:
        style = styles.get(todo.pop())
        if style is None:
            continue
        for link in style.findall(f"{w}basedOn") + style.findall(f"{w}next") + style.findall(f"{w}link"):
            target = link.get(w + "val")
            if target not in styles:
                style.remove(link)
            elif target not in keep:
                keep.add(target)
                todo.append(target)
    for sid, style in styles.items():
        if sid not in keep:
            root.remove(style)
    for latent in root.findall(w + "latentStyles"):
        root.remove(latent)
    return _serialize(root), frozenset(sid for sid in keep if sid in styles)


def _slimmed(entries: list[ZipEntry], plain: dict[str, bytes], main: str,
             content_types: str) -> tuple[list[ZipEntry], dict[str, bytes], str, StyleSheet | None]:
    """The template's entries with a slim style sheet and without stylesWithEffects."""
    rels_name = _rels_name(main)
    sheet = None
    if rels_name not in plain:
        return entries, plain, content_types, sheet
    rels = etree.fromstring(plain[rels_name])
    targets = {rel.get("Type"): rel for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship")}
    styles_rel = targets.get(R_NS + "/styles")
    effects_rel = targets.get(RT_STYLES_WITH_EFFECTS)
    replaced: dict[str, bytes] = {}
    dropped: set[str] = set()
    if styles_rel is not None and styles_rel.get("TargetMode") != "External":
        styles_name = _target_entry(main, styles_rel.get("Target"))
        if styles_name in plain:
            used = _used_styles(plain, styles_name)
            replaced[styles_name], kept = slim_styles(plain[styles_name], used)
            known = frozenset(etree.fromstring(plain[styles_name]).xpath("./w:style/@w:styleId",
                                                                         namespaces={"w": W_NS}))
            sheet = StyleSheet(styles_name, plain[styles_name], frozenset(used), kept, known)
    if effects_rel is not None and effects_rel.get("TargetMode") != "External":
        effects_name = _target_entry(main, effects_rel.get("Target"))
        dropped.add(effects_name)
        rels.remove(effects_rel)
        replaced[rels_name] = _serialize(rels)
        content_types = re.sub(r'<(?:\w+:)?Override\b[^>]*PartName="/' + re.escape(effects_name) + r'"[^>]*/>',
                               "", content_types)
    new_entries = []
    for entry in entries:
        if entry.name in dropped:
            continue
        if entry.name in replaced:
            entry = ZipEntry.deflated(entry.name, replaced[entry.name], entry.dostime, entry.dosdate)
        new_entries.append(entry)
    if "[Content_Types].xml" in plain:
        ct = next(e for e in new_entries if e.name == "[Content_Types].xml")
        new_entries[new_entries.index(ct)] = ZipEntry.deflated(ct.name, content_types.encode("utf-8"),
                                                              ct.dostime, ct.dosdate)
    plain = {name: data for name, data in {**plain, **replaced}.items() if name not in dropped}
    return new_entries, plain, content_types, sheet


def _paper_sentinels(pgSz) -> None:
    """The section's page size as sentinels for the office's paper, in the section's own
    orientation (a landscape section gets the paper's height as its width)."""
    w, h = pgSz.get(f"{{{W_NS}}}w"), pgSz.get(f"{{{W_NS}}}h")
    landscape = pgSz.get(f"{{{W_NS}}}orient") == "landscape" or (
        w is not None and h is not None and w.isdigit() and h.isdigit() and int(w) > int(h))
    pgSz.set(f"{{{W_NS}}}w", str(PG_H if landscape else PG_W))
    pgSz.set(f"{{{W_NS}}}h", str(PG_W if landscape else PG_H))
    if landscape:
        pgSz.set(f"{{{W_NS}}}orient", "landscape")
    elif f"{{{W_NS}}}orient" in pgSz.attrib:
        del pgSz.attrib[f"{{{W_NS}}}orient"]


_DOCPR_ID = re.compile(r'(<(?:\w+:)?docPr\b[^>]*?\bid=")(\d+)(")')


def _fixed_drawing_ids(plain: dict[str, bytes], rendered: set[str]) -> frozenset[str]:
    """The drawing ids (wp:docPr) of the parts not rendered (a header with a picture and no
    Jinja): a rendered drawing must not take one of them."""
    ids: set[str] = set()
    for name, data in plain.items():
        if name.endswith(".xml") and name not in rendered and b"docPr" in data:
            ids.update(m.group(2) for m in _DOCPR_ID.finditer(data.decode("utf-8", "replace")))
    return frozenset(ids)


def compile_template(path: Path, env) -> CompiledTemplate:
    """Read and compile the DOCX at `path`. TemplateUnreadable if it is no DOCX; Jinja
    syntax errors propagate as jinja2.TemplateSyntaxError."""
    from docx.oxml import parse_xml

    try:
        blob = Path(path).read_bytes()
        entries = read_zip_entries(blob)
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            plain = {e.name: zf.read(e.name) for e in entries
                     if e.name.endswith((".xml", ".rels"))}
        main = _main_part(plain)
        doc_root = parse_xml(plain[main])
        body = doc_root.find(f"{{{W_NS}}}body")
        if body is None:
            raise TemplateUnreadable(f"{main} has no body")
        main_rels_name = _rels_name(main)
        main_rels = etree.fromstring(plain[main_rels_name]) if main_rels_name in plain else None
        content_types = plain["[Content_Types].xml"].decode("utf-8")
        entries, plain, content_types, styles = _slimmed(entries, plain, main, content_types)
        main_rels = etree.fromstring(plain[main_rels_name]) if main_rels_name in plain else None
    except TemplateUnreadable:
        raise
    except (OSError, zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, struct.error) as exc:
        raise TemplateUnreadable(f"{type(exc).__name__}: {exc}") from None

    by_name = {e.name: e for e in entries}
    doc_entry = by_name[main]
    parts: dict[str, CompiledPart] = {}
    rels: dict[str, tuple] = {}
    draft_entries: dict[str, ZipEntry] = {}

    # --- the body: paper sentinels in every section, then docxtpl's patch
    sections = doc_root.xpath("./w:body/w:p/w:pPr/w:sectPr | ./w:body/w:sectPr")
    for sectPr in sections:
        _paper_sentinels(sectPr.get_or_add_pgSz())
    doc_text = etree.tostring(doc_root, encoding="unicode")
    prefix_tag = body.prefix
    open_tag = f"<{prefix_tag}:body" if prefix_tag else "<body"
    close_tag = f"</{prefix_tag}:body>" if prefix_tag else "</body>"
    if len(body) == 0:
        raise TemplateUnreadable(f"{main} has an empty body")
    start, end = doc_text.index(open_tag), doc_text.rindex(close_tag) + len(close_tag)
    body_open = doc_text[start:doc_text.index(">", start) + 1]
    body_src = etree.tostring(body, encoding="unicode")
    parts[main] = CompiledPart(
        main, "body", env.from_string(_patched(body_src)),
        prefix=XML_DECL + doc_text[:start] + body_open, suffix=close_tag + doc_text[end:],
    )

    # --- headers and footers related from the main part (docxtpl renders those), footnotes
    header_no = 0
    header_rel_ids = []
    if main_rels is not None:
        for rel in main_rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
            rtype, mode = rel.get("Type"), rel.get("TargetMode")
            if mode == "External" or rtype not in (RT_HEADER, RT_FOOTER):
                continue
            name = _target_entry(main, rel.get("Target"))
            if name not in plain or not plain[name]:
                continue
            if rtype == RT_HEADER:
                header_no += 1
                header_rel_ids.append(rel.get("Id"))
            hdr_root = parse_xml(plain[name])
            src = etree.tostring(hdr_root, encoding="unicode")
            if _tagged(src):
                parts[name] = CompiledPart(name, "hdrftr", env.from_string(_patched(src)),
                                           header_no=header_no if rtype == RT_HEADER else 0)
            elif rtype == RT_HEADER:
                hdr_root.append(_watermark_element(header_no))
                e = by_name[name]
                draft_entries[name] = ZipEntry.deflated(name, _serialize(hdr_root), e.dostime, e.dosdate)
    for name, data in plain.items():
        if f'PartName="/{name}" ContentType="{CT_FOOTNOTES}"' in content_types and _tagged(data.decode("utf-8")):
            parts[name] = CompiledPart(name, "raw", env.from_string(_patched(data.decode("utf-8"))))

    # a template with no header in its first section: python-docx's default header, for drafts
    new_header = None
    first = sections[0] if sections else None
    if first is not None and not any(
            ref.get(f"{{{W_NS}}}type", "default") == "default"
            for ref in first.findall(f"{{{W_NS}}}headerReference")):
        from docx.parts.hdrftr import HeaderPart

        n = 1
        while f"word/header{n}.xml" in by_name:
            n += 1
        hdr_root = parse_xml(HeaderPart._default_header_xml())
        hdr_root.append(_watermark_element(header_no + 1))
        new_header = (f"word/header{n}.xml", _serialize(hdr_root), "rIdSikroDraftHeader")

    for name in parts:
        rels_name = _rels_name(name)
        text = plain[rels_name].decode("utf-8") if rels_name in plain else None
        for slot in SLOTS.values():
            if text is not None and f'Id="{slot.rid}"' in text:
                raise TemplateUnreadable(f"{rels_name} already has a relationship {slot.rid}")
        rels[name] = (rels_name, text)

    # core properties with Jinja (docxtpl renders these six)
    properties = {}
    core = plain.get("docProps/core.xml")
    if core is not None and _tagged(core.decode("utf-8")):
        from docx.opc.coreprops import CoreProperties

        props = CoreProperties(parse_xml(core))
        for prop in ("author", "comments", "identifier", "language", "subject", "title"):
            value = getattr(props, prop)
            if value and _tagged(value):
                # a property is plain text (python-docx escapes it for the XML): escape once
                properties[prop] = env.from_string("{% autoescape false %}" + value + "{% endautoescape %}")

    return CompiledTemplate(path=Path(path), entries=entries, parts=parts, rels=rels,
                            content_types=content_types, draft_entries=draft_entries,
                            new_header=new_header, properties=properties,
                            dostime=doc_entry.dostime, dosdate=doc_entry.dosdate,
                            fixed_ids=_fixed_drawing_ids(plain, set(parts)), styles=styles)


class Cache:
    """Compiled templates by path; a file changed on disk (mtime, size, inode) is compiled again."""

    def __init__(self, limit: int = 64):
        self.limit = limit
        self._items: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, env_factory) -> CompiledTemplate:
        st = os.stat(path)
        key = str(path)
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = self._items.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        compiled = compile_template(Path(path), env_factory())
        with self._lock:
            if len(self._items) >= self.limit:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (stamp, compiled)
        return compiled

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# ---------------------------------------------------------------------------------- rendering

def _postprocess(dst: str) -> str:
    """docxtpl's render_xml_part after Jinja: paragraph newlines, `{_{` escapes, listings."""
    from docxtpl import DocxTemplate

    dst = dst.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
    if "{_" in dst or "_}" in dst:
        dst = dst.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if "\t" in dst or "\a" in dst or "\n" in dst or "\f" in dst:
        dst = DocxTemplate.resolve_listing(None, dst)
    return dst


class TemplateFailed(Exception):
    """The template's own expression failed (`{{ 1 + 'a' }}`, a division by zero ...)."""

    def __init__(self, part: str, exc: Exception):
        super().__init__(f"rendering {part} failed: {type(exc).__name__}: {str(exc)[:200]}")
        self.part = part


# No part of a document may render to more text than this (a permit's body is about 25,000
# characters): a template cannot make a document that fills the memory or the disk.
MAX_RENDERED_CHARS = 5_000_000


class OutputTooLarge(Exception):
    """The template would render a part larger than MAX_RENDERED_CHARS."""

    def __init__(self, part: str, limit: int = MAX_RENDERED_CHARS):
        super().__init__(f"the rendered {part} would exceed {limit:,} characters "
                         "(a template may not make a document that large)")
        self.part, self.limit = part, limit


def _render_part(template, context: dict, part: str) -> str:
    """The Jinja output of one part; what the template's expressions raise names the part.

    The output is collected as Jinja makes it and stops at MAX_RENDERED_CHARS.
    jinja2's own errors (undefined, the sandbox's SecurityError) pass as they are."""
    from jinja2 import TemplateError

    chunks: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_RENDERED_CHARS:
                raise OutputTooLarge(part)
            chunks.append(chunk)
    except (TemplateError, OutputTooLarge):
        raise
    except MemoryError:
        raise OutputTooLarge(part) from None
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise TemplateFailed(part, exc) from None
    return "".join(chunks)


class RenderedXmlError(Exception):
    def __init__(self, part: str, detail: str):
        super().__init__(f"the rendered {part} is not valid XML ({detail})")
        self.part = part


_HDR_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)


def render(compiled: CompiledTemplate, context: dict, state: RenderState, paper_twips: tuple[int, int],
           draft: bool, media: dict) -> bytes:
    """The DOCX bytes of `compiled` rendered with `context`.

    `media`: slot name -> (entry bytes: ZipEntry, extension) of the images in the
    context (the ImageValues of `context` share `state`).
    """
    from docxtpl import DocxTemplate

    out: dict[str, ZipEntry] = {}
    t, d = compiled.dostime, compiled.dosdate
    ids = _drawing_ids(compiled.fixed_ids)
    named_styles: set[str] = set()
    pw, ph = str(paper_twips[0]), str(paper_twips[1])
    new_header = compiled.new_header if draft else None
    for name, cp in compiled.parts.items():
        state.part = name
        dst = _postprocess(_render_part(cp.template, context, name))
        if cp.kind == "body":
            tree = DocxTemplate.fix_tables(None, dst)  # recover-mode parse, as docxtpl does
            for el in tree.iter(f"{{{WP_NS}}}docPr"):
                el.set("id", next(ids))
            if new_header is not None:
                sect = tree.xpath("./w:p/w:pPr/w:sectPr | ./w:sectPr", namespaces={"w": W_NS})
                if sect:
                    ref = etree.Element(f"{{{W_NS}}}headerReference",
                                        {f"{{{W_NS}}}type": "default", f"{{{R_NS}}}id": new_header[2]})
                    pos = 0
                    for child in sect[0]:
                        if child.tag != f"{{{W_NS}}}headerReference":
                            break
                        pos += 1
                    sect[0].insert(pos, ref)
            # the body's children as they sit in the document (namespaces declared on its root)
            body = etree.tostring(tree, encoding="unicode")
            if body.endswith("/>") and len(tree) == 0 and not tree.text:
                body = ""  # everything rendered away: <w:body/>
            else:  # strip the open tag and its namespace declarations, and the close tag
                body = body[body.index(">") + 1:body.rindex("</")]
            text = cp.prefix + body + cp.suffix
            text = text.replace(f'="{PG_W}"', f'="{pw}"').replace(f'="{PG_H}"', f'="{ph}"')
            payload = text.encode("utf-8")
            try:  # the guard: what Word opens must parse
                etree.fromstring(payload)
            except etree.XMLSyntaxError as exc:
                raise RenderedXmlError(name, str(exc)) from None
        else:
            try:
                root = etree.fromstring(dst.encode("utf-8"), _HDR_PARSER) if cp.kind == "hdrftr" \
                    else etree.fromstring(dst.encode("utf-8"))
            except etree.XMLSyntaxError as exc:
                raise RenderedXmlError(name, str(exc)) from None
            if cp.kind == "hdrftr":
                for el in root.iter(f"{{{WP_NS}}}docPr"):
                    el.set("id", next(ids))
                if draft and cp.header_no:
                    root.append(_watermark_element(cp.header_no))
                payload = _serialize(root)
            else:
                payload = _DOCPR_ID.sub(lambda m: m.group(1) + next(ids) + m.group(3), dst).encode("utf-8")
        if compiled.styles is not None:
            named_styles.update(_STYLE_NAMED.findall(payload.decode("utf-8")) if cp.kind != "body"
                                else _STYLE_NAMED.findall(text))
        out[name] = ZipEntry.deflated(name, payload, t, d)
    if compiled.styles is not None:
        extra = compiled.styles.extra(named_styles)
        if extra:
            out[compiled.styles.name] = compiled.styles.entry(extra, t, d)

    # relationships of the parts that show a picture
    exts: set[str] = set()
    media_entries: list[ZipEntry] = []
    media_names: set[str] = set()
    for slot_name, (entry, ext) in media.items():
        if entry.name not in media_names and any(slot_name in used for used in state.used.values()):
            media_names.add(entry.name)  # one entry for a picture shown by several slots
            media_entries.append(entry)
            exts.add(ext)
    for part, used in state.used.items():
        rels_name, text = compiled.rels[part]
        extra = "".join(_picture_relationships(state.slot(s), media[s][0].name, part)
                        for s in sorted(used) if s in media)
        if text is None:
            text = (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">' + extra + "</Relationships>")
        else:
            close = text.rindex("</Relationships>")
            text = text[:close] + extra + text[close:]
        out[rels_name] = ZipEntry.deflated(rels_name, text.encode("utf-8"), t, d)
    if new_header is not None:
        name, payload, rid = new_header
        out[name] = ZipEntry.deflated(name, payload, t, d)
        main = next(n for n, p in compiled.parts.items() if p.kind == "body")
        rels_name, text = compiled.rels[main]
        base = out[rels_name] if rels_name in out else None
        text = zlib.decompress(base.data, -15).decode("utf-8") if base is not None else text
        target = posixpath.relpath(name, posixpath.dirname(main))
        extra = f'<Relationship Id="{rid}" Type="{RT_HEADER}" Target="{target}"/>'
        if text is None:
            text = XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">' + extra + "</Relationships>"
        else:
            close = text.rindex("</Relationships>")
            text = text[:close] + extra + text[close:]
        out[rels_name] = ZipEntry.deflated(rels_name, text.encode("utf-8"), t, d)

    # content types: image extensions, the drafts' new header
    ct_key = (frozenset(exts), new_header is not None)
    ct = compiled._ct_cache.get(ct_key)
    if ct is None:
        ct = _content_types(compiled.content_types, exts, new_header[0] if new_header else None)
        compiled._ct_cache[ct_key] = ct
    out["[Content_Types].xml"] = ZipEntry.deflated("[Content_Types].xml", ct.encode("utf-8"), t, d)

    if compiled.properties:
        out["docProps/core.xml"] = _render_properties(compiled, context, t, d)

    entries = []
    for e in compiled.entries:
        if e.name in out:
            entries.append(out.pop(e.name))
        elif draft and e.name in compiled.draft_entries:
            entries.append(compiled.draft_entries[e.name])
        else:
            entries.append(e)
    entries += out.values()  # new rels parts, the drafts' header
    entries += media_entries
    return zip_bytes(entries)


def _drawing_ids(fixed: frozenset):
    """Drawing ids for the rendered parts, one sequence across the whole package (from 1001, as
    docxtpl numbers the body's), skipping the ids of the parts not rendered."""
    n = 1000
    while True:
        n += 1
        if str(n) not in fixed:
            yield str(n)


RT_HYPERLINK = R_NS + "/hyperlink"


def _picture_relationships(slot: ImageSlot, media_name: str, part: str) -> str:
    """The Relationship elements a part showing `slot` needs: the image and, if the picture is
    a link, its external address."""
    target = posixpath.relpath(media_name, posixpath.dirname(part))
    rels = f'<Relationship Id="{slot.rid}" Type="{RT_IMAGE}" Target="{target}"/>'
    if slot.link_rid:
        from xml.sax.saxutils import quoteattr

        rels += (f'<Relationship Id="{slot.link_rid}" Type="{RT_HYPERLINK}" Target={quoteattr(slot.link)} '
                 'TargetMode="External"/>')
    return rels


def _content_types(text: str, exts: set[str], new_header: str | None) -> str:
    root = etree.fromstring(text.encode("utf-8"))
    have = {d.get("Extension", "").lower() for d in root.iter(f"{{{CT_NS}}}Default")}
    add = ""
    for ext in sorted(exts):
        if ext.lower() not in have:
            add += f'<Default Extension="{ext}" ContentType="{IMAGE_TYPES.get(ext.lower(), "image/" + ext)}"/>'
    if new_header:
        add += f'<Override PartName="/{new_header}" ContentType="{CT_HEADER}"/>'
    if not add:
        return text
    close = text.rindex("</Types>")
    return text[:close] + add + text[close:]


def _render_properties(compiled: CompiledTemplate, context: dict, t: int, d: int) -> ZipEntry:
    from docx.opc.coreprops import CoreProperties
    from docx.oxml import parse_xml

    entry = next(e for e in compiled.entries if e.name == "docProps/core.xml")
    raw = zlib.decompress(entry.data, -15) if entry.method == zipfile.ZIP_DEFLATED else entry.data
    element = parse_xml(raw)
    props = CoreProperties(element)
    for prop, template in compiled.properties.items():
        setattr(props, prop, _render_part(template, context, f"document property {prop}"))
    return ZipEntry.deflated(entry.name, _serialize(element), t, d)


MEDIA_DOSTIME, MEDIA_DOSDATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00


def media_entry(slot: ImageSlot, blob: bytes, ext: str) -> ZipEntry:
    """The word/media entry of a picture slot (depends on the bytes only: cacheable)."""
    return ZipEntry.deflated(f"word/media/{slot.media_stem}.{ext}", blob, MEDIA_DOSTIME, MEDIA_DOSDATE)
