"""The registry of applications: import from intake, look up, describe.

`import_file` is the one entry of the import: a whole file is imported in
one transaction, so an input that turns out unusable half-way (a truncated
workbook) saves nothing; rows that are invalid are left out and written
to an errors workbook for the clerk to fix and import again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from . import chain, clock, db, holdings, numbering, permit_types
from .errors import EXIT_UNUSABLE, SikroError
from .intake import Problem, Row, errors_path_for, open_input, write_errors_workbook
from .intake.read_ahead import read_ahead
from .models import UNSCHEDULED, Application, Event, utcnow
from .workspace import Workspace


class ErrorsFileUnwritable(SikroError):
    """The errors workbook beside the input cannot be written: the import is undone."""

    exit_code = EXIT_UNUSABLE


# Intake field -> Application column. Order is the order `show` prints.
FIELD_COLUMNS = {
    "tanggal_permohonan": "application_date",
    "nama": "name",
    "nik": "nik",
    "tempat_lahir": "birth_place",
    "tanggal_lahir": "birth_date",
    "jenis_kelamin": "sex",
    "alamat": "address",
    "no_hp": "phone",
    "email": "email",
    "pendidikan": "education",
    "berkas": "checklist",
    "nomor_rekomendasi": "recommendation_number",
    "tanggal_rekomendasi": "recommendation_date",
    "keputusan": "decision",
    "alasan_penolakan": "rejection_reason",
}
# Later-stage facts: a blank cell means "not known yet", never "erase it".
KEEP_WHEN_BLANK = {"recommendation_number", "recommendation_date", "decision", "rejection_reason"}

# Where an imported application stands: received and checked (SOP steps 1-2).
INTAKE_STEP = 2

# The applicant's facts a document is issued with: chained (chain.py, stream "application") whenever
# the tool writes them, so an edit of the database behind its back shows in `sikro register verify`.
APPLICATION_STREAM = "application"
HOLDER_FIELDS = {
    "name": "holder name", "nik": "NIK", "birth_place": "place of birth", "birth_date": "date of birth",
    "sex": "sex", "address": "address", "application_date": "application date",
    # Since permit types (0008): what the permit is and which permit it renews, changes or revokes.
    "permit_type": "permit type", "application_kind": "application kind",
    "previous_number": "previous permit number", "previous_date": "previous permit date",
}


def holder_state(app: Application) -> dict:
    """The chained state: the holder's facts, the permit type, kind and previous permit, and the
    facts of the permit type (by storage key)."""
    return {**{name: getattr(app, name) for name in HOLDER_FIELDS}, **(app.facts or {})}


def holder_state_of(columns: dict) -> dict:
    """`holder_state` of an application about to be written, from its columns."""
    return {**{name: columns[name] for name in HOLDER_FIELDS}, **(columns.get("facts") or {})}


def chain_application(sess: Session, ws, app: Application, actor: str) -> None:
    chain.append(sess, ws, APPLICATION_STREAM, app.registration_number, holder_state(app), actor)


def _applications_now(sess: Session) -> dict[str, dict]:
    return {a.registration_number: holder_state(a) for a in sess.scalars(select(Application))}


chain.track(APPLICATION_STREAM, _applications_now, lambda ref, _state: f"application {ref}", HOLDER_FIELDS)


def _restate_applications() -> None:
    from .migrations import legacy_states  # the states as they read before permit types (0008)

    chain.restate_after(legacy_states.REVISION, APPLICATION_STREAM, legacy_states.application_was_before)


_restate_applications()


class ApplicationRefused(SikroError):
    """The registry refuses an application record: `field` names the column, `issues` every reason.

    An import turns each issue into a row error; a caller of the library API gets this error.
    """

    code = "application-refused"

    def __init__(self, field: str, column: str, message: str, issues: list | None = None):
        self.field, self.column, self.message = field, column, message
        self.issues = issues or []
        super().__init__(f"{column} {message}")


class FactInvalid(ApplicationRefused):
    """A value of the record is not one its permit type accepts (unknown field, wrong kind of value)."""

    code = "fact-invalid"


@dataclass
class ImportReport:
    source: Path
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: list[Problem] = field(default_factory=list)
    errors_file: Path | None = None
    # (row number, application id) of every valid row, in file order: what a batch works on.
    applications: list[tuple[int, int]] = field(default_factory=list)

    def as_json(self, codes: bool = False) -> dict:
        """The report as the CLI prints it; with `codes` each problem also has its code and values
        (what an import job keeps, for the console to word each problem in its language)."""
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": [
                {"row": p.row, "column": p.column, "message": p.message,
                 **({"code": p.code, "values": dict(p.values)} if codes else {})}
                for p in self.invalid
            ],
            "errors_file": str(self.errors_file) if self.errors_file else None,
        }


def permit_type_of(app: Application, ws=None) -> permit_types.PermitType:
    """The application's type; without `ws`, the workspace of its session (an office's own types)."""
    sess = object_session(app)
    if ws is None and sess is not None:
        ws = sess.info.get("workspace")
    return catalogue_of(sess, ws).get(app.permit_type)


def catalogue_of(sess: Session | None, ws) -> permit_types.Catalogue:
    """The permit types, read once per transaction (an import asks for them on every row)."""
    if sess is None:
        return permit_types.catalogue(ws)
    cached = sess.info.get("permit_types")
    if cached is None or cached[0] is not ws:
        cached = sess.info["permit_types"] = (ws, permit_types.catalogue(ws))
    return cached[1]


def field_values(app: Application, ptype: permit_types.PermitType) -> dict:
    """The application's values by field name (what checklist conditions read)."""
    return _field_values(ptype, app.application_date, app.facts)


