"""A lean streaming reader of .xlsx sheets: cell values row by row, as openpyxl's read-only mode gives them.

openpyxl's read-only mode builds a dict per cell and an object per shared
string, and needs a second pass (a twin workbook opened with data_only) for the
results saved with formulas; that made it most of an import's time. This
reader parses the parts it needs itself, with lxml's C parser,
through the same GuardedZip (every limit of `[limits.workbook]` still holds),
and reads a formula and its saved result from the same cell in one pass.

What a cell gives, as openpyxl (read-only, values only) would:
- numbers as int or float; a number in a date or time format as datetime/time
  (serial numbers out of range become "#VALUE!"), in the 1900 or 1904 calendar;
- shared and inline strings as their text (rich-text runs joined, phonetic runs left out);
- TRUE/FALSE as bool, error cells as their text ("#N/A");
- a formula as the result saved with it; without a result as `FormulaText`
  holding the formula ("=A1+1"; shared formulas translated to their cell).
Rows missing from the XML come back empty; a row is as long as its last cell.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import fromstring

from lxml import etree
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from .values import FormulaText

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
WORKBOOK_TYPES = {
    f"application/vnd.ms-excel.{kind}.main+xml" for kind in ("sheet.macroEnabled", "template.macroEnabled")
} | {f"application/vnd.openxmlformats-officedocument.spreadsheetml.{kind}.main+xml" for kind in ("sheet", "template")}
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
DEFAULT_WORKBOOK = "xl/workbook.xml"
STYLES = "xl/styles.xml"  # where openpyxl looks for them too

_ROW, _CELL, _VALUE, _FORMULA = MAIN + "row", MAIN + "c", MAIN + "v", MAIN + "f"
_INLINE, _TEXT, _RUN, _SI = MAIN + "is", MAIN + "t", MAIN + "r", MAIN + "si"


@dataclass(frozen=True)
class SheetPart:
    title: str
    state: str  # visible | hidden | veryHidden
    path: str | None  # the part in the zip; None when it is missing
    chart: bool  # a chart sheet: no cells


class XlsxBook:
    """The parts of a workbook needed to read cell values: sheets, shared strings, date styles.

    `archive` is an open zipfile.ZipFile (a GuardedZip); parts are read through it.
    Any damage raises what the parser or zipfile raise; the caller turns it into one message.
    """

    def __init__(self, archive):
        self.archive = archive
        names = set(archive.namelist())
        self._names = names
        workbook_path, strings_path = self._manifest()
        rels = self._relationships(workbook_path)
        root = fromstring(archive.read(workbook_path))
        properties = root.find(MAIN + "workbookPr")
        date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else WINDOWS_EPOCH
        self.sheets = self._sheets(root, rels)
        self.date_styles, self.timedelta_styles = self._date_styles()
        self.shared_strings = self._shared_strings(strings_path) if strings_path in names else []

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.sheets]

    # --- opening ---------------------------------------------------------------------------

    def _manifest(self) -> tuple[str, str | None]:
        """(workbook part, shared strings part) from [Content_Types].xml, as openpyxl finds them."""
        root = fromstring(self.archive.read("[Content_Types].xml"))
        overrides = {o.get("ContentType"): (o.get("PartName") or "").lstrip("/")
                     for o in root.iter(CONTENT_TYPES + "Override")}
        workbook = next((overrides[t] for t in sorted(WORKBOOK_TYPES) if t in overrides), DEFAULT_WORKBOOK)
        return workbook, overrides.get(SHARED_STRINGS_TYPE)

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of `part`; targets made absolute as openpyxl does."""
        folder, name = posixpath.split(part)
        rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
        if rels_path not in self._names:
            return {}
        root = fromstring(self.archive.read(rels_path))
        out = {}
        for rel in root.iter(PACKAGE_RELS):
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External":
                continue
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id")] = (rel.get("Type") or "", target)
        return out

    def _sheets(self, root, rels) -> list[SheetPart]:
        sheets = []
        container = root.find(MAIN + "sheets")
        for sheet in container if container is not None else ():
            rel_id = sheet.get(REL_ID)
            if not rel_id:
                continue  # openpyxl drops a sheet without a relationship too
            kind, target = rels[rel_id]  # a missing relationship is damage (KeyError)
            if target not in self._names:
                continue
            sheets.append(SheetPart(sheet.get("name") or "", sheet.get("state") or "visible", target,
                                    "chartsheet" in kind))
        return sheets

    def _date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Indexes of the cell formats that show a number as a date (or a duration)."""
        if STYLES not in self._names:
            return frozenset(), frozenset()
        root = fromstring(self.archive.read(STYLES))
        custom = {}
        formats = root.find(MAIN + "numFmts")
        for fmt in formats if formats is not None else ():
            try:
                custom[int(fmt.get("numFmtId"))] = fmt.get("formatCode") or ""
            except (TypeError, ValueError):
                continue
        dates, durations = set(), set()
        xfs = root.find(MAIN + "cellXfs")
        for index, xf in enumerate(xfs if xfs is not None else ()):
            try:
                number = int(xf.get("numFmtId", 0))
            except ValueError:
                number = 0
            code = custom.get(number, BUILTIN_FORMATS.get(number, "General"))
            if is_date_format(code):
                dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
        return frozenset(dates), frozenset(durations)

    def _shared_strings(self, part: str) -> list[str]:
        strings = []
        for element in _stream(self.archive.open(part), _SI):
            strings.append(_text_of(element).replace("x005F_", ""))
        return strings

    # --- rows ------------------------------------------------------------------------------

    def rows(self, sheet: SheetPart, min_row: int = 1, max_row: int | None = None
             ) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, cell values) from `min_row` on, every row number once, in order."""
        cells = _CellReader(self)
        expected = min_row
        number = 0
        with self.archive.open(sheet.path) as source:
            for row in _stream(source, _ROW):
                given = row.get("r")
                number = _row_number(given) if given else number + 1
                if max_row is not None and number > max_row:
                    return
                while expected < number:  # rows the file leaves out are empty
                    yield expected, ()
                    expected += 1
                if number == expected:
                    values = cells.row(row)
                    expected += 1
                    yield number, values
        # Nothing after the last row in the file: a short sheet just ends.


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(value)


