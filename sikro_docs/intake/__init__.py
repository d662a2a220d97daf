"""Intake: reading and checking the list of applications a clerk hands in, per permit type.

    with open_input("permohonan.xlsx", profile, ws=ws, permit_type="sipb") as intake:
        for row in intake.rows():          # streamed, validated, duplicates found
            if not row.ok:
                ...                        # row.problems, one sentence each

Inputs are a type's official workbook (.xlsx, see `write_blank_workbook`) or
JSON (see `json_schema`). Without `permit_type` a `Jenis Izin` column names
each row's type (blank: the profile's default type); without either, the file
is of the default type. A file that cannot be used at all raises
`sikro_docs.errors.UnusableInput` with one line naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .. import permit_types
from ..limits import limits
from .columns import Field, mixed_fields, workbook_fields
from .detect import JSON, detect_format
from .errors_book import errors_path_for, write_errors_workbook
from .excel import ExcelIntake
from .jsoninput import JsonIntake
from .model import Intake, Problem, Row
from .schema import build_schema, load_schema
from .types import TypeChooser
from .workbook import write_blank_workbook

__all__ = [
    "Field", "Intake", "Problem", "Row", "TypeChooser", "errors_path_for", "json_schema", "mixed_fields",
    "open_input", "type_chooser", "workbook_fields", "write_blank_workbook", "write_errors_workbook",
]


def open_input(path: str | os.PathLike[str], profile: dict | None = None, *, ws=None,
               permit_type=None) -> Intake:
    """Open an application list (.xlsx or JSON, told apart by content).

    `permit_type` (a PermitType, or a code, short name or title) makes every row that type;
    an unknown one raises UnknownPermitType. The profile's `[limits.workbook]` / `[limits.json]`
    bound what the file may cost (see sikro_docs/limits.py); without a profile the built-in
    defaults apply.
    """
    path = Path(path)
    chooser = type_chooser(profile, ws=ws, permit_type=permit_type)
    workbook_limits = limits(profile, "workbook")
    if detect_format(path, workbook_limits) == JSON:
        return JsonIntake(path, limits(profile, "json"), chooser)
    return ExcelIntake(path, workbook_limits, chooser)


def type_chooser(profile: dict | None = None, *, ws=None, permit_type=None) -> TypeChooser:
    """Who decides each row's type: `permit_type`, else a Jenis Izin cell, else the profile's default."""
    catalogue = permit_types.catalogue(ws)
    fixed = catalogue.get(permit_type) if isinstance(permit_type, str) else permit_type
    profile = profile if profile is not None else getattr(ws, "profile", None) or {}
    default = profile.get("permit_types", {}).get("default")
    fallback = catalogue.get(default) if default else permit_types.default(ws)
    return TypeChooser(catalogue, fixed=fixed, fallback=fallback)


def json_schema(permit_type=None, ws=None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the JSON input of one type (default: the default type)."""
    if permit_type is None and ws is None:
        return load_schema()
    catalogue = permit_types.catalogue(ws)
    chosen = catalogue.get(permit_type) if isinstance(permit_type, str) else permit_type
    return build_schema(chosen or permit_types.default(ws))


def __getattr__(name: str):
    # The default type's columns, for callers made before permit types (intake itself never uses these).
    if name == "FIELDS":
        return list(workbook_fields(permit_types.default()))
    if name == "CHECKLIST":
        return [f for f in workbook_fields(permit_types.default()) if f.group == "berkas"]
    raise AttributeError(name)
