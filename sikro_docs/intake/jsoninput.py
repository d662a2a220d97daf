"""Reading an application list from JSON: a list of objects, see schema.json.

The reader accepts the same value forms as the workbook (a date may be
"05-03-1991" as well as "1991-03-05") so both inputs behave alike; the schema
documents the canonical forms.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..limits import LimitReached, limits
from . import columns as c
from . import problems as pr
from .model import Intake, Problem, Row
from .refusals import refused
from .types import TypeChooser, kind_field
from .validate import RecordValidator
from .values import is_blank

CHECKLIST_KEY = "berkas"
SECTION = "json"
# A record is an object and its berkas object; values that are lists or objects are row problems.
# More containers than this per record allowed means a file built to exhaust memory.
CONTAINERS_PER_RECORD = 4


def json_label(fld: c.Field) -> str:
    """The key a clerk sees for a field in JSON: "nik" or "berkas.ktp"."""
    return f"{CHECKLIST_KEY}.{fld.name}" if fld.group == c.CHECKLIST_GROUP else fld.name


class JsonIntake(Intake):
    format = "json"
    sheet = None
    header_row = None

    def __init__(self, path: Path, bounds: dict[str, int] | None = None, chooser: TypeChooser | None = None):
        self.path = path
        self.chooser = chooser or _default_chooser()
        self._records = _load_records(path, bounds or limits(None, SECTION))
        self._kind = kind_field(self.chooser.fallback)
        self._all = tuple(self.chooser.catalogue.all_fields())  # every key any type knows
        # The errors workbook's columns: the type's, or Jenis Izin and every present type's.
        present = {t.code: t for t in (self._type_of(r) for r in self._records) if t is not None}
        if len(present) > 1:
            self.fields = list(c.mixed_fields(present.values()))
        else:
            self.fields = list(c.workbook_fields(next(iter(present.values()), self.chooser.fallback)))
        self.headers = [json_label(f) for f in self.fields]

    def _type_of(self, record: dict[str, Any]):
        value = record.get(self._kind.name) if self._kind else None
        return self.chooser.choose(value if isinstance(value, str) else None)[0]

    def rows(self) -> Iterator[Row]:
        validator = _validator(self.chooser, self._all)
        for number, record in enumerate(self._records, start=1):
            if not record:
                continue  # {} is the JSON form of a blank row
            yield _check(validator, number, record, self._all, self.fields, self._kind)


def check_record(record: dict[str, Any], chooser: TypeChooser, number: int = 1) -> Row:
    """One record checked as a JSON file's record is (an API's single application)."""
    every = tuple(chooser.catalogue.all_fields())
    kind = kind_field(chooser.fallback)
    return _check(_validator(chooser, every), number, record, every, c.workbook_fields(chooser.fallback), kind)


def _validator(chooser: TypeChooser, every) -> RecordValidator:
    return RecordValidator(chooser, {f.name: json_label(f) for f in every})


def _check(validator: RecordValidator, number: int, record: dict[str, Any], every, fields, kind) -> Row:
    flat, shape_problems = _flatten(number, record, every)
    raw = [flat.get(f.name) for f in fields]
    chosen = validator.choose(flat.get(kind.name) if kind else None)
    foreign = _foreign_keys(flat, chosen[0], validator.chooser.catalogue)
    row = validator.check(number, raw, flat, chosen, foreign)
    row.problems[:0] = shape_problems
    return row


def _default_chooser() -> TypeChooser:
    from .. import permit_types

    return TypeChooser(permit_types.catalogue(), fallback=permit_types.default())


def _foreign_keys(flat: dict[str, Any], permit_type, catalogue) -> list[tuple[str, tuple]]:
    """(key, owner types) of the filled keys that are fields of other types only."""
    if permit_type is None:
        return []
    own = {f.name for f in permit_type.fields}
    foreign = []
    for name, value in flat.items():
        if name in own or is_blank(value):
            continue
        owners = tuple(t for t in catalogue.types.values() if any(f.name == name for f in t.fields))
        if owners:
            fld = next(f for f in owners[0].fields if f.name == name)
            foreign.append((json_label(fld), owners))
    return foreign


class _NumberTooLong(Exception):
    pass


def _load_records(path: Path, bounds: dict[str, int]) -> list[dict[str, Any]]:
    text = _read_text(path, bounds)
    _check_containers(path, text, bounds)
    longest = bounds["number_length"]

    def number(kind):
        def parse(literal: str):
            if len(literal.lstrip("-")) > longest:
                raise _NumberTooLong
            return kind(literal)
        return parse

    try:
        data = json.loads(text, parse_int=number(int), parse_float=number(float))
    except json.JSONDecodeError as err:
        raise refused(path, "json-invalid", line=err.lineno, column=err.colno, detail=err.msg) from None
    except _NumberTooLong:
        raise _limit(path, "number_length", f"a number has more than {longest:,} digits") from None
    except RecursionError:
        raise _too_deep(path, bounds) from None
    if _depth(data, bounds["depth"]) > bounds["depth"]:
        raise _too_deep(path, bounds)
    if not isinstance(data, list):
        raise refused(path, "json-not-a-list", found=_json_type(data), json_type=_bare_type(data))
    if len(data) > bounds["records"]:
        raise _limit(path, "records", f"the file holds more than {bounds['records']:,} records")
    for position, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise refused(path, "json-item-not-an-object", position=position, found=_json_type(record),
                          json_type=_bare_type(record))
    return data


def _read_text(path: Path, bounds: dict[str, int]) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(bounds["file_size"] + 1)  # never more than the limit in memory
    except OSError as err:
        raise refused(path, "unreadable", reason=err.strerror or str(err)) from None
    if len(data) > bounds["file_size"]:
        raise _limit(path, "file_size", f"the file is larger than {bounds['file_size']:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused(path, "json-not-utf8") from None


def _check_containers(path: Path, text: str, bounds: dict[str, int]) -> None:
    """Before parsing: an empty object or list costs some 60 bytes of memory for 2 of text."""
    containers = text.count("{") + text.count("[")  # brackets inside strings count too: an upper bound
    if containers > CONTAINERS_PER_RECORD * bounds["records"] + 1:
        raise _limit(path, "records", f"the file holds more than {CONTAINERS_PER_RECORD * bounds['records']:,} "
                                      f"objects and lists, for at most {bounds['records']:,} records")


def _depth(data: Any, limit: int) -> int:
    """How deep lists and objects nest (a list of records of berkas objects is 3), up to limit + 1."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if not isinstance(value, (list, dict)):
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


