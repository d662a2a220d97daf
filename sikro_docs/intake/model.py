"""What intake hands to the rest of the project: Problem, Row, Intake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    row: int
    column: str | None  # header text as found in the file, or the JSON key
    message: str
    field: str | None = None  # field name, when the problem belongs to one column

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
