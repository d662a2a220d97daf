"""Validation of one application record, the same for Excel rows and JSON records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import columns as c
from .model import Problem, Row
from .nik import InvalidNik, parse_nik
from .values import EXCEL_ERRORS, FormulaText, InvalidValue, clean_text, parse_value, shown

MINIMUM_AGE = 17
# Kinds whose values repeat from row to row, and how many distinct values a file may remember.
_REPEATED_KINDS = {c.YES_NO, c.GENDER, c.DECISION, c.DATE, c.DATE_OR_LIFETIME}
_PARSED_MEMORY = 2_000


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class RecordValidator:
    """Validates records one at a time and remembers (NIK, date) to find duplicates.

    `labels` maps a field name to the column label the clerk knows: the header
    text as found in the file, or the JSON key.
    """

    def __init__(self, labels: dict[str, str]):
        self.labels = labels
        self._first_row_of: dict[str, int] = {}  # NIK and date -> the first row with them
        self._parsed: dict[tuple, tuple[Any, str | None]] = {}

    def check(self, number: int, raw: list[Any], cells: dict[str, Any]) -> Row:
        row = Row(number=number, raw=raw)
        for fld in c.FIELDS:
            self._parse_field(row, fld, cells.get(fld.name))
        row.values["berkas"] = {f.name: row.values.pop(f.name) for f in c.CHECKLIST}
        row.missing = [f.label for f in c.CHECKLIST if row.values["berkas"][f.name] is False]
        self._check_nik_agreement(row)
        self._check_dates(row)
        self._check_decision(row)
        self._check_duplicate(row)
        return row

    def _problem(self, row: Row, field_name: str, message: str) -> None:
        label = self.labels.get(field_name, c.BY_NAME[field_name].header)
        row.problems.append(Problem(row.number, label, f"{label} {message}", field_name))

    def _parse_field(self, row: Row, fld: c.Field, value: Any) -> None:
        row.values[fld.name] = None
        if value.__class__ is not str and isinstance(value, FormulaText):
            if fld.kind in (c.TEXT, c.NAME, c.CODE):
                row.values[fld.name] = str(value)  # what the cell holds, though the row is refused
            self._problem(row, fld.name, f"{shown(value)} is a formula saved without its result; open the "
                                         "file in Excel or LibreOffice, save it, and import it again")
            return
        if value.__class__ is str or isinstance(value, str):
            value = clean_text(value)
            if value and value[0] == "#" and value.upper() in EXCEL_ERRORS:
                self._problem(row, fld.name, f'shows the Excel error "{value}"; correct the formula or '
                                             "type the value")
                return
        if value is None or value == "":
            if fld.kind == c.YES_NO:
                self._problem(row, fld.name, "is empty; it must be Y or T")
            elif fld.required:
                self._problem(row, fld.name, "is empty; it is required")
            return
        parsed, error = self._parse(fld, value)
        if error is not None:
            self._problem(row, fld.name, error)
            return
        if fld.max_length and isinstance(parsed, str) and len(parsed) > fld.max_length:
            self._problem(row, fld.name, f"{shown(parsed)} is {len(parsed)} characters long; "
                                         f"at most {fld.max_length} fit")
            return
        row.values[fld.name] = parsed

    def _parse(self, fld: c.Field, value: Any) -> tuple[Any, str | None]:
        """(parsed value, None) or (None, the problem); values of few kinds (Y/T, L/P, dates) are
        parsed once per file: a 10,000-row list holds the same "Y" ninety thousand times."""
        key = (fld.kind, value.__class__, value) if fld.kind in _REPEATED_KINDS else None
        if key is not None:
            try:
                known = self._parsed.get(key)
            except TypeError:  # a JSON list or object: not remembered, refused by the parser
                key = known = None
            if known is not None:
                return known
        try:
            outcome = (parse_value(fld, value), None)
        except InvalidValue as err:
            outcome = (None, str(err))
        if key is not None and len(self._parsed) < _PARSED_MEMORY:
            self._parsed[key] = outcome
        return outcome

    def _check_nik_agreement(self, row: Row) -> None:
        nik, birth, gender = (row.values.get(k) for k in ("nik", "tanggal_lahir", "jenis_kelamin"))
        if nik is None:
            return
        try:
            info = parse_nik(nik)  # the 16 digits the field parser made of the cell
        except InvalidNik:  # cannot happen: `nik` passed parse_nik already
            return
        if birth is not None and (info.day, info.month, info.yy) != (birth.day, birth.month, birth.year % 100):
            encoded = f"{info.day:02d}-{info.month:02d}-{info.yy:02d}"
            tl = self.labels.get("tanggal_lahir", "Tanggal Lahir")
            self._problem(row, "nik", f'"{nik}" encodes birth date {encoded} but {tl} is {shown(birth)}')
        if gender is not None and ("P" if info.female else "L") != gender:
            sex = "a woman (day + 40)" if info.female else "a man"
            jk = self.labels.get("jenis_kelamin", "Jenis Kelamin")
            self._problem(row, "nik", f'"{nik}" is the NIK of {sex} but {jk} is {gender}')

    def _check_dates(self, row: Row) -> None:
        applied, birth = row.values.get("tanggal_permohonan"), row.values.get("tanggal_lahir")
        str_until = row.values.get("str_berlaku_sampai")
        if applied is None:
            return
        tp = self.labels.get("tanggal_permohonan", "Tanggal Permohonan")
        if birth is not None:
            if birth >= applied:
                self._problem(row, "tanggal_lahir", f"{shown(birth)} is not before {tp} {shown(applied)}")
            elif age_on(birth, applied) < MINIMUM_AGE:
                self._problem(row, "tanggal_lahir",
                              f"{shown(birth)} makes the applicant {age_on(birth, applied)} on {tp}; "
                              f"the minimum age is {MINIMUM_AGE}")
        if str_until is not None and str_until < applied:
            self._problem(row, "str_berlaku_sampai",
                          f"{shown(str_until)} is before {tp} {shown(applied)}; the STR had expired")

    def _check_decision(self, row: Row) -> None:
        if row.values.get("keputusan") == "Ditolak" and row.values.get("alasan_penolakan") is None:
            self._problem(row, "alasan_penolakan", "is empty; it is required when Keputusan is Ditolak")

    def _check_duplicate(self, row: Row) -> None:
        nik, applied = row.values.get("nik"), row.values.get("tanggal_permohonan")
        if nik is None or applied is None:
            return
        # One short text per row, not a tuple of a text and a date: 30,000 rows stay a few MB.
        first = self._first_row_of.setdefault(nik + applied.isoformat(), row.number)
        if first != row.number:
            tp = self.labels.get("tanggal_permohonan", "Tanggal Permohonan")
            self._problem(row, "nik", f'"{nik}" with {tp} {shown(applied)} is a duplicate of row {first}')
