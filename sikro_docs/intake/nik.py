"""The NIK (Nomor Induk Kependudukan): PP RR SS DDMMYY NNNN, no checksum.

Any region prefix is accepted: applicants born or first registered outside
Kabupaten Dairi carry other codes, and region lists change. What can be
checked is the shape, the encoded birth date (day + 40 for women) and the
serial, plus agreement with Tanggal Lahir and Jenis Kelamin (done by the row
validator with `NikInfo`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from .problems import (  # noqa: F401  (InvalidNik: what callers catch)
    InvalidNik,
    NikBadBirthDate,
    NikBadSerial,
    NikDigitCount,
    NikLostDigits,
    NikNotDigits,
    NotNik,
)

NIK_DIGITS = 16
FEMALE_DAY_OFFSET = 40
_SEPARATORS = re.compile(r"[\s.\-'’]")
_ASCII_DIGITS = re.compile(r"^[0-9]+$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
# Excel keeps 15 significant digits: the 16th digit of a NIK typed as a number becomes 0.
_EXCEL_PRECISION = 15




@dataclass(frozen=True)
class NikInfo:
    nik: str
    day: int  # real day of birth (women's +40 removed)
    month: int
    yy: int  # two-digit year
    female: bool


def nik_text(value: object) -> str:
    """The NIK as digits only, from a text or number cell."""
    if isinstance(value, bool):
        raise NotNik(value=str(value))
    if isinstance(value, (int, float)):
        return _number_nik_text(value)
    text = str(value).strip()
    if _SCIENTIFIC.match(text):  # "1.21101E+15" copied from what Excel showed
        raise NikLostDigits(value=text)
    return _SEPARATORS.sub("", text)


def _number_nik_text(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        raise NotNik(value=str(value))
    digits = str(int(value))
    # Excel keeps 15 significant digits: a 16-digit NIK typed as a number is
    # saved with a 0 in place of its last digit (shown as 1.21101E+15). A
    # number with all 16 digits significant was written by a program and is exact.
    if len(digits) >= NIK_DIGITS and len(digits.rstrip("0")) <= _EXCEL_PRECISION:
        raise NikLostDigits(value=digits)
    return digits


def parse_nik(value: object) -> NikInfo:
    digits = nik_text(value)
    if not _ASCII_DIGITS.match(digits):
        raise NikNotDigits(value=str(value))
    if len(digits) != NIK_DIGITS:
        raise NikDigitCount(value=digits, digits=len(digits), expected=NIK_DIGITS)
    day_field, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    female = day_field > FEMALE_DAY_OFFSET
    day = day_field - FEMALE_DAY_OFFSET if female else day_field
    if not _possible_birth_date(day, month, yy):
        raise NikBadBirthDate(value=digits, encoded=digits[6:12])
    if digits[12:] == "0000":
        raise NikBadSerial(value=digits)
    return NikInfo(digits, day, month, yy, female)


def _possible_birth_date(day: int, month: int, yy: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    # The century is unknown here: 29-02-00 is real in 2000, so allow a day
    # valid in either century (agreement with Tanggal Lahir settles the rest).
    longest = max(calendar.monthrange(century + yy, month)[1] for century in (1900, 2000))
    return day <= longest