def _field_values(ptype, application_date, facts: dict | None) -> dict:
    values = {"tanggal_permohonan": application_date}
    for fld in ptype.own_fields:
        values[fld.name] = holdings.from_stored(fld, (facts or {}).get(fld.storage_key))
    return values


def missing_items(app: Application, ws=None) -> list[str]:
    ptype = permit_type_of(app, ws)
    return [item.field.header for item in ptype.missing(app.application_kind, field_values(app, ptype),
                                                        app.checklist or {})]


def missing_of(ptype, kind: str, columns: dict) -> list[str]:
    """`missing_items` of an application about to be written, from its columns."""
    values = _field_values(ptype, columns["application_date"], columns["facts"])
    return [item.field.header for item in ptype.missing(kind, values, columns["checklist"] or {})]


def is_complete(app: Application, ws=None) -> bool:
    return not missing_items(app, ws)


def jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def import_file(ws: Workspace, path: Path, actor: str = "sikro", progress=None, permit_type=None) -> ImportReport:
    """Register the valid rows of `path`; write the invalid ones to an errors workbook.

    `permit_type` (`--type`): every row is of it; else a Jenis Izin column, else the default type.
    Rows are registered a chunk at a time (importing.py), with the outcome of one by one, while a
    large file's next chunk is read by another process (intake/read_ahead.py)."""
    from .importing import IMPORT_CHUNK, ChunkedImport

    path = Path(path)
    report = ImportReport(source=path)
    bad_rows: list[Row] = []
    with permit_types.pinned(ws), open_input(path, ws.profile, ws=ws, permit_type=permit_type) as intake, \
            read_ahead(intake, IMPORT_CHUNK) as chunks_read:
        with db.session(ws, write=True) as sess:
            importer = ChunkedImport(sess, ws, path, actor, report)
            for chunk in chunks_read:
                importer.add_chunk(chunk)
                for row in chunk:
                    if not row.ok:  # a database check may have added a problem
                        bad_rows.append(row)
                        report.invalid.extend(row.problems)
                    if progress:
                        progress(row)
            # Still inside the transaction: when the errors list cannot be written,
            # nothing is saved, rather than rows saved and the clerk told nothing about the rest.
            report.errors_file = _write_errors(intake, bad_rows)
    return report


