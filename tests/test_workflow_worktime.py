"""Working-time arithmetic: weekends, public holidays, joint leave, the end of a working day."""

import datetime as dt

import pytest
from workflow_support import wib

from sikro_docs.errors import SikroError
from sikro_docs.workflow import WorkingTime, format_span, load_sop, parse_standard_time

H = dt.timedelta(hours=1)
DAY = 8 * H


@pytest.fixture
def wt():
    return WorkingTime.from_profile({"working_time": {"joint_leave": ["2027-03-12"]}})


def test_holidays_library_knows_independence_day(wt):
    assert wt.closed_because(dt.date(2027, 8, 17)) == "Independence Day"
    assert wt.closed_because(dt.date(2026, 8, 17)) == "Independence Day"
    assert wt.closed_because(dt.date(2027, 3, 12)) == "cuti bersama"
    assert wt.closed_because(dt.date(2027, 8, 14)) == "weekend"
    assert wt.closed_because(dt.date(2027, 8, 18)) is None


@pytest.mark.parametrize("start, span, due", [
    # the example: step 5 done Mon 16 Aug 2027 10:00, step 6 (1 Hari) due Wed 18 Aug 10:00
    (wib(2027, 8, 16, 10), DAY, wib(2027, 8, 18, 10)),
    # across a weekend: Fri 15:00 + 2 h -> Mon 09:00
    (wib(2027, 8, 13, 15), 2 * H, wib(2027, 8, 16, 9)),
    # the end of a working day: a deadline at closing time stays on that day
    (wib(2027, 8, 12, 8), DAY, wib(2027, 8, 12, 16)),
    (wib(2027, 8, 12, 15, 30), 30 * dt.timedelta(minutes=1), wib(2027, 8, 12, 16)),
    (wib(2027, 8, 12, 15, 30), H, wib(2027, 8, 13, 8, 30)),
    # work done after hours counts from the next opening
    (wib(2027, 8, 12, 18), H, wib(2027, 8, 13, 9)),
    (wib(2027, 8, 12, 6), H, wib(2027, 8, 12, 9)),
    (wib(2027, 8, 14, 10), H, wib(2027, 8, 16, 9)),  # Saturday
    # a joint-leave day (Fri 12 Mar 2027) and Eid al-Fitr (10-11 Mar 2027) before it
    (wib(2027, 3, 9, 14), 4 * H, wib(2027, 3, 15, 10)),
    # more than a day, in hours: 15 h 45 min from Monday 08:00 -> Tuesday 15:45
    (wib(2027, 8, 2, 8), 15 * H + 45 * dt.timedelta(minutes=1), wib(2027, 8, 3, 15, 45)),
])
def test_add_working_time(wt, start, span, due):
    assert wt.add(start, span) == due
    assert wt.between(start, due) == span


def test_naive_and_utc_times_are_read_in_office_time(wt):
    naive = dt.datetime(2027, 8, 16, 10)
    utc = dt.datetime(2027, 8, 16, 3, tzinfo=dt.UTC)  # 10:00 WIB
    assert wt.add(naive, DAY) == wt.add(utc, DAY) == wib(2027, 8, 18, 10)


def test_between_counts_only_office_hours(wt):
    # Fri 15-16, all of Monday, Tuesday 17 August closed, Wednesday 08-09
    assert wt.between(wib(2027, 8, 13, 15), wib(2027, 8, 18, 9)) == 10 * H
    assert wt.between(wib(2027, 8, 13, 17), wib(2027, 8, 16, 7)) == dt.timedelta()
    assert wt.between(wib(2027, 8, 18, 9), wib(2027, 8, 13, 15)) == -10 * H


def test_standard_times_and_totals_from_the_sop_data():
    sop = load_sop()
    assert parse_standard_time("30 Menit").minutes == 30
    assert parse_standard_time("1 Hari").working(DAY) == DAY
    with pytest.raises(SikroError):
        parse_standard_time("sebentar")
    assert sop.standard_days_and_minutes("approve") == (4, 15 * 60 + 45)
    assert sop.standard_days_and_minutes("reject") == (3, 18 * 60 + 45)
    assert sop.standard_total("approve", DAY) == 4 * DAY + 15 * H + 45 * dt.timedelta(minutes=1)
    assert format_span(sop.standard_total("reject", DAY), DAY) == "5 Hari 2 Jam 45 Menit"


def test_office_hours_come_from_the_profile():
    short = WorkingTime.from_profile({"working_time": {"start": "07:30", "end": "15:30",
                                                       "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]}})
    assert short.add(wib(2027, 8, 13, 15), H) == wib(2027, 8, 14, 8)  # Saturday is a working day here
    with pytest.raises(SikroError):
        WorkingTime.from_profile({"working_time": {"days": ["Mon", "Funday"]}})
