"""Tables of the archive index (schema owned by migration 0004).

Everything here can be rebuilt from the bags on disk (`reindex`): the
bags are the record, these rows only make finding things fast.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base, utcnow
from ..timestamps import UtcDateTime


class Berkas(Base):
    __tablename__ = "archive_berkas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    berkas_number: Mapped[str] = mapped_column(String(120), unique=True)
    registration_number: Mapped[str] = mapped_column(String(64), index=True)
    application_id: Mapped[int | None] = mapped_column(Integer, index=True)
    classification: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200))
    nik_masked: Mapped[str] = mapped_column(String(16))
    workplace: Mapped[str] = mapped_column(Text)
    document_numbers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date_start: Mapped[dt.date] = mapped_column(Date)
    date_end: Mapped[dt.date] = mapped_column(Date)
    active_until: Mapped[dt.date] = mapped_column(Date)
    inactive_until: Mapped[dt.date] = mapped_column(Date)
    final_fate: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20), default="aktif")
    version: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ArchiveFile(Base):
    __tablename__ = "archive_files"
    __table_args__ = (UniqueConstraint("berkas_id", "path", name="uq_archive_file_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    berkas_id: Mapped[int] = mapped_column(ForeignKey("archive_berkas.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(40))
    document_number: Mapped[str | None] = mapped_column(String(120), index=True)
    document_uid: Mapped[str | None] = mapped_column(String(32))
    source_name: Mapped[str | None] = mapped_column(Text)
    text_source: Mapped[str | None] = mapped_column(String(20))
    derived_from: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Location(Base):
    __tablename__ = "archive_locations"

    berkas_id: Mapped[int] = mapped_column(ForeignKey("archive_berkas.id"), primary_key=True)
    room: Mapped[str] = mapped_column(String(100))
    cabinet: Mapped[str] = mapped_column(String(100))
    shelf: Mapped[str] = mapped_column(String(100))
    box: Mapped[str] = mapped_column(String(100), index=True)
    folder: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ArchiveEvent(Base):
    """Append-only (triggers forbid UPDATE and DELETE); mirrors the bag's premis-events.jsonl."""

    __tablename__ = "archive_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    berkas_number: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    type: Mapped[str] = mapped_column(String(40))
    agent: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Unmatched(Base):
    __tablename__ = "archive_unmatched"
    __table_args__ = (UniqueConstraint("path", "sha256", name="uq_archive_unmatched"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
