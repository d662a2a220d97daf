"""Reading an application list from an .xlsx workbook, streamed.

openpyxl's read-only mode parses the sheet XML while we iterate, so a
10,000-row list never sits in memory; the price is that damage deep inside
the file only shows while iterating, hence the guarded iterator.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from . import columns as c
from .detect import unusable
from .model import Intake, Row
from .validate import RecordValidator
from .values import is_blank

SHEET_NAME = "Permohonan"
HEADER_SEARCH_ROWS = 20
MIN_HEADER_MATCHES = 3  # fewer recognised headers than this is a title row, not the header


class ExcelIntake(Intake):
    format = "xlsx"

    def __init__(self, path: Path):
        self.path = path
        self._workbook = _load(path)
        try:
            self._worksheet = self._choose_sheet()
            self.sheet = self._worksheet.title
            self.header_row, self.headers = self._find_header()
            self._columns = self._map_columns()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    # --- opening ------------------------------------------------------------

    def _choose_sheet(self):
        names = self._workbook.sheetnames
        wanted = [n for n in names if n.strip().lower() == SHEET_NAME.lower()]
        name = wanted[0] if wanted else names[0]
        sheet = self._workbook[name]
        if not hasattr(sheet, "iter_rows"):
            raise unusable(self.path, f'sheet "{name}" is a chart, not a table')
        # Some programs write a wrong <dimension>; without it openpyxl reads every row in full.
        sheet.reset_dimensions()
        return sheet

    def _find_header(self) -> tuple[int, list[str]]:
        best_number, best_cells, best_matches = None, [], 0
        for number, cells in enumerate(self._iter_values(max_row=HEADER_SEARCH_ROWS), start=1):
            matches = len({f.name for f in map(c.field_for_header, cells) if f is not None})
            if matches > best_matches:
                best_number, best_cells, best_matches = number, cells, matches
        if best_matches < MIN_HEADER_MATCHES:
            raise unusable(self.path, f'sheet "{self.sheet}" has no recognisable header row '
                                      f"(expected headers such as Nama, NIK, Tanggal Lahir in the first "
                                      f"{HEADER_SEARCH_ROWS} rows)")
        headers = ["" if is_blank(v) else " ".join(str(v).split()) for v in best_cells]
        while headers and not headers[-1]:
            headers.pop()
        return best_number, headers

    def _map_columns(self) -> dict[str, int]:
        """Field name -> 0-based column index; unusable when a required column is absent."""
        columns: dict[str, int] = {}
        for index, header in enumerate(self.headers):
            fld = c.field_for_header(header)
            if fld is None:
                continue
            if fld.name in columns:
                first = self.headers[columns[fld.name]]
                raise unusable(self.path, f'columns "{first}" and "{header}" both mean "{fld.header}"; '
                                          "keep only one")
            columns[fld.name] = index
        missing = [f for f in c.FIELDS if f.required and f.name not in columns]
        if missing:
            raise unusable(self.path, self._missing_columns_message(missing, columns))
        return columns

    def _missing_columns_message(self, missing: list[c.Field], columns: dict[str, int]) -> str:
        known = set(columns.values())
        unknown = [h for i, h in enumerate(self.headers) if h and i not in known]
        by_key = {c.header_key(h): h for h in unknown}
        parts = []
        for fld in missing:
            close = difflib.get_close_matches(c.header_key(fld.header), list(by_key), n=1, cutoff=0.75)
            hint = f' (did you mean "{by_key[close[0]]}"?)' if close else ""
            parts.append(f'"{fld.header}"{hint}')
        return (f'sheet "{self.sheet}" header row {self.header_row} lacks required column(s): '
                + ", ".join(parts))

    # --- rows ---------------------------------------------------------------

    def rows(self) -> Iterator[Row]:
        if self._workbook is None:
            raise ValueError("rows() called on a closed Intake")
        labels = {name: self.headers[index] for name, index in self._columns.items()}
        validator = RecordValidator(labels)
        width = len(self.headers)
        first = self.header_row + 1
        for number, cells in enumerate(self._iter_values(min_row=first), start=first):
            if all(is_blank(v) for v in cells):
                continue
            raw = list(cells) + [None] * (width - len(cells))
            by_field = {name: raw[index] for name, index in self._columns.items()}
            yield validator.check(number, raw, by_field)

    def _iter_values(self, min_row: int = 1, max_row: int | None = None) -> Iterator[tuple[Any, ...]]:
        """Cell values row by row; damage found while parsing becomes UnusableInput."""
        source = self._worksheet.iter_rows(min_row=min_row, max_row=max_row, values_only=True)
        number = min_row - 1
        while True:
            try:
                cells = next(source)
            except StopIteration:
                return
            except Exception as err:  # any parser/zip/zlib failure means a damaged file
                raise unusable(self.path, f"the workbook is damaged near row {number + 1} "
                                          f"({type(err).__name__}); save it again from Excel") from None
            number += 1
            yield tuple(map(_plain, cells))


def _load(path: Path):
    try:
        # data_only=False: a formula cell is read as its formula text. Taking the
        # cached result instead would silently accept whatever a crafted
        # =HYPERLINK(...) displays, and files written by scripts have no cache.
        return load_workbook(path, read_only=True, data_only=False)
    except Exception as err:  # openpyxl raises many kinds on bad zips/XML; all mean "unreadable"
        raise unusable(path, f"the workbook cannot be read ({type(err).__name__}: {_first_line(err)})") from None


def _plain(value: Any) -> Any:
    """Array/data-table formulas come back as objects; keep their formula text."""
    if isinstance(value, (ArrayFormula, DataTableFormula)):
        return getattr(value, "text", None) or "="
    return value


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else "no detail"
