"""The registers' tables: documents, register entries, the register log, the Buku Ekspedisi."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base, utcnow
from ..timestamps import UtcDateTime

INTERRUPTED = "interrupted"


class Document(Base):
    """A document the office produced (minimal: the documents capability extends it)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # random: safe to print and share
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    register: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(120), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|issued|void|revoked
    reason: Mapped[str | None] = mapped_column(Text)
    files: Mapped[list[Any]] = mapped_column(default=list)  # paths relative to the workspace
    lease: Mapped[str | None] = mapped_column(String(40))  # owner while pending
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RegisterEntry(Base):
    """Current state of one number of a register (the replay of `register_log`)."""

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("register", "year", "seq", name="uq_register_year_seq"),
        UniqueConstraint("register", "number", name="uq_register_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|used|void
    kind: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(Text, default="")
    addressee: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text)
    lease: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RegisterLogRow(Base):
    """Append-only, hash-chained history of a register (one chain per register)."""

    __tablename__ = "register_log"
    __table_args__ = (UniqueConstraint("register", "position", name="uq_register_log_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # allocate | confirm | void
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Dispatch(Base):
    """One line of the Buku Ekspedisi (append-only, hash-chained, running No per year)."""

    __tablename__ = "dispatches"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_dispatch_year_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    content: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.content)


class RegisterCounter(Base):
    """The last number given per register and year (migration 0013): locked and advanced by allocation."""

    __tablename__ = "register_counters"

    register: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class LeaseRow(Base):
    """Who owns pending numbers: one row per process lease, for an operator (`sikro register list`
    shows a pending number's lease; this says which host and process it is). Whether a lease is
    alive is not stored: it is the held lock `lease:<id>` (see leases.py)."""

    __tablename__ = "leases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    workspace: Mapped[str] = mapped_column(Text)  # the workspace folder on that host
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
