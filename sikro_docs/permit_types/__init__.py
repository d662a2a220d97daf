"""Permit types as data: the built-in ones and an office's own, each a folder.

    from sikro_docs import permit_types
    catalogue = permit_types.catalogue(ws)         # every type of the workspace
    sipb = permit_types.get(ws, "sipb")            # by code, short name or title
    default = permit_types.default(ws)             # [permit_types] default of the profile
    sipb.fields, sipb.checklist("perpanjangan"), sipb.validity.until(issued, values)

The model is model.py; the one loader of the data is loader.py; the condition
language of checklist items is conditions.py.
"""

from __future__ import annotations

import functools

from .conditions import Condition, ConditionInvalid, parse_condition
from .loader import (
    COMMON_FILE,
    TYPE_FILE,
    WORKSPACE_FOLDER,
    Catalogue,
    Common,
    PermitTypeError,
    Problem,
    TypeRead,
    UnknownPermitType,
    builtin_root,
    common,
    load_catalogue,
    pinned,
    read_type_dir,
    workspace_root,
)
from .model import ApplicationKind, ChecklistItem, Field, PermitType, Rules, Validity

__all__ = [
    "COMMON_FILE", "TYPE_FILE", "WORKSPACE_FOLDER", "ApplicationKind", "Catalogue", "ChecklistItem", "Common",
    "Condition", "ConditionInvalid", "Field", "PermitType", "PermitTypeError", "Problem", "Rules", "TypeRead",
    "UnknownPermitType", "Validity", "application_kind", "builtin_root", "catalogue", "common", "default",
    "get", "load_catalogue", "parse_condition", "pinned", "read_type_dir", "workspace_root",
]


def catalogue(ws=None) -> Catalogue:
    return load_catalogue(ws)


def get(ws, code_or_title: str) -> PermitType:
    return load_catalogue(ws).get(code_or_title)


def default(ws=None) -> PermitType:
    """The type of a workbook without `Jenis Izin` and of records made before permit types existed."""
    profile = getattr(ws, "profile", None) or {}
    code = profile.get("permit_types", {}).get("default") or _builtin_default()
    return load_catalogue(ws).get(code)


def _builtin_default() -> str:
    from ..workspace import default_section

    return default_section("permit_types")["default"]


def application_kind(text: str | None) -> ApplicationKind:
    """An application kind by code, title or alias; blank means a new application."""
    kinds = common().kinds
    if text is None or not str(text).strip():
        return kinds[0]
    kind = _kinds_by_name().get(" ".join(str(text).split()).casefold())
    if kind is None:
        raise ValueError(f'"{text}" is not one of {", ".join(k.title for k in kinds)}')
    return kind


@functools.cache
def _kinds_by_name() -> dict[str, ApplicationKind]:
    """Code, title and aliases (folded) -> kind; the first kind keeps a name two would share."""
    names: dict[str, ApplicationKind] = {}
    for kind in common().kinds:
        for name in (kind.code, kind.title.casefold(), *(a.casefold() for a in kind.aliases)):
            names.setdefault(name, kind)
    return names
