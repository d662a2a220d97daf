"""Where each application stands: next step, who holds it, when it is due, whether the promise holds.

Every step is due at the time the previous step was done plus its standard
time, counted in working time. Besides `overdue`, two early warnings show a
broken promise before it happens: `due_soon` (due within DUE_SOON of working
time) and `at_risk` (at the pace of the SOP from here on, the whole service
would end after the time the SOP promised when the file was handed in).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, db, registry
from ..models import Application
from .records import StepRecord, histories
from .sop import Sop, sop_for
from .steps import RETURNED, _decision_taken, next_step_of, waiting_position
from .worktime import WorkingTime, format_span

DUE_SOON = dt.timedelta(hours=2)
# The path assumed for the promise before the decision is taken: the one the applicant hopes for.
HOPED_DECISION = "approve"


class Clock:
    """The SOP and the office's working time of one workspace, with `as_of`."""

    def __init__(self, ws, as_of: dt.datetime | None = None):
        self.sop: Sop = sop_for(ws)
        self.wt = WorkingTime.from_profile(ws.profile)
        self.as_of = self.wt.local(as_of) if as_of else clock.now(ws.profile).astimezone(self.wt.tz)

        # what every row of an inbox asks again: worked out once per Clock (one page, one report)
        self._spans: dict[int, dt.timedelta] = {}
        self._after: dict[tuple[str, int], dt.timedelta] = {}
        self._totals: dict[str, dt.timedelta] = {}

    def span(self, step_number: int) -> dt.timedelta:
        if step_number not in self._spans:
            self._spans[step_number] = self.sop.step(step_number).time.working(self.wt.day_length)
        return self._spans[step_number]

    def remaining_after(self, decision: str, step_number: int) -> dt.timedelta:
        """Standard working time of the steps after `step_number` on `decision`'s path."""
        key = (decision, step_number)
        if key not in self._after:
            numbers = [s.number for s in self.sop.path(decision)]
            later = numbers[numbers.index(step_number) + 1:] if step_number in numbers else []
            self._after[key] = sum((self.span(n) for n in later), dt.timedelta())
        return self._after[key]

    def standard_total(self, decision: str) -> dt.timedelta:
        if decision not in self._totals:
            self._totals[decision] = self.sop.standard_total(decision, self.wt.day_length)
        return self._totals[decision]

    def fmt(self, span: dt.timedelta | None) -> str | None:
        return None if span is None else format_span(span, self.wt.day_length)


def waited_since(app: Application, records: list[StepRecord]) -> dt.datetime:
    """Since when the application waits on its next step: the last step done, else the registration."""
    return records[-1].done_at if records else app.created_at


def _started(app: Application, records: list[StepRecord]) -> dt.datetime:
    """When the service began: the first recorded step, else the registration."""
    return records[0].done_at if records else app.created_at


def _remaining_after(clock: Clock, app: Application, step_number: int | None) -> dt.timedelta:
    """Standard working time of the steps after `step_number` on the path this application takes."""
    if step_number is None:
        return dt.timedelta()
    return clock.remaining_after(_decision_taken(app) or HOPED_DECISION, step_number)


def _promise(clock: Clock, app: Application, records: list[StepRecord]) -> dt.datetime:
    decision = _decision_taken(app) or HOPED_DECISION
    return clock.wt.add(_started(app, records), clock.standard_total(decision))


def describe_status(clock: Clock, app: Application, records: list[StepRecord]) -> dict:
    sop, wt = clock.sop, clock.wt
    next_number = next_step_of(sop, app)
    data = {
        "registration_number": app.registration_number, "name": app.name,
        "current_step": app.current_step,
        "current_activity": sop.step(app.current_step).activity if app.current_step else None,
        "next_step": next_number, "next_activity": None, "role": None, "role_name": None,
        "due": None, "overdue": False, "due_soon": False, "late_by": None, "left": None,
        "outcome": app.status, "finished": next_number is None,
        "last_done": wt.local(records[-1].done_at).isoformat() if records else None,
        "promised_finish": None, "expected_finish": None, "at_risk": False, "warning": None,
    }
    if next_number is None:
        return data
    step = sop.step(next_number)
    role = sop.roles.get(step.role)
    data.update(next_activity=step.activity, role=step.role, role_name=sop.role_name(step.role))
    if app.status == RETURNED:
        # the file is with the applicant; the SOP's clock starts again when it is handed in
        data["missing"] = registry.missing_items(app)
        return data
    _, due = waiting_position(sop, wt, app, waited_since(app, records))
    left = wt.between(clock.as_of, due)
    expected = wt.add(max(due, clock.as_of), _remaining_after(clock, app, next_number))
    promised = _promise(clock, app, records)
    data.update(
        due=due.isoformat(), overdue=clock.as_of > due, due_soon=dt.timedelta() <= left <= DUE_SOON and clock.as_of <= due,
        late_by=clock.fmt(-left) if clock.as_of > due else None, left=clock.fmt(left) if clock.as_of <= due else None,
        promised_finish=promised.isoformat(), expected_finish=expected.isoformat(), at_risk=expected > promised,
    )
    if role is not None and role.warning and (data["overdue"] or data["due_soon"]):
        data["warning"] = role.warning
    return data


def step_rows(clock: Clock, app: Application, records: list[StepRecord]) -> list[dict]:
    """The steps done, each with its standard and actual working time (actual from the previous step)."""
    rows, previous = [], None
    for record in records:
        standard = clock.span(record.step)
        actual = clock.wt.between(previous, record.done_at) if previous is not None else None
        rows.append({
            "step": record.step, "activity": clock.sop.step(record.step).activity,
            "role": clock.sop.step(record.step).role, "done_at": clock.wt.local(record.done_at).isoformat(),
            "by": record.by, "decision": record.decision, "outcome": record.outcome,
            "standard": clock.fmt(standard), "actual": clock.fmt(actual),
            "standard_minutes": standard.total_seconds() / 60,
            "actual_minutes": actual.total_seconds() / 60 if actual is not None else None,
            "late": actual is not None and actual > standard,
        })
        previous = record.done_at
    return rows


def application_status(ws, ref, as_of: dt.datetime | None = None, *, with_steps: bool = True) -> dict:
    clock = Clock(ws, as_of)
    with db.session(ws) as session:
        app = registry.find_application(session, str(ref))
        records = histories(session, [app.id]).get(app.id, [])
        data = describe_status(clock, app, records)
        if with_steps:
            data["steps"] = step_rows(clock, app, records)
        data["as_of"] = clock.as_of.isoformat()
        return data


def list_status(ws, *, overdue_only: bool = False, as_of: dt.datetime | None = None) -> list[dict]:
    """The applications not finished yet (only the late ones with overdue_only)."""
    clock = Clock(ws, as_of)
    with db.session(ws) as session:
        return _open_rows(session, clock, overdue_only)


def _open_rows(session: Session, clock: Clock, overdue_only: bool) -> list[dict]:
    apps = list(session.scalars(select(Application).order_by(Application.id)))
    records = histories(session)
    rows = [describe_status(clock, app, records.get(app.id, [])) for app in apps]
    rows = [r for r in rows if not r["finished"] and (r["overdue"] or not overdue_only)]
    return rows
