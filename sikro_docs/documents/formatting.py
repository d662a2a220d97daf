"""Indonesian words for dates and numbers, as official letters print them.

* `tanggal(d)`          -> "7 Maret 2025"
* `hari(d)`             -> "Jumat"
* `terbilang(28)`       -> "dua puluh delapan"
* `tanggal_kata(d)`     -> "Jumat tanggal dua puluh delapan bulan Agustus tahun dua ribu
                            dua puluh enam (28-08-2026)" (the opening of a berita acara)
* `bulan_romawi(8)`     -> "VIII"
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_datetime
from num2words import num2words

LOCALE = "id"
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def as_date(value) -> dt.date | None:
    """A date from a date, a datetime or an ISO string ("2026-08-28"); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def tanggal(value) -> str:
    """"7 Maret 2025"; empty text for no date."""
    d = as_date(value)
    return format_date(d, format="d MMMM y", locale=LOCALE) if d else ""


def hari(value) -> str:
    """The day's name: "Senin" ... "Jumat", "Sabtu", "Minggu"."""
    return format_date(as_date(value), format="EEEE", locale=LOCALE)


def bulan(value) -> str:
    """The month's name: "Agustus"."""
    return format_date(as_date(value), format="MMMM", locale=LOCALE)


def hari_tanggal(value) -> str:
    """"Jumat, 28 Agustus 2026"."""
    return f"{hari(value)}, {tanggal(value)}"


def terbilang(number: int) -> str:
    """A whole number in Indonesian words: 2026 -> "dua ribu dua puluh enam"."""
    return num2words(int(number), lang=LOCALE)


def tanggal_kata(value) -> str:
    """The date as a berita acara writes it, after "Pada hari ini, "."""
    d = as_date(value)
    return (
        f"{hari(d)} tanggal {terbilang(d.day)} bulan {bulan(d)} tahun {terbilang(d.year)} "
        f"({d:%d-%m-%Y})"
    )


def bulan_romawi(month_or_date) -> str:
    """Month in Roman numerals, from 1..12 or a date: 8 -> "VIII"."""
    month = month_or_date if isinstance(month_or_date, int) else as_date(month_or_date).month
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    return ROMAN_MONTHS[month - 1]


def jam(moment: dt.datetime, tz=None) -> str:
    """"14.30 WIB" in office time (the zone's abbreviation as the OS knows it)."""
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    zone = moment.strftime("%Z") if moment.tzinfo is not None else ""
    return f"{format_datetime(moment, format='HH.mm', locale=LOCALE)} {zone}".strip()


def tanggal_jam(moment: dt.datetime, tz=None) -> str:
    """"7 Maret 2025 pukul 14.30 WIB"."""
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return f"{tanggal(moment)} pukul {jam(moment)}"


def masa_berlaku(years: int) -> str:
    """"5 (lima) tahun"."""
    return f"{years} ({terbilang(years)}) tahun"