def _write_errors(intake, bad_rows: list[Row]) -> Path | None:
    dest = errors_path_for(intake.path)
    try:
        if bad_rows:
            return write_errors_workbook(intake, bad_rows, dest)
        dest.unlink(missing_ok=True)  # a stale list would send the clerk after fixed rows
    except OSError as err:
        raise ErrorsFileUnwritable(
            f"{dest}: cannot write the list of invalid rows ({err.strerror or err}); close it if it is "
            "open in Excel, or copy the input to a folder you can write to; nothing was imported"
        ) from None
    return None




# --------------------------------------------------------------------------- one record


# Keys of a record that are not fields of a type: the checklist, as intake hands it.
RECORD_EXTRAS = {"berkas"}


@dataclass
class Prepared:
    """A record checked against its type and the registry, ready to be stored."""

    ptype: permit_types.PermitType
    kind: str
    values: dict  # the record, with data carried over from the previous permit
    issues: list[holdings.Issue] = field(default_factory=list)
    previous: holdings.PreviousPermit | None = None
    carried: list[str] = field(default_factory=list)
    unknown_earlier: list[str] = field(default_factory=list)

    def columns(self) -> dict:
        values, ptype = self.values, self.ptype
        columns = {column: values.get(name) for name, column in FIELD_COLUMNS.items()}
        columns["permit_type"] = ptype.code
        columns["application_kind"] = self.kind
        known = self.previous.held if self.previous else None
        columns["previous_number"] = self.previous.number if self.previous else values.get(holdings.PREVIOUS_NUMBER)
        columns["previous_date"] = self.previous.date if self.previous else values.get(holdings.PREVIOUS_DATE)
        columns["previous_document_id"] = known.document.id if known else None
        columns["facts"] = {f.storage_key: jsonable(values.get(f.name)) for f in ptype.own_fields}
        columns["place_key"] = holdings.fold(values.get(ptype.rules.place_field)) if ptype.rules.place_field else ""
        return columns


def type_and_kind(ws, values: dict, sess: Session | None = None) -> tuple[permit_types.PermitType, str]:
    """The record's permit type (`jenis_izin`, else the office's default) and application kind."""
    code = values.get("jenis_izin")
    try:
        ptype = catalogue_of(sess, ws).get(code) if code else permit_types.default(ws)
    except permit_types.UnknownPermitType as err:
        raise FactInvalid("jenis_izin", "Jenis Izin", str(err)) from None
    try:
        kind = permit_types.application_kind(values.get("jenis_permohonan")).code
    except ValueError as err:
        raise FactInvalid("jenis_permohonan", "Jenis Permohonan", str(err)) from None
    return ptype, kind


def prepare(sess: Session, ws, values: dict, ptype, kind: str, application_id: int | None) -> Prepared:
    """Check a record against its type and the registry (previous permit, rules across permits)."""
    today = clock.today(ws.profile)
    prepared = Prepared(ptype, kind, dict(values))
    prepared.issues += unknown_keys(ptype, values)
    previous, issues = holdings.check_previous(sess, ptype, kind, prepared.values, application_id, today)
    prepared.previous, prepared.issues = previous, prepared.issues + issues
    prepared.carried = holdings.carry_over(ptype, prepared.values, previous)
    fact_issues = check_facts(ptype, prepared.values)
    prepared.issues += fact_issues
    if not prepared.issues:
        outcome = holdings.check_rules(sess, ptype, kind, prepared.values, previous, application_id, today)
        prepared.issues += outcome.issues
        prepared.unknown_earlier = outcome.unknown_earlier
    return prepared


def unknown_keys(ptype, values: dict) -> list[holdings.Issue]:
    known = {f.name for f in ptype.fields} | RECORD_EXTRAS
    return [holdings.Issue(key, f"is not a field of {ptype.short_name} ({ptype.title})", fact=True)
            for key in values if key not in known and not key.startswith("_")]


def _is_text(fld, value) -> bool:
    return isinstance(value, str)


