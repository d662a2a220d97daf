"""The columns of an application list, as data.

One `Field` per column of the official workbook, in the official order. The
same list drives header matching, validation, the blank workbook, its
Petunjuk sheet, the errors workbook and the JSON Schema. Texts an office sees
(header, label, help, example) are in Bahasa Indonesia.
"""

from __future__ import annotations

from ..permit_types.headers import header_key  # noqa: F401  (one normaliser of headers)
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
)


def _default_fields() -> list[Field]:
    from .. import permit_types

    return list(permit_types.default().fields)


# The columns of the default permit type (the per-type lists: PermitType.fields).
FIELDS: list[Field] = _default_fields()
CHECKLIST: list[Field] = [f for f in FIELDS if f.group == CHECKLIST_GROUP]
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# Headers of one column that holds two fields, as Indonesian forms often do:
# "Tempat, Tanggal Lahir" = "Sidikalang, 05-03-1991". Header -> the fields, in the cell's order.
COMBINED_HEADERS: dict[str, tuple[str, str]] = {
    header: ("tempat_lahir", "tanggal_lahir")
    for header in ("Tempat Tanggal Lahir", "Tempat/Tanggal Lahir", "TTL", "Tempat & Tanggal Lahir",
                   "Tempat dan Tanggal Lahir")
}

_KEY_TO_FIELD: dict[str, Field] = {}
for _field in FIELDS:
    for _key in _field.keys:
        if _key in _KEY_TO_FIELD:
            raise AssertionError(f"header key {_key!r} is ambiguous")
        _KEY_TO_FIELD[_key] = _field


def field_for_header(text: object) -> Field | None:
    return _KEY_TO_FIELD.get(header_key(text))


_KEY_TO_COMBINED = {header_key(h): names for h, names in COMBINED_HEADERS.items()}


def combined_for_header(text: object) -> tuple[str, str] | None:
    """The two fields a combined column ("Tempat, Tgl Lahir") holds, or None."""
    return _KEY_TO_COMBINED.get(header_key(text))
