"""What a permit type is, once its folder of data is read (see loader.py).

Nothing here knows any permit type: the built-in ones are folders under
sikro_docs/data/permit-types/, and an office adds or overrides one in
<workspace>/permit-types/<code>/.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .conditions import Condition
from .headers import header_key

# Kinds of value; each has one parser in sikro_docs/intake/values.py.
TEXT = "text"
NAME = "name"  # free text, whitespace collapsed
DATE = "date"
DATE_OR_LIFETIME = "date_or_lifetime"  # a date or "Seumur Hidup" (None)
NIK = "nik"
GENDER = "gender"
PHONE = "phone"
EMAIL = "email"
YES_NO = "yes_no"
DECISION = "decision"
CODE = "code"  # a number-like identifier kept as text (No STR, No Registrasi)
CHOICE = "choice"  # one of `choices` (matched ignoring case and spacing)
NUMBER = "number"  # a whole number between `minimum` and `maximum`
PERMIT_TYPE = "permit_type"  # a permit type's code or title (the `Jenis Izin` column)
APPLICATION_KIND = "application_kind"  # Baru / Perpanjangan / Perubahan / Pencabutan; blank = Baru
KINDS = (TEXT, NAME, DATE, DATE_OR_LIFETIME, NIK, GENDER, PHONE, EMAIL, YES_NO, DECISION, CODE, CHOICE,
         NUMBER, PERMIT_TYPE, APPLICATION_KIND)

# Groups, used for the Petunjuk sheet and the JSON shape.
APPLICANT = "pemohon"
PERMIT = "izin"  # the facts only this permit type has
CHECKLIST_GROUP = "berkas"
LATER = "proses"


@dataclass(frozen=True)
class Field:
    """One column of the workbook and one key of the JSON record."""

    name: str  # snake_case; also the JSON key
    header: str  # the official Indonesian column header
    kind: str
    required: bool
    help: str  # one sentence for the Petunjuk sheet
    example: str
    aliases: tuple[str, ...] = ()
    group: str = APPLICANT
    width: int = 16  # column width in the official workbook
    text_format: bool = False  # format the column as text ("@") so Excel keeps leading zeros/digits
    max_length: int | None = None  # longest text accepted: what fits on the documents
    choices: tuple[str, ...] = ()  # CHOICE: the allowed values, as printed
    minimum: int | None = None  # NUMBER bounds
    maximum: int | None = None
    pattern: str | None = None  # CODE/TEXT: a regular expression the whole value must match
    pattern_hint: str = ""  # what the pattern means, for the error ("RO diikuti 14 digit")
    key: str | None = None  # where the value is stored among the application's facts (default: name)
    caption: str = ""  # how documents and pages name it (its file's `label`; default: header)
    owner: str = ""  # the permit type that defines it ("" for the columns every type shares)
    not_before: str | None = None  # DATE fields: must not be before this other date field (an expired STR)

    @property
    def storage_key(self) -> str:
        return self.key or self.name

    @property
    def label(self) -> str:
        """How intake messages name the column: its official header."""
        return self.header

    @property
    def shown_label(self) -> str:
        return self.caption or self.header

    @property
    def keys(self) -> set[str]:
        """Normalised header keys that mean this field."""
        return {header_key(text) for text in (self.header, *self.aliases)}

    def matches_pattern(self, text: str) -> bool:
        return self.pattern is None or re.fullmatch(self.pattern, text) is not None


@dataclass(frozen=True)
class ChecklistItem:
    """A paper the applicant hands in (a Y/T column), as one application kind requires it."""

    field: Field  # its column (kind YES_NO, group CHECKLIST_GROUP)
    required: bool  # WAJIB (True) or OPSIONAL
    when: Condition | None = None  # required only when this holds ("jenis_praktik == 'Mandiri'")
    applies_from: dt.date | None = None  # required for applications dated on/after this day
    applies_until: dt.date | None = None  # ...and before this day (the office stops requiring it)

    @property
    def name(self) -> str:
        return self.field.name

    def required_for(self, values: dict[str, Any]) -> bool:
        """WAJIB for this application: its condition holds and its dates cover the application's date."""
        if not self.required:
            return False
        day = values.get("tanggal_permohonan")
        if isinstance(day, dt.date):
            if self.applies_from and day < self.applies_from:
                return False
            if self.applies_until and day >= self.applies_until:
                return False
        return self.when is None or self.when.holds(values)