def _is_number(fld, value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)
            and (fld.minimum is None or value >= fld.minimum) and (fld.maximum is None or value <= fld.maximum))


# Field kind -> whether a value is one of that kind (intake's parsers make them; a library caller may not).
VALUE_CHECKS = {
    "date": lambda fld, v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "date_or_lifetime": lambda fld, v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "choice": lambda fld, v: v in fld.choices,
    "number": _is_number,
    "yes_no": lambda fld, v: isinstance(v, bool),
}
EXPECTED = {"date": "a date", "date_or_lifetime": "a date or Seumur Hidup (null)", "number": "a whole number",
            "yes_no": "true or false"}


def check_facts(ptype, values: dict) -> list[holdings.Issue]:
    """The type's own facts as the type defines them: required, of their kind, pattern, length."""
    issues = []
    for fld in ptype.own_fields:
        value = values.get(fld.name)
        if value is None:
            if fld.required and fld.kind != "date_or_lifetime":
                issues.append(holdings.Issue(fld.name, "is empty; it is required", fact=True))
            continue
        check = VALUE_CHECKS.get(fld.kind, _is_text)
        if not check(fld, value):
            expected = EXPECTED.get(fld.kind) or (f"one of: {', '.join(fld.choices)}" if fld.choices else "text")
            issues.append(holdings.Issue(fld.name, f"{value!r} is not {expected}", fact=True))
        elif isinstance(value, str) and not fld.matches_pattern(value):
            hint = f" ({fld.pattern_hint})" if fld.pattern_hint else ""
            issues.append(holdings.Issue(fld.name, f"{value!r} is not in the expected form{hint}", fact=True))
        elif isinstance(value, str) and fld.max_length and len(value) > fld.max_length:
            issues.append(holdings.Issue(fld.name, f"is {len(value)} characters long; at most {fld.max_length} fit",
                                         fact=True))
    return issues


def column_label(ptype, name: str) -> str:
    fld = ptype.by_name.get(name)
    return fld.label if fld else name


def refusal(prepared: Prepared) -> ApplicationRefused:
    first = prepared.issues[0]
    cls = FactInvalid if first.fact else ApplicationRefused
    return cls(first.field, column_label(prepared.ptype, first.field), first.message, prepared.issues)


def register_record(sess: Session, ws, values: dict, actor: str = "sikro", source: dict | None = None,
                    registration_number: str | None = None) -> tuple[Application, str]:
    """The library's way in: register (or update) one record given as intake's values.

    Returns the application and "imported" | "updated" | "unchanged"; raises FactInvalid or
    ApplicationRefused (structured: `field`, `column`, `issues`) when the record cannot be registered.
    """
    ptype, kind = type_and_kind(ws, values, sess)
    existing = _find_by_identity(sess, ptype, kind, values)
    if registration_number:
        existing = sess.scalar(select(Application).where(Application.registration_number == registration_number))
    prepared = prepare(sess, ws, values, ptype, kind, existing.id if existing else None)
    if prepared.issues:
        raise refusal(prepared)
    return store(sess, ws, existing, prepared, source or {}, actor)


def store(sess: Session, ws, existing: Application | None, prepared: Prepared, source: dict,
          actor: str) -> tuple[Application, str]:
    """Create or update the application: "imported" | "updated" | "unchanged"."""
    if existing is None:
        return _create(sess, ws, prepared, source, actor), "imported"
    if _update(sess, ws, existing, prepared, source, actor):
        return existing, "updated"
    return existing, "unchanged"


def add_problems(row: Row, prepared: Prepared) -> None:
    """The prepared record's issues as the row's problems, at its columns."""
    for issue in prepared.issues:
        label = column_label(prepared.ptype, issue.field)
        row.problems.append(Problem(row.number, label, f"{label} {issue.message}", issue.field, issue.code,
                                    {"label": label, **issue.values}))


def event_source(source: Path, row: Row) -> dict:
    return {"source_file": str(source.resolve()), "source_row": row.number}


