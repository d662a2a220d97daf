"""The registry of applications: import from intake, look up, describe.

`import_file` is the one entry of the import: a whole file is imported in
one transaction, so an input that turns out unusable half-way (a truncated
workbook) saves nothing; rows that are invalid are left out and written
to an errors workbook for the clerk to fix and import again.
"""

from __future__ import annotations

import datetime as dt
import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import chain, clock, db, numbering
from .errors import EXIT_UNUSABLE, SikroError
from .intake import CHECKLIST, Problem, Row, errors_path_for, open_input, write_errors_workbook
from .models import Application, Event, utcnow
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
    "no_str": "str_number",
    "str_berlaku_sampai": "str_valid_until",
    "nama_tempat_kerja": "workplace_name",
    "alamat_tempat_kerja": "workplace_address",
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
    "sex": "sex", "address": "address", "str_number": "STR number", "str_valid_until": "STR valid until",
    "workplace_name": "workplace", "workplace_address": "workplace address",
    "application_date": "application date",
}


def holder_state(app: Application) -> dict:
    return {name: getattr(app, name) for name in HOLDER_FIELDS}


def chain_application(sess: Session, ws, app: Application, actor: str) -> None:
    chain.append(sess, ws, APPLICATION_STREAM, app.registration_number, holder_state(app), actor)


def _applications_now(sess: Session) -> dict[str, dict]:
    return {a.registration_number: holder_state(a) for a in sess.scalars(select(Application))}


chain.track(APPLICATION_STREAM, _applications_now, lambda ref, _state: f"application {ref}", HOLDER_FIELDS)


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

    def as_json(self) -> dict:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": [
                {"row": p.row, "column": p.column, "message": p.message} for p in self.invalid
            ],
            "errors_file": str(self.errors_file) if self.errors_file else None,
        }


def is_complete(app: Application) -> bool:
    return _complete(app.checklist)


def missing_items(app: Application) -> list[str]:
    return _missing(app.checklist)


def _complete(checklist: dict) -> bool:
    return all(checklist.get(item.name, False) for item in CHECKLIST)


def _missing(checklist: dict) -> list[str]:
    return [item.header for item in CHECKLIST if not checklist.get(item.name, False)]


def jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# Rows are registered in chunks: one query per chunk finds the applications they update, and
# the new ones are written with one INSERT per table. Still one transaction per file.
IMPORT_CHUNK = 500


def import_file(ws: Workspace, path: Path, actor: str = "sikro", progress=None) -> ImportReport:
    """Register the valid rows of `path`; write the invalid ones to an errors workbook."""
    path = Path(path)
    report = ImportReport(source=path)
    bad_rows: list[Row] = []
    with _fewer_collections(), open_input(path, ws.profile) as intake:
        with db.session(ws, write=True) as sess:
            importer = _Importer(sess, ws, path, actor, report)
            for chunk in _chunks(intake.rows(), IMPORT_CHUNK):
                importer.register(chunk)
                for row in chunk:
                    if not row.ok:  # invalid, or a database check added a problem
                        bad_rows.append(row)
                        report.invalid.extend(row.problems)
                    if progress:
                        progress(row)
            # Still inside the transaction: when the errors list cannot be written,
            # nothing is saved, rather than rows saved and the clerk told nothing about the rest.
            report.errors_file = _write_errors(intake, bad_rows)
    return report


# An import makes millions of short-lived objects, nearly all freed by reference counting; the cycle
# collector's default (a pass every 700 allocations) took a third of the import's time.
IMPORT_GC_THRESHOLD = 50_000


@contextmanager
def _fewer_collections():
    """Collect cycles less often while importing; the process's own setting is restored after."""
    before = gc.get_threshold()
    ours = (IMPORT_GC_THRESHOLD, *before[1:])
    if before[0] < IMPORT_GC_THRESHOLD:
        gc.set_threshold(*ours)
    try:
        yield
    finally:
        if gc.get_threshold() == ours and before != ours:  # not changed meanwhile by someone else
            gc.set_threshold(*before)


def _chunks(rows, size: int):
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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


