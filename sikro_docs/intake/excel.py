"""Reading an application list from an .xlsx workbook, streamed.

The sheet XML is parsed while we iterate (xlsx_stream.py), so a 10,000-row
list never sits in memory; the price is that damage deep inside the file
only shows while iterating, hence the guarded iterator.

Workbooks come from clerks, not only from `sikro workbook`: the list may sit
on any sheet, under title rows, under a header split over two rows (a group
header such as "Kelengkapan Berkas" above the checklist columns), followed by
a row of column numbers (1, 2, 3 ...). Formula cells are read as the result
the spreadsheet program saved with them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import SikroError
from ..limits import LimitReached, limits
from . import columns as c
from .bounds import SECTION, GuardedZip
from .model import Intake, Row
from .refusals import FileRefused, refused
from .types import ColumnClash, SheetColumns, TypeChooser, describe
from .validate import RecordValidator
from .values import is_blank
from .xlsx_stream import SheetPart, XlsxBook

SHEET_NAME = "Permohonan"
HEADER_SEARCH_ROWS = 20
MIN_HEADER_MATCHES = 3  # fewer recognised headers than this is a title row, not the header
MIN_NUMBERING_CELLS = 3  # a row "1 2 3 ..." under the header has at least this many numbers


class ExcelIntake(Intake):
    format = "xlsx"

    def __init__(self, path: Path, bounds: dict[str, int] | None = None, chooser: TypeChooser | None = None):
        self.path = path
        self.bounds = bounds or limits(None, SECTION)
        self.chooser = chooser or _default_chooser()
        # Headers are recognised as any column of the types a row may be.
        self._header_fields = c.mixed_fields(self.chooser.types)
        self.fields = list(self._header_fields)
        self._handles: list[Any] = []
        self._book: XlsxBook | None = None
        try:
            self._book = self._open()
            self._worksheet = self._choose_sheet()
            self.sheet = self._worksheet.title
            self.header_row, self.headers, self.first_data_row = self._find_header()
            self._columns = self._map_columns()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._book = None
        while self._handles:
            self._handles.pop().close()

    # --- opening ------------------------------------------------------------

    def _open(self) -> XlsxBook:
        try:
            # A file object, not the name: clerks hand in "daftar.xlsx.bak" or files without an extension.
            handle = self.path.open("rb")
        except OSError as err:
            raise refused(self.path, "unreadable", reason=err.strerror or str(err)) from None
        self._handles.append(handle)
        return _load(self.path, handle, self.bounds, self._handles)

    def _choose_sheet(self) -> SheetPart:
        """Sheet "Permohonan" if it holds the list, else the first (visible) sheet that has a header row.

        A title page or the instructions may come first; a hidden sheet is usually an old copy.
        """
        sheets = self._book.sheets
        if not sheets:
            raise refused(self.path, "no-sheets")
        tables = []
        for sheet in sheets:
            if sheet.chart:
                continue
            if _best_header_row(self._header_rows(sheet), self._header_fields)[2] >= MIN_HEADER_MATCHES:
                tables.append(sheet)
        named = [s for s in tables if s.title.strip().lower() == SHEET_NAME.lower()]
        visible = [s for s in tables if s.state == "visible"]
        if named or visible or tables:
            return (named or visible or tables)[0]
        # No header anywhere: report on the sheet a clerk would expect us to read.
        wanted = [s for s in sheets if s.title.strip().lower() == SHEET_NAME.lower()]
        sheet = (wanted or sheets)[0]
        if sheet.chart:
            raise refused(self.path, "chart-sheet", sheet=sheet.title)
        return sheet

    def _header_rows(self, sheet: SheetPart) -> list[tuple[Any, ...]]:
        return list(self._iter_values(sheet, max_row=HEADER_SEARCH_ROWS + 2))

    def _find_header(self) -> tuple[int, list[str], int]:
        """(header row number, header texts, first data row number)."""
        top = self._header_rows(self._worksheet)
        number, cells, matches = _best_header_row(top, self._header_fields)
        if matches < MIN_HEADER_MATCHES:
            others = [n for n in self._book.sheetnames if n != self.sheet]
            where = f" (no other sheet has one either: {', '.join(others)})" if others else ""
            raise refused(self.path, "no-header", sheet=self.sheet, rows=HEADER_SEARCH_ROWS, elsewhere=where,
                          others=tuple(others))
        cells, last = _merge_split_header(top, number, list(cells), self._header_fields)
        headers = ["" if is_blank(v) else " ".join(str(v).split()) for v in cells]
        while headers and not headers[-1]:
            headers.pop()
        first_data = last + 1
        if first_data <= len(top) and _is_numbering_row(top[first_data - 1]):
            first_data += 1
        return number, headers, first_data

    def _map_columns(self) -> SheetColumns:
        """The sheet's columns for each type its rows may be; unusable when a required column is absent.

        A file of one type needs that type's required columns. A file whose `Jenis Izin` column names
        each row's type needs the shared required columns at once, and a type's own when a row is of it.
        """
        sheet = SheetColumns(self.headers, self.chooser, self._clash)
        try:
            first = sheet.of(self.chooser.fallback)
        except SikroError:
            if not sheet.mixed:
                raise
            return sheet  # two columns clash for the default type only: an error when a row is of it
        missing = [f for f in first.absent if not f.owner] if sheet.mixed else first.absent
        if missing:
            raise self._missing_columns(missing, first.columns, others=first.foreign, fits=self._other_types(sheet))
        return sheet

    def _other_types(self, sheet: SheetColumns) -> list:
        """The other types whose columns the file has, when it is plainly another type's file."""
        if self.chooser.fixed is not None or sheet.mixed:
            return []
        fits = []
        for permit_type in self.chooser.catalogue.types.values():
            if permit_type.code == self.chooser.fallback.code:
                continue
            try:
                if not sheet.of(permit_type).absent:
                    fits.append(permit_type)
            except SikroError:  # two columns clash for that type: not its file either
                continue
        return fits

    def _clash(self, clash: ColumnClash):
        return refused(self.path, "column-clash", first=clash.first, second=clash.second, field=clash.field.header)

    def _missing_columns(self, missing: list[c.Field], columns: dict[str, int], permit_type=None,
                         row: int | None = None, others=(), fits=()) -> FileRefused:
        known = set(columns.values()) | set(others)  # others: columns of other types, no typo of ours
        unknown = [h for i, h in enumerate(self.headers) if h and i not in known]
        by_key = {c.header_key(h): h for h in unknown}
        pairs = []
        for fld in missing:
            close = difflib.get_close_matches(c.header_key(fld.header), list(by_key), n=1, cutoff=0.75)
            pairs.append((fld.header, by_key[close[0]] if close else None))
        return refused(self.path, "missing-columns", sheet=self.sheet, header_row=self.header_row,
                       missing=tuple(pairs), of_type=describe(permit_type) if permit_type else None, row=row,
                       fits=tuple(describe(t) for t in fits), fit_code=fits[0].code if fits else None)

    def _type_columns(self, permit_type, row: int):
        """A type's columns, checked when the first row of that type is read (a mixed file)."""
        columns = self._columns.of(permit_type)
        if columns.absent:
            raise self._missing_columns(columns.absent, columns.columns, permit_type, row, columns.foreign)
        return columns

    # --- rows ---------------------------------------------------------------

    def rows(self) -> Iterator[Row]:
        if self._book is None:
            raise ValueError("rows() called on a closed Intake")
        sheet = self._columns
        validator = RecordValidator(self.chooser, sheet.labels)
        read = sorted(sheet.read_columns())
        width = len(self.headers)
        first = self.first_data_row
        last = first + self.bounds["rows"] - 1
        for number, cells in enumerate(self._iter_values(self._worksheet, min_row=first), start=first):
            if number > last:
                raise self._limit("rows", f"sheet '{self.sheet}' has more than {self.bounds['rows']:,} rows")
            raw = list(cells) + [None] * (width - len(cells))
            # A row is blank when the columns we read are: a pre-filled "No" column, or notes in
            # columns we do not know, do not make an application.
            if all(is_blank(raw[index]) for index in read):
                continue
            yield self._check_row(validator, number, raw)

    def _check_row(self, validator: RecordValidator, number: int, raw: list[Any]) -> Row:
        """Read the row through the columns of its permit type, and validate it against that type."""
        sheet = self._columns
        kind_cell = raw[sheet.kind_column] if sheet.kind_column is not None else None
        chosen = validator.choose(kind_cell)
        permit_type = chosen[0]
        columns = self._type_columns(permit_type, number) if permit_type else sheet.of(self.chooser.fallback)
        by_field = {name: raw[index] for name, index in columns.columns.items()}
        for index, (place, date) in columns.combined.items():
            by_field[place], by_field[date] = _split_place_and_date(raw[index])
        foreign = [(self.headers[i], owners) for i, owners in columns.foreign.items() if not is_blank(raw[i])]
        return validator.check(number, raw, by_field, chosen, foreign if permit_type else [])

    def _iter_values(self, sheet: SheetPart, min_row: int = 1, max_row: int | None = None
                     ) -> Iterator[tuple[Any, ...]]:
        """Cell values row by row (see xlsx_stream); damage found while parsing becomes UnusableInput."""
        source = self._book.rows(sheet, min_row=min_row, max_row=max_row)
        number = min_row - 1
        columns, longest = self.bounds["columns"], self.bounds["cell_length"]
        while True:
            try:
                number, cells = next(source)
            except StopIteration:
                return
            except SikroError:
                raise  # a limit reached while reading
            except Exception as err:  # any parser/zip/zlib failure means a damaged file
                raise refused(self.path, "damaged-row", row=number + 1, detail=type(err).__name__) from None
            if len(cells) > columns:
                raise self._limit("columns", f"sheet '{sheet.title}' row {number} has more than "
                                             f"{columns:,} columns")
            for index, value in enumerate(cells):
                if isinstance(value, str) and len(value) > longest:
                    raise self._limit("cell_length", f"sheet '{sheet.title}' row {number}, column {index + 1} "
                                                     f"holds more than {longest:,} characters")
            yield cells

    def _limit(self, key: str, what: str) -> LimitReached:
        return LimitReached(self.path, SECTION, key, what)


