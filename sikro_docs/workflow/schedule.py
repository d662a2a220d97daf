"""Where each application waits, stored: applications.next_step and due_at.

`describe_status` works both out from the SOP and an application's history; an inbox over
100,000 applications cannot do that for every row on every page. So a recorded step stores them
(steps.store_waiting), and rows marked UNSCHEDULED — new registrations, corrections at intake,
rows from before migration 0011, everything after `reschedule` — are worked out here before an
inbox reads them. `reschedule` is for when the office's holidays or the SOP's standard times change:
a due time is counted with the calendar in force when it is worked out.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from .. import db
from ..models import UNSCHEDULED, Application
from .records import histories
from .sop import sop_for
from .status import waited_since
from .steps import store_waiting
from .worktime import WorkingTime

CHUNK = 1000  # applications worked out per query of histories


def ensure_scheduled(ws) -> int:
    """Work out every UNSCHEDULED application's waiting position; how many there were. A read
    first, so that the inbox's usual case (nothing to do) takes no write lock."""
    unscheduled = Application.next_step == UNSCHEDULED
    with db.session(ws) as session:
        # min(), not EXISTS: UNSCHEDULED sorts before every step, and min() is one seek along the
        # waiting index whatever the planner's statistics say (with most rows on one step, SQLite
        # chose to scan the table for EXISTS: 40 ms at 20,000 applications, on every inbox)
        if session.scalar(select(func.min(Application.next_step))) != UNSCHEDULED:
            return 0
    sop, wt, done = sop_for(ws), WorkingTime.from_profile(ws.profile), 0
    with db.session(ws, write=True) as session:
        while apps := list(session.scalars(select(Application).where(unscheduled).limit(CHUNK))):
            records = histories(session, [a.id for a in apps])
            for app in apps:
                store_waiting(sop, wt, app, waited_since(app, records.get(app.id, [])))
            session.flush()
            done += len(apps)
    return done


def reschedule(ws) -> int:
    """Work every unfinished application's due time out again (after a change of the calendar)."""
    with db.session(ws, write=True) as session:
        session.execute(update(Application).where(Application.next_step.is_not(None))
                        .values(next_step=UNSCHEDULED))
    return ensure_scheduled(ws)
