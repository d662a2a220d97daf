"""Parsers for single cell values: dates, phones, names, Y/T, decisions...

Each parser takes the raw cell value (str, int, float, bool, date, datetime
or None) and returns the normalised value, or raises `InvalidValue` with one
short English sentence that names the value. Empty cells are handled by the
caller (required or not), never here.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from babel.dates import get_month_names
from openpyxl.utils.datetime import from_excel

from . import columns as c
from . import problems as p
from .nik import parse_nik
from .problems import InvalidValue  # noqa: F401  (what callers catch)


def shown(value: object) -> str:
    """The value as a clerk would recognise it, quoted, for messages."""
    return f'"{as_shown(value)}"'


def as_shown(value: object) -> str:
    """The value as a clerk would recognise it (a message quotes it): a problem's `value`."""
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return f"{value:%d-%m-%Y}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return f"{text[:60]}…" if len(text) > 60 else text


class FormulaText(str):
    """The text of a formula cell saved without its result (files written by scripts)."""


# Invisible characters that come with text copied from web pages and chat apps.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# What Excel shows in a cell whose formula failed.
EXCEL_ERRORS = {"#N/A", "#NAME?", "#REF!", "#VALUE!", "#DIV/0!", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA"}


def clean_text(value: str) -> str:
    """Trimmed text without invisible characters and without the leading apostrophe
    that Excel uses to mark text ("'0812...") and web exports leave in the value."""
    # The invisible characters are not ASCII: most cells need no translation.
    text = (value if value.isascii() else value.translate(_INVISIBLE)).strip()
    if text[:1] in ("'", "\u2019"):
        text = text[1:].strip()
    return text


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not clean_text(value))


# --- text -------------------------------------------------------------------

def parse_name(value: object) -> str:
    """Trim and collapse inner whitespace (names, places, addresses)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_code(value: object) -> str:
    """Identifiers like No STR: numbers typed into Excel come back as int/float."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


# --- dates ------------------------------------------------------------------

# A time after the date ("05/08/2026 14:30:12", a form's timestamp) is ignored.
_TIME = r"(?:[ T]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})" + _TIME + "$")
_ISO = re.compile(r"^(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _TIME + "$")
_DAY_MONTHNAME_YEAR = re.compile(r"^(\d{1,2})[\s\-/.]*([A-Za-z]+)\.?[\s\-/.,]*(\d{4})" + _TIME + "$")
# "Rabu, 5 Agustus 2026": Excel's long date format, kept as text by web exports.
_WEEKDAY = re.compile(r"^(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday"
                      r"|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\b[\s,]*", re.IGNORECASE)
# An Excel serial number kept as text ("46239"): a date column pasted as values from another system.
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.0+)?$")
# Excel serial numbers of 01-01-1900 .. 31-12-2199: a date cell that lost its format.
_EXCEL_SERIAL_RANGE = (1, 109574)
# Common abbreviations CLDR does not list ("Agt" is usual in Indonesian offices).
_EXTRA_MONTH_WORDS = {"agt": 8, "ags": 8, "agus": 8, "agust": 8, "nop": 11, "sept": 9, "peb": 2,
                      "pebruari": 2, "nopember": 11, "okto": 10, "desem": 12, "janu": 1}


@lru_cache(maxsize=1)
def month_words() -> dict[str, int]:
    """Lower-case Indonesian (and English) month names and abbreviations."""
    words: dict[str, int] = dict(_EXTRA_MONTH_WORDS)
    for locale in ("en", "id"):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                names = get_month_names(width, context=context, locale=locale)
                words.update({str(name).lower().rstrip("."): number for number, name in names.items()})
    return words


def _make_date(year: int, month: int, day: int, value: object) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise p.UnrealDate(value=as_shown(value)) from None


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = _EXCEL_SERIAL_RANGE
        if low <= value <= high:
            return from_excel(value).date()
        raise p.NotDate(value=as_shown(value))
    if isinstance(value, dt.time):
        raise p.TimeNotDate(value=as_shown(value))
    return _parse_date_text(str(value).strip(), value)


