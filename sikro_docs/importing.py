"""Importing a file into the registry, a chunk of rows at a time.

The contract is `registry.register_record`'s, row by row: the same checks, numbers, chain
links and events, in file order. What changes is how it is written. Rows are read
`IMPORT_CHUNK` at a time; the applications they already have are looked up in two queries
per chunk; and the new applications of a chunk are inserted, numbered
(`numbering.allocate_block`), chained (`chain.append_many`) and logged with one statement
per table. Registering them one by one through the ORM was nearly all of an import's time.

A row that depends on the rows before it in its own chunk (the same applicant, date, type
and kind again; a No Registrasi this very import gave out) or that is not a plain new
application (an update, a renewal naming its previous permit) first writes the chunk's
pending rows, then goes the row-by-row way, so it sees them exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from . import chain, clock, numbering, registry
from .intake import Problem, Row
from .models import Application, Event

# Core statements, not the ORM's bulk forms: the same SQL without the ORM's work per row.
APPLICATIONS = Application.__table__
IMPORT_CHUNK = 500  # rows per step: large enough to amortise a statement, small enough for memory


@dataclass
class _Known:
    """The registry's applications for one chunk's rows: by identity, and by the numbers the rows give."""

    by_identity: dict[tuple, list[Application]]
    by_number: dict[str, Application]

    @classmethod
    def fetch(cls, sess: Session, rows: list[Row]) -> _Known:
        niks = {r.values.get("nik") for r in rows} - {None}
        numbers = {r.values.get("no_registrasi") for r in rows} - {None, ""}
        by_identity: dict[tuple, list[Application]] = {}
        if niks:
            for app in sess.scalars(select(Application).where(Application.nik.in_(niks)).order_by(Application.id)):
                key = (app.nik, app.application_date, app.permit_type, app.application_kind)
                by_identity.setdefault(key, []).append(app)
        by_number = {}
        if numbers:
            by_number = {a.registration_number: a for a in sess.scalars(
                select(Application).where(Application.registration_number.in_(numbers)))}
        return cls(by_identity, by_number)


def identity(ptype, kind: str, values: dict) -> tuple:
    return (values.get("nik"), values.get("tanggal_permohonan"), ptype.code, kind)


@dataclass
class ChunkedImport:
    """Registers the rows of one file inside the caller's write transaction."""

    sess: Session
    ws: object
    source: Path
    actor: str
    report: registry.ImportReport
    pending: list[tuple[Row, registry.Prepared]] = field(default_factory=list)
    source_file: str = ""  # the source's full path, worked out once (events name it)
    pending_keys: set[tuple] = field(default_factory=set)
    known: _Known | None = None  # None: ask the database row by row

    def __post_init__(self):
        self.source_file = str(Path(self.source).resolve())

    def _source_of(self, row: Row) -> dict:
        return {"source_file": self.source_file, "source_row": row.number}

    def add_chunk(self, rows: list[Row]) -> None:
        ok = [r for r in rows if r.ok]
        self.known = _Known.fetch(self.sess, ok)
        for row in ok:
            self._add(row)
        self.flush()

    # --- one row ---------------------------------------------------------------------------

    def _add(self, row: Row) -> None:
        try:
            ptype, kind = registry.type_and_kind(self.ws, row.values, self.sess)
        except registry.ApplicationRefused as err:
            row.problems.append(Problem(row.number, err.column, str(err), err.field))
            return
        if identity(ptype, kind, row.values) in self.pending_keys or self._names_unknown_number(row):
            self.flush()  # the row may be about an application still pending in this chunk
            self.known = None
        existing = registry.find_existing(self.sess, row, ptype, kind, self._lookup())
        if not row.ok:
            return
        prepared = registry.prepare(self.sess, self.ws, row.values, ptype, kind, existing.id if existing else None)
        registry.add_problems(row, prepared)
        if not row.ok:
            return
        if existing is None and prepared.previous is None and not prepared.unknown_earlier:
            self.pending.append((row, prepared))
            self.pending_keys.add(identity(ptype, kind, row.values))
            return
        self.flush()
        self.known = None  # what the row changes is not in the chunk's lookups
        app, outcome = registry.store(self.sess, self.ws, existing, prepared, self._source_of(row),
                                      self.actor)
        self._count(row, app.id, outcome)

    def _names_unknown_number(self, row: Row) -> bool:
        given = row.values.get("no_registrasi")
        return bool(given) and self.pending and (self.known is None or given not in self.known.by_number)

    def _lookup(self) -> registry.Lookup:
        known = self.known
        if known is None:
            return registry.QUERIES
        return registry.Lookup(
            by_identity=lambda sess, ptype, kind, values: registry.pick_by_place(
                known.by_identity.get(identity(ptype, kind, values), []), ptype, values),
            by_number=lambda sess, number: known.by_number.get(number),
        )

    def _count(self, row: Row, app_id: int, outcome: str) -> None:
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        self.report.applications.append((row.number, app_id))

    # --- the pending new applications, written together ------------------------------------

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending, self.pending_keys = self.pending, [], set()
        built = [self._columns(prepared, i) for i, (_row, prepared) in enumerate(pending)]
        columns = [c for c, _missing in built]
        chain.adopt_if_new(self.sess, self.ws, registry.APPLICATION_STREAM)
        self.sess.execute(insert(APPLICATIONS), columns)
        # Their ids by placeholder: RETURNING in row order would make SQLite insert one row at a time.
        placeholders = [c["registration_number"] for c in columns]
        id_of = dict(self.sess.execute(select(APPLICATIONS.c.registration_number, APPLICATIONS.c.id)
                                       .where(APPLICATIONS.c.registration_number.in_(placeholders))).all())
        ids = [id_of[p] for p in placeholders]
        requests = [numbering.BlockRequest(app_id, f"Permohonan {p.ptype.short_name} a.n. {c['name']}", p.ptype.short_name)
                    for app_id, c, (_row, p) in zip(ids, columns, pending, strict=True)]
        # Numbered on the office's day of registration (see registry._create).
        numbers = numbering.allocate_block(self.sess, self.ws, "registrasi", clock.today(self.ws.profile), requests,
                                           kind="registration", actor=self.actor)
        self.sess.execute(update(APPLICATIONS).where(APPLICATIONS.c.id == bindparam("app_id"))
                          .values(registration_number=bindparam("number")),
                          [{"app_id": i, "number": n} for i, n in zip(ids, numbers)])
        chain.append_many(self.sess, self.ws, registry.APPLICATION_STREAM,
                          [(n, registry.holder_state_of(c)) for n, c in zip(numbers, columns)], self.actor)
        self.sess.execute(insert(Event.__table__), [
            {"application_id": app_id, "actor": self.actor, "action": "registered",
             "details": {"registration_number": number, "status": c["status"], "permit_type": c["permit_type"],
                         "application_kind": c["application_kind"], "missing": missing},
             **self._source_of(row)}
            for app_id, number, (c, missing), (row, _p) in zip(ids, numbers, built, pending, strict=True)])
        for app_id, (row, _prepared) in zip(ids, pending):
            self._count(row, app_id, "imported")

    @staticmethod
    def _columns(prepared: registry.Prepared, place: int) -> tuple[dict, list[str]]:
        """The application's columns, and the checklist items it misses."""
        columns = prepared.columns()
        missing = registry.missing_of(prepared.ptype, prepared.kind, columns)
        # A placeholder no other transaction ever sees: the number is drawn in this one.
        return {**columns, "registration_number": f"(pending {place})", "current_step": registry.INTAKE_STEP,
                "status": "returned" if missing else "open"}, missing
