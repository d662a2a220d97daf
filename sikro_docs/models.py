"""Tables of the registry. The schema itself is owned by the migrations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from . import clock
from .timestamps import UtcDateTime


def utcnow() -> dt.datetime:
    return clock.utcnow()  # the one clock: tests freeze it


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# applications.next_step of a row whose waiting position is still to be worked out.
UNSCHEDULED = -1


class Application(Base):
    """One application for a permit, as received (SOP steps 1-2) and followed after."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("nik", "application_date", "permit_type", "application_kind", "place_key",
                                       name="uq_application_identity"),
                      Index("ix_applications_waiting", "next_step", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(64), unique=True)
    # Its permit type (a folder of sikro_docs/data/permit-types/ or the workspace's permit-types/)
    # and application kind: baru | perpanjangan | perubahan | pencabutan.
    permit_type: Mapped[str] = mapped_column(String(40), index=True)
    application_kind: Mapped[str] = mapped_column(String(20), default="baru")
    # The permit a renewal, change or revocation is about: its number (always), its date (typed in
    # when the registry does not know it), and the registry's document when it does.
    previous_number: Mapped[str | None] = mapped_column(String(120), index=True)
    previous_date: Mapped[dt.date | None] = mapped_column(Date)
    previous_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # The type's place field (one permit per place), folded: part of what makes an application itself.
    place_key: Mapped[str] = mapped_column(String(200), default="")
    application_date: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))
    nik: Mapped[str] = mapped_column(String(16), index=True)
    birth_place: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    education: Mapped[str] = mapped_column(String(200))
    # The facts only its permit type has, by the field's storage key (dates as ISO text; a
    # "Seumur Hidup" validity as null): validated against the type, so a new type needs no migration.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The requirement checklist: item key -> handed in (bool).
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommendation_number: Mapped[str | None] = mapped_column(String(100))
    recommendation_date: Mapped[dt.date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(20))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # open | returned | approved | rejected | issued (see workflow)
    status: Mapped[str] = mapped_column(String(20), default="open")
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Where it waits, kept as (current_step, status) change (workflow/schedule.py): the next step
    # (None: finished; UNSCHEDULED: not worked out yet) and when that step is due (None: nothing is
    # due, the file being with the applicant). Stored so that an inbox over 100,000 applications is
    # one indexed query rather than every history walked through on every page.
    next_step: Mapped[int | None] = mapped_column(Integer, default=lambda: UNSCHEDULED)
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Event(Base):
    """Append-only log of every change to a record (triggers forbid UPDATE and DELETE)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_row: Mapped[int | None] = mapped_column(Integer)
