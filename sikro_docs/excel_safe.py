"""Write values into openpyxl worksheets as data, never as formulas.

Names, addresses and free text come from applicants and clerks. openpyxl
turns any string that starts with "=" into a formula, and Excel/LibreOffice
treat "+", "-", "@" (and a leading tab/CR in CSV exports) the same way when a
cell is edited or exported. A cell whose type is forced to "s" is stored as a
(shared) string, so the spreadsheet program shows it as text and never
evaluates it.

Every workbook the project writes should go through `write_row` (or
`write_cell` for single cells of a normal worksheet).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

# Characters that make a spreadsheet program read a string as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Types openpyxl stores natively; anything else is written as its text.
_NATIVE_TYPES = (int, float, decimal.Decimal, bool, dt.date, dt.datetime, dt.time, dt.timedelta)

# Style keywords `write_row` passes through to every written cell.
STYLE_ATTRIBUTES = ("font", "fill", "border", "alignment", "number_format", "protection")


def safe(value: Any) -> Any:
    """Return `value` in a form openpyxl can store without error.

    Strings lose control characters that XML cannot hold (openpyxl would
    raise IllegalCharacterError); values of other types become their text.
    Formula protection needs the cell itself: see `write_cell`.
    """
    if value is None or isinstance(value, _NATIVE_TYPES):
        return value
    text = value if isinstance(value, str) else str(value)
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _fill_cell(cell: Cell, value: Any, style: dict[str, Any]) -> Cell:
    cell.value = safe(value)
    if isinstance(cell.value, str):
        # Assigning "=..." made openpyxl mark the cell as a formula; force it
        # back to a plain string for every text value, whatever it starts with.
        cell.data_type = "s"
    for name in STYLE_ATTRIBUTES:
        if name in style:
            setattr(cell, name, style[name])
    return cell


def write_cell(cell: Cell, value: Any, **style: Any) -> Cell:
    """Write one value into an existing cell of a normal worksheet, as data."""
    return _fill_cell(cell, value, style)


def write_row(ws, values: Iterable[Any], **style: Any) -> None:
    """Append one row of values to `ws` (normal or write_only) as data.

    `style` may hold font, fill, border, alignment, number_format and
    protection; each is applied to every cell of the row.
    """
    unknown = set(style) - set(STYLE_ATTRIBUTES)
    if unknown:
        raise TypeError(f"write_row() got unknown style keyword(s): {', '.join(sorted(unknown))}")
    # WriteOnlyCell objects are accepted by both kinds of worksheet's append().
    cells = [_fill_cell(WriteOnlyCell(ws), value, style) for value in values]
    ws.append(cells)