def _default_chooser() -> TypeChooser:
    from .. import permit_types

    return TypeChooser(permit_types.catalogue(), fallback=permit_types.default())


def _load(path: Path, handle, bounds: dict[str, int], handles: list[Any]) -> XlsxBook:
    """The workbook's sheets, shared strings and date styles, read through a GuardedZip."""
    try:
        archive = GuardedZip(handle, path, bounds)
    except SikroError:
        raise
    except Exception as err:  # a zip that cannot even be listed
        raise refused(path, "damaged", detail=f"{type(err).__name__}: {_first_line(err)}") from None
    handles.append(archive)
    try:
        # Links to other workbooks are never followed, so never read.
        return XlsxBook(archive)
    except SikroError:
        raise
    except Exception as err:  # bad zips/XML raise many kinds; all mean "unreadable"
        raise refused(path, "damaged", detail=f"{type(err).__name__}: {_first_line(err)}") from None


def _best_header_row(rows: list[tuple[Any, ...]], fields) -> tuple[int | None, tuple[Any, ...], int]:
    best_number, best_cells, best_matches = None, (), 0
    for number, cells in enumerate(rows[:HEADER_SEARCH_ROWS], start=1):
        matches = len(_fields_in(cells, fields))
        if matches > best_matches:
            best_number, best_cells, best_matches = number, cells, matches
    return best_number, best_cells, best_matches