def _stream(source, tag: str) -> Iterator[Any]:
    """Every complete `tag` element of the XML in `source`.

    lxml's iterparse picks the `tag` elements out in C (a sheet makes four to six parser
    events a cell, too many to look at in Python). Once the caller is done with one, it
    and those before it are dropped: memory stays flat however many rows the part holds.
    Entities are not expanded, nothing is fetched, and a tree deeper or larger than
    lxml's safe limits is an error.
    """
    with source:
        for _event, element in etree.iterparse(source, events=("end",), tag=tag, resolve_entities=False,
                                                no_network=True, huge_tree=False, load_dtd=False):
            yield element
            element.clear(keep_tail=False)
            holder = element.getparent()
            if holder is not None:
                while element.getprevious() is not None:
                    del holder[0]


def _text_of(element) -> str:
    """A string item's text: its <t>, or its rich-text runs' <t> joined (phonetic runs left out)."""
    if len(element) == 1 and element[0].tag == _TEXT:  # the usual <si><t>text</t></si>
        return element[0].text or ""
    parts = []
    for child in element:
        if child.tag == _TEXT:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            text = child.findtext(_TEXT)
            if text:
                parts.append(text)
    return "".join(parts)


_DIGITS = "0123456789"
_COLUMNS: dict[str, int] = {}  # column letters -> 1-based column, filled as met


def _column_of(reference: str) -> int:
    """1-based column of a cell reference such as "AB12"."""
    letters = reference.rstrip(_DIGITS)
    column = _COLUMNS.get(letters)
    if column is None:
        column = column_index_from_string(letters)  # ValueError for anything not a column
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = column
    return column


class _CellReader:
    """Values of one sheet's cells; keeps what shared formulas need between rows."""

    def __init__(self, book: XlsxBook):
        self.strings = book.shared_strings
        self.epoch = book.epoch
        self.dates, self.durations = book.date_styles, book.timedelta_styles
        self.shared_formulas: dict[str, Translator] = {}

    def row(self, row) -> tuple[Any, ...]:
        values: list[Any] = []
        column = 0
        for cell in row:
            if cell.tag != _CELL:
                continue
            reference = cell.get("r")
            column = _column_of(reference) if reference else column + 1
            value = self.value(cell, reference)
            width = len(values)
            if column == width + 1:
                values.append(value)
            elif column > width:  # cells left out are empty
                values.extend([None] * (column - width - 1))
                values.append(value)
            else:
                values[column - 1] = value
        del values[column:]  # as openpyxl: a row is as long as its last cell
        return tuple(values)

    def value(self, cell, reference: str | None) -> Any:
        kind = cell.get("t", "n")
        value = formula = None
        for child in cell:  # <v>, <f>, <is> in any order; one pass
            tag = child.tag
            if tag == _VALUE:
                value = child.text
            elif tag == _FORMULA:
                formula = child
            elif tag == _INLINE and kind == "inlineStr":
                value = _text_of(child)
        if kind == "inlineStr":
            if value is None and formula is not None:
                return FormulaText(self._formula_text(formula, reference))
            return value
        if not value:
            return FormulaText(self._formula_text(formula, reference)) if formula is not None else None
        if kind == "n":
            return self._number(value, cell.get("s"))
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's text result), "e" (an error such as #N/A)

    def _number(self, text: str, style: str | None) -> Any:
        number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        if style and int(style) in self.dates:
            try:
                return from_excel(number, self.epoch, timedelta=int(style) in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"  # as openpyxl: a date serial out of range reads as an error
        return number

    def _formula_text(self, formula, reference: str | None) -> str:
        """The formula as openpyxl shows it: "=" and its text; a shared one translated to this cell."""
        text = "=" + (formula.text or "")
        if formula.get("t") == "shared":
            index = formula.get("si")
            if index in self.shared_formulas and reference:
                return self.shared_formulas[index].translate_formula(reference)
            if text != "=" and reference:
                self.shared_formulas[index] = Translator(text, reference)
        return text
