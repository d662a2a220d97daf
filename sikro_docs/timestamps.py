"""The one column type for a moment in time, on every engine: `UtcDateTime`.

PostgreSQL's `timestamptz` keeps an instant; SQLite has no time type at all and
SQLAlchemy's DateTime there drops the zone of whatever it is given, handing back
a naive datetime. Left alone, that made every reader guess ("naive means UTC")
and a writer that passed office time (WIB) store the wrong instant silently.

`UtcDateTime` settles it at the column: it refuses a naive datetime (a bug in
the caller, never a value to guess at), stores the instant in UTC (on SQLite as
its UTC wall time, on PostgreSQL as `timestamptz`, whatever the server's
TimeZone), and always hands back an aware datetime in UTC. Comparisons in
queries go through the same conversion, so `column < moment` compares instants.
The DDL is unchanged (`DateTime(timezone=True)`): no migration is needed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class NaiveDatetime(TypeError):
    """A datetime without a zone handed to the database: which instant it means is unknown."""


class UtcDateTime(TypeDecorator):
    """An aware datetime, stored as its UTC instant, read back aware in UTC (see the module)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"a timestamp column takes a datetime, not {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise NaiveDatetime(f"naive datetime {value.isoformat()} given to a timestamp column: "
                                "give it a zone (clock.utcnow(), clock.local())")
        moment = value.astimezone(dt.UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: the UTC wall time written above
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def parse_utc(text: str) -> dt.datetime:
    """A moment the tool wrote as ISO text (always with its offset) into a file, aware in UTC.

    Text without an offset is refused rather than guessed at: it was not written by the tool."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    return moment.astimezone(dt.UTC)
