"""The one clock of the toolkit: the office's now and today.

Every date printed in a document, written to a register, used by a list, a
retention decision, a report or a verdict comes from here, in the office's
time zone (`[office] timezone` of the profile, default Asia/Jakarta). The
host's own time zone never matters: on a UTC host, 17:30 UTC on 31 December
is already 1 January in Sidikalang, and so is the year of the number.

Tests set the clock with `frozen(...)` instead of reading the wall clock;
a separate process is set with libfaketime (Debian `faketime`), which this
module reads through the ordinary `datetime.now` calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SikroError

DEFAULT_TIMEZONE = "Asia/Jakarta"

# Set by `frozen` (tests, and commands given an explicit --as-of). Always aware.
_fixed: dt.datetime | None = None


def office_timezone(profile: dict | None) -> ZoneInfo:
    name = ((profile or {}).get("office", {}) or {}).get("timezone") or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SikroError(f"sikro.toml: [office] timezone {name!r} is not a time zone (e.g. Asia/Jakarta)") from None


def utcnow() -> dt.datetime:
    """The current instant, aware, in UTC (what the database stores)."""
    return _fixed.astimezone(dt.UTC) if _fixed is not None else dt.datetime.now(dt.UTC)


def now(profile: dict | None) -> dt.datetime:
    """The office's wall-clock time now, aware, to the second."""
    return utcnow().astimezone(office_timezone(profile)).replace(microsecond=0)


def today(profile: dict | None) -> dt.date:
    """The office's date now: what a letter is dated and a year's register counts."""
    return now(profile).date()


def local(moment: dt.datetime, profile: dict | None) -> dt.datetime:
    """`moment` in office time; a moment without a zone is taken as office time."""
    tz = office_timezone(profile)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def stamp(profile: dict | None) -> str:
    """A sortable local timestamp for file names (out/hasil/..., out/cetak/...)."""
    return now(profile).strftime("%Y%m%d-%H%M%S")


@contextmanager
def frozen(at: dt.datetime | str) -> Iterator[dt.datetime]:
    """Stop the clock at `at` (aware, or ISO text with an offset) for the block."""
    global _fixed
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware time: the office's date depends on the zone")
    previous, _fixed = _fixed, at
    try:
        yield at
    finally:
        _fixed = previous


def parse_time(text: str, tz: ZoneInfo) -> dt.datetime:
    """ISO 8601 or dd-mm-yyyy HH:MM; a time without a zone is office time (WIB)."""
    text = text.strip()
    parsed = None
    for fmt in ("%d-%m-%Y %H:%M", "%d-%m-%Y %H.%M", "%d-%m-%Y"):
        try:
            parsed = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            pass
    if parsed is None:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise SikroError(f"cannot read the time {text!r}; use ISO (2025-03-07T14:30) or dd-mm-yyyy HH:MM") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