class _Importer:
    """Registers the valid rows of one file, a chunk at a time, in the caller's transaction."""

    def __init__(self, sess: Session, ws, source: Path, actor: str, report: ImportReport):
        self.sess, self.ws, self.actor, self.report = sess, ws, actor, report
        self.source_file = str(source.resolve())
        self._pending: list[tuple[Row, int]] = []  # new applications not written yet, and their report slot

    def register(self, rows: list[Row]) -> None:
        valid = [row for row in rows if row.ok]
        by_key, by_number = self._existing_for(valid)
        for row in valid:
            existing = self._find_existing(row, by_key, by_number)
            if not row.ok:
                continue
            if existing is None:
                self._pending.append((row, len(self.report.applications)))
                self.report.applications.append((row.number, None))
                continue
            if _update(self.sess, self.ws, existing, row.values, self._source(row), self.actor):
                self.report.updated += 1
            else:
                self.report.unchanged += 1
            self.report.applications.append((row.number, existing.id))
        self._create_pending()

    def _source(self, row: Row) -> dict:
        return {"source_file": self.source_file, "source_row": row.number}

    def _existing_for(self, rows: list[Row]) -> tuple[dict, dict]:
        """The registered applications the rows may describe: by (NIK, date) and by No Registrasi."""
        niks = {row.values["nik"] for row in rows}
        given = {row.values["no_registrasi"] for row in rows if row.values.get("no_registrasi")}
        by_key = {(a.nik, a.application_date): a
                  for a in self.sess.scalars(select(Application).where(Application.nik.in_(niks)))} if niks else {}
        by_number = {a.registration_number: a for a in self.sess.scalars(
            select(Application).where(Application.registration_number.in_(given)))} if given else {}
        return by_key, by_number

    def _find_existing(self, row: Row, by_key: dict, by_number: dict) -> Application | None:
        """The application this row describes, by No Registrasi or by NIK and date."""
        values = row.values
        key = (values["nik"], values["tanggal_permohonan"])
        found = by_key.get(key)
        if found is not None and (found.nik, found.application_date) != key:
            found = None  # an earlier row of this chunk changed its NIK or date
        given = values.get("no_registrasi")
        if not given:
            return found
        by_given = by_number.get(given)
        if by_given is None and self._pending:
            # Perhaps a number this import is giving: write the pending ones, then look again.
            self._create_pending()
            by_given = self.sess.scalar(select(Application).where(Application.registration_number == given))
        if by_given is None:
            row.problems.append(
                Problem(row.number, "No Registrasi",
                        f'No Registrasi "{given}" is not in the registry; leave it blank to assign a new number')
            )
        elif found is not None and found.id != by_given.id:
            row.problems.append(
                Problem(row.number, "No Registrasi",
                        f'No Registrasi "{given}" belongs to another application than this NIK and date '
                        f"({found.registration_number})")
            )
        return by_given

    def _create_pending(self) -> None:
        """Write the pending new applications: numbered, chained and logged as one by one."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        records = _new_records([row.values for row, _ in pending])
        # Numbered on the office's day of registration, not the application's date: the register
        # is a day book, and a December application registered on 2 January is of the new year.
        numbers = numbering.allocate_many(
            self.sess, self.ws, "registrasi", clock.today(self.ws.profile), kind="registration",
            subjects=[f"Permohonan SIKRO a.n. {r['name']}" for r in records],
            bind=lambda numbers: self._insert(records, numbers), actor=self.actor)
        ids = [record["id"] for record in records]
        links, events = [], []
        for (row, slot), record, app_id, number in zip(pending, records, ids, numbers, strict=True):
            links.append((number, {name: record[name] for name in HOLDER_FIELDS}))
            events.append({
                "application_id": app_id, "actor": self.actor, "action": "registered", "at": utcnow(),
                "details": {"registration_number": number, "status": record["status"],
                            "missing": _missing(record["checklist"])},
                **self._source(row),
            })
            self.report.applications[slot] = (row.number, app_id)
        chain.append_many(self.sess, self.ws, APPLICATION_STREAM, links, self.actor)
        self.sess.execute(Event.__table__.insert(), events)
        self.report.imported += len(pending)

    def _insert(self, records: list[dict], numbers: list[str]) -> list[int]:
        """Write the new applications with their registration numbers; their ids, in order."""
        for record, number in zip(records, numbers, strict=True):
            record["registration_number"] = number
        self.sess.execute(Application.__table__.insert(), records)
        ids = dict(self.sess.execute(select(Application.registration_number, Application.id)
                                     .where(Application.registration_number.in_(numbers))).all())
        for record in records:
            record["id"] = ids[record["registration_number"]]
        return [record["id"] for record in records]


def _new_records(rows_values: list[dict]) -> list[dict]:
    """Application rows for new applications, not numbered yet."""
    now = utcnow()
    records = []
    for values in rows_values:
        record = _columns_from(values)
        record.update(current_step=INTAKE_STEP, status=_status_of(record["checklist"]),
                      created_at=now, updated_at=now)
        records.append(record)
    return records


def _columns_from(values: dict) -> dict:
    return {column: values.get(name) for name, column in FIELD_COLUMNS.items()}


def _status_for(app: Application) -> str:
    return _status_of(app.checklist)


def _status_of(checklist: dict) -> str:
    return "open" if _complete(checklist) else "returned"


def _update(sess: Session, ws, app: Application, values: dict, source: dict, actor: str) -> bool:
    changes = {}
    for column, new in _columns_from(values).items():
        if new is None and column in KEEP_WHEN_BLANK:
            continue
        old = getattr(app, column)
        if old != new:
            changes[column] = [jsonable(old), jsonable(new)]
            setattr(app, column, new)
    if app.current_step <= INTAKE_STEP and app.status != _status_for(app):
        changes["status"] = [app.status, _status_for(app)]
        app.status = _status_for(app)
    if not changes:
        return False
    app.updated_at = utcnow()
    if changes.keys() & HOLDER_FIELDS.keys():
        chain_application(sess, ws, app, actor)
    sess.add(Event(application_id=app.id, actor=actor, action="updated",
                   details={"changes": changes}, **source))
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


def describe(app: Application) -> dict:
    """The JSON form of an application, as `list` and `show` print it."""
    data = {
        "registration_number": app.registration_number,
        "name": app.name,
        "nik": app.nik,
        "status": app.status,
        "current_step": app.current_step,
        "complete": is_complete(app),
        "missing": missing_items(app),
    }
    for column in FIELD_COLUMNS.values():
        if column not in data:
            data[column] = jsonable(getattr(app, column))
    data["str_lifetime"] = app.str_valid_until is None
    return data


def history(sess: Session, app: Application) -> list[dict]:
    events = sess.scalars(select(Event).where(Event.application_id == app.id).order_by(Event.id))
    return [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details,
         "source_file": e.source_file, "source_row": e.source_row}
        for e in events
    ]
