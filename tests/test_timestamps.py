"""One column type for a moment (timestamps.UtcDateTime), the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from registers_support import sql
from sqlalchemy import DateTime, func, select
from sqlalchemy.exc import StatementError

from sikro_docs import db
from sikro_docs.models import Base, Event
from sikro_docs.timestamps import NaiveDatetime, UtcDateTime, parse_utc

WIB = ZoneInfo("Asia/Jakarta")


def test_every_timestamp_column_of_the_models_is_utc_datetime():
    import sikro_docs.cli  # noqa: F401 - every module with a table is imported by the CLI

    columns = [(table.name, column.name, column.type) for table in Base.metadata.tables.values()
               for column in table.columns if isinstance(column.type, (DateTime, UtcDateTime))]
    assert len(columns) > 30
    assert [(t, c) for t, c, kind in columns if not isinstance(kind, UtcDateTime)] == []


def event(at: dt.datetime, action: str) -> Event:
    return Event(at=at, actor="fo.rina", action=action, details={})


def test_office_time_is_stored_as_its_utc_instant_and_read_back_aware(workspace):
    at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=WIB)
    with db.session(workspace, write=True) as session:
        session.add(event(at, "wib"))
    with db.session(workspace) as session:
        [stored] = session.scalars(select(Event.at).where(Event.action == "wib"))
    assert stored == at and stored.utcoffset() == dt.timedelta(0)
    [(raw,)] = sql(workspace, "select at from events where action = 'wib'")
    if isinstance(raw, str):  # SQLite: the UTC wall time
        assert raw.startswith("2026-03-02 02:30:00")
    else:  # PostgreSQL: timestamptz, the instant
        assert raw == at


def test_a_query_compares_instants_whatever_zone_it_is_given_in(workspace):
    with db.session(workspace, write=True) as session:
        session.add_all([event(dt.datetime(2026, 3, 2, 9, 59, tzinfo=WIB), "before"),
                         event(dt.datetime(2026, 3, 2, 10, 1, tzinfo=WIB), "after")])
    ten_wib = dt.datetime(2026, 3, 2, 10, 0, tzinfo=WIB)
    with db.session(workspace) as session:
        earlier = session.scalars(select(Event.action).where(Event.at < ten_wib, Event.action.in_(("before", "after"))))
        later = session.scalars(select(Event.action).where(Event.at > ten_wib.astimezone(dt.UTC)))
        assert (list(earlier), list(later)) == (["before"], ["after"])


def test_a_naive_datetime_is_refused_and_nothing_is_written(workspace):
    with pytest.raises(StatementError, match="naive datetime 2026-03-02T09:30:00") as refused:
        with db.session(workspace, write=True) as session:
            session.add(event(dt.datetime(2026, 3, 2, 9, 30), "naive"))
    assert isinstance(refused.value.orig, NaiveDatetime)
    assert sql(workspace, "select id from events where action = 'naive'") == []


def test_parse_utc_reads_the_tools_text_and_refuses_text_without_offset():
    assert parse_utc("2026-03-02T09:30:00+07:00") == dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="no time zone offset"):
        parse_utc("2026-03-02T09:30:00")


def test_on_postgresql_the_servers_time_zone_changes_no_instant(pg_workspace):
    """Two hosts whose connections run in different TimeZone settings read and write the same instants."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    far_east = create_engine(pg_workspace.db_url, connect_args={"options": "-c TimeZone=Pacific/Kiritimati"})
    at = dt.datetime(2026, 3, 2, 23, 30, tzinfo=WIB)  # the 3rd of March in Kiritimati (UTC+14)
    try:
        with Session(far_east) as session, session.begin():
            assert session.scalar(select(func.current_setting("TimeZone"))) == "Pacific/Kiritimati"
            session.add(event(at, "kiritimati"))
        with db.session(pg_workspace) as session:
            stored = session.scalar(select(Event.at).where(Event.action == "kiritimati"))
        with Session(far_east) as session:
            again = session.scalar(select(Event.at).where(Event.action == "kiritimati"))
    finally:
        far_east.dispose()
    assert stored == again == at and stored.tzinfo == again.tzinfo == dt.UTC
    assert stored.isoformat() == "2026-03-02T16:30:00+00:00"
