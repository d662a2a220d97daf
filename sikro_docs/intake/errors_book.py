"""The errors workbook handed back to the clerk: the bad rows, as typed, with reasons.

Columns: "Baris" (row number in the original file), "Kesalahan" (every
problem of the row, "; "-separated), then the original columns. The first two
columns come first so they are visible without scrolling, and the original
header stays intact: a corrected errors workbook can be read back as input
(the two extra columns are unknown headers, ignored by intake).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..excel_safe import write_cell
from . import columns as c
from .model import Intake, Row

SHEET_TITLE = "Kesalahan"
ROW_HEADER = "Baris"
PROBLEMS_HEADER = "Kesalahan"
LEADING_COLUMNS = 2
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "dd-mm-yyyy"
PROBLEMS_WIDTH = 70


def errors_path_for(input_path: Path) -> Path:
    """permohonan.xlsx -> permohonan-kesalahan.xlsx, beside the input."""
    return input_path.with_name(f"{input_path.stem}-kesalahan.xlsx")


def write_errors_workbook(intake: Intake, bad_rows: Iterable[Row], dest: Path | None = None) -> Path:
    dest = Path(dest) if dest is not None else errors_path_for(intake.path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Written beside, then moved into place: a failure (a read-only folder, the file held
    # open) raises OSError before openpyxl starts or after it is done, and never leaves half a file.
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        try:
            _write(intake, bad_rows, handle)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    try:
        os.replace(partial, dest)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    return dest


def _write(intake: Intake, bad_rows: Iterable[Row], handle) -> None:
    headers = _output_headers(intake)
    known = tuple(getattr(intake, "fields", ()) or ())
    fields = [c.field_for_header(h, known) if known else c.field_for_header(h) for h in headers]
    # write_only: the bad rows are streamed too, whatever their number.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "C2"
    _set_widths(sheet, fields)
    sheet.append([_cell(sheet, text, font=BOLD, fill=HEADER_FILL) for text in
                  [ROW_HEADER, PROBLEMS_HEADER, *headers]])
    for row in bad_rows:
        sheet.append(_row_cells(sheet, intake, row, fields))
    workbook.save(handle)


def _output_headers(intake: Intake) -> list[str]:
    if intake.format == "json":
        return [f.header for f in intake.fields]  # raw JSON values are in the order of its fields
    return list(intake.headers)


def _set_widths(sheet, fields: list[c.Field | None]) -> None:
    sheet.column_dimensions["A"].width = 7
    sheet.column_dimensions["B"].width = PROBLEMS_WIDTH
    for index, fld in enumerate(fields, start=LEADING_COLUMNS + 1):
        sheet.column_dimensions[get_column_letter(index)].width = fld.width if fld else 16


def _row_cells(sheet, intake: Intake, row: Row, fields: list[c.Field | None]) -> list:
    bad_columns = {intake.headers.index(p.column) for p in row.problems if p.column in intake.headers}
    cells = [_cell(sheet, row.number), _cell(sheet, "; ".join(p.message for p in row.problems),
                                             alignment=WRAP)]
    for index, value in enumerate(row.raw):
        fld = fields[index] if index < len(fields) else None
        style = {"fill": BAD_FILL} if index in bad_columns else {}
        cells.append(_cell(sheet, *_display(value, fld), **style))
    return cells


def _display(value: Any, fld: c.Field | None) -> tuple[Any, dict[str, Any]]:
    """The value as the clerk typed it, plus the number format that shows it so."""
    if isinstance(value, bool):
        return ("Y" if value else "T"), {}
    if isinstance(value, (dt.date, dt.datetime)):
        return value, {"number_format": DATE_FORMAT}
    if fld is not None and fld.text_format and isinstance(value, (int, float)):
        # A NIK stored as a number would show as 1.21E+15; show its digits.
        return (str(int(value)) if float(value).is_integer() else str(value)), {"number_format": "@"}
    return value, {}


def _cell(sheet, value: Any, extra: dict[str, Any] | None = None, **style: Any) -> WriteOnlyCell:
    return write_cell(WriteOnlyCell(sheet), value, **{**(extra or {}), **style})
