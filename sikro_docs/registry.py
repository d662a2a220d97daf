"""The registry of applications: import from intake, look up, describe.

`import_file` is the one entry of the import: a whole file is imported in
one transaction, so an input that turns out unusable half-way (a truncated
workbook) saves nothing; rows that are invalid are left out and written
to an errors workbook for the clerk to fix and import again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import chain, clock, db, numbering, permit_types
from .errors import EXIT_UNUSABLE, SikroError
from .intake import Problem, Row, errors_path_for, open_input, write_errors_workbook
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
}


def holder_state(app: Application) -> dict:
    """The chained state: the holder's facts and the facts of the permit type (by storage key)."""
    return {**{name: getattr(app, name) for name in HOLDER_FIELDS}, **(app.facts or {})}


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


def permit_type_of(app: Application, ws=None) -> permit_types.PermitType:
    return permit_types.get(ws, app.permit_type)


def field_values(app: Application, ptype: permit_types.PermitType) -> dict:
    """The application's values by field name (what checklist conditions read)."""
    values = {"tanggal_permohonan": app.application_date}
    for fld in ptype.own_fields:
        values[fld.name] = _from_json(fld, (app.facts or {}).get(fld.storage_key))
    return values


def missing_items(app: Application, ws=None) -> list[str]:
    ptype = permit_type_of(app, ws)
    return [item.field.header for item in ptype.missing(app.application_kind, field_values(app, ptype),
                                                        app.checklist or {})]


def is_complete(app: Application, ws=None) -> bool:
    return not missing_items(app, ws)


def jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _from_json(fld, value):
    if isinstance(value, str) and fld.kind in ("date", "date_or_lifetime"):
        return dt.date.fromisoformat(value)
    return value


def import_file(ws: Workspace, path: Path, actor: str = "sikro", progress=None, permit_type=None) -> ImportReport:
    """Register the valid rows of `path`; write the invalid ones to an errors workbook.

    `permit_type` (`--type`): every row is of it; else a Jenis Izin column, else the default type."""
    path = Path(path)
    report = ImportReport(source=path)
    bad_rows: list[Row] = []
    with open_input(path, ws.profile, ws=ws, permit_type=permit_type) as intake:
        with db.session(ws, write=True) as sess:
            for row in intake.rows():
                if row.ok:
                    _import_row(sess, ws, row, path, actor, report)
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


def _import_row(sess: Session, ws, row: Row, source: Path, actor: str, report) -> None:
    values = row.values
    existing = _find_existing(sess, row)
    if not row.ok:
        return
    if existing is None:
        existing = _create(sess, ws, values, _event_source(source, row), actor)
        report.imported += 1
    elif _update(sess, ws, existing, values, _event_source(source, row), actor):
        report.updated += 1
    else:
        report.unchanged += 1
    report.applications.append((row.number, existing.id))


def _event_source(source: Path, row: Row) -> dict:
    return {"source_file": str(source.resolve()), "source_row": row.number}


def _find_existing(sess: Session, row: Row) -> Application | None:
    """The application this row describes, by No Registrasi or by NIK and date."""
    values = row.values
    by_key = sess.scalar(
        select(Application).where(
            Application.nik == values["nik"],
            Application.application_date == values["tanggal_permohonan"],
        )
    )
    given = values.get("no_registrasi")
    if not given:
        return by_key
    by_number = sess.scalar(select(Application).where(Application.registration_number == given))
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


def _columns_from(values: dict, ws=None) -> dict:
    columns = {column: values.get(name) for name, column in FIELD_COLUMNS.items()}
    ptype = permit_types.get(ws, values["jenis_izin"]) if values.get("jenis_izin") else permit_types.default(ws)
    columns["permit_type"] = ptype.code
    columns["application_kind"] = values.get("jenis_permohonan") or "baru"
    columns["previous_number"] = values.get("nomor_izin_sebelumnya")
    columns["previous_date"] = values.get("tanggal_izin_sebelumnya")
    columns["facts"] = {f.storage_key: jsonable(values.get(f.name)) for f in ptype.own_fields}
    place = values.get(ptype.rules.place_field) if ptype.rules.place_field else None
    columns["place_key"] = " ".join(str(place).split()).casefold() if place else ""
    return columns


def _status_for(app: Application, ws=None) -> str:
    return "open" if is_complete(app, ws) else "returned"


def _create(sess: Session, ws, values: dict, source: dict, actor: str) -> Application:
    # The registration number is drawn in this same transaction; until then
    # the row carries a placeholder no other transaction can ever see.
    app = Application(
        registration_number=f"(pending {id(values)})",
        current_step=INTAKE_STEP,
        status="open",
        **_columns_from(values, ws),
    )
    app.status = _status_for(app, ws)
    sess.add(app)
    sess.flush()
    # Numbered on the office's day of registration, not the application's date: the register
    # is a day book, and a December application registered on 2 January is of the new year.
    entry = numbering.allocate(
        sess, ws, "registrasi", clock.today(ws.profile),
        kind="registration", application_id=app.id,
        subject=f"Permohonan {permit_type_of(app, ws).short_name} a.n. {app.name}", actor=actor,
    )
    app.registration_number = entry.number
    chain_application(sess, ws, app, actor)
    sess.add(Event(
        application_id=app.id, actor=actor, action="registered",
        details={"registration_number": app.registration_number, "status": app.status,
                 "missing": missing_items(app, ws)},
        **source,
    ))
    return app


def _update(sess: Session, ws, app: Application, values: dict, source: dict, actor: str) -> bool:
    changes = {}
    for column, new in _columns_from(values, ws).items():
        if new is None and column in KEEP_WHEN_BLANK:
            continue
        old = getattr(app, column)
        if old != new:
            changes[column] = [jsonable(old), jsonable(new)]
            setattr(app, column, new)
    if app.current_step <= INTAKE_STEP and app.status != _status_for(app, ws):
        changes["status"] = [app.status, _status_for(app, ws)]
        app.status = _status_for(app, ws)
    if not changes:
        return False
    app.updated_at = utcnow()
    if changes.keys() & {*HOLDER_FIELDS, "facts"}:
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


def describe(app: Application, ws=None) -> dict:
    """The JSON form of an application, as `list` and `show` print it (the type's facts flattened)."""
    missing = missing_items(app, ws)
    data = {
        "registration_number": app.registration_number,
        "permit_type": app.permit_type,
        "application_kind": app.application_kind,
        "previous_number": app.previous_number,
        "previous_date": jsonable(app.previous_date),
        "name": app.name,
        "nik": app.nik,
        "status": app.status,
        "current_step": app.current_step,
        "complete": not missing,
        "missing": missing,
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