def pick_by_place(found: list[Application], ptype, values: dict) -> Application | None:
    """Of the applications of one holder, date, type and kind, the one at this record's place."""
    if len(found) > 1:
        place = holdings.fold(values.get(ptype.rules.place_field)) if ptype.rules.place_field else ""
        return next((a for a in found if a.place_key == place), None)
    return found[0] if found else None


def _find_by_identity(sess: Session, ptype, kind: str, values: dict) -> Application | None:
    """The application of this holder, date, type and kind (the place decides between several)."""
    found = sess.scalars(select(Application).where(
        Application.nik == values.get("nik"),
        Application.application_date == values.get("tanggal_permohonan"),
        Application.permit_type == ptype.code,
        Application.application_kind == kind,
    ).order_by(Application.id)).all()
    return pick_by_place(list(found), ptype, values)


def _find_by_number(sess: Session, number: str) -> Application | None:
    return sess.scalar(select(Application).where(Application.registration_number == number))


@dataclass(frozen=True)
class Lookup:
    """How `find_existing` finds applications: by query (the default), or from what a chunk fetched."""

    by_identity: Callable[[Session, permit_types.PermitType, str, dict], Application | None]
    by_number: Callable[[Session, str], Application | None]


QUERIES = Lookup(_find_by_identity, _find_by_number)


def find_existing(sess: Session, row: Row, ptype, kind: str, lookup: Lookup = QUERIES) -> Application | None:
    """The application this row describes, by No Registrasi or by NIK, date, type and kind."""
    values = row.values
    by_key = lookup.by_identity(sess, ptype, kind, values)
    given = values.get("no_registrasi")
    if not given:
        return by_key
    by_number = lookup.by_number(sess, given)
    if by_number is None:
        row.problems.append(
            Problem(row.number, "No Registrasi",
                    f'No Registrasi "{given}" is not in the registry; leave it blank to assign a new number')
        )
    elif by_key is not None and by_key.id != by_number.id:
        row.problems.append(
            Problem(row.number, "No Registrasi",
                    f'No Registrasi "{given}" belongs to another application than this NIK and date '
                    f"({by_key.registration_number})")
        )
    return by_number


def _status_for(app: Application, ws=None) -> str:
    return "open" if is_complete(app, ws) else "returned"


def _create(sess: Session, ws, prepared: Prepared, source: dict, actor: str) -> Application:
    chain.adopt_if_new(sess, ws, APPLICATION_STREAM)
    # The registration number is drawn in this same transaction; until then
    # the row carries a placeholder no other transaction can ever see.
    app = Application(
        registration_number=f"(pending {id(prepared)})",
        current_step=INTAKE_STEP,
        status="open",
        **prepared.columns(),
    )
    app.status = _status_for(app, ws)
    sess.add(app)
    sess.flush()
    # Numbered on the office's day of registration, not the application's date: the register
    # is a day book, and a December application registered on 2 January is of the new year.
    entry = numbering.allocate(
        sess, ws, "registrasi", clock.today(ws.profile),
        kind="registration", application_id=app.id,
        subject=f"Permohonan {prepared.ptype.short_name} a.n. {app.name}", actor=actor,
    )
    app.registration_number = entry.number
    chain_application(sess, ws, app, actor)
    sess.add(Event(
        application_id=app.id, actor=actor, action="registered",
        details={"registration_number": app.registration_number, "status": app.status,
                 "permit_type": app.permit_type, "application_kind": app.application_kind,
                 "missing": missing_items(app, ws)},
        **source,
    ))
    _record_permits_named(sess, app, prepared, source, actor)
    return app