def _fields_in(cells, fields) -> dict[int, str]:
    """0-based column -> field name, for the cells that are recognised headers (among `fields`)."""
    found = {}
    for index, value in enumerate(cells):
        fld = c.field_for_header(value, fields)
        if fld is not None:
            found[index] = fld.name
    return found


def _merge_split_header(rows: list[tuple[Any, ...]], number: int, cells: list[Any],
                        fields) -> tuple[list[Any], int]:
    """Complete a header split over two rows; return the header cells and its last row number.

    Clerks put a group header ("Kelengkapan Berkas") over the checklist columns
    with the item names in the row below, and merge the other headers down
    across both rows; or the other way round. A neighbouring row counts as part of
    the header when it names other fields and, below the header, is blank under
    every recognised header (a data row is not), or, above it, names none of them.
    """
    last = number
    for neighbour in (number + 1, number - 1):
        if not 1 <= neighbour <= len(rows):
            continue
        other = rows[neighbour - 1]
        known, theirs = _fields_in(cells, fields), _fields_in(other, fields)
        if neighbour > number:
            # Below the header, headers merged down across both rows leave blank cells.
            clash = any(i < len(other) and not is_blank(other[i]) for i in known)
        else:
            # Above it, a group label may sit over a recognised header; another header may not.
            clash = any(i in theirs for i in known)
        new = {i: name for i, name in theirs.items() if name not in known.values() and i not in known}
        if clash or not new:
            continue
        cells += [None] * (len(other) - len(cells))
        for index in new:
            cells[index] = other[index]
        last = max(last, neighbour)
    return cells, last


_NUMBER_TEXT = re.compile(r"^\(?\s*(\d{1,3})\s*\)?\.?$")


def _is_numbering_row(cells: tuple[Any, ...]) -> bool:
    """A row "1 2 3 ..." (or "(1) (2) ...") under the header, as in many official tables."""
    numbers = []
    for value in cells:
        if is_blank(value):
            continue
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)) and float(value).is_integer():
            numbers.append(int(value))
        elif isinstance(value, str) and (match := _NUMBER_TEXT.match(value.strip())):
            numbers.append(int(match.group(1)))
        else:
            return False
    return len(numbers) >= MIN_NUMBERING_CELLS and all(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False))


_PLACE_THEN_DATE = re.compile(r"^(.*?)[\s,/]+(\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4}"
                              r"|\d{1,2}[\s-]+[A-Za-z]+\.?[\s-]+\d{4}|\d{4}-\d{1,2}-\d{1,2})$")


def _split_place_and_date(value: Any) -> tuple[Any, Any]:
    """"Sidikalang, 05-03-1991" -> ("Sidikalang", "05-03-1991"); a date alone has no place."""
    if is_blank(value):
        return None, None
    if not isinstance(value, str):
        return None, value  # a date cell: the place is missing
    text = value.strip()
    if match := _PLACE_THEN_DATE.match(text):
        return match.group(1).strip(" ,/") or None, match.group(2)
    if "," in text:
        place, date = text.rsplit(",", 1)
        return place.strip() or None, date.strip() or None
    return text, None


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else "no detail"
