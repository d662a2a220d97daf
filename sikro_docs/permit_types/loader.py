"""Reading permit types from their folders: the one loader of permit-type data.

    catalogue = load_catalogue(ws)          # built-in types, then the workspace's own
    sipb = catalogue.get("sipb")            # UnknownPermitType when there is none
    problems = read_type_dir(path).problems  # every mistake, each naming file and key

A type is a folder holding `permit-type.toml` (and optionally `templates/`).
Built-in folders are sikro_docs/data/permit-types/<code>/; a workspace's
<workspace>/permit-types/<code>/ adds a type or replaces the built-in one of
the same code, whole. The columns every type shares and the application kinds
are sikro_docs/data/permit-types/common.toml.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import EXIT_UNUSABLE, SikroError
from . import model as m
from .conditions import ConditionInvalid, parse_condition
from .headers import header_key

TYPE_FILE = "permit-type.toml"
COMMON_FILE = "common.toml"
WORKSPACE_FOLDER = "permit-types"
_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,30}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VALIDITY = re.compile(
    r"^\s*(?:(?P<years>\d+)\s+tahun\s+sejak\s+terbit|(?P<life>seumur\s+hidup))"
    r"(?:\s*,\s*paling\s+lama\s+sampai\s+(?P<field>[a-z][a-z0-9_]*))?\s*$", re.IGNORECASE)
_FIELD_KEYS = {"name", "header", "kind", "required", "help", "example", "aliases", "group", "width",
               "text_format", "max_length", "choices", "minimum", "maximum", "pattern", "pattern_hint",
               "key", "label", "not_before"}
# The settings of each table of a type's file (a misspelt one would be silently ignored).
_SECTION_KEYS = {
    "numbering": {"register", "register_title", "pattern"},
    "validity": {"rule"},
    "qr": {"fields", "wire_v1"},
    "archive": {"classification", "retention"},
    "rules": {"max_places", "nth_field", "earlier_numbers_field", "place_field"},
    "permit": {"rows"},
}
_CHECKLIST_KEYS = {"name", "header", "what", "aliases"}
_APPLICATION_KEYS = {"checklist"}
_ENTRY_KEYS = {"item", "wajib", "when", "from", "until"}
_TYPE_KEYS = {"code", "title", "short_name", "profession", "legal_basis", "sop", "numbering", "validity", "qr",
              "archive", "rules", "fields", "checklist", "applications", "permit", "documents", "wording"}


class PermitTypeError(SikroError):
    """A permit type's data has a mistake: `file`, `key` and `message` say where and what."""

    exit_code = EXIT_UNUSABLE
    code = "permit_type_invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more: sikro permit-types check)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


class UnknownPermitType(SikroError):
    exit_code = EXIT_UNUSABLE
    code = "unknown_permit_type"

    def __init__(self, given: str, known: list[str]):
        self.given, self.known = given, known
        super().__init__(f'"{given}" is not a permit type here; known: {", ".join(known)}')


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}" if self.key else f"{self.file}: {self.message}"


@dataclass
class Common:
    kinds: tuple[m.ApplicationKind, ...]
    before: tuple[m.Field, ...]  # the shared columns before a type's own
    later: tuple[m.Field, ...]  # the shared later-stage columns, after the checklist

    def kind(self, code: str) -> m.ApplicationKind:
        return next(k for k in self.kinds if k.code == code)


@dataclass
class TypeRead:
    """What reading one folder gave: the type, or the problems that stop it."""

    folder: Path
    permit_type: m.PermitType | None = None
    problems: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------- places


def builtin_root() -> Path:
    return Path(str(resources.files("sikro_docs.data").joinpath("permit-types")))


def workspace_root(ws) -> Path:
    return Path(ws.root) / WORKSPACE_FOLDER


# --------------------------------------------------------------------------- fields


