"""The problems intake finds in a value or a record, each with a stable code and its values.

A check raises (or reports) one of these; its English message is the template of its class
formatted from its values (errors.CodedError), so the CLI prints what it always printed, and
the staff console words the same code in Bahasa Indonesia (console/i18n.py `INTAKE_PROBLEMS`).
A row's `Problem` carries the code and the values, plus `label`: the column as the file names it.

    raise NotWholeNumber(value=as_shown(cell))   # str(err) == '"abc" is not a whole number'

`value` is always the refused value as the clerk would recognise it, without the quotes the
message puts around it. A check with no class of its own raises `InvalidValue(detail)`
(code "intake.other").
"""

from __future__ import annotations

import re

from ..errors import CodedError

OTHER = "intake.other"


class InvalidValue(CodedError, ValueError):
    """A value (or a record) intake refuses; `str(err)` is the English sentence for the clerk."""

    code = OTHER
    message = "{detail}"

    def __init__(self, detail: str | None = None, /, **values):
        if detail is not None:
            values["detail"] = detail
        super().__init__(**values)


def _coded(code: str, message: str, base: type = InvalidValue) -> type:
    name = re.sub(r"\W", "_", code)
    return type(name, (base,), {"code": code, "message": message, "__doc__": message})


# A class per check, by code. The messages are the ones intake always printed: tests and the
# clerks' habits depend on them; change a wording here only together with the console's words.
# --- the NIK (nik.py) ------------------------------------------------------------------------
class InvalidNik(InvalidValue):
    """A value that is not a usable NIK."""


NotNik = _coded("intake.nik.not-nik", '"{value}" is not a NIK', InvalidNik)
NikLostDigits = _coded("intake.nik.lost-digits", '"{value}" was stored as a number, which keeps only 15 '
                       "digits; format the NIK column as text and type the NIK again", InvalidNik)
NikNotDigits = _coded("intake.nik.not-digits", '"{value}" contains characters other than digits', InvalidNik)
NikDigitCount = _coded("intake.nik.digits", '"{value}" has {digits} digits; a NIK has {expected}', InvalidNik)
NikBadBirthDate = _coded("intake.nik.birth-date", '"{value}" encodes birth date {encoded}, which is not a '
                         "real date", InvalidNik)
NikBadSerial = _coded("intake.nik.serial", '"{value}" has serial 0000; serials start at 0001', InvalidNik)
# The NIK against the row's other values (validate.py).
NikBirthMismatch = _coded("intake.nik.birth-mismatch", '"{value}" encodes birth date {encoded} but '
                          '{birth_label} is "{birth}"')
NikOfWoman = _coded("intake.nik.gender-female", '"{value}" is the NIK of a woman (day + 40) but '
                    "{gender_label} is {gender}")
NikOfMan = _coded("intake.nik.gender-male", '"{value}" is the NIK of a man but {gender_label} is {gender}')

# --- dates (values.py) -----------------------------------------------------------------------
UnrealDate = _coded("intake.date.unreal", '"{value}" is not a real date')
NotDate = _coded("intake.date.not-date", '"{value}" is not a date')
TimeNotDate = _coded("intake.date.time", '"{value}" is a time, not a date')
NotMonthName = _coded("intake.date.month", '"{value}" is not a date: "{word}" is not a month name')
UnreadableDate = _coded("intake.date.unreadable", '"{value}" is not a date; write it as dd-mm-yyyy, '
                        "e.g. 05-03-1991")
NotDateOrLifetime = _coded("intake.date.not-lifetime", '"{value}" is neither a date nor "Seumur Hidup"')

# --- choices, numbers, phone, email, kinds (values.py) ---------------------------------------
NotGender = _coded("intake.gender", '"{value}" must be L or P')
NotYesNo = _coded("intake.yes-no", '"{value}" must be Y or T')
NotDecision = _coded("intake.decision", '"{value}" must be Disetujui or Ditolak')
NotChoice = _coded("intake.choice", '"{value}" must be one of: {choices}')
NotWholeNumber = _coded("intake.number.not-whole", '"{value}" is not a whole number')
NumberOutOfRange = _coded("intake.number.range", '"{value}" must be from {low} to {high}')
NotPhone = _coded("intake.phone.not-phone", '"{value}" is not an Indonesian phone number (08… or +62…)')
PhoneDigitCount = _coded("intake.phone.digits", '"{value}" has {digits} digits; expected {low} to {high} '
                         "(with the leading 0)")
NotEmail = _coded("intake.email", '"{value}" is not a valid email address')
UnknownApplicationKind = _coded("intake.application-kind", '"{value}" is not one of {kinds}')
UnknownPermitType = _coded("intake.type.unknown", '"{value}" is not a permit type here; known: {known}')
OtherPermitType = _coded("intake.type.other", '"{value}" is {found}, but this file was given as {given} (--type)')
NotInForm = _coded("intake.pattern", '"{value}" is not in the expected form{hint}')
NotValidValue = _coded("intake.invalid", '"{value}" is not a valid value')

# --- a cell as such (validate.py) ------------------------------------------------------------
ExcelError = _coded("intake.excel-error", 'shows the Excel error "{value}"; correct the formula or type the value')
TooLong = _coded("intake.too-long", '"{value}" is {length} characters long; at most {maximum} fit')
FormulaWithoutResult = _coded("intake.formula", '"{value}" is a formula saved without its result; open the '
                              "file in Excel or LibreOffice, save it, and import it again")
Required = _coded("intake.required", "is empty; it is required")
RequiredPrevious = _coded("intake.required-previous", "is empty; it is required for {kind} (the permit it {what})")
RequiredForKind = _coded("intake.required-for-kind", "is empty; it is required for {kind}{why}")
ChecklistEmpty = _coded("intake.checklist-empty", "is empty; it must be Y or T")
ReasonRequired = _coded("intake.reason-required", "is empty; it is required when Keputusan is Ditolak")

# --- the record's values together (validate.py) ----------------------------------------------
Duplicate = _coded("intake.duplicate", '"{value}" with {date_label} "{date}" is a duplicate of row {first_row}')
BirthNotBefore = _coded("intake.birth-after", '"{value}" is not before {date_label} "{date}"')
UnderAge = _coded("intake.under-age", '"{value}" makes the applicant {age} on {date_label}; the minimum age '
                  "is {minimum}")
Expired = _coded("intake.expired", '"{value}" is before {limit_label} "{limit}"; the {what} had expired')
ForeignColumn = _coded("intake.foreign-column", "{header} is a column of {owners}, not of {permit_type}")

# --- a JSON record's shape (jsoninput.py) ----------------------------------------------------
ChecklistNotObject = _coded("intake.json.checklist", "{key} must be an object of booleans")
NotSingleValue = _coded("intake.json.not-single", "{key} must be a single value, not {found}")
MisspeltKey = _coded("intake.json.misspelt-key", 'unknown key "{key}"; did you mean "{suggestion}"?')


def codes() -> dict[str, str]:
    """Every code -> its English message template (what the console's words must cover)."""
    found: dict[str, str] = {}
    todo = [InvalidValue]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.code, cls.message)
        todo.extend(cls.__subclasses__())
    return found
