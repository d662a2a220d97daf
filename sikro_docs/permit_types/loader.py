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
        unknown = sorted(set(table) - _FIELD_KEYS)
        if unknown:
            self.problem(f"{where}.{unknown[0]}", f"is not a field setting (known: {', '.join(sorted(_FIELD_KEYS))})")
        name = self.text(table, "name", f"{where}.")
        if name and not _FIELD_NAME.match(name):
            self.problem(f"{where}.name", f'"{name}" must be lower-case letters, digits and _')
        kind = table.get("kind", m.TEXT)
        if kind not in m.KINDS:
            self.problem(f"{where}.kind", f'"{kind}" is not one of {", ".join(m.KINDS)}')
        if kind == m.CHOICE and not table.get("choices"):
            self.problem(f"{where}.choices", "a choice field needs its choices")
        if table.get("pattern"):
            try:
                re.compile(table["pattern"])
            except re.error as err:
                self.problem(f"{where}.pattern", f"is not a regular expression ({err})")
        try:
            return m.Field(
                name=name, header=self.text(table, "header", f"{where}."), kind=kind,
                required=bool(table.get("required", False)), help=str(table.get("help", "")),
                example=str(table.get("example", "")), aliases=tuple(table.get("aliases", ())),
                group=table.get("group", group), width=int(table.get("width", 16)),
                text_format=bool(table.get("text_format", kind in (m.CODE, m.NIK, m.PHONE))),
                max_length=table.get("max_length"), choices=tuple(table.get("choices", ())),
                minimum=table.get("minimum"), maximum=table.get("maximum"), pattern=table.get("pattern"),
                pattern_hint=str(table.get("pattern_hint", "")), key=table.get("key"),
                caption=str(table.get("label", "")), owner=owner, not_before=table.get("not_before"),
            )
        except (TypeError, ValueError) as err:
            self.problem(where, f"has a value of the wrong type ({err})")
            return None


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
    _check_unique(r, fields)
    by_name = {f.name: f for f in fields}
    _check_field_references(r, own_fields, by_name)
    numbering = data.get("numbering", {})
    pattern = r.text(numbering, "pattern", "numbering.")
    for part in ("{nomor", "{tahun}"):
        if pattern and part not in pattern:
            r.problem("numbering.pattern", f'"{pattern}" has no {part}{"" if part.endswith("}") else ":...}"}')
    qr = data.get("qr", {})
    qr_fields = tuple(qr.get("fields", ()))
    for i, name in enumerate((*qr_fields, *qr.get("wire_v1", ()))):
        if name not in by_name:
            r.problem(f"qr.fields[{i}]", f'"{name}" is not a field of this type')
    rules = _rules(r, data.get("rules", {}), by_name)
    archive = data.get("archive", {})
    return m.PermitType(
        code=code, title=r.text(data, "title", ""), short_name=r.text(data, "short_name", ""),
        profession=str(data.get("profession", "")), legal_basis=tuple(data.get("legal_basis", ())),
        fields=fields, checklists=_checklists(r, data.get("applications", {}), items, by_name, shared),
        validity=_validity(r, data.get("validity", {}), by_name),
        register=r.text(numbering, "register", "numbering."),
        register_title=str(numbering.get("register_title", f"Buku Agenda Penomoran {data.get('short_name', '')}")),
        pattern=pattern, qr_fields=qr_fields, classification=str(archive.get("classification", "")),
        retention=str(archive.get("retention", archive.get("classification", ""))),
        sop=str(data.get("sop", "default")), rules=rules, documents=dict(data.get("documents", {})),
        permit_rows=_permit_rows(r, data.get("permit", {}), by_name), wording=dict(data.get("wording", {})),
        legacy_wire=tuple(qr.get("wire_v1", ())), source=str(folder), builtin=builtin, extra=data,
    )


def _checklist_fields(r: _Reader, tables: list, owner: str) -> dict[str, m.Field]:
    items: dict[str, m.Field] = {}
    for i, table in enumerate(tables):
        if not isinstance(table, dict):
            r.problem(f"checklist[{i}]", "must be a table")
            continue
        what = table.get("what", table.get("header", ""))
        fld = r.field({"name": table.get("name", ""), "header": table.get("header", ""), "kind": m.YES_NO,
                       "required": True, "aliases": table.get("aliases", []), "width": 11, "example": "Y",
                       "help": f"Y bila {what} ada dan sesuai, T bila tidak ada."},
                      f"checklist[{i}]", m.CHECKLIST_GROUP, owner)
        if fld:
            items[fld.name] = fld
    return items


