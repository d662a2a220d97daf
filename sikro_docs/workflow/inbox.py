"""What waits on whom: the open applications whose next step is one of a set of steps.

A person's inbox is the applications waiting on a step their roles record
(accounts.RoleBook.steps_of). Each application keeps the step it waits on and
when that is due (applications.next_step, due_at; workflow/schedule.py), so an
inbox is an indexed query for one page of rows and one grouped count, and only
the page's histories are read to describe each row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from .. import db
from ..models import Application
from .records import histories
from .schedule import ensure_scheduled
from .status import DUE_SOON, Clock, describe_status


@dataclass(frozen=True)
class Waiting:
    """How many applications wait on one step: in all, late, and late or due within DUE_SOON."""

    waiting: int
    overdue: int
    warned: int


def waiting_on(ws, steps, *, as_of: dt.datetime | None = None, overdue_only: bool = False,
               limit: int | None = None, offset: int = 0) -> list[dict]:
    """The status (`describe_status`) of the applications whose next step is one of `steps`, the
    earliest due first (so the late ones lead), those without a due time (returned files) last;
    `limit` of them from `offset`."""
    steps = list(steps)
    if not steps:
        return []
    ensure_scheduled(ws)
    clock = Clock(ws, as_of)
    query = select(Application).where(Application.next_step.in_(steps))
    if overdue_only:
        query = query.where(Application.due_at < clock.as_of)
    with db.session(ws) as session:
        apps = _page(session, query, limit, offset)
        records = histories(session, [a.id for a in apps])
        rows = []
        for app in apps:
            row = describe_status(clock, app, records.get(app.id, []))
            row["application_id"] = app.id
            row["permit_type"] = app.permit_type
            rows.append(row)
    return rows


def _page(session, query, limit: int | None, offset: int) -> list[Application]:
    """`limit` rows from `offset` of the due ones by due time, then the ones without (returned
    files). Two queries, so that each reads the (next_step, due_at) index in its order instead of
    sorting every waiting row for one page."""
    due = Application.due_at
    dated = list(session.scalars(query.where(due.is_not(None)).order_by(due, Application.id)
                                 .limit(limit).offset(offset)))
    if limit is not None and len(dated) == limit:
        return dated
    # the dated rows end on this page (undated from their first), or before it (skip the rest of offset)
    skip = 0 if dated else max(0, offset - session.scalar(
        select(func.count()).select_from(query.where(due.is_not(None)).subquery())))
    undated = query.where(due.is_(None)).order_by(Application.id)
    rest = None if limit is None else limit - len(dated)
    return dated + list(session.scalars(undated.limit(rest).offset(skip)))


def waiting_counts(ws, steps, *, as_of: dt.datetime | None = None) -> dict[int, Waiting]:
    """For each of `steps` that anything waits on: how many wait, are late, are late or due soon."""
    steps = list(steps)
    if not steps:
        return {}
    ensure_scheduled(ws)
    clock = Clock(ws, as_of)
    now, soon = clock.as_of, clock.wt.add(clock.as_of, DUE_SOON)
    due = Application.due_at
    query = (select(Application.next_step, func.count(),
                    func.sum(case((due < now, 1), else_=0)), func.sum(case((due <= soon, 1), else_=0)))
             .where(Application.next_step.in_(steps)).group_by(Application.next_step))
    with db.session(ws) as session:
        return {step: Waiting(count, overdue or 0, warned or 0) for step, count, overdue, warned in session.execute(query)}
