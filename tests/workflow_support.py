"""Helpers of the workflow tests: applications at intake and walking them through the SOP."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sikro_docs import db, numbering
from sikro_docs.intake import CHECKLIST
from sikro_docs.models import Application
from sikro_docs.workflow import record_step

WIB = ZoneInfo("Asia/Jakarta")


def wib(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=WIB)


def make_application(ws, *, complete: bool = True, name: str = "Rina Sitanggang", nik_seq: int = 1) -> str:
    """An application as the importer leaves it (steps 1-2 done); returns its registration number."""
    checklist = {item.name: True for item in CHECKLIST}
    if not complete:
        checklist[CHECKLIST[0].name] = False
    with db.session(ws, write=True) as session:
        app = Application(
            registration_number=f"(pending {nik_seq})", application_date=dt.date(2027, 8, 2), name=name,
            nik=f"{1211014503910000 + nik_seq}", birth_place="Sidikalang", birth_date=dt.date(1991, 3, 5),
            sex="P", address="Jl. Pahlawan 1, Sidikalang", phone="081234567890", education="D3 Refraksi Optisi",
            str_number=f"RO{nik_seq:012d}", workplace_name="Optik Sidikalang Jaya",
            workplace_address="Jl. Sudirman 2, Sidikalang", checklist=checklist,
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
        app.checklist = {item.name: True for item in CHECKLIST}


def walk(ws, ref: str, steps, start: dt.datetime, *, decision="approve", reason="STR tidak berlaku",
         every=dt.timedelta(minutes=20)):
    """Record `steps` one after another, `every` apart (no documents)."""
    at, results = start, []
    for number in steps:
        kwargs = {}
        if number == 8:  # the test knows the SOP it checks; the code under test does not
            kwargs = {"decision": decision, "reason": reason if decision == "reject" else None}
        results.append(record_step(ws, ref, number, by="tester", at=at, make_documents=False, **kwargs))
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
            record_step(ws, ref, number, by=by, make_documents=False)


def import_and_advance(ws, book, through: int = 7) -> list[str]:
    """Import a workbook in-process and bring its complete applications to step `through`."""
    from sikro_docs import registry

    report = registry.import_file(ws, book)
    with db.session(ws) as session:
        refs = [session.get(Application, app_id) for _row, app_id in report.applications]
        refs = [a.registration_number for a in refs if a.status == "open"]
    advance(ws, refs, through)
    return refs