def _check_unique(r: _Reader, fields: tuple[m.Field, ...]) -> None:
    seen_names: set[str] = set()
    seen_keys: dict[str, str] = {}
    for fld in fields:
        if fld.name in seen_names:
            r.problem(f"fields.{fld.name}", "is defined twice (common.toml already has it?)")
        seen_names.add(fld.name)
        for key in {header_key(h) for h in (fld.header, *fld.aliases)}:
            if key in seen_keys and seen_keys[key] != fld.name:
                r.problem(f"fields.{fld.name}", f'header "{key}" also means the field {seen_keys[key]}')
            seen_keys[key] = fld.name


def _check_field_references(r: _Reader, own: list[m.Field], by_name: dict[str, m.Field]) -> None:
    for fld in own:
        if fld.not_before and fld.not_before not in by_name:
            r.problem(f"fields.{fld.name}.not_before", f'"{fld.not_before}" is not a field of this type')


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
        lists[kind] = tuple(i for i in (_checklist_item(r, f"{where}.checklist[{n}]", entry, items, by_name)
                                        for n, entry in enumerate(table.get("checklist", []))) if i)
    return lists


def _checklist_item(r: _Reader, where: str, entry: Any, items: dict[str, m.Field],
                    by_name: dict[str, m.Field]) -> m.ChecklistItem | None:
    entry = {"item": entry} if isinstance(entry, str) else entry
    name = entry.get("item", "") if isinstance(entry, dict) else ""
    if name not in items:
        r.problem(f"{where}.item", f'"{name}" is not one of this type\'s [[checklist]] items '
                                   f'({", ".join(items) or "none"})')
        return None
    when = None
    if entry.get("when"):
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
                                   'sampai str_berlaku_sampai" or "seumur hidup"')
        return m.Validity(rule, None)
    limit = match["field"]
    if limit and (limit not in by_name or by_name[limit].kind not in (m.DATE, m.DATE_OR_LIFETIME)):
        r.problem("validity.rule", f'"{limit}" is not a date field of this type')
    return m.Validity(rule, None if match["life"] else int(match["years"]), limit)


def _rules(r: _Reader, table: dict, by_name: dict[str, m.Field]) -> m.Rules:
    for key in ("nth_field", "earlier_numbers_field", "place_field"):
        if table.get(key) and table[key] not in by_name:
            r.problem(f"rules.{key}", f'"{table[key]}" is not a field of this type')
    return m.Rules(max_places=table.get("max_places"), nth_field=table.get("nth_field") or None,
                   earlier_numbers_field=table.get("earlier_numbers_field") or None,
                   place_field=table.get("place_field") or None)


def _permit_rows(r: _Reader, table: dict, by_name: dict[str, m.Field]) -> tuple[tuple[str, str], ...]:
    rows = []
    for i, row in enumerate(table.get("rows", [])):
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
        wanted = " ".join(str(code_or_title).split()).casefold()
        for permit_type in self.types.values():
            if wanted in {permit_type.code, permit_type.short_name.casefold(), permit_type.title.casefold()}:
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


def _folders(ws) -> dict[str, tuple[Path, bool]]:
    folders = {p.name: (p, True) for p in sorted(builtin_root().iterdir()) if (p / TYPE_FILE).is_file()}
    if ws is not None and workspace_root(ws).is_dir():
        for p in sorted(workspace_root(ws).iterdir()):
            if p.is_dir():
                folders[p.name] = (p, False)
    return folders


def _stamp(folders: dict[str, tuple[Path, bool]]) -> tuple:
    stamps = []
    for code, (folder, _builtin) in sorted(folders.items()):
        try:
            stamps.append((code, str(folder), (folder / TYPE_FILE).stat().st_mtime_ns))
        except OSError:
            stamps.append((code, str(folder), None))
    return tuple(stamps)


def load_catalogue(ws=None) -> Catalogue:
    """Every permit type of the workspace (built-in ones, replaced or joined by its own).

    A mistake in any type's data raises PermitTypeError naming file and key: an office
    never works with a type that is half read. Re-read when a file changes.
    """
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
    if problems:
        raise PermitTypeError(problems)
    catalogue = Catalogue(types)
    _CACHE.clear()
    _CACHE[stamp] = catalogue
    return catalogue