def _parse_date_text(text: str, value: object) -> dt.date:
    text = _WEEKDAY.sub("", text)
    if _SERIAL_TEXT.match(text):
        return parse_date(float(text))
    if match := _DMY.match(text):
        day, month, year = map(int, match.groups())
        return _make_date(year, month, day, value)
    if match := _ISO.match(text):
        year, _, month, day = match.groups()
        year, month, day = int(year), int(month), int(day)
        return _make_date(year, month, day, value)
    if match := _DAY_MONTHNAME_YEAR.match(text):
        day, word, year = match.groups()
        month = month_words().get(word.lower())
        if month is None:
            raise p.NotMonthName(value=as_shown(value), word=word)
        return _make_date(int(year), month, int(day), value)
    raise p.UnreadableDate(value=as_shown(value))


_LIFETIME = "seumurhidup"


def parse_date_or_lifetime(value: object) -> dt.date | None:
    """A date, or None for an STR valid for life ("Seumur Hidup")."""
    if isinstance(value, str) and re.sub(r"[^a-z]", "", value.lower()) == _LIFETIME:
        return None
    try:
        return parse_date(value)
    except InvalidValue:
        raise p.NotDateOrLifetime(value=as_shown(value)) from None


# --- choices ----------------------------------------------------------------

_BRACKETED = re.compile(r"[\(\[].*?[\)\]]")


def _choice(value: object, choices: dict[str, object], refused: type[InvalidValue]):
    key = re.sub(r"[^a-z]", "", _BRACKETED.sub("", str(value)).lower())  # "Ada (legalisir)" -> "ada"
    if key in choices:
        return choices[key]
    raise refused(value=as_shown(value))


_GENDERS = {"l": "L", "lakilaki": "L", "laki": "L", "pria": "L", "lk": "L", "male": "L",
            "p": "P", "perempuan": "P", "wanita": "P", "pr": "P", "female": "P"}
_YES_NO = {"y": True, "ya": True, "ada": True, "true": True, "sudah": True, "lengkap": True,
           "t": False, "tidak": False, "tidakada": False, "false": False, "tdk": False, "tdkada": False,
           "belum": False, "belumada": False, "tidaklengkap": False}
# A tick typed or pasted into a checklist cell. "x" is not here: some offices cross what is there,
# others what is missing.
_TICKS = {"v", "\u2713", "\u2714", "\u221a", "\u2611"}
_DECISIONS = {"disetujui": "Disetujui", "setuju": "Disetujui",
              "ditolak": "Ditolak", "tolak": "Ditolak", "tidakdisetujui": "Ditolak", "tidaksetuju": "Ditolak",
              # Not decided yet: the same as an empty cell.
              "belum": None, "belumdiputuskan": None, "proses": None, "diproses": None,
              "dalamproses": None, "menunggu": None}


def parse_gender(value: object) -> str:
    return _choice(value, _GENDERS, p.NotGender)


def parse_yes_no(value: object) -> bool:
    if isinstance(value, bool):  # a TRUE/FALSE cell
        return value
    if isinstance(value, (int, float)) and value in (0, 1):  # 1/0, also summed by formulas
        return value == 1
    text = str(value).strip()
    if text in ("1", "0"):
        return text == "1"
    if text.lower() in _TICKS:
        return True
    return _choice(value, _YES_NO, p.NotYesNo)


def parse_decision(value: object) -> str | None:
    return _choice(value, _DECISIONS, p.NotDecision)


# --- phone and email --------------------------------------------------------

_PHONE_DECORATION = re.compile(r"[\s\-().]")
_NATIONAL_DIGITS = (10, 13)  # with the leading 0


