"""Checks of a rendered DOCX package that Word would otherwise report as unreadable content.

`assert_docx_consistent(path)`: every relationship id a part references
(r:id, r:embed, r:link, any attribute in the relationships namespace) exists
in that part's .rels and every internal target exists in the package; every
style id referenced (pStyle, rStyle, tblStyle, numStyleLink, styleLink, and
basedOn/next/link inside styles.xml) exists in styles.xml; every drawing id
(wp:docPr id) is unique across the whole package (body, headers, footers,
footnotes).
"""

from __future__ import annotations

import posixpath
import zipfile
from collections import Counter
from pathlib import Path

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
STYLE_REFS = ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink")
STYLE_CHAIN = ("basedOn", "next", "link")


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relationships(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str | None]]:
    name = _rels_name(part)
    if name not in zf.namelist():
        return {}
    root = etree.fromstring(zf.read(name))
    return {rel.get("Id"): (rel.get("Target"), rel.get("TargetMode"))
            for rel in root.iter(f"{{{PKG}}}Relationship")}


def docx_problems(path: Path) -> list[str]:
    """Every inconsistency of the package at `path`, one line each (empty: consistent)."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        parts = {n: etree.fromstring(zf.read(n)) for n in names if n.endswith(".xml")}
    with zipfile.ZipFile(path) as zf:
        for part, root in parts.items():
            rels = _relationships(zf, part)
            for el in root.iter():
                for attr, value in el.attrib.items():
                    if attr.startswith(f"{{{R}}}") and value not in rels:
                        problems.append(f"{part}: r:{attr.split('}')[1]}={value!r} has no relationship "
                                        f"in {_rels_name(part)}")
            for rid, (target, mode) in rels.items():
                if mode != "External":
                    entry = target.lstrip("/") if target.startswith("/") else \
                        posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
                    if entry not in names:
                        problems.append(f"{_rels_name(part)}: {rid} targets {entry}, which is not in the package")
    styles = parts.get("word/styles.xml")
    style_ids = set() if styles is None else {s.get(f"{{{W}}}styleId") for s in styles.iter(f"{{{W}}}style")}
    for part, root in parts.items():
        refs = STYLE_REFS + (STYLE_CHAIN if part == "word/styles.xml" else ())
        if part.startswith("word/glossary/"):
            continue  # the glossary has a style sheet of its own
        for tag in refs:
            for el in root.iter(f"{{{W}}}{tag}"):
                if el.get(f"{{{W}}}val") not in style_ids:
                    problems.append(f"{part}: w:{tag} {el.get(f'{{{W}}}val')!r} is not a style of word/styles.xml")
    ids = Counter()
    where: dict[str, list[str]] = {}
    for part, root in parts.items():
        for el in root.iter(f"{{{WP}}}docPr"):
            ids[el.get("id")] += 1
            where.setdefault(el.get("id"), []).append(part)
    for value, count in ids.items():
        if count > 1:
            problems.append(f"wp:docPr id {value} is used {count} times ({', '.join(sorted(where[value]))})")
    return problems


def assert_docx_consistent(path) -> None:
    """Fail with every inconsistency of the DOCX at `path` (see the module)."""
    problems = docx_problems(Path(path))
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)
