"""Helpers of the workflow tests: applications at intake and walking them through the SOP."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sikro_docs import db, numbering, permit_types
from sikro_docs.models import Application
from sikro_docs.workflow import record_step

WIB = ZoneInfo("Asia/Jakarta")


def wib(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


def make_application(ws, *, complete: bool = True, name: str = "Rina Sitanggang", nik_seq: int = 1,
                     permit_type: str = "sikro", application_kind: str = "baru",
                     previous_number: str | None = None, previous_date: dt.date | None = None) -> str:
    """An application as the importer leaves it (steps 1-2 done); returns its registration number.
    Its type's own facts are each field's example (a date or lifetime field: Seumur Hidup)."""
    ptype = permit_types.get(ws, permit_type)
    items = ptype.checklist(application_kind)
    checklist = {item.name: True for item in ptype.checklist_fields}
    if not complete:
        checklist[items[0].name] = False
    facts = {f.storage_key: None if f.kind == "date_or_lifetime" else (1 if f.kind == "number" else f.example)
             for f in ptype.own_fields}
    with db.session(ws, write=True) as session:
        app = Application(
            registration_number=f"(pending {nik_seq})", application_date=dt.date(2027, 8, 2), name=name,
            nik=f"{1211014503910000 + nik_seq}", birth_place="Sidikalang", birth_date=dt.date(1991, 3, 5),
            sex="P", address="Jl. Pahlawan 1, Sidikalang", phone="081234567890", education="D3",
            permit_type=permit_type, application_kind=application_kind, previous_number=previous_number,
            previous_date=previous_date, place_key=f"place {nik_seq}", facts=facts, checklist=checklist,
            status="open" if complete else "returned", current_step=2,
        )
        session.add(app)
        session.flush()
        entry = numbering.allocate(session, ws, "registrasi", app.application_date, kind="registration",
                                   application_id=app.id)
        app.registration_number = entry.number
        return app.registration_number


def complete_file(ws, ref: str) -> None:
    with db.session(ws, write=True) as session:
        app = session.query(Application).filter_by(registration_number=ref).one()
        app.checklist = {item.name: True for item in permit_types.get(ws, app.permit_type).checklist_fields}


def walk(ws, ref: str, steps, start: dt.datetime, *, decision="approve", reason="STR tidak berlaku",
         every=dt.timedelta(minutes=20)):
    """Record `steps` one after another, `every` apart (no documents)."""
    at, results = start, []
    for number in steps:
        kwargs = {}
        if number == 8:  # the test knows the SOP it checks; the code under test does not
            kwargs = {"decision": decision, "reason": reason if decision == "reject" else None}
        results.append(record_step(ws, ref, number, by="tester", at=at, **kwargs))
        at += every
    return results


def sikro_wf(*args, timeout=600):
    """`sikro ARGS` as a real process (see conftest.run_sikro)."""
    from conftest import run_sikro

    return run_sikro(*args, timeout=timeout)


def advance(ws, refs, through: int = 7, *, by: str = "tester") -> None:
    """Record the SOP's steps 3..`through` (no documents) for each application, now: where the
    office stands before the technical team's recommendation (step 8), which a batch row records."""
    for ref in refs:
        for number in range(3, through + 1):
            record_step(ws, ref, number, by=by)


def import_and_advance(ws, book, through: int = 7) -> list[str]:
    """Import a workbook in-process and bring its complete applications to step `through`."""
    from sikro_docs import registry

    report = registry.import_file(ws, book)
    with db.session(ws) as session:
        refs = [session.get(Application, app_id) for _row, app_id in report.applications]
        refs = [a.registration_number for a in refs if a.status == "open"]
    advance(ws, refs, through)
    return refs