def _too_deep(path: Path, bounds: dict[str, int]) -> LimitReached:
    return _limit(path, "depth", f"lists and objects nest more than {bounds['depth']} deep")


def _limit(path: Path, key: str, what: str) -> LimitReached:
    return LimitReached(path, SECTION, key, what)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _bare_type(value: Any) -> str:
    """The JSON name of a value's type (object, array, string, ...), as every language writes it."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return names.get(type(value), "null")


def _flatten(number: int, record: dict[str, Any], fields) -> tuple[dict[str, Any], list[Problem]]:
    """Field name -> value, with the `berkas` object spread out; plus shape problems."""
    problems: list[Problem] = []
    flat = {f.name: record.get(f.name) for f in fields if f.group != c.CHECKLIST_GROUP}
    berkas = record.get(CHECKLIST_KEY)
    if berkas is None:
        berkas = {}
    elif not isinstance(berkas, dict):
        problems.append(Problem.of(number, CHECKLIST_KEY, pr.ChecklistNotObject(key=CHECKLIST_KEY)))
        berkas = {}
    flat.update({f.name: berkas.get(f.name) for f in fields if f.group == c.CHECKLIST_GROUP})
    for name, value in list(flat.items()):
        if isinstance(value, (dict, list)):
            problems.append(Problem.of(number, name, pr.NotSingleValue(key=name, found=_json_type(value))))
            flat[name] = None
    problems += _misspelt_keys(number, record, fields)
    return flat, problems


def _misspelt_keys(number: int, record: dict[str, Any], fields) -> list[Problem]:
    """Unknown keys are ignored, but one close to a known key is reported: it is a typo."""
    known = {f.name for f in fields if f.group != c.CHECKLIST_GROUP} | {CHECKLIST_KEY}
    problems = []
    for key in record:
        if key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
        if close and close[0] not in record:
            problems.append(Problem.of(number, key, pr.MisspeltKey(key=key, suggestion=close[0])))
    return problems