class _Reader:
    """Collects the problems of one file while reading its tables."""

    def __init__(self, file: Path):
        self.file = str(file)
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, key, message))

    def unknown_keys(self, table: dict, known: set[str], where: str, what: str) -> None:
        for key in sorted(set(table) - known):
            self.problem(f"{where}{key}", f"is not a setting of {what} (known: {', '.join(sorted(known))})")

    def table(self, data: dict, key: str) -> dict:
        """A table of the file, its settings checked against _SECTION_KEYS."""
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem(key, "must be a table")
            return {}
        if key in _SECTION_KEYS:
            self.unknown_keys(value, _SECTION_KEYS[key], f"{key}.", f"[{key}]")
        return value

    def texts(self, table: dict, key: str, where: str) -> tuple[str, ...]:
        """A list of texts (aliases, choices, legal_basis ...); absent: none."""
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{where}{key}", 'must be a list of texts, e.g. ["A", "B"]')
            return ()
        return tuple(value)

    def boolean(self, table: dict, key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{where}{key}", f'"{value}" must be true or false')
            return default
        return value

    def integer(self, table: dict, key: str, where: str, default: int | None = None) -> int | None:
        value = table.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            self.problem(f"{where}{key}", f'"{value}" must be a whole number')
            return default
        return value

    def strings(self, table: dict, key: str) -> dict[str, str]:
        """A table of texts ([wording])."""
        value = self.table(table, key)
        for name, text in value.items():
            if not isinstance(text, str):
                self.problem(f"{key}.{name}", "must be a text")
        return {name: text for name, text in value.items() if isinstance(text, str)}

    def text(self, table: dict, key: str, where: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.problem(f"{where}{key}", "must be a non-empty text")
            return default or ""
        return value

    def field(self, table: Any, where: str, group: str, owner: str) -> m.Field | None:
        if not isinstance(table, dict):
            self.problem(where, "must be a table")
            return None
        for unknown in sorted(set(table) - _FIELD_KEYS):
            self.problem(f"{where}.{unknown}", f"is not a field setting (known: {', '.join(sorted(_FIELD_KEYS))})")
        name = self.text(table, "name", f"{where}.")
        if name and not _FIELD_NAME.match(name):
            self.problem(f"{where}.name", f'"{name}" must be lower-case letters, digits and _')
        kind = table.get("kind", m.TEXT)
        if kind not in m.KINDS:
            self.problem(f"{where}.kind", f'"{kind}" is not one of {", ".join(m.KINDS)}')
        if kind == m.CHOICE and not table.get("choices"):
            self.problem(f"{where}.choices", "a choice field needs its choices")
        if table.get("pattern") is not None and not isinstance(table["pattern"], str):
            self.problem(f"{where}.pattern", "must be a text (a regular expression)")
            table = {**table, "pattern": None}
        elif table.get("pattern"):
            try:
                re.compile(table["pattern"])
            except re.error as err:
                self.problem(f"{where}.pattern", f"is not a regular expression ({err})")
        dot = f"{where}."
        return m.Field(
            name=name, header=self.text(table, "header", dot), kind=kind,
            required=self.boolean(table, "required", dot, False), help=self.text(table, "help", dot, ""),
            example=str(table.get("example", "")), aliases=self.texts(table, "aliases", dot),
            group=self.text(table, "group", dot, group), width=self.integer(table, "width", dot, 16),
            text_format=self.boolean(table, "text_format", dot, kind in (m.CODE, m.NIK, m.PHONE)),
            max_length=self.integer(table, "max_length", dot), choices=self.texts(table, "choices", dot),
            minimum=self.integer(table, "minimum", dot), maximum=self.integer(table, "maximum", dot),
            pattern=table.get("pattern") or None, pattern_hint=self.text(table, "pattern_hint", dot, ""),
            key=self.text(table, "key", dot, "") or None, caption=self.text(table, "label", dot, ""), owner=owner,
            not_before=self.text(table, "not_before", dot, "") or None,
        )


def _read_toml(path: Path) -> tuple[dict, list[Problem]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return {}, [Problem(str(path), "", f"no {path.name} in this folder")]
    except (OSError, UnicodeDecodeError) as err:
        return {}, [Problem(str(path), "", f"cannot be read ({err})")]
    except tomllib.TOMLDecodeError as err:
        return {}, [Problem(str(path), "", f"is not valid TOML ({err})")]


# --------------------------------------------------------------------------- common.toml


_COMMON: Common | None = None


def common() -> Common:
    """The shared columns and application kinds (built in; read once)."""
    global _COMMON
    if _COMMON is None:
        path = builtin_root() / COMMON_FILE
        data, problems = _read_toml(path)
        reader = _Reader(path)
        reader.problems.extend(problems)
        kinds = tuple(m.ApplicationKind(code=k["code"], title=k["title"], effect=k["effect"],
                                        needs_previous=bool(k.get("needs_previous")),
                                        aliases=tuple(k.get("aliases", ())))
                      for k in data.get("application_kinds", []))
        before = [reader.field(t, f"fields[{i}]", m.APPLICANT, "") for i, t in enumerate(data.get("fields", []))]
        later = [reader.field(t, f"later_fields[{i}]", m.LATER, "")
                 for i, t in enumerate(data.get("later_fields", []))]
        if reader.problems:
            raise PermitTypeError(reader.problems)
        _COMMON = Common(kinds, tuple(f for f in before if f), tuple(f for f in later if f))
    return _COMMON


# --------------------------------------------------------------------------- one type


def read_type_dir(folder: Path, builtin: bool = False) -> TypeRead:
    """Read and check one type folder; never raises for the folder's own mistakes."""
    folder = Path(folder)
    path = folder / TYPE_FILE
    result = TypeRead(folder)
    data, problems = _read_toml(path)
    if problems:
        result.problems = problems
        return result
    reader = _Reader(path)
    permit_type = _build(reader, data, folder, builtin)
    result.problems = reader.problems
    if not reader.problems:
        result.permit_type = permit_type
    return result


def _build(r: _Reader, data: dict, folder: Path, builtin: bool) -> m.PermitType | None:
    for key in sorted(set(data) - _TYPE_KEYS):
        r.problem(key, f"is not a permit-type setting (known: {', '.join(sorted(_TYPE_KEYS))})")
    code = r.text(data, "code", "")
    if code and not _CODE.match(code):
        r.problem("code", f'"{code}" must be 2-31 lower-case letters, digits, - or _, starting with a letter')
    if code and code != folder.name:
        r.problem("code", f'"{code}" must be the folder\'s name ("{folder.name}")')
    shared = common()
    own = [r.field(t, f"fields[{i}]", m.PERMIT, code) for i, t in enumerate(data.get("fields", []))]
    own_fields = [f for f in own if f]
    items = _checklist_fields(r, data.get("checklist", []), code)
    fields = (*shared.before, *own_fields, *items.values(), *shared.later)
    places = {f.name: f"fields[{i}]" for i, f in enumerate(own) if f}
    places.update({name: f"checklist[{i}]" for i, name in enumerate(items)})
    _check_unique(r, fields, places)
    by_name = {f.name: f for f in fields}
    _check_field_references(r, own_fields, by_name, places)
    numbering = r.table(data, "numbering")
    pattern = r.text(numbering, "pattern", "numbering.")
    if pattern:
        _check_pattern(r, pattern)
    qr = r.table(data, "qr")
    qr_fields = r.texts(qr, "fields", "qr.")
    for key in ("fields", "wire_v1"):
        for i, name in enumerate(r.texts(qr, key, "qr.") if key == "wire_v1" else qr_fields):
            if name not in by_name:
                r.problem(f"qr.{key}[{i}]", f'"{name}" is not a field of this type')
    rules = _rules(r, r.table(data, "rules"), by_name)
    archive = r.table(data, "archive")
    return m.PermitType(
        code=code, title=r.text(data, "title", ""), short_name=r.text(data, "short_name", ""),
        profession=r.text(data, "profession", "", ""), legal_basis=r.texts(data, "legal_basis", ""),
        fields=fields, checklists=_checklists(r, r.table(data, "applications"), items, by_name, shared),
        validity=_validity(r, r.table(data, "validity"), by_name),
        register=r.text(numbering, "register", "numbering."),
        register_title=str(numbering.get("register_title", f"Buku Agenda Penomoran {data.get('short_name', '')}")),
        pattern=pattern, qr_fields=qr_fields, classification=str(archive.get("classification", "")),
        retention=str(archive.get("retention", archive.get("classification", ""))),
        sop=r.text(data, "sop", "", "default"), rules=rules, documents=_documents(r, data),
        permit_rows=_permit_rows(r, r.table(data, "permit"), by_name), wording=r.strings(data, "wording"),
        legacy_wire=r.texts(qr, "wire_v1", "qr."), source=str(folder), builtin=builtin, extra=data,
    )


def _checklist_fields(r: _Reader, tables: list, owner: str) -> dict[str, m.Field]:
    items: dict[str, m.Field] = {}
    for i, table in enumerate(tables):
        if not isinstance(table, dict):
            r.problem(f"checklist[{i}]", "must be a table")
            continue
        r.unknown_keys(table, _CHECKLIST_KEYS, f"checklist[{i}].", "a [[checklist]] item")
        what = r.text(table, "what", f"checklist[{i}].", str(table.get("header", "")))
        fld = r.field({"name": table.get("name", ""), "header": table.get("header", ""), "kind": m.YES_NO,
                       "required": True, "aliases": table.get("aliases", []), "width": 11, "example": "Y",
                       "help": f"Y bila {what} ada dan sesuai, T bila tidak ada."},
                      f"checklist[{i}]", m.CHECKLIST_GROUP, owner)
        if fld:
            items[fld.name] = fld
    return items


def _check_unique(r: _Reader, fields: tuple[m.Field, ...], places: dict[str, str]) -> None:
    """No two fields share a name, and no header (or alias) means two fields.

    `places` says where each of the type's own fields is written ("fields[2]",
    "checklist[0]"); the shared ones come first, so a clash is the type's.
    """
    seen_names: set[str] = set()
    seen_keys: dict[str, str] = {}
    for fld in fields:
        where = places.get(fld.name, f"fields.{fld.name}")
        if fld.name in seen_names:
            r.problem(f"{where}.name", f'"{fld.name}" is defined twice (common.toml already has it?)')
        seen_names.add(fld.name)
        for setting, texts in (("header", (fld.header,)), ("aliases", fld.aliases)):
            for key in {header_key(h) for h in texts}:
                if key in seen_keys and seen_keys[key] != fld.name:
                    other = seen_keys[key]
                    at = f" ({places[other]})" if other in places else " (common.toml)"
                    r.problem(f"{where}.{setting}", f'header "{key}" also means the field {other}{at}')
                seen_keys.setdefault(key, fld.name)


def _check_pattern(r: _Reader, pattern: str) -> None:
    """The number pattern's placeholders, as the registers (numbering/placeholders.py) will read them."""
    import string

    from .. import numbering

    known = getattr(numbering, "PLACEHOLDERS", ("nomor", "tahun"))
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as err:
        r.problem("numbering.pattern", f'"{pattern}" is malformed ({err})')
        return
    used = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in known:
            r.problem("numbering.pattern", f'unknown placeholder {{{name}}} in "{pattern}" '
                                           f'(known: {", ".join("{" + p + "}" for p in known)})')
        elif conversion or "{" in (spec or ""):
            r.problem("numbering.pattern", f"placeholder {{{name}}} uses an unsupported format in \"{pattern}\"")
        used.add(name)
    for name in ("nomor", "tahun"):
        if name not in used:
            r.problem("numbering.pattern", f'"{pattern}" has no {{{name}}} (numbers restart every year: '
                                           "each needs its running number and its year)")


def _check_field_references(r: _Reader, own: list[m.Field], by_name: dict[str, m.Field],
                            places: dict[str, str]) -> None:
    stored: dict[str, str] = {}
    for fld in own:
        where = places.get(fld.name, f"fields.{fld.name}")
        if fld.not_before:
            other = by_name.get(fld.not_before)
            if other is None or other.kind not in (m.DATE, m.DATE_OR_LIFETIME):
                r.problem(f"{where}.not_before", f'"{fld.not_before}" is not a date field of this type')
        # the facts of an application are keyed by storage key: two fields under one key overwrite each other
        clash = stored.get(fld.storage_key) or (fld.storage_key if fld.storage_key != fld.name
                                                and fld.storage_key in by_name else None)
        if clash:
            r.problem(f"{where}.key", f'"{fld.storage_key}" is where the field {clash} is stored already')
        stored.setdefault(fld.storage_key, fld.name)


def _documents(r: _Reader, data: dict) -> dict[str, dict[str, Any]]:
    """[documents.KIND] tables (which kinds exist is the documents side's to say: check.py)."""
    documents = r.table(data, "documents")
    for kind, table in documents.items():
        if not isinstance(table, dict):
            r.problem(f"documents.{kind}", "must be a table, e.g. [documents.permit] judul = \"...\"")
    return {kind: dict(table) for kind, table in documents.items() if isinstance(table, dict)}


def _checklists(r: _Reader, tables: dict, items: dict[str, m.Field], by_name: dict[str, m.Field],
                shared: Common) -> dict[str, tuple[m.ChecklistItem, ...]]:
    known_kinds = {k.code for k in shared.kinds}
    lists: dict[str, tuple[m.ChecklistItem, ...]] = {}
    if "baru" not in tables:
        r.problem("applications.baru", "every type needs the checklist of a new application")
    for kind, table in tables.items():
        where = f"applications.{kind}"
        if kind not in known_kinds:
            r.problem(where, f'"{kind}" is not an application kind ({", ".join(sorted(known_kinds))})')
            continue
        if not isinstance(table, dict):
            r.problem(where, "must be a table with a checklist")
            continue
        r.unknown_keys(table, _APPLICATION_KEYS, f"{where}.", f"[{where}]")
        entries = table.get("checklist", [])
        if not isinstance(entries, list):
            r.problem(f"{where}.checklist", 'must be a list, e.g. [{ item = "ktp" }, { item = "npwp", wajib = false }]')
            entries = []
        lists[kind] = tuple(i for i in (_checklist_item(r, f"{where}.checklist[{n}]", entry, items, by_name)
                                        for n, entry in enumerate(entries)) if i)
    return lists


def _checklist_item(r: _Reader, where: str, entry: Any, items: dict[str, m.Field],
                    by_name: dict[str, m.Field]) -> m.ChecklistItem | None:
    entry = {"item": entry} if isinstance(entry, str) else entry
    if not isinstance(entry, dict):
        r.problem(where, 'must be { item = "..." } or an item\'s name')
        return None
    r.unknown_keys(entry, _ENTRY_KEYS, f"{where}.", "a checklist entry")
    name = entry.get("item", "")
    if name not in items:
        r.problem(f"{where}.item", f'"{name}" is not one of this type\'s [[checklist]] items '
                                   f'({", ".join(items) or "none"})')
        return None
    when = None
    if not isinstance(entry.get("wajib", True), bool):
        r.problem(f"{where}.wajib", "must be true (WAJIB) or false (OPSIONAL)")
    if "when" in entry and not isinstance(entry["when"], str):
        r.problem(f"{where}.when", "must be a text, e.g. \"jenis_praktik == 'Mandiri'\"")
    elif entry.get("when") is not None:
        try:
            when = parse_condition(entry["when"])
        except ConditionInvalid as err:
            r.problem(f"{where}.when", str(err))
        else:
            for unknown in sorted(when.fields - by_name.keys()):
                r.problem(f"{where}.when", f'"{unknown}" is not a field of this type')
    return m.ChecklistItem(items[name], bool(entry.get("wajib", True)), when,
                           _date(r, f"{where}.from", entry.get("from")),
                           _date(r, f"{where}.until", entry.get("until")))


def _date(r: _Reader, where: str, value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        r.problem(where, f'"{value}" is not a date (write 2027-01-01)')
        return None


def _validity(r: _Reader, table: dict, by_name: dict[str, m.Field]) -> m.Validity:
    rule = str(table.get("rule", ""))
    match = _VALIDITY.match(rule)
    if not match:
        r.problem("validity.rule", f'"{rule}" does not parse; write e.g. "5 tahun sejak terbit, paling lama '
                                   'sampai <a date field>" or "seumur hidup"')
        return m.Validity(rule, None)
    if not match["life"] and int(match["years"]) < 1:
        r.problem("validity.rule", f'"{rule}": a permit is valid at least 1 tahun (or "seumur hidup")')
    limit = match["field"]
    if limit and (limit not in by_name or by_name[limit].kind not in (m.DATE, m.DATE_OR_LIFETIME)):
        r.problem("validity.rule", f'"{limit}" is not a date field of this type')
    return m.Validity(rule, None if match["life"] else int(match["years"]), limit)


def _rules(r: _Reader, table: dict, by_name: dict[str, m.Field]) -> m.Rules:
    places = table.get("max_places")
    if places is not None and (isinstance(places, bool) or not isinstance(places, int) or places < 1):
        r.problem("rules.max_places", f'"{places}" must be a whole number of at least 1')
        places = None
    named = {}
    for key in ("nth_field", "earlier_numbers_field", "place_field"):
        name = r.text(table, key, "rules.", "") or None
        if name and name not in by_name:
            r.problem(f"rules.{key}", f'"{name}" is not a field of this type')
        named[key] = name
    return m.Rules(max_places=places, **named)


def _permit_rows(r: _Reader, table: dict, by_name: dict[str, m.Field]) -> tuple[tuple[str, str], ...]:
    rows = []
    entries = table.get("rows", [])
    for i, row in enumerate(entries if isinstance(entries, list) else [entries]):
        if not isinstance(row, dict):
            r.problem(f"permit.rows[{i}]", 'must be { label = "...", field = "..." }')
            continue
        if row.get("field") not in by_name:
            r.problem(f"permit.rows[{i}].field", f'"{row.get("field")}" is not a field of this type')
            continue
        rows.append((str(row.get("label") or by_name[row["field"]].shown_label), row["field"]))
    return tuple(rows)


# --------------------------------------------------------------------------- the catalogue


@dataclass
class Catalogue:
    types: dict[str, m.PermitType]

    def codes(self) -> list[str]:
        return list(self.types)

    def get(self, code_or_title: str) -> m.PermitType:
        """A type by code, short name or title (ignoring case and spacing)."""
        wanted = _fold(code_or_title)
        for permit_type in self.types.values():
            if wanted in {permit_type.code, _fold(permit_type.short_name), _fold(permit_type.title)}:
                return permit_type
        raise UnknownPermitType(str(code_or_title), self.codes())

    def find(self, code_or_title: str) -> m.PermitType | None:
        try:
            return self.get(code_or_title)
        except UnknownPermitType:
            return None

    def all_fields(self) -> list[m.Field]:
        """Every column any type has, each once, in the order of the types (a mixed workbook)."""
        seen: dict[str, m.Field] = {}
        for permit_type in self.types.values():
            for fld in permit_type.fields:
                seen.setdefault(fld.name, fld)
        return list(seen.values())


_CACHE: dict[tuple, Catalogue] = {}


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _name_clashes(types: dict[str, m.PermitType]) -> list[Problem]:
    """A code, short name or title that means two types (Catalogue.get would pick one)."""
    seen: dict[str, str] = {}
    problems = []
    for permit_type in types.values():
        names = {}
        for key in ("code", "short_name", "title"):
            names.setdefault(_fold(getattr(permit_type, key)), key)
        for name, key in names.items():
            other = seen.get(name)
            if other is not None and other != permit_type.code:
                problems.append(Problem(str(Path(permit_type.source) / TYPE_FILE), key,
                                        f'"{getattr(permit_type, key)}" also names the type {other}'))
            seen.setdefault(name, permit_type.code)
    return problems


def _folders(ws) -> dict[str, tuple[Path, bool]]:
    folders = {p.name: (p, True) for p in sorted(builtin_root().iterdir()) if (p / TYPE_FILE).is_file()}
    if ws is not None and workspace_root(ws).is_dir():
        for p in sorted(workspace_root(ws).iterdir()):
            if p.is_dir() and not p.name.startswith("."):  # hidden: a copy being written (new.py)
                folders[p.name] = (p, False)
    return folders


def _stamp(folders: dict[str, tuple[Path, bool]]) -> tuple:
    stamps = []
    for code, (folder, _builtin) in sorted(folders.items()):
        try:
            info = (folder / TYPE_FILE).stat()  # size and ctime too: two edits within a clock tick
            stamps.append((code, str(folder), info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino))
        except OSError:
            stamps.append((code, str(folder), None))
    return tuple(stamps)


_PINNED: contextvars.ContextVar[tuple[str | None, Catalogue] | None] = contextvars.ContextVar(
    "pinned_catalogue", default=None)


def _pin_key(ws) -> str | None:
    return str(ws.root) if ws is not None else None


@contextlib.contextmanager
def pinned(ws):
    """Within this block the workspace's types are read once, not looked up on disk per call.

    Checking that no type file changed costs a directory listing and a stat per type; an
    import or a batch asks for the types several times per row. A file edited meanwhile is
    seen by the next command, as a profile edited during one is.
    """
    token = _PINNED.set((_pin_key(ws), load_catalogue(ws)))
    try:
        yield
    finally:
        _PINNED.reset(token)


def load_catalogue(ws=None) -> Catalogue:
    """Every permit type of the workspace (built-in ones, replaced or joined by its own).

    A mistake in any type's data raises PermitTypeError naming file and key: an office
    never works with a type that is half read. Re-read when a file changes.
    """
    pin = _PINNED.get()
    if pin is not None and pin[0] == _pin_key(ws):
        return pin[1]
    folders = _folders(ws)
    stamp = _stamp(folders)
    cached = _CACHE.get(stamp)
    if cached is not None:
        return cached
    types: dict[str, m.PermitType] = {}
    problems: list[Problem] = []
    for _code, (folder, builtin) in folders.items():
        read = read_type_dir(folder, builtin)
        problems.extend(read.problems)
        if read.permit_type:
            types[read.permit_type.code] = read.permit_type
    problems += _name_clashes(types)
    if problems:
        raise PermitTypeError(problems)
    catalogue = Catalogue(types)
    _CACHE.clear()
    _CACHE[stamp] = catalogue
    return catalogue