def _record_permits_named(sess: Session, app: Application, prepared: Prepared, source: dict, actor: str) -> None:
    """Events for the permits the application names: the previous one, earlier ones the registry lacks."""
    previous = prepared.previous
    if previous is not None and previous.known:
        sess.add(Event(application_id=app.id, actor=actor, action="previous_permit",
                       details={"number": previous.number, "document_id": previous.held.document.id,
                                "date": jsonable(previous.date), "carried_over": prepared.carried}, **source))
    elif previous is not None:
        sess.add(Event(application_id=app.id, actor=actor, action="previous_permit_unknown",
                       details={"number": previous.number, "date": jsonable(previous.date)}, **source))
    if prepared.unknown_earlier:
        sess.add(Event(application_id=app.id, actor=actor, action="earlier_permits_unknown",
                       details={"field": prepared.ptype.rules.earlier_numbers_field,
                                "numbers": prepared.unknown_earlier}, **source))


def _update(sess: Session, ws, app: Application, prepared: Prepared, source: dict, actor: str) -> bool:
    changes = {}
    for column, new in prepared.columns().items():
        if new is None and column in KEEP_WHEN_BLANK:
            continue
        old = getattr(app, column)
        if old != new:
            changes[column] = [jsonable(old), jsonable(new)]
            setattr(app, column, new)
    if app.current_step <= INTAKE_STEP and app.status != _status_for(app, ws):
        changes["status"] = [app.status, _status_for(app, ws)]
        app.status = _status_for(app, ws)
        app.next_step = UNSCHEDULED  # complete now, or not: workflow.schedule works out what waits
    if not changes:
        return False
    app.updated_at = utcnow()
    if changes.keys() & {*HOLDER_FIELDS, "facts"}:
        chain_application(sess, ws, app, actor)
    sess.add(Event(application_id=app.id, actor=actor, action="updated",
                   details={"changes": changes}, **source))
    if changes.keys() & {"previous_number", "previous_date", "previous_document_id"}:
        _record_permits_named(sess, app, prepared, source, actor)
    return True


def find_application(sess: Session, ref: str) -> Application:
    """An application by registration number or NIK; SikroError when none or several."""
    ref = ref.strip()
    found = sess.scalars(
        select(Application).where(
            or_(Application.registration_number == ref, Application.nik == ref)
        )
    ).all()
    if not found:
        raise SikroError(f'no application with registration number or NIK "{ref}"')
    if len(found) > 1:
        numbers = ", ".join(a.registration_number for a in found)
        raise SikroError(f'"{ref}" matches several applications ({numbers}); give a registration number')
    return found[0]


def list_applications(sess: Session) -> list[Application]:
    return list(sess.scalars(select(Application).order_by(Application.id)))




def describe(app: Application, ws=None) -> dict:
    """The JSON form of an application, as `list` and `show` print it.

    `fields` are the type's own facts, labelled as the type labels them; the facts are also
    flattened by storage key (older callers read them so: read them through the type instead).
    """
    missing = missing_items(app, ws)
    ptype = permit_type_of(app, ws)
    kind = holdings.kind_of(app.application_kind)
    values = field_values(app, ptype)
    data = {
        "registration_number": app.registration_number,
        "permit_type": app.permit_type,
        "permit_type_title": ptype.title,
        "permit_type_short_name": ptype.short_name,
        "application_kind": app.application_kind,
        "application_kind_title": kind.title,
        "previous_number": app.previous_number,
        "previous_date": jsonable(app.previous_date),
        "previous_known": app.previous_document_id is not None,
        "name": app.name,
        "nik": app.nik,
        "status": app.status,
        "current_step": app.current_step,
        "complete": not missing,
        "missing": missing,
        "fields": [{"name": f.name, "label": f.shown_label, "kind": f.kind, "value": jsonable(values.get(f.name))}
                   for f in ptype.own_fields],
    }
    for column in FIELD_COLUMNS.values():
        if column not in data:
            data[column] = jsonable(getattr(app, column))
    for key, value in (app.facts or {}).items():
        data.setdefault(key, value)
    return data

def history(sess: Session, app: Application) -> list[dict]:
    events = sess.scalars(select(Event).where(Event.application_id == app.id).order_by(Event.id))
    return [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details,
         "source_file": e.source_file, "source_row": e.source_row}
        for e in events
    ]
