"""Render a document of a kind from its DOCX template (docxtpl).

* Jinja runs in the sandbox of sandbox.py (StrictUndefined, autoescape, no
  globals, allow-listed attributes, filters and tests): a missing value is an
  error naming the template and the variable; `&`, `<`, quotes in a name
  print literally and the DOCX stays valid. Before a template is compiled,
  check.sandbox_problems holds it to what the sandbox allows (once per
  version of the file): a refused template renders nothing.
* Images: the emblem (`lambang`) and the verification QR (`verifikasi.qr`,
  PNG bytes) become docxtpl InlineImages; without a QR the box stays empty.
* Every section gets the office's paper (A4 210x297 mm, F4 215x330 mm).
* A draft carries "DRAF" instead of the number and a diagonal grey "DRAF"
  watermark (a VML text shape in the header of every section, the form
  Word itself writes, which LibreOffice renders).
* The file is written atomically (temporary file, then rename).

Where the built-in templates live: one source, the repository's
`templates/docx/` (built by `templates/build_templates.py`, committed).
A wheel carries the same files as the package data folder
`sikro_docs/_templates` (pyproject.toml maps the package
`sikro_docs._templates` to templates/docx), which is looked for first; a
checkout or an editable install has no such folder and reads templates/docx/
(two folders above this package); $SIKRO_BUILTIN_TEMPLATES overrides both.
tests/test_packaging.py installs a wheel and makes documents with it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError

from ..errors import SikroError
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace
from . import docxtpl_values, fastdocx
from .check import (
    broken_message,
    closure,
    jinja_env,
    referenced_paths,
    sandbox_problems,
    syntax_problems,
    template_parts,
    unknown_paths,
)
from .context import declared_paths, get_kind, profile_section

PAPER_MM = {"A4": (210, 297), "F4": (215, 330)}
MIN_QR_MM = 25
ENV_BUILTIN = "SIKRO_BUILTIN_TEMPLATES"


@lru_cache(maxsize=1)
def _builtin_dir() -> Path:
    try:
        packaged = resources.files("sikro_docs").joinpath("_templates")
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[2] / "templates" / "docx"


def builtin_templates_dir() -> Path:
    """The folder of the built-in templates: $SIKRO_BUILTIN_TEMPLATES, else the
    installed package's `_templates` (a wheel), else the repository's templates/docx."""
    override = os.environ.get(ENV_BUILTIN)
    return Path(override) if override else _builtin_dir()


def template_file(kind: str, ptype=None) -> str:
    """The file name of `kind`'s template: the permit type's `[documents.KIND] template`, else the kind's."""
    said = ptype.documents.get(kind) if ptype is not None else None
    return (said.get("template") if isinstance(said, dict) else None) or get_kind(kind).template


def type_template(kind: str, ptype) -> Path | None:
    """<type folder>/templates/<file> when the permit type brings its own template of `kind`."""
    if ptype is None or not ptype.source:
        return None
    path = Path(ptype.source) / "templates" / template_file(kind, ptype)
    return path if path.is_file() else None


def template_path(ws: Workspace, kind: str, ptype=None) -> Path:
    """The office's own <workspace>/templates/<file> if present, else the permit type's
    <type folder>/templates/<file>, else the built-in one."""
    name = template_file(kind, ptype)
    own = ws.templates_dir / name
    if own.is_file():
        return own
    of_type = type_template(kind, ptype)
    if of_type is not None:
        return of_type
    builtin = builtin_templates_dir() / get_kind(kind).template
    if not builtin.is_file():
        raise SikroError(f"no template for {kind}: neither {own} nor the built-in {builtin} exists")
    return builtin


def _context_type(ws: Workspace, context: dict):
    """The permit type a context was built for (its `izin.kode`)."""
    from .. import permit_types

    code = (context.get("izin") or {}).get("kode") if isinstance(context.get("izin"), dict) else None
    return permit_types.get(ws, code) if code else None


