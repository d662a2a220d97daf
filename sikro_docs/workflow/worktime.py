"""Working-time arithmetic: the SOP's clock runs only in office hours.

The office's hours and working days are profile settings (`[working_time]`):
weekdays, opening and closing time, the country whose public holidays
(python-holidays) close the office, and the joint-leave days (cuti bersama)
the government announces each year. "1 Hari" of the SOP is one working day
of working time (8 hours by default), so every standard time is a span of
working time. Times are aware datetimes; the arithmetic runs in the office's
zone (WIB) whatever zone a time is given in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from ..clock import office_timezone
from ..errors import SikroError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULTS = {"days": list(WEEKDAYS[:5]), "start": "08:00", "end": "16:00", "holidays": "ID", "joint_leave": []}


def _clock(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(text))
    except ValueError:
        raise SikroError(f"[working_time]: cannot read the time {text!r}; write it as HH:MM") from None


@lru_cache(maxsize=8)
def _public_holidays(country: str, year: int) -> dict[dt.date, str]:
    if not country:
        return {}
    try:
        return dict(holidays_lib.country_holidays(country, years=year))
    except NotImplementedError:
        raise SikroError(f"[working_time] holidays: python-holidays knows no country {country!r}") from None


@dataclass(frozen=True)
class WorkingTime:
    weekdays: frozenset[int]
    opens: dt.time
    closes: dt.time
    country: str
    joint_leave: frozenset[dt.date]
    tz: ZoneInfo

    @classmethod
    def from_profile(cls, profile: dict) -> WorkingTime:
        settings = {**DEFAULTS, **profile.get("working_time", {})}
        unknown = [d for d in settings["days"] if d not in WEEKDAYS]
        if unknown:
            raise SikroError(f"[working_time] days: unknown day names {unknown}; use {', '.join(WEEKDAYS)}")
        try:
            leave = frozenset(dt.date.fromisoformat(str(d)) for d in settings["joint_leave"])
        except ValueError as exc:
            raise SikroError(f"[working_time] joint_leave: {exc}; write dates as YYYY-MM-DD") from None
        opens, closes = _clock(settings["start"]), _clock(settings["end"])
        if closes <= opens:
            raise SikroError("[working_time]: the office must close after it opens")
        return cls(frozenset(WEEKDAYS.index(d) for d in settings["days"]), opens, closes,
                   settings["holidays"] or "", leave, office_timezone(profile))

    # ----------------------------------------------------------------- days

    @property
    def day_length(self) -> dt.timedelta:
        return _at(dt.date.min, self.closes) - _at(dt.date.min, self.opens)

    def closed_because(self, day: dt.date) -> str | None:
        """Why the office is closed on `day` (None when it is a working day)."""
        if day.weekday() not in self.weekdays:
            return "weekend"
        if day in self.joint_leave:
            return "cuti bersama"
        return _public_holidays(self.country, day.year).get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return self.closed_because(day) is None

    def next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        for _ in range(370):  # a year without a working day is a broken profile, not a long wait
            if self.is_working_day(day):
                return day
            day += dt.timedelta(days=1)
        raise SikroError("[working_time]: no working day in a whole year; check days and holidays")

    # ----------------------------------------------------------------- instants

    def local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)  # a time without a zone is office time
        return moment.astimezone(self.tz)

    def _open_at(self, day: dt.date) -> dt.datetime:
        return _at(day, self.opens, self.tz)

    def _close_at(self, day: dt.date) -> dt.datetime:
        return _at(day, self.closes, self.tz)

    def clock_start(self, moment: dt.datetime) -> dt.datetime:
        """When work done at `moment` starts counting: itself in office hours, else the next opening."""
        moment = self.local(moment)
        day = moment.date()
        if self.is_working_day(day):
            if moment < self._open_at(day):
                return self._open_at(day)
            if moment < self._close_at(day):
                return moment
        return self._open_at(self.next_working_day(day))

    def add(self, moment: dt.datetime, span: dt.timedelta) -> dt.datetime:
        """`moment` plus `span` of working time (a deadline ending at closing time stays on that day)."""
        current, left = self.clock_start(moment), span
        while True:
            today_left = self._close_at(current.date()) - current
            if left <= today_left:
                return current + left
            left -= today_left
            current = self._open_at(self.next_working_day(current.date()))

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from `start` to `end` (negative when `end` comes first)."""
        start, end = self.local(start), self.local(end)
        if end < start:
            return -self.between(end, start)
        total, current = dt.timedelta(), self.clock_start(start)
        while current < end:
            close = self._close_at(current.date())
            total += min(close, end) - current
            current = self._open_at(self.next_working_day(current.date()))
        return total


def _at(day: dt.date, clock: dt.time, tz: ZoneInfo | None = None) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=tz)


def format_span(span: dt.timedelta, day_length: dt.timedelta) -> str:
    """A span of working time as the SOP writes it: "1 Hari 2 Jam 30 Menit"."""
    sign = "-" if span < dt.timedelta() else ""
    minutes = round(abs(span).total_seconds() / 60)
    day_minutes = round(day_length.total_seconds() / 60)
    days, minutes = divmod(minutes, day_minutes)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} Hari" if days else "", f"{hours} Jam" if hours else "", f"{minutes} Menit" if minutes else ""]
    return sign + (" ".join(p for p in parts if p) or "0 Menit")
