"""Validation of one application record, the same for Excel rows and JSON records.

Each record is validated against ITS permit type (see types.py): the type's
fields, the checklist of the record's application kind (WAJIB items under
their condition and dates), the kind's own demands (the previous permit's
number; a revocation's reason), and the rules every type shares (NIK, dates,
decision, duplicates inside the file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .. import permit_types
from . import columns as c
from . import problems as pr
from .model import Problem, Row
from .nik import InvalidNik, parse_nik
from .types import TypeChooser, foreign_message
from .values import EXCEL_ERRORS, FormulaText, InvalidValue, as_shown, clean_text, is_blank, parse_value

MINIMUM_AGE = 17
PREVIOUS_NUMBER = "nomor_izin_sebelumnya"
REASON = "alasan_penolakan"  # also the reason of a revocation (alias "Alasan Pencabutan")

# The fields an application kind's effect demands beyond its checklist, by effect name
# (a revocation states its reason, in the Alasan Penolakan / Alasan Pencabutan column).
EFFECT_FIELDS: dict[str, tuple[str, ...]] = {"revoke": (REASON,)}
_EFFECT_WHY = {"revoke": "the reason of the revocation"}


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _filled_by_registry(row: Row, fld: c.Field) -> bool:
    """A renewal's, change's or revocation's own facts may be blank: the registry carries them over
    from the previous permit (and refuses the row, naming the column, when it does not know it)."""
    kind = row.values.get("jenis_permohonan")
    try:
        return fld.group == c.PERMIT and kind is not None and permit_types.application_kind(kind).needs_previous
    except ValueError:  # an unknown kind: its own problem is reported
        return False


class RecordValidator:
    """Validates records one at a time and remembers what it saw to find duplicates.

    `labels` gives, for a permit type, field name -> the column label the clerk
    knows: the header text as found in the file, or the JSON key (a dict: the same for every type).
    """

    def __init__(self, chooser: TypeChooser, labels: Callable[[Any], dict[str, str]] | dict[str, str]):
        self.chooser = chooser
        self.labels_of = labels if callable(labels) else (lambda _type: labels)
        self._first_row_of: dict[tuple, int] = {}
        self._fields: dict[str | None, list[c.Field]] = {}  # per type code: the fields a record is read by
        # (field, type, value) -> (parsed, problem): a workbook repeats most of its values (Y, L/P, the
        # same dates and places); each is parsed once. Bounded: a file of unique values stops adding.
        self.parsed: dict[tuple, tuple[Any, str | None]] = {}
        self.kind_field = next((f for f in chooser.fallback.fields if f.kind == c.PERMIT_TYPE), None)

    def fields_of(self, permit_type) -> list[c.Field]:
        code = permit_type.code if permit_type is not None else None
        if code not in self._fields:
            source = permit_type or self.chooser.fallback
            # A record naming no known type is checked on the columns every type shares only.
            self._fields[code] = [f for f in c.workbook_fields(source) if permit_type is not None or not f.owner]
        return self._fields[code]

    def choose(self, value) -> tuple:
        return self.chooser.choose(value)

    def check(self, number: int, raw: list[Any], cells: dict[str, Any], chosen: tuple | None = None,
              foreign: list[tuple[str, tuple]] = ()) -> Row:
        """`cells`: field name -> cell value; `chosen`: (type, problem) from `choose` (default: from the
        cells' Jenis Izin); `foreign`: (header, owner types) of filled cells of other types' columns."""
        row = Row(number=number, raw=raw)
        kind_field = self.kind_field
        permit_type, type_problem = chosen or self.chooser.choose(cells.get(kind_field.name) if kind_field else None)
        check = _Check(self, row, permit_type, self.labels_of(permit_type))
        if kind_field is not None:
            row.values[kind_field.name] = permit_type.code if permit_type else None
            if type_problem:
                check.problem(kind_field.name, type_problem)
        check.run(cells)
        if permit_type is not None:
            for header, owners in foreign:
                row.problems.append(Problem.of(number, header, foreign_message(header, owners, permit_type)))
        self._check_duplicate(check)
        return row

    def _check_duplicate(self, check: _Check) -> None:
        row, values = check.row, check.row.values
        nik, applied = values.get("nik"), values.get("tanggal_permohonan")
        if nik is None or applied is None or check.permit_type is None:
            return
        place_field = check.permit_type.rules.place_field
        place = values.get(place_field) if place_field else None
        key = (nik, applied, check.permit_type.code, check.kind_code,
               " ".join(str(place).split()).casefold() if place else "")
        first = self._first_row_of.setdefault(key, row.number)
        if first != row.number:
            tp = check.label("tanggal_permohonan")
            check.problem("nik", pr.Duplicate(value=nik, date_label=tp, date=as_shown(applied), first_row=first))


PARSED_MEMO = 50_000  # values remembered per file (a few MB at most)


def _parse_cell(fld: c.Field, value: Any) -> tuple[Any, InvalidValue | None]:
    """A filled cell's value for `fld`, or the problem with it (without the column's label)."""
    if isinstance(value, str):
        value = clean_text(value)
        if value.upper() in EXCEL_ERRORS:
            return None, pr.ExcelError(value=value)
    try:
        parsed = parse_value(fld, value)
    except InvalidValue as err:
        return None, err
    if fld.max_length and isinstance(parsed, str) and len(parsed) > fld.max_length:
        return None, pr.TooLong(value=as_shown(parsed), length=len(parsed), maximum=fld.max_length)
    return parsed, None


class _Check:
    """The checks of one record against its type."""

    def __init__(self, validator: RecordValidator, row: Row, permit_type, labels: dict[str, str]):
        self.validator, self.row, self.permit_type, self.labels = validator, row, permit_type, labels
        self.fields = validator.fields_of(permit_type)
        self.kind_code: str | None = None

    def label(self, field_name: str) -> str:
        if field_name in self.labels:
            return self.labels[field_name]
        return next((f.header for f in self.fields if f.name == field_name), field_name)

    def problem(self, field_name: str, err: InvalidValue | str) -> None:
        """The row's problem at the field: `err` a coded problem (a bare sentence is "intake.other")."""
        label = self.label(field_name)
        err = err if isinstance(err, InvalidValue) else InvalidValue(err)
        self.row.problems.append(Problem.of(self.row.number, label, err, field_name, label=label))

    def run(self, cells: dict[str, Any]) -> None:
        blank_items: list[tuple[c.Field, int]] = []  # and where its problem goes, if it is one
        for fld in self.fields:
            if self._parse_field(fld, cells.get(fld.name)) and fld.group == c.CHECKLIST_GROUP:
                blank_items.append((fld, len(self.row.problems)))
        self._application_kind()
        self._checklist(blank_items)
        self._check_nik_agreement()
        self._check_dates()
        self._check_decision()

    # --- one cell ------------------------------------------------------------

    def _parse_field(self, fld: c.Field, value: Any) -> bool:
        """Parse one cell into row.values; True when it is blank (and a blank is not yet an error)."""
        values = self.row.values
        values[fld.name] = None
        if isinstance(value, FormulaText):
            if fld.kind in (c.TEXT, c.NAME, c.CODE):
                values[fld.name] = str(value)  # what the cell holds, though the row is refused
            self.problem(fld.name, pr.FormulaWithoutResult(value=as_shown(value)))
            return False
        if is_blank(value):
            if fld.group == c.CHECKLIST_GROUP:
                return True  # WAJIB for this record or not: decided once every value is read
            if fld.required and not _filled_by_registry(self.row, fld):
                self.problem(fld.name, pr.Required())
            return False
        memo = self.validator.parsed
        # By the field's identity (a Field hashes all its settings; the validator keeps its fields
        # alive), and by the value's type too: 1, 1.0 and True are equal keys.
        key = (id(fld), type(value), value)
        try:
            parsed, problem = memo[key]
        except KeyError:
            parsed, problem = _parse_cell(fld, value)
            if len(memo) < PARSED_MEMO:
                memo[key] = (parsed, problem)
        except TypeError:  # a JSON list or object: not a key, and never a valid value either
            parsed, problem = _parse_cell(fld, value)
        if problem is not None:
            self.problem(fld.name, problem)
            return False
        values[fld.name] = parsed
        return False

    # --- the application kind and its checklist --------------------------------

    def _application_kind(self) -> None:
        fld = next((f for f in self.fields if f.kind == c.APPLICATION_KIND), None)
        if fld is None:
            return
        given = self.row.values.get(fld.name)
        if given is None and any(p.field == fld.name for p in self.row.problems):
            return  # an unknown kind: its demands cannot be known
        kind = permit_types.application_kind(given)
        self.kind_code = self.row.values[fld.name] = kind.code
        if kind.needs_previous and self.row.values.get(PREVIOUS_NUMBER) is None and \
                not self._has_problem(PREVIOUS_NUMBER):
            self.problem(PREVIOUS_NUMBER, pr.RequiredPrevious(kind=kind.title,
                                                              what=_WHAT_IT_DOES.get(kind.effect, "concerns")))
        for name in EFFECT_FIELDS.get(kind.effect, ()):
            if self.row.values.get(name) is None and not self._has_problem(name):
                why = f" ({_EFFECT_WHY[kind.effect]})" if kind.effect in _EFFECT_WHY else ""
                self.problem(name, pr.RequiredForKind(kind=kind.title, why=why))

    def _has_problem(self, field_name: str) -> bool:
        return any(p.field == field_name for p in self.row.problems)

    def _checklist(self, blank_items: list[tuple[c.Field, int]]) -> None:
        values = self.row.values
        items = [f for f in self.fields if f.group == c.CHECKLIST_GROUP]
        handed_in = {f.name: values.pop(f.name) for f in items}
        values["berkas"] = handed_in
        if self.permit_type is None or self.kind_code is None:
            return
        wajib = {item.name for item in self.permit_type.checklist(self.kind_code) if item.required_for(values)}
        for fld, position in reversed(blank_items):  # in column order among the other problems
            if fld.name in wajib:
                label = self.label(fld.name)
                self.row.problems.insert(position, Problem.of(self.row.number, label, pr.ChecklistEmpty(),
                                                              fld.name, label=label))
            else:
                handed_in[fld.name] = False  # not asked of this application: blank is "not handed in"
        self.row.missing = [item.field.label for item in
                            self.permit_type.missing(self.kind_code, values, handed_in)
                            if handed_in.get(item.name) is False]

    # --- rules every type shares ------------------------------------------------

    def _check_nik_agreement(self) -> None:
        nik, birth, gender = (self.row.values.get(k) for k in ("nik", "tanggal_lahir", "jenis_kelamin"))
        if nik is None:
            return
        try:
            info = parse_nik(nik)  # the 16 digits the field parser made of the cell
        except InvalidNik:  # cannot happen: `nik` passed parse_nik already
            return
        if birth is not None and (info.day, info.month, info.yy) != (birth.day, birth.month, birth.year % 100):
            encoded = f"{info.day:02d}-{info.month:02d}-{info.yy:02d}"
            self.problem("nik", pr.NikBirthMismatch(value=nik, encoded=encoded, birth_label=self.label("tanggal_lahir"),
                                                    birth=as_shown(birth)))
        if gender is not None and ("P" if info.female else "L") != gender:
            refused = pr.NikOfWoman if info.female else pr.NikOfMan
            self.problem("nik", refused(value=nik, gender_label=self.label("jenis_kelamin"), gender=gender))

    def _check_dates(self) -> None:
        applied, birth = self.row.values.get("tanggal_permohonan"), self.row.values.get("tanggal_lahir")
        if applied is None:
            return
        tp = self.label("tanggal_permohonan")
        if birth is not None:
            if birth >= applied:
                self.problem("tanggal_lahir", pr.BirthNotBefore(value=as_shown(birth), date_label=tp,
                                                                date=as_shown(applied)))
            elif age_on(birth, applied) < MINIMUM_AGE:
                self.problem("tanggal_lahir", pr.UnderAge(value=as_shown(birth), age=age_on(birth, applied),
                                                          date_label=tp, minimum=MINIMUM_AGE))
        self._check_not_before()

    def _check_not_before(self) -> None:
        """A validity (an STR's) that ended before the date it must cover (the application's)."""
        for fld in self.fields:
            if not fld.not_before:
                continue
            value, limit = self.row.values.get(fld.name), self.row.values.get(fld.not_before)
            if value is not None and limit is not None and value < limit:
                self.problem(fld.name, pr.Expired(value=as_shown(value), limit_label=self.label(fld.not_before),
                                                  limit=as_shown(limit), what=fld.header.split()[0]))

    def _check_decision(self) -> None:
        if self.row.values.get("keputusan") == "Ditolak" and self.row.values.get(REASON) is None \
                and not self._has_problem(REASON):
            self.problem(REASON, pr.ReasonRequired())


_WHAT_IT_DOES = {"replace": "replaces", "revoke": "revokes"}