def _undefined_message(path: Path, context: dict, exc: Exception) -> str:
    """Name the variable(s) the template uses and the context lacks."""
    env = jinja_env()
    names: list[str] = []
    try:
        provided = closure(declared_paths(context))
        for _part, src in template_parts(path):
            _problems, ast = syntax_problems(_part, src, env)
            if ast is not None:
                names += unknown_paths(referenced_paths(ast, env), provided)
    except Exception:  # noqa: BLE001 - the analysis only improves the message
        names = []
    if names:
        return f"template {path}: undefined variable {', '.join(sorted(set(names)))}"
    return f"template {path}: undefined variable ({exc})"


WATERMARK_VML = """
<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
     xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
     xmlns:w10="urn:schemas-microsoft-com:office:word">
<w:pPr><w:spacing w:before="0" w:after="0"/></w:pPr>
<w:r><w:rPr><w:noProof/></w:rPr><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
  path="m@7,l@8,m@5,21600l@6,21600e">
 <v:formulas>
  <v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/>
  <v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
  <v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/>
  <v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/>
  <v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/>
 </v:formulas>
 <v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
   o:connectangles="270,180,90,0"/>
 <v:textpath on="t" fitshape="t"/>
 <v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
 <o:lock v:ext="edit" text="t" shapetype="t"/>
</v:shapetype>
<v:shape id="PowerPlusWaterMarkObject{n}" o:spid="_x0000_s{spid}" type="#_x0000_t136"
  style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:146pt;rotation:-45;z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin"
  o:allowincell="f" fillcolor="#bfbfbf" stroked="f">
 <v:fill opacity=".5"/>
 <v:textpath style="font-family:&quot;Times New Roman&quot;;font-size:1pt;font-weight:bold" string="DRAF"/>
 <w10:wrap anchorx="margin" anchory="margin"/>
</v:shape>
</w:pict></w:r></w:p>
"""


PAPER_TWIPS = {"A4": ("11906", "16838"), "F4": ("12189", "18709")}  # python-docx's Mm(w), Mm(h) in twips
_CACHE = fastdocx.Cache()
_EMBLEMS: dict = {}


def _emblem_image(path: str, height) -> tuple[str, fastdocx.ZipEntry, str]:
    """(drawing XML, media entry, extension) of the emblem file, cached by path, mtime, size, height."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size, int(height))
    hit = _EMBLEMS.get(key)
    if hit is None:
        slot = fastdocx.SLOTS["lambang"]
        blob = Path(path).read_bytes()
        xml, ext = fastdocx.drawing_xml(slot, blob, None, height, filename=os.path.basename(path))
        hit = (xml, fastdocx.media_entry(slot, blob, ext), ext)
        if len(_EMBLEMS) > 16:
            _EMBLEMS.clear()
        _EMBLEMS[key] = hit
    return hit


def _images(context: dict, ws: Workspace, state: fastdocx.RenderState) -> tuple[dict, dict]:
    """The context with picture values for `lambang` and `verifikasi.qr`, and their media."""
    return _picture_values(context, profile_section(ws, "documents"), state)


def _picture_values(context: dict, settings: dict, state: fastdocx.RenderState) -> tuple[dict, dict]:
    """`_images` with the profile's [documents] settings given."""
    from docx.shared import Mm

    ctx = dict(context)
    media: dict = {}
    emblem = ctx.get("lambang")
    lambang = fastdocx.SLOTS["lambang"]
    if isinstance(emblem, (str, os.PathLike)) and emblem:
        if not Path(emblem).is_file():
            raise SikroError(f"emblem image not found: {emblem}")
        xml, entry, ext = _emblem_image(str(emblem), Mm(float(settings.get("emblem_height_mm", 24))))
        ctx["lambang"] = fastdocx.ImageValue("lambang", xml, state)
        media["lambang"] = (entry, ext)
    elif isinstance(emblem, bytes):
        xml, ext = fastdocx.drawing_xml(lambang, emblem, None, Mm(24))
        ctx["lambang"] = fastdocx.ImageValue("lambang", xml, state)
        media["lambang"] = (fastdocx.media_entry(lambang, emblem, ext), ext)
    elif emblem is None:
        ctx["lambang"] = ""
    verification = ctx.get("verifikasi")
    if isinstance(verification, dict):
        verification = dict(verification)
        qr = verification.get("qr")
        size = max(float(settings.get("qr_size_mm", 27)), MIN_QR_MM)
        if isinstance(qr, bytes) and qr:
            slot = fastdocx.SLOTS["qr"]
            xml, ext = fastdocx.drawing_xml(slot, qr, Mm(size), Mm(size), fast_png=True)
            verification["qr"] = fastdocx.ImageValue("qr", xml, state)
            media["qr"] = (fastdocx.media_entry(slot, qr, ext), ext)
        elif qr is None:
            verification["qr"] = ""
        ctx["verifikasi"] = verification
    return ctx, media


