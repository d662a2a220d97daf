"""Intake: reading and checking the list of SIKRO applications a clerk hands in.

    with open_input("permohonan.xlsx") as intake:
        for row in intake.rows():          # streamed, validated, duplicates found
            if not row.ok:
                ...                        # row.problems, one sentence each

Inputs are the official workbook (.xlsx, see `write_blank_workbook`) or JSON
(see `json_schema`). A file that cannot be used at all raises
`sikro_docs.errors.UnusableInput` with one line naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..limits import limits
from .columns import CHECKLIST, FIELDS, Field
from .detect import JSON, detect_format
from .errors_book import errors_path_for, write_errors_workbook
from .excel import ExcelIntake
from .jsoninput import JsonIntake
from .model import Intake, Problem, Row
from .schema import load_schema
from .workbook import write_blank_workbook

__all__ = [
    "CHECKLIST", "FIELDS", "Field", "Intake", "Problem", "Row", "errors_path_for", "json_schema",
    "open_input", "write_blank_workbook", "write_errors_workbook",
]


def open_input(path: str | os.PathLike[str], profile: dict | None = None) -> Intake:
    """Open an application list (.xlsx or JSON, told apart by content).

    The profile's `[limits.workbook]` / `[limits.json]` bound what the file may cost (see
    sikro_docs/limits.py); without a profile the built-in defaults apply.
    """
    path = Path(path)
    workbook_limits = limits(profile, "workbook")
    if detect_format(path, workbook_limits) == JSON:
        return JsonIntake(path, limits(profile, "json"))
    return ExcelIntake(path, workbook_limits)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON input."""
    return load_schema()
