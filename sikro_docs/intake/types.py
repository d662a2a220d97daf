"""Which permit type each row of an input is, and which columns a sheet has for each type.

    chooser = TypeChooser(catalogue, fixed=None, fallback=default_type)
    permit_type, problem = chooser.choose(row_cell_of_jenis_izin)

A file is of one type when `--type` names it (`fixed`), or of the profile's
default type when it has no `Jenis Izin` column; with that column (and no
`--type`) each row names its type, a blank cell meaning the default.

A sheet's headers are mapped once per type (`map_type_columns`): the same
header may mean different fields in different types ("Nama Tempat Praktik" is
one type's own column and another's alias), so a row is read through the
columns of its own type. A header of another type's column that this type
lacks is "foreign": a filled cell there is a row error naming that type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import columns as c
from . import problems as pr
from .values import as_shown, clean_text, is_blank


def describe(permit_type) -> str:
    """"SIPA (Surat Izin Praktik Apoteker)": how messages name a type."""
    return f"{permit_type.short_name} ({permit_type.title})"


def kind_field(permit_type) -> c.Field | None:
    """The `Jenis Izin` field (kind permit_type) the type shares with every other."""
    return next((f for f in permit_type.fields if f.kind == c.PERMIT_TYPE), None)


class TypeChooser:
    """Decides the permit type of a row from its `Jenis Izin` value."""

    def __init__(self, catalogue, fixed=None, fallback=None):
        self.catalogue = catalogue
        self.fixed = fixed
        self.fallback = fixed or fallback
        self._seen: dict[str, tuple] = {}

    @property
    def types(self) -> list:
        return [self.fixed] if self.fixed else list(self.catalogue.types.values())

    def choose(self, value) -> tuple:
        """(the row's type or None when it names no known type, a coded problem or None)."""
        if is_blank(value):
            return self.fallback, None
        text = " ".join(clean_text(str(value)).split())
        if text not in self._seen:
            self._seen[text] = self._choose(text, value)
        return self._seen[text]

    def _choose(self, text: str, value) -> tuple:
        found = self.catalogue.find(text)
        if found is None:
            known = ", ".join(t.short_name for t in self.catalogue.types.values())
            return None, pr.UnknownPermitType(value=as_shown(value), known=known)
        if self.fixed is not None and found.code != self.fixed.code:
            return self.fixed, pr.OtherPermitType(value=as_shown(value), found=describe(found),
                                                  given=describe(self.fixed))
        return found, None


@dataclass
class TypeColumns:
    """How one permit type reads a sheet: field name -> 0-based column, and what it lacks."""

    permit_type: object
    columns: dict[str, int]
    combined: dict[int, tuple[str, str]]  # a "Tempat, Tanggal Lahir" column -> the two fields it holds
    absent: list[c.Field]  # required columns the sheet lacks
    foreign: dict[int, tuple] = field(default_factory=dict)  # column -> the other types it belongs to

    def labels(self, headers: list[str]) -> dict[str, str]:
        return {name: headers[index] for name, index in self.columns.items()}


class ColumnClash(Exception):
    """Two columns mean the same field of a type: (field, first header, second header)."""

    def __init__(self, fld: c.Field, first: str, second: str):
        super().__init__(first, second)
        self.field, self.first, self.second = fld, first, second


def map_type_columns(headers: list[str], permit_type, others: list) -> TypeColumns:
    """Map `headers` for `permit_type`; `others` are the catalogue's other types (foreign columns)."""
    fields = c.workbook_fields(permit_type)
    index = c.header_index(fields)
    own_exact = c.exact_keys(fields)
    theirs_exact = frozenset().union(*(c.exact_keys(c.workbook_fields(t)) for t in others)) - own_exact
    candidates: dict[str, list[int]] = {}
    for position, header in enumerate(headers):
        fld = index.get(c.header_key(header))
        if fld is not None:
            candidates.setdefault(fld.name, []).append(position)
    columns: dict[str, int] = {}
    by_name = {f.name: f for f in fields}
    for name, positions in candidates.items():
        if len(positions) > 1:
            # "Ijazah" next to "Ijazah Apoteker": the other type's official header is that type's column.
            positions = [p for p in positions if c.header_key(headers[p]) not in theirs_exact] or positions
        if len(positions) > 1:
            raise ColumnClash(by_name[name], headers[positions[0]], headers[positions[1]])
        columns[name] = positions[0]
    combined: dict[int, tuple[str, str]] = {}
    for position, header in enumerate(headers):
        names = c.combined_for_header(header)
        if names and not any(name in columns for name in names):
            combined[position] = names
            columns.update(dict.fromkeys(names, position))
    absent = [f for f in c.required_columns(permit_type) if f.name not in columns]
    return TypeColumns(permit_type, columns, combined, absent, _foreign(headers, columns, others))


def _foreign(headers: list[str], columns: dict[str, int], others: list) -> dict[int, tuple]:
    used = set(columns.values())
    foreign: dict[int, tuple] = {}
    for position, header in enumerate(headers):
        if position in used or not header:
            continue
        owners = tuple(t for t in others if c.field_for_header(header, c.workbook_fields(t)) is not None)
        if owners:
            foreign[position] = owners
    return foreign


def foreign_message(header: str, owners: tuple, permit_type) -> pr.InvalidValue:
    """The problem of a filled cell in a column of other types (`str()` of it: the sentence)."""
    names = " and ".join(describe(t) for t in owners)
    return pr.ForeignColumn(header=header, owners=names, permit_type=permit_type.short_name)


class SheetColumns:
    """The columns of one sheet for every type its rows may be (computed once per type, when first needed)."""

    def __init__(self, headers: list[str], chooser: TypeChooser, on_clash: Callable[[ColumnClash], Exception]):
        self.headers = headers
        self.chooser = chooser
        self.on_clash = on_clash
        fallback = chooser.fallback
        kind = kind_field(fallback)
        keys = kind.keys if kind else set()
        self.kind_column = next((i for i, h in enumerate(headers) if c.header_key(h) in keys), None)
        self.mixed = self.kind_column is not None and chooser.fixed is None
        self._by_type: dict[str, TypeColumns] = {}
        self._labels: dict[str, dict[str, str]] = {}

    def of(self, permit_type) -> TypeColumns:
        found = self._by_type.get(permit_type.code)
        if found is None:
            others = [t for t in self.chooser.catalogue.types.values() if t.code != permit_type.code]
            try:
                found = map_type_columns(self.headers, permit_type, others)
            except ColumnClash as clash:
                raise self.on_clash(clash) from None
            self._by_type[permit_type.code] = found
        return found

    def labels(self, permit_type) -> dict[str, str]:
        """Field name -> the header as found, for the type's columns and the Jenis Izin column."""
        permit_type = permit_type or self.chooser.fallback
        labels = self._labels.get(permit_type.code)
        if labels is None:
            labels = self.of(permit_type).labels(self.headers)
            kind = kind_field(self.chooser.fallback)
            if kind is not None and self.kind_column is not None:
                labels[kind.name] = self.headers[self.kind_column]
            self._labels[permit_type.code] = labels
        return labels

    def read_columns(self) -> set[int]:
        """Every column a row's type may read (a row blank in all of them is no application)."""
        types = self.chooser.types if self.mixed else [self.chooser.fallback]
        read: set[int] = set()
        for permit_type in types:
            try:
                columns = self.of(permit_type)
            except Exception:  # a clash in a type no row may be; reported when a row is of it
                continue
            read |= set(columns.columns.values()) | set(columns.foreign)
        if self.kind_column is not None:
            read.add(self.kind_column)
        return read
