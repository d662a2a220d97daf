"""What waits on whom: the open applications whose next step is one of a set of steps.

A person's inbox is the applications waiting on a step their roles record
(accounts.RoleBook.steps_of). Where an application stands is
(current_step, status); which positions lead to which step comes from the
SOP data alone (`following_step`), so the database is asked only for the
applications at those positions, and only their histories are read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select

from .. import db
from ..models import Application
from .records import histories
from .sop import Sop
from .status import Clock, describe_status
from .steps import following_step

# Every status an application can have (Application.status).
STATUSES = ("open", "returned", "approved", "rejected", "issued")


def positions_before(sop: Sop, steps) -> list[tuple[int, str]]:
    """The (current_step, status) pairs whose next step is one of `steps`."""
    wanted = set(steps)
    found = []
    for number in (0, *sop.steps):
        for status in STATUSES:
            following = sop.start.number if number == 0 else following_step(sop, number, status)
            if following in wanted:
                found.append((number, status))
    return found


def waiting_on(ws, steps, *, as_of: dt.datetime | None = None) -> list[dict]:
    """The status (`describe_status`) of every application whose next step is one of `steps`, the
    earliest due first (so the late ones lead); those without a due time (returned files) last."""
    clock = Clock(ws, as_of)
    pairs = positions_before(clock.sop, steps)
    if not pairs:
        return []
    where = or_(*(and_(Application.current_step == n, Application.status == s) for n, s in pairs))
    with db.session(ws) as session:
        apps = list(session.scalars(select(Application).where(where).order_by(Application.id)))
        records = histories(session, [a.id for a in apps])
        rows = []
        for app in apps:
            row = describe_status(clock, app, records.get(app.id, []))
            row["application_id"] = app.id
            row["permit_type"] = app.permit_type
            rows.append(row)
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (dt.datetime.fromisoformat(r["due"]) if r["due"] else never, r["application_id"]))
    return rows
