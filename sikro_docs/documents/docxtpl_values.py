"""docxtpl's objects in a render context, made fit for the fast renderer (fastdocx.py) or refused.

docxtpl's objects are written for its own renderer: an InlineImage asks the
DocxTemplate it was made with for the part being rendered, a RichText link
names a relationship that DocxTemplate added to its own package, a Subdoc
merges another document's styles, numbering and pictures into it. The fast
renderer has no such DocxTemplate, so:

* InlineImage becomes a picture of this render (its own relationship in each
  part that shows it, its media entry; `anchor` becomes a link relationship);
* RichText, RichTextParagraph and Listing render as they are (text and runs
  only; the styles they name are kept by the renderer);
* a RichText link (`url_id`), a Subdoc, or any other docxtpl object is refused
  with UnsupportedValue naming the template, the variable and the type.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import SikroError
from . import fastdocx

_RELATIONSHIP_ATTR = ' r:id="'


class UnsupportedValue(SikroError):
    """A context value the document renderer cannot carry into a DOCX."""

    code = "unsupported-context-value"

    def __init__(self, template: Path, variable: str, type_name: str, why: str):
        self.template, self.variable, self.type_name, self.why = str(template), variable, type_name, why
        super().__init__(f"template {template}: {variable} is a docxtpl {type_name}, which documents "
                         f"cannot carry ({why})")


def _is_docxtpl(value) -> bool:
    return type(value).__module__.startswith("docxtpl")


def convert(context: dict, state: fastdocx.RenderState, media: dict, template: Path) -> dict:
    """`context` with its docxtpl objects converted (a new dict only where something changed);
    UnsupportedValue for one that cannot be carried."""
    seen: dict[int, object] = {}

    def walk(value, where: str):
        if isinstance(value, (str, int, float, bytes, type(None))):
            return value
        if isinstance(value, dict):
            new = {k: walk(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
            return value if all(new[k] is value[k] for k in value) else new
        if isinstance(value, (list, tuple)):
            new = [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
            if all(a is b for a, b in zip(new, value, strict=True)):
                return value
            if isinstance(value, list):
                return new
            return type(value)._make(new) if hasattr(type(value), "_fields") else type(value)(new)
        if _is_docxtpl(value):
            if id(value) not in seen:
                seen[id(value)] = _docxtpl_value(value, where, state, media, template)
            return seen[id(value)]
        return value

    return walk(context, "")


def _docxtpl_value(value, where: str, state, media: dict, template: Path):
    kind = type(value).__name__
    if kind in ("RichText", "RichTextParagraph"):
        if _RELATIONSHIP_ATTR in value.xml:
            raise UnsupportedValue(template, where, kind, "a link made with DocxTemplate.build_url_id "
                                   "names a relationship of that DocxTemplate's own package")
        return value
    if kind == "Listing":
        return value
    if kind == "InlineImage":
        return _picture(value, where, state, media, template)
    why = {"Subdoc": "a sub-document brings its own styles, numbering and pictures",
           "DocxTemplate": "a template is not a value"}.get(kind, "not a value a template can print")
    raise UnsupportedValue(template, where, kind, why)


def _picture(image, where: str, state, media: dict, template: Path) -> fastdocx.ImageValue:
    descriptor = image.image_descriptor
    filename = None
    try:
        if isinstance(descriptor, (str, os.PathLike)):
            blob = Path(descriptor).read_bytes()
            filename = os.path.basename(descriptor)
        elif hasattr(descriptor, "read"):
            if hasattr(descriptor, "seek"):
                descriptor.seek(0)
            blob = descriptor.read()
        else:
            raise UnsupportedValue(template, where, "InlineImage", "its picture is neither a file nor a stream")
        stem = "sikro-pic-" + hashlib.sha256(blob).hexdigest()[:16]
        slot = state.new_slot(stem, image.anchor or None)
        xml, ext = fastdocx.drawing_xml(slot, blob, image.width, image.height, filename=filename)
    except OSError as exc:
        raise SikroError(f"template {template}: {where}: picture {descriptor} cannot be read "
                         f"({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - python-docx's many ways of not knowing an image
        if isinstance(exc, SikroError):
            raise
        raise SikroError(f"template {template}: {where}: not a picture python-docx can place "
                         f"({type(exc).__name__})") from None
    media[slot.slot] = (fastdocx.media_entry(slot, blob, ext), ext)
    return fastdocx.ImageValue(slot.slot, xml, state)
