"""What intake hands to the rest of the project: Problem, Row, Intake."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OTHER = "intake.other"  # the code of a problem no check names (problems.py has the others)


@dataclass(frozen=True)
class Problem:
    row: int
    column: str | None  # header text as found in the file, or the JSON key
    message: str
    field: str | None = None  # field name, when the problem belongs to one column
    # A stable name of the check (problems.py) and what the message is made of (plus `label`, the
    # column as named in the message): the console words the problem from these in its language.
    code: str = OTHER
    # A plain dict: a row travels pickled from the reader process (read_ahead.py); never changed.
    values: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, row: int, column: str | None, err, field_name: str | None = None, *,
           label: str | None = None) -> Problem:
        """The problem a coded error (problems.InvalidValue) makes; with `label`, the message
        starts with it ("NIK ... has 15 digits")."""
        message = f"{label} {err}" if label is not None else str(err)
        values = {"label": label, **err.values} if label is not None else dict(err.values)
        return cls(row, column, message, field_name, getattr(err, "code", OTHER), values)

    def as_json(self) -> dict:
        """Row, column, field, English message, code and values (as an import's result keeps them)."""
        return {"row": self.row, "column": self.column, "field": self.field, "message": self.message,
                "code": self.code, "values": dict(self.values)}

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Row:
    number: int  # sheet row number as Excel shows it; for JSON the 1-based record position
    raw: list[Any]  # original cell values in file order
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # labels of checklist items marked T

    @property
    def ok(self) -> bool:
        """No problems. An incomplete file (`missing`) is a valid row: deciding
        "berkas tidak lengkap" is the office's step, not an input error."""
        return not self.problems


class Intake:
    """An opened input file. Use as a context manager; `rows()` streams."""

    path: Path
    format: str  # "xlsx" | "json"
    sheet: str | None = None
    header_row: int | None = None
    headers: list[str]

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the file; idempotent."""

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path.name} format={self.format} sheet={self.sheet!r}>"
