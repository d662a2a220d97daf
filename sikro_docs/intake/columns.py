"""Matching column headers to a permit type's fields.

The fields themselves are data: `PermitType.fields` (sikro_docs/permit_types).
Here: which columns a type's workbook has (`workbook_fields`), the columns of a
workbook that mixes types (`mixed_fields`), which columns a file must have
(`required_columns`), and a header -> field index over any list of fields.
"""

from __future__ import annotations

from functools import lru_cache

from ..permit_types.headers import header_key
from ..permit_types.model import (  # noqa: F401  (the kinds and groups, re-exported)
    APPLICANT,
    APPLICATION_KIND,
    CHECKLIST_GROUP,
    CHOICE,
    CODE,
    DATE,
    DATE_OR_LIFETIME,
    DECISION,
    EMAIL,
    GENDER,
    LATER,
    NAME,
    NIK,
    NUMBER,
    PERMIT,
    PERMIT_TYPE,
    PHONE,
    TEXT,
    YES_NO,
    Field,
    PermitType,
)

__all__ = ["COMBINED_HEADERS", "Field", "combined_for_header", "field_for_header", "header_index", "header_key",
           "mixed_fields", "required_columns", "workbook_fields"]

# Headers of one column that holds two fields, as Indonesian forms often do:
# "Tempat, Tanggal Lahir" = "Sidikalang, 05-03-1991". Header -> the fields, in the cell's order.
COMBINED_HEADERS: dict[str, tuple[str, str]] = {
    header: ("tempat_lahir", "tanggal_lahir")
    for header in ("Tempat Tanggal Lahir", "Tempat/Tanggal Lahir", "TTL", "Tempat & Tanggal Lahir",
                   "Tempat dan Tanggal Lahir")
}
_KEY_TO_COMBINED = {header_key(h): names for h, names in COMBINED_HEADERS.items()}


def workbook_fields(permit_type: PermitType) -> tuple[Field, ...]:
    """The columns of one type's workbook: its fields without the `Jenis Izin` column."""
    return tuple(f for f in permit_type.fields if f.kind != PERMIT_TYPE)


def mixed_fields(types) -> tuple[Field, ...]:
    """The columns of a workbook mixing `types`: Jenis Izin and every type's columns, each header once.

    Shared columns first, then each type's own fields, the papers of all types, the later-stage columns.
    """
    types = list(types)
    groups: dict[str, list[Field]] = {"before": [], PERMIT: [], CHECKLIST_GROUP: [], LATER: []}
    for permit_type in types:
        for fld in permit_type.fields:
            group = fld.group if fld.group in (PERMIT, CHECKLIST_GROUP, LATER) else "before"
            groups[group].append(fld)
    seen: set[str] = set()
    out = []
    for fields in groups.values():
        for fld in fields:
            if header_key(fld.header) not in seen:
                seen.add(header_key(fld.header))
                out.append(fld)
    return tuple(out)


def required_columns(permit_type: PermitType) -> list[Field]:
    """The columns a file of this type must have: required fields, and papers WAJIB in some application kind."""
    wajib = {item.name for items in permit_type.checklists.values() for item in items if item.required}
    return [f for f in workbook_fields(permit_type)
            if (f.name in wajib if f.group == CHECKLIST_GROUP else f.required)]


@lru_cache(maxsize=64)
def header_index(fields: tuple[Field, ...]) -> dict[str, Field]:
    """Normalised header key -> field; the first field wins a key several share (a mixed list)."""
    index: dict[str, Field] = {}
    for fld in fields:
        for key in fld.keys:
            index.setdefault(key, fld)
    return index


def exact_keys(fields: tuple[Field, ...]) -> frozenset[str]:
    """The keys of the fields' official headers (not their aliases)."""
    return frozenset(header_key(f.header) for f in fields)


def field_for_header(text: object, fields: tuple[Field, ...] | None = None) -> Field | None:
    """The field a header means among `fields` (default: the default permit type's workbook)."""
    if fields is None:
        from .. import permit_types

        fields = workbook_fields(permit_types.default())
    return header_index(tuple(fields)).get(header_key(text))


def combined_for_header(text: object) -> tuple[str, str] | None:
    """The two fields a combined column ("Tempat, Tgl Lahir") holds, or None."""
    return _KEY_TO_COMBINED.get(header_key(text))