def _syntax_message(path: Path, exc: TemplateSyntaxError) -> str:
    raws = dict(template_parts(path, raw=True))
    problems = [p for part, src in template_parts(path)
                for p in syntax_problems(part, src, raw=raws.get(part))[0]]
    detail = "; ".join(problems) or exc.message
    return f"template {path}: {detail}"


_VERDICTS: dict = {}


def refuse_unsafe(path: Path, kind: str | None) -> None:
    """Raise the batch's "template ... is broken" line when the template does what the sandbox
    refuses (checked once per version of the file and kind)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SikroError(f"template {path}: cannot be read ({exc.strerror})") from None
    key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino, kind)
    problems = _VERDICTS.get(key)
    if problems is None:
        problems = sandbox_problems(Path(path), kind)  # not a DOCX: UnusableInput names the file
        if len(_VERDICTS) > 64:
            _VERDICTS.clear()
        _VERDICTS[key] = problems
    if problems:
        raise SikroError(broken_message(path, problems))


def compiled_template(path: Path, kind: str | None = None) -> fastdocx.CompiledTemplate:
    """The template at `path` compiled (cached; compiled again when the file changes), once
    it is known to do nothing the sandbox refuses."""
    refuse_unsafe(Path(path), kind)
    try:
        return _CACHE.get(Path(path), jinja_env)
    except fastdocx.TemplateUnreadable as exc:
        raise SikroError(f"template {path}: cannot be read as DOCX ({exc})") from None
    except TemplateSyntaxError as exc:
        raise SikroError(_syntax_message(path, exc)) from None
    except TemplateError as exc:
        raise SikroError(f"template {path}: {type(exc).__name__}: {exc}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SikroError(f"template {path}: Jinja cannot compile it ({type(exc).__name__})") from None


def render_template(path: Path, context: dict, *, settings: dict | None = None, paper: str = "A4",
                    draft: bool = False, kind: str | None = None) -> bytes:
    """The DOCX bytes of the template at `path` rendered with `context` (any template: the
    kind, when given, holds it to the names that kind provides)."""
    path = Path(path)
    compiled = compiled_template(path, kind)
    state = fastdocx.RenderState()
    ctx, media = _picture_values(context, settings or {}, state)
    ctx = docxtpl_values.convert(ctx, state, media, path)
    try:
        return fastdocx.render(compiled, ctx, state, PAPER_TWIPS.get(paper, PAPER_TWIPS["A4"]), draft, media)
    except UndefinedError as exc:
        raise SikroError(_undefined_message(path, context, exc)) from None
    except SecurityError as exc:
        raise SikroError(f"template {path}: refused by the sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        raise SikroError(_syntax_message(path, exc)) from None
    except TemplateError as exc:
        raise SikroError(f"template {path}: {type(exc).__name__}: {exc}") from None
    except (fastdocx.RenderedXmlError, fastdocx.TemplateFailed, fastdocx.OutputTooLarge) as exc:
        raise SikroError(f"template {path}: {exc}") from None


def render_document(ws: Workspace, kind: str, context: dict, out_path: Path) -> Path:
    """Render `kind` with `context` (from build_context) into the DOCX `out_path`."""
    path = template_path(ws, kind, _context_type(ws, context))
    out_path = Path(out_path)
    paper = str(context.get("kertas") or ws.profile.get("office", {}).get("paper", "A4")).upper()
    data = render_template(path, context, settings=profile_section(ws, "documents"), paper=paper,
                           draft=bool(context.get("draf")), kind=kind)
    if paper not in PAPER_MM:
        raise SikroError(f"paper must be A4 or F4, not {paper!r}")
    return atomic_write_bytes(out_path, data)
