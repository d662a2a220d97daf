"""The step records table (migration 0005) and reading an application's history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..models import Base, utcnow
from ..timestamps import UtcDateTime


class StepRecord(Base):
    """One SOP step done for one application: append-only (triggers forbid UPDATE and DELETE)."""

    __tablename__ = "step_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)



def history(session: Session, application_id: int) -> list[StepRecord]:
    return list(session.scalars(
        select(StepRecord).where(StepRecord.application_id == application_id).order_by(StepRecord.id)
    ))


def histories(session: Session, application_ids=None) -> dict[int, list[StepRecord]]:
    """Every application's records in one query (status lists and reports read many)."""
    query = select(StepRecord).order_by(StepRecord.id)
    if application_ids is not None:
        query = query.where(StepRecord.application_id.in_(list(application_ids)))
    out: dict[int, list[StepRecord]] = {}
    for record in session.scalars(query):
        out.setdefault(record.application_id, []).append(record)
    return out
