"""Active content in a PDF: JavaScript, launch actions, embedded files.

Such a PDF is still filed (it is evidence, and its bytes are never
changed), but the filing records a warning event that `archive search`
and `archive show` print, so that nobody opens it unawares.

Names are looked for twice: in the raw bytes (with `#xx` escapes decoded,
so `/J#61vaScript` is found) and, when part of the file is hidden in
compressed object streams or encrypted, in every object pypdf parses.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

JAVASCRIPT, LAUNCH, EMBEDDED = "JavaScript", "a launch action", "an embedded file"
FINDINGS = {"JavaScript": JAVASCRIPT, "JS": JAVASCRIPT, "Launch": LAUNCH, "EmbeddedFiles": EMBEDDED,
            "EmbeddedFile": EMBEDDED, "FileAttachment": EMBEDDED}
MAX_DEPTH = 12  # nesting of direct dictionaries and arrays followed inside one object
MAX_OBJECTS = 200_000

_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]+)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def active_content(path: Path) -> list[str]:
    """What active content the PDF at `path` holds (sorted, each once); [] for none or not a PDF."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    if b"%PDF-" not in data[:1024]:
        return []
    names = {_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")
             for raw in set(_NAME.findall(data))}  # each name decoded once
    if b"/ObjStm" in data or b"/Encrypt" in data:
        names |= _parsed_names(data)
    return sorted({FINDINGS[name] for name in names if name in FINDINGS})


def _parsed_names(data: bytes) -> set[str]:
    """Every dictionary key and name value of every object pypdf can read (compressed ones too)."""
    import pypdf
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    names: set[str] = set()

    def walk(value, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(value, NameObject):
            names.add(str(value)[1:])
        elif isinstance(value, DictionaryObject):
            for key, item in value.items():
                names.add(str(key)[1:])
                if not isinstance(item, IndirectObject):
                    walk(item, depth + 1)
        elif isinstance(value, ArrayObject):
            for item in value:
                if not isinstance(item, IndirectObject):
                    walk(item, depth + 1)

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        numbers = {num for table in reader.xref.values() for num in table} | set(reader.xref_objStm)
        for count, number in enumerate(sorted(numbers)):
            if count >= MAX_OBJECTS:
                break
            try:
                walk(reader.get_object(number), 0)
            except Exception:  # a damaged object: the others are still looked at
                continue
    except Exception:  # unreadable to pypdf: the raw names are what there is
        pass
    return names