@dataclass(frozen=True)
class ApplicationKind:
    """baru, perpanjangan, perubahan or pencabutan, as data/permit-types/common.toml defines them."""

    code: str
    title: str  # "Perpanjangan": what the Jenis Permohonan column holds
    effect: str  # "new" | "replace" (the previous permit becomes DIGANTI) | "revoke" (DICABUT)
    needs_previous: bool  # names the previous permit's number (and date when the registry does not know it)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Validity:
    """How long a permit is valid: `years` from its date, never beyond the field `not_beyond` (a date)."""

    rule: str  # as written, e.g. "5 tahun sejak terbit, paling lama sampai <a date field>"
    years: int | None  # None: for life
    not_beyond: str | None = None  # a DATE / DATE_OR_LIFETIME field of the type

    def until(self, issued: dt.date, values: dict[str, Any]) -> dt.date | None:
        if self.years is None:
            end = None
        else:
            try:  # its last day: the day before the anniversary
                end = issued.replace(year=issued.year + self.years)
            except ValueError:  # 29 February
                end = issued.replace(year=issued.year + self.years, day=28)
            end -= dt.timedelta(days=1)
        limit = values.get(self.not_beyond) if self.not_beyond else None
        if isinstance(limit, dt.date) and (end is None or limit < end):
            end = limit
        return end


@dataclass(frozen=True)
class Rules:
    """Rules across the permits of one holder (checked at import against the registry)."""

    max_places: int | None = None  # at most this many valid permits of the type per holder (NIK)
    nth_field: str | None = None  # the field saying which permit this is (SIP ke-1/2/3)
    earlier_numbers_field: str | None = None  # the field naming the earlier permits' numbers
    place_field: str | None = None  # one valid permit of the type per place (this field's value)


@dataclass(frozen=True)
class PermitType:
    code: str  # lower-case folder name: "sipb"
    title: str  # "Surat Izin Praktik Bidan"
    short_name: str  # "SIPB"
    profession: str  # "Bidan"
    legal_basis: tuple[str, ...]
    fields: tuple[Field, ...]  # every column of its workbook, in order (shared, own, checklist, later)
    checklists: dict[str, tuple[ChecklistItem, ...]]  # application kind code -> items
    validity: Validity
    register: str  # the register its permits are numbered from
    register_title: str
    pattern: str  # its permit number pattern, with {nomor} and {tahun}
    qr_fields: tuple[str, ...]  # the type's own fields its QR code carries, in order
    classification: str  # archive classification code of its case files
    retention: str  # retention schedule entry of its case files (data/retention.toml)
    sop: str  # the SOP it follows ("default": data/sop.toml)
    rules: Rules
    documents: dict[str, dict[str, Any]]  # document kind -> what this type says of it (template, judul...)
    permit_rows: tuple[tuple[str, str], ...]  # (label, field) rows the permit prints, in order
    wording: dict[str, str]  # free texts its documents use ("menimbang", "profesi_lengkap"...)
    legacy_wire: tuple[str, ...] = ()  # its fields carried by QR codes of wire version 1, in order
    source: str = ""  # the folder it was read from
    builtin: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # anything else its file says (for templates)

    # Worked out once: a type is immutable, and an import asks for these several times a row.
    @functools.cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @functools.cached_property
    def own_fields(self) -> tuple[Field, ...]:
        """The fields only this type has (stored as the application's facts)."""
        return tuple(f for f in self.fields if f.group == PERMIT)

    @functools.cached_property
    def checklist_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.group == CHECKLIST_GROUP)

    def checklist(self, kind: str) -> tuple[ChecklistItem, ...]:
        return self.checklists.get(kind, self.checklists.get("baru", ()))

    def missing(self, kind: str, values: dict[str, Any], handed_in: dict[str, bool]) -> list[ChecklistItem]:
        """The WAJIB items of `kind` this application has not handed in."""
        return [item for item in self.checklist(kind)
                if item.required_for(values) and not handed_in.get(item.name, False)]