def parse_phone(value: object) -> str:
    """An Indonesian phone number in E.164 form, e.g. "+6281234567890"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Excel drops the leading 0 of 0812… typed as a number; put it back.
        text = str(int(value))
        text = text if text.startswith("62") else "0" + text
    else:
        text = _PHONE_DECORATION.sub("", str(value))
    if text.startswith("+62"):
        national = "0" + text[3:]
    elif text.startswith("62"):
        national = "0" + text[2:]
    else:
        national = text
    if not national.isdigit() or not national.startswith("0") or national.startswith("00"):
        raise p.NotPhone(value=as_shown(value))
    low, high = _NATIONAL_DIGITS
    if not low <= len(national) <= high:
        raise p.PhoneDigitCount(value=as_shown(value), digits=len(national), low=low, high=high)
    return "+62" + national[1:]


_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def parse_email(value: object) -> str:
    text = str(value).strip()
    if not _EMAIL.match(text) or ".." in text:
        raise p.NotEmail(value=as_shown(value))
    return text.lower()


def _nik(value: object) -> str:
    return parse_nik(value).nik  # an InvalidNik is an InvalidValue


def parse_choice(field: c.Field, value: object) -> str:
    """One of the field's choices, matched ignoring case, spacing and punctuation."""
    wanted = re.sub(r"[^a-z0-9]", "", str(value).lower())
    for choice in field.choices:
        if re.sub(r"[^a-z0-9]", "", choice.lower()) == wanted:
            return choice
    raise p.NotChoice(value=as_shown(value), choices=", ".join(field.choices))


def parse_number(field: c.Field, value: object) -> int:
    if isinstance(value, bool):
        raise p.NotWholeNumber(value=as_shown(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    text = re.sub(r"^(?:ke\s*-?\s*)", "", text, flags=re.IGNORECASE)  # "ke-2" is 2
    if not re.fullmatch(r"\d{1,9}", text):
        raise p.NotWholeNumber(value=as_shown(value))
    number = int(text)
    low, high = field.minimum, field.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise p.NumberOutOfRange(value=as_shown(value), low=low, high=high)
    return number


def parse_application_kind(value: object) -> str:
    from ..permit_types import application_kind, common

    try:
        return application_kind(str(value)).code
    except ValueError:
        raise p.UnknownApplicationKind(value=str(value), kinds=", ".join(k.title for k in common().kinds)) from None


def parse_permit_type(value: object, catalogue=None) -> str:
    """A permit type's code, from its code, short name or title."""
    from ..permit_types import UnknownPermitType
    from ..permit_types import catalogue as load

    try:
        return (catalogue or load()).get(str(value)).code
    except UnknownPermitType as err:
        raise p.UnknownPermitType(value=err.given, known=", ".join(err.known)) from None


# --- dispatch ---------------------------------------------------------------

PARSERS = {
    c.TEXT: parse_name,
    c.NAME: parse_name,
    c.CODE: parse_code,
    c.DATE: parse_date,
    c.DATE_OR_LIFETIME: parse_date_or_lifetime,
    c.NIK: lambda value: _nik(value),
    c.GENDER: parse_gender,
    c.PHONE: parse_phone,
    c.EMAIL: parse_email,
    c.YES_NO: parse_yes_no,
    c.DECISION: parse_decision,
    c.APPLICATION_KIND: parse_application_kind,
    c.PERMIT_TYPE: parse_permit_type,
}
# Parsers that need the field itself (its choices, bounds).
FIELD_PARSERS = {c.CHOICE: parse_choice, c.NUMBER: parse_number}


def parse_value(field: c.Field, value: object):
    try:
        if field.kind in FIELD_PARSERS:
            return FIELD_PARSERS[field.kind](field, value)
        parsed = PARSERS[field.kind](value)
        if isinstance(parsed, str) and not field.matches_pattern(parsed):
            hint = f" ({field.pattern_hint})" if field.pattern_hint else ""
            raise p.NotInForm(value=as_shown(value), hint=hint)
        return parsed
    except InvalidValue:
        raise
    except (ValueError, TypeError, OverflowError):
        # Anything a parser did not foresee is still the clerk's value, not a bug to crash on.
        raise p.NotValidValue(value=as_shown(value)) from None
