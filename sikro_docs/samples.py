"""Synthetic applications for Kabupaten Dairi: sample workbooks of every permit type, and the demo's input.

All people are invented. A sample is made from the permit type's data alone:
its fields (kinds, `choices`, number bounds, `example` values), its
checklist, its numbering pattern; so a type an office made from data
(`<workspace>/permit-types/<code>/`) gets a sample workbook without code.
A type's folder may hold an optional `samples.toml` with values to pick
from (educations, degrees, places; see the built-in types' folders).

A sample workbook uses the official layout (title rows, header on row 3,
data from row 4) and contains, on purpose, the mistakes clerks typically
make, so `sikro` has something to report (`promised_mistakes`):

    a 15-digit NIK, a birth date typed as text in a wrong form, a NIK whose
    birth date disagrees with Tanggal Lahir, a required field of the type
    left empty, a duplicate row; for a type with a choice field a value not
    among its choices, for a type with a number field a number out of its
    bounds; two applicants with an incomplete file (T in the checklist).

It also has a row of every other application kind: Perpanjangan and
Perubahan of permits issued before the office used the toolkit (number and
date typed in) and a Pencabutan with its reason. Every row names its type in
the `Jenis Izin` column, so the list imports the same in any workspace.

Deterministic: the same seed gives the same list. `examples/make_sample_workbook.py`
writes the default type's to examples/permohonan-contoh.xlsx; `sikro sample`
writes any type's (or a mixed workbook with a `Jenis Izin` column); `sikro demo`
uses them.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from . import permit_types
from .excel_safe import write_cell
from .permit_types import model as m

SEED = 1211
DAIRI = "1211"  # Kemendagri code of Kabupaten Dairi
HINTS_FILE = "samples.toml"  # optional, in a permit type's folder
HEADER_ROW = 3  # the official layout (sikro_docs.intake.workbook)
FIRST_DATA_ROW = HEADER_ROW + 1
APPLIED_FROM = dt.date(2026, 7, 1)
APPLIED_DAYS = 45

# name, sex, birthplace, birth date, NIK region prefix (6 digits), district of address
PEOPLE = [
    ("Rina Sitanggang", "P", "Sidikalang", "1991-03-05", DAIRI + "01", "Sidikalang"),
    ("Hotman Simanjuntak", "L", "Sidikalang", "1988-11-21", DAIRI + "01", "Sidikalang"),
    ("Dewi Lestari Berutu", "P", "Sitinjo", "1995-07-14", DAIRI + "11", "Sitinjo"),
    ("Jonni Solin", "L", "Berampu", "1990-01-30", DAIRI + "12", "Berampu"),
    ("Sri Wahyuningsih", "P", "Yogyakarta", "1987-09-02", "347101", "Sidikalang"),
    ("Agus Setiawan", "L", "Medan", "1993-04-18", "127104", "Sumbul"),
    ("Maria Br Ginting", "P", "Tanah Pinem", "1996-12-08", DAIRI + "04", "Tanah Pinem"),
    ("Rudi Hartono Tumangger", "L", "Parbuluan", "1992-06-25", DAIRI + "10", "Parbuluan"),
    ("Lamria Situmorang", "P", "Pematangsiantar", "1989-02-11", "127202", "Sidikalang"),
    ("Benget Nainggolan", "L", "Tigalingga", "1994-10-03", DAIRI + "03", "Tigalingga"),
    ("Siti Rahayu", "P", "Deli Serdang", "1990-08-17", "120712", "Sidikalang"),
    ("Jefri Padang", "L", "Silima Pungga-Pungga", "1997-05-29", DAIRI + "05", "Silima Pungga-Pungga"),
    ("Nurhayati Cibro", "P", "Gunung Sitember", "1991-11-12", DAIRI + "13", "Gunung Sitember"),
    ("Eko Prasetyo", "L", "Surakarta", "1986-03-09", "337201", "Sidikalang"),
    ("Tiurma Sihombing", "P", "Pegagan Hilir", "1993-09-27", DAIRI + "08", "Pegagan Hilir"),
    ("Daniel Sembiring", "L", "Siempat Nempu", "1995-02-16", DAIRI + "06", "Siempat Nempu"),
    ("Romauli Pardede", "P", "Sumbul", "1990-12-01", DAIRI + "02", "Sumbul"),
    ("Bambang Sutrisno", "L", "Semarang", "1985-07-07", "337401", "Berampu"),
    ("Yohana Angkat", "P", "Sidikalang", "1998-04-22", DAIRI + "01", "Sidikalang"),
    ("Parlindungan Manik", "L", "Siempat Nempu Hulu", "1989-08-30", DAIRI + "07", "Siempat Nempu Hulu"),
]
# Holders of permits issued before the office used the toolkit (the rows of the other kinds).
EARLIER_HOLDERS = [
    ("Ruth Pasaribu", "P", "Sidikalang", "1984-05-19", DAIRI + "01", "Sidikalang"),
    ("Sahat Lumbantobing", "L", "Tarutung", "1982-10-07", "120201", "Sumbul"),
    ("Erna Simbolon", "P", "Sitinjo", "1986-01-23", DAIRI + "11", "Sitinjo"),
]
# Applicants of the workbooks that mix types (a few of each type).
MORE_PEOPLE = [
    ("Friska Tamba", "P", "Sidikalang", "1994-06-02", DAIRI + "01", "Sidikalang"),
    ("Lenny Manurung", "P", "Sumbul", "1992-09-15", DAIRI + "02", "Sumbul"),
    ("Desi Ujung", "P", "Tigalingga", "1997-01-28", DAIRI + "03", "Tigalingga"),
    ("Herlina Kudadiri", "P", "Parbuluan", "1990-04-09", DAIRI + "10", "Parbuluan"),
    ("Samuel Hutapea", "L", "Medan", "1988-12-20", "127104", "Sidikalang"),
    ("Nova Sinaga", "P", "Berampu", "1993-03-31", DAIRI + "12", "Berampu"),
    ("Irwan Saragih", "L", "Pematangsiantar", "1987-07-13", "127202", "Sitinjo"),
    ("Grace Lingga", "P", "Tanah Pinem", "1995-11-06", DAIRI + "04", "Tanah Pinem"),
]
# In a mixed workbook, each type's rows by position: approved, rejected, incomplete, approved.
MIXED_DECISIONS = {0: "Disetujui", 1: "Ditolak", 3: "Disetujui"}
MIXED_INCOMPLETE = {2: (4,)}
DISTRICTS = sorted({p[5] for p in PEOPLE + EARLIER_HOLDERS + MORE_PEOPLE}, key=len, reverse=True)
STREETS = ["Jl. Sisingamangaraja", "Jl. Pahlawan", "Jl. Sudirman", "Jl. Pakpak", "Jl. Kartini",
           "Jl. Runggu", "Jl. Batu Gajah", "Jl. Air Bersih", "Jl. Bukit Barisan"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
DECISION_BY_INDEX = {0: "Disetujui", 1: "Disetujui", 2: "Disetujui", 3: "Ditolak", 5: "Disetujui",
                     7: "Disetujui", 9: "Ditolak", 12: "Disetujui", 16: "Disetujui"}
REJECTION_REASONS = ["Dokumen persyaratan tidak sesuai dengan aslinya pada saat verifikasi",
                     "Hasil peninjauan lapangan: {tempat} belum memenuhi persyaratan"]
REVOCATION_REASON = "Atas permintaan pemegang izin: pindah domisili ke luar Kabupaten Dairi"
# Applicants whose file is incomplete: index -> which of the type's WAJIB items they lack
# (positions in the list of unconditional WAJIB items of a new application).
INCOMPLETE = {6: (4,), 13: (-2, -1)}
# Where the promised mistakes go (indexes into the list of new applications, before the duplicate).
SPACED_NIK, SHORT_NIK, TEXT_DATE_OK, MONTH_NAME_DATE, BAD_DATE, NIK_DATE, EMPTY_FIELD = 1, 4, 2, 5, 8, 10, 14
BAD_CHOICE, BAD_NUMBER, DUPLICATED = 15, 18, 11


# --------------------------------------------------------------------------- hints


@dataclass(frozen=True)
class Hints:
    """What a type's samples.toml says: values to pick from per field, degrees after names."""

    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    degrees: tuple[str, ...] = ()


def hints_for(ptype: m.PermitType) -> Hints:
    path = Path(ptype.source) / HINTS_FILE if ptype.source else None
    if path is None or not path.is_file():
        return Hints()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Hints()  # sample data only: a broken hints file falls back to the fields' examples
    values = {name: tuple(str(v) for v in items) for name, items in data.get("values", {}).items()
              if isinstance(items, list) and items}
    return Hints(values, tuple(str(d) for d in data.get("degrees", ())))


# --------------------------------------------------------------------------- one applicant


@dataclass
class Person:
    name: str
    sex: str
    birthplace: str
    born: dt.date
    region: str
    district: str

    @classmethod
    def of(cls, spec: tuple) -> Person:
        name, sex, birthplace, born, region, district = spec
        return cls(name, sex, birthplace, dt.date.fromisoformat(born), region, district)


@dataclass
class Context:
    """What the value makers know of the row they fill."""

    ptype: m.PermitType
    hints: Hints
    rng: random.Random
    index: int
    person: Person
    applied: dt.date


def make_nik(rng: random.Random, region: str, sex: str, born: dt.date) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{rng.randint(1, 999):04d}"


def make_phone(rng: random.Random, index: int) -> str:
    digits = f"08{rng.choice('1235')}{rng.randint(10000000, 99999999)}"
    styles = [digits, f"{digits[:4]}-{digits[4:8]}-{digits[8:]}", f"+62 {digits[1:4]} {digits[4:8]} {digits[8:]}"]
    return styles[index % len(styles)]


def _localised(text: str, ctx: Context) -> str:
    """An example value moved to the applicant's district, street and house number."""
    text = text.replace("{kecamatan}", ctx.person.district).replace("{nama}", ctx.person.name)
    for district in DISTRICTS:
        if district in text:
            text = text.replace(district, ctx.person.district)
            break
    text = re.sub(r"Jl\. (?!No\b)[A-Z][a-z]+(?: (?!No\b)[A-Z][a-z]+)?", lambda _m: ctx.rng.choice(STREETS), text)
    return re.sub(r"No\. \d+", lambda _m: f"No. {ctx.rng.randint(1, 120)}", text)


def _from_hints_or_example(fld: m.Field, ctx: Context) -> str | None:
    choices = ctx.hints.values.get(fld.name)
    if choices:
        return _localised(choices[ctx.index % len(choices)], ctx)
    return _localised(fld.example, ctx) if fld.example else None


def _code_like_example(fld: m.Field, ctx: Context) -> str | None:
    """The example's shape with other digits (a registration number of the same form)."""
    if not fld.example:
        return None
    for _ in range(20):
        text = re.sub(r"\d", lambda _m: str(ctx.rng.randint(0, 9)), fld.example)
        if fld.matches_pattern(text):
            return text
    return fld.example


def _date_after(fld: m.Field, ctx: Context) -> dt.date:
    """A type's own date (an STR's validity): a few years after the application."""
    return ctx.applied.replace(year=ctx.applied.year + 2 + ctx.index % 4, day=min(ctx.applied.day, 28))


def _date_or_lifetime(fld: m.Field, ctx: Context) -> Any:
    return "Seumur Hidup" if ctx.index % 2 else _date_after(fld, ctx)


def _choice(fld: m.Field, ctx: Context) -> str:
    return fld.choices[ctx.index % len(fld.choices)]


def _number(fld: m.Field, ctx: Context) -> int:
    return fld.minimum if fld.minimum is not None else 1


# The value of each kind of field (the type's own fields and those common.toml adds); a kind
# not here gets its example. Shared fields the sample knows by name are filled in `record` below.
VALUE_MAKERS: dict[str, Callable[[m.Field, Context], Any]] = {
    m.TEXT: _from_hints_or_example,
    m.NAME: _from_hints_or_example,
    m.CODE: _code_like_example,
    m.DATE: _date_after,
    m.DATE_OR_LIFETIME: _date_or_lifetime,
    m.CHOICE: _choice,
    m.NUMBER: _number,
    m.YES_NO: lambda _fld, _ctx: "Y",
    m.PERMIT_TYPE: lambda _fld, _ctx: None,
    m.APPLICATION_KIND: lambda _fld, _ctx: None,
    m.DECISION: lambda _fld, _ctx: None,
}


def _shared_values(ctx: Context) -> dict[str, Any]:
    """The applicant's columns every type shares (common.toml), for this person."""
    person, rng, hints = ctx.person, ctx.rng, ctx.hints
    degree = hints.degrees[ctx.index % len(hints.degrees)] if hints.degrees else ""
    email_user = person.name.lower().replace(" ", ".")
    education = hints.values.get("pendidikan")
    return {
        "no_registrasi": None,  # blank: the registry assigns it
        "tanggal_permohonan": ctx.applied,
        "nama": f"{person.name}, {degree}" if degree else person.name,
        "nik": make_nik(rng, person.region, person.sex, person.born),
        "tempat_lahir": person.birthplace,
        "tanggal_lahir": person.born,
        "jenis_kelamin": person.sex,
        "alamat": f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, {person.district}, Kabupaten Dairi",
        "no_hp": make_phone(rng, ctx.index),
        "email": f"{email_user}@gmail.com" if ctx.index % 3 else None,
        "pendidikan": education[ctx.index % len(education)] if education else None,
    }


def record(ptype: m.PermitType, hints: Hints, rng: random.Random, index: int, person: Person,
           applied: dt.date) -> dict[str, Any]:
    """One valid new application of `ptype` (field name -> cell value)."""
    ctx = Context(ptype, hints, rng, index, person, applied)
    shared = _shared_values(ctx)
    values: dict[str, Any] = {}
    for fld in ptype.fields:
        if shared.get(fld.name) is not None:
            values[fld.name] = shared[fld.name]
        elif fld.required or fld.name in hints.values:  # an optional column stays blank
            maker = VALUE_MAKERS.get(fld.kind)
            values[fld.name] = maker(fld, ctx) if maker else (fld.example or None)
    return values


def _unconditional_items(ptype: m.PermitType) -> list[m.ChecklistItem]:
    return [i for i in ptype.checklist("baru")
            if i.required and i.when is None and i.applies_from is None and i.applies_until is None]


def _mark_incomplete(ptype: m.PermitType, index: int, values: dict, incomplete=None) -> None:
    items = _unconditional_items(ptype)
    for position in (INCOMPLETE if incomplete is None else incomplete).get(index, ()):
        if items:
            values[items[position % len(items) if position >= 0 else position].name] = "T"


def _add_decision(ptype: m.PermitType, rng: random.Random, index: int, values: dict, decisions=None) -> None:
    decision = (DECISION_BY_INDEX if decisions is None else decisions).get(index)
    if decision is None:
        return
    recommended = values["tanggal_permohonan"] + dt.timedelta(days=rng.randint(3, 10))
    values["nomor_rekomendasi"] = f"440/{rng.randint(100, 999):04d}/DINKES/{ROMAN[recommended.month - 1]}/{recommended.year}"
    values["tanggal_rekomendasi"] = recommended
    values["keputusan"] = decision
    if decision == "Ditolak":
        reason = REJECTION_REASONS[index % len(REJECTION_REASONS)]
        values["alasan_penolakan"] = reason.format(tempat=ptype.wording.get("tempat", "tempat praktik"))


# --------------------------------------------------------------------------- numbers of earlier permits


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def permit_number(ptype: m.PermitType, seq: int, on: dt.date, profile: dict | None = None) -> str:
    """A number in the type's pattern, as its register would have given it on `on`."""
    profile = profile or {}
    register = profile.get("registers", {}).get(ptype.register, {})
    values = _Blank(nomor=seq, tahun=on.year, bulan=on.month, bulan_romawi=ROMAN[on.month - 1],
                    klasifikasi=register.get("classification") or ptype.classification,
                    unit=profile.get("office", {}).get("unit_code") or "DPMPTSPK")
    formatter = string.Formatter()
    out = []
    for literal, name, spec, _conversion in formatter.parse(ptype.pattern):
        out.append(literal)
        if name is not None:
            out.append(format(values[name], spec or "") if name in values else "")
    return "".join(out)


# --------------------------------------------------------------------------- the other application kinds


@dataclass(frozen=True)
class Later:
    """A row of another application kind: about an earlier permit."""

    kind: str  # an application kind's code (common.toml)
    previous: str  # the earlier permit's number
    previous_date: dt.date
    reason: str | None = None  # a revocation's reason
    new_place: bool = False  # a change of workplace: the type's place field changes


def later_row(ptype: m.PermitType, base: dict[str, Any], later: Later, hints: Hints, rng: random.Random,
              index: int, person: Person) -> dict[str, Any]:
    """`base` (the holder's application as the permit had it) as an application of `later.kind`."""
    kind = permit_types.common().kind(later.kind)
    values = dict(base)
    values.update(jenis_permohonan=kind.title, nomor_izin_sebelumnya=later.previous,
                  tanggal_izin_sebelumnya=later.previous_date, keputusan=None, nomor_rekomendasi=None,
                  tanggal_rekomendasi=None, alasan_penolakan=later.reason)
    if later.new_place:
        moved = Person(person.name, person.sex, person.birthplace, person.born, person.region,
                       rng.choice([d for d in DISTRICTS if d != person.district]))
        ctx = Context(ptype, hints, rng, index + 1, moved, values["tanggal_permohonan"])
        for fld in _place_fields(ptype):
            values[fld.name] = VALUE_MAKERS.get(fld.kind, _from_hints_or_example)(fld, ctx)
    for fld in ptype.checklist_fields:
        values[fld.name] = "Y"
    return values


def _place_fields(ptype: m.PermitType) -> list[m.Field]:
    """The fields a change of workplace changes: the type's place field, and its own names and
    addresses that follow it (a workplace's address)."""
    own = [f for f in ptype.own_fields if f.kind in (m.NAME, m.TEXT)]
    place = ptype.rules.place_field
    if place and place in {f.name for f in own}:
        start = next(i for i, f in enumerate(own) if f.name == place)
        return own[start:start + 2]
    return own[:2]


def _earlier_kinds(ptype: m.PermitType, applied: dt.date, profile: dict | None) -> list[Later]:
    """A renewal, a change of workplace and a revocation of permits issued years ago."""
    years_ago = applied.replace(year=applied.year - 5, day=min(applied.day, 28))
    return [
        Later("perpanjangan", permit_number(ptype, 12, years_ago, profile), years_ago),
        Later("perubahan", permit_number(ptype, 31, years_ago.replace(month=3), profile),
              years_ago.replace(month=3), new_place=True),
        Later("pencabutan", permit_number(ptype, 7, years_ago.replace(month=2), profile),
              years_ago.replace(month=2), reason=REVOCATION_REASON),
    ]


# --------------------------------------------------------------------------- the promised mistakes


@dataclass(frozen=True)
class Mistake:
    """A mistake a sample makes on purpose: its (0-based) record, and a fragment of intake's message."""

    record: int
    fragment: str


def _own(ptype: m.PermitType, kind: str) -> m.Field | None:
    return next((f for f in ptype.own_fields if f.kind == kind), None)


def _first_required_own(ptype: m.PermitType) -> m.Field | None:
    return next((f for f in ptype.own_fields if f.required and f.kind not in (m.CHOICE, m.NUMBER)), None)


def add_typical_mistakes(ptype: m.PermitType, records: list[dict]) -> list[Mistake]:
    """The errors a clerk makes; intake must report each one. Returns where they are (after the
    duplicate is inserted)."""
    shifted = lambda i: i + (i > DUPLICATED)  # noqa: E731  (the duplicate row pushes later ones down)
    mistakes = []
    records[SHORT_NIK]["nik"] = records[SHORT_NIK]["nik"][:15]
    mistakes.append(Mistake(shifted(SHORT_NIK), "has 15 digits"))
    born = records[BAD_DATE]["tanggal_lahir"]
    records[BAD_DATE]["tanggal_lahir"] = f"{MONTHS[born.month - 1]} {born.day}, {born.year}"  # wrong form
    mistakes.append(Mistake(shifted(BAD_DATE), "is not a date"))
    nik = records[NIK_DATE]["nik"]
    records[NIK_DATE]["nik"] = nik[:6] + "52" + nik[8:]
    mistakes.append(Mistake(shifted(NIK_DATE), "encodes birth date"))
    required = _first_required_own(ptype)
    if required is not None:
        records[EMPTY_FIELD][required.name] = None
        mistakes.append(Mistake(shifted(EMPTY_FIELD), f"{required.header} is empty"))
    choice = _own(ptype, m.CHOICE)
    if choice is not None:
        records[BAD_CHOICE][choice.name] = "Lainnya"
        mistakes.append(Mistake(shifted(BAD_CHOICE), "must be one of"))
    number = _own(ptype, m.NUMBER)
    if number is not None and number.maximum is not None:
        records[BAD_NUMBER][number.name] = number.maximum + 1
        mistakes.append(Mistake(shifted(BAD_NUMBER), "must be from"))
    # Valid, only typed the way clerks type: a NIK with spaces, text dates.
    records[SPACED_NIK]["nik"] = " ".join([records[SPACED_NIK]["nik"][:6], records[SPACED_NIK]["nik"][6:12],
                                           records[SPACED_NIK]["nik"][12:]])
    records[TEXT_DATE_OK]["tanggal_permohonan"] = f"{records[TEXT_DATE_OK]['tanggal_permohonan']:%d-%m-%Y}"
    applied = records[MONTH_NAME_DATE]["tanggal_permohonan"]
    records[MONTH_NAME_DATE]["tanggal_permohonan"] = f"{applied.day:02d} {MONTHS[applied.month - 1]} {applied.year}"
    records.insert(DUPLICATED + 1, dict(records[DUPLICATED]))  # the same application typed twice
    mistakes.append(Mistake(DUPLICATED + 1, "is a duplicate of row"))
    return mistakes


# --------------------------------------------------------------------------- a whole sample


@dataclass
class Sample:
    """A sample list of one type: its records (field name -> value), and what is wrong on purpose."""

    ptype: m.PermitType
    records: list[dict[str, Any]]
    mistakes: list[Mistake]
    incomplete: list[int]  # records whose file lacks a WAJIB paper

    def promised_rows(self) -> dict[int, str]:
        """Sheet row -> the fragment intake's message for that row contains."""
        return {FIRST_DATA_ROW + mistake.record: mistake.fragment for mistake in self.mistakes}


def new_applications(ptype: m.PermitType, seed: int = SEED, people=PEOPLE, start: dt.date = APPLIED_FROM,
                     days: int = APPLIED_DAYS, decisions: dict | None = None,
                     incomplete: dict | None = None) -> list[dict[str, Any]]:
    """Valid new applications of `ptype`, one per person (decisions and incomplete files included;
    by default DECISION_BY_INDEX and INCOMPLETE)."""
    rng, hints = random.Random(seed), hints_for(ptype)
    records = []
    for index, spec in enumerate(people):
        applied = start + dt.timedelta(days=rng.randint(0, days))
        values = record(ptype, hints, rng, index, Person.of(spec), applied)
        _mark_incomplete(ptype, index, values, incomplete)
        _add_decision(ptype, rng, index, values, decisions)
        records.append(values)
    return records


def earlier_permit_rows(ptype: m.PermitType, seed: int = SEED, profile: dict | None = None) -> list[dict]:
    """A renewal, a change of workplace and a revocation of permits the registry does not know."""
    rng, hints = random.Random(seed + 1), hints_for(ptype)
    rows = []
    for offset, (later, spec) in enumerate(zip(_earlier_kinds(ptype, APPLIED_FROM, profile), EARLIER_HOLDERS,
                                               strict=True)):
        person, index = Person.of(spec), len(PEOPLE) + offset
        applied = APPLIED_FROM + dt.timedelta(days=rng.randint(0, APPLIED_DAYS))
        base = record(ptype, hints, rng, index, person, applied)
        rows.append(later_row(ptype, base, later, hints, rng, index, person))
    return rows


def sample(ptype: m.PermitType, seed: int = SEED, profile: dict | None = None) -> Sample:
    records = new_applications(ptype, seed)
    incomplete = sorted(INCOMPLETE)
    mistakes = add_typical_mistakes(ptype, records)
    incomplete = [i + (i > DUPLICATED) for i in incomplete]
    records += earlier_permit_rows(ptype, seed, profile)
    for values in records:  # the list names its type: it imports the same in any workspace
        values.update({f.name: ptype.short_name for f in ptype.fields if f.kind == m.PERMIT_TYPE})
    return Sample(ptype, records, mistakes, incomplete)


# --------------------------------------------------------------------------- writing


def write_records(dest: Path, fields: list[m.Field], records: list[dict[str, Any]], title: str) -> Path:
    """Records in the official layout: two title rows, the header on row 3, data from row 4."""
    dest = Path(dest)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Permohonan"
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.cell(2, 1, "Contoh: semua nama dan data adalah rekaan.").font = Font(italic=True)
    for column, fld in enumerate(fields, start=1):
        sheet.cell(HEADER_ROW, column, fld.header).font = Font(bold=True)
    for offset, values in enumerate(records):
        for column, fld in enumerate(fields, start=1):
            value = values.get(fld.name)
            if value is None:
                continue
            cell = write_cell(sheet.cell(FIRST_DATA_ROW + offset, column), value)
            if fld.text_format:
                cell.number_format = "@"
            elif isinstance(value, dt.date):
                cell.number_format = "dd-mm-yyyy"
    workbook.properties.creator = "sikro-docs samples"
    workbook.properties.created = dt.datetime(2026, 8, 1)
    dest.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(dest)
    return dest


def _title(ptype: m.PermitType) -> str:
    return f"DAFTAR PERMOHONAN {ptype.title.upper()} ({ptype.short_name})"


def write_sample_workbook(dest: Path, permit_type: m.PermitType | str | None = None, ws=None,
                          seed: int = SEED) -> Path:
    """The sample list of one type (the workspace's default type when none is given)."""
    ptype = _resolve(ws, permit_type)
    made = sample(ptype, seed, getattr(ws, "profile", None))
    return write_records(dest, list(ptype.fields), made.records, _title(ptype))


def mixed_fields(types: list[m.PermitType]) -> list[m.Field]:
    """Every column of `types`, each once, in their order: a workbook with a `Jenis Izin` column."""
    seen: dict[str, m.Field] = {}
    for ptype in types:
        for fld in ptype.fields:
            seen.setdefault(fld.name, fld)
    return list(seen.values())


def mixed_records(types: list[m.PermitType], seed: int = SEED, per_type: int = 4) -> list[dict[str, Any]]:
    """A few valid new applications of each type, each row naming its type in `Jenis Izin`."""
    rows = []
    for offset, ptype in enumerate(types):
        people = [MORE_PEOPLE[(offset * per_type + i) % len(MORE_PEOPLE)] for i in range(per_type)]
        for values in new_applications(ptype, seed + offset, people, days=APPLIED_DAYS // 2,
                                       decisions=MIXED_DECISIONS, incomplete=MIXED_INCOMPLETE):
            rows.append({**values, **{f.name: ptype.short_name for f in ptype.fields if f.kind == m.PERMIT_TYPE}})
    return rows


def write_mixed_workbook(dest: Path, ws=None, codes: list[str] | None = None, seed: int = SEED) -> Path:
    catalogue = permit_types.catalogue(ws)
    types = [catalogue.get(code) for code in (codes or catalogue.codes())]
    title = "DAFTAR PERMOHONAN IZIN PRAKTIK TENAGA KESEHATAN (" + ", ".join(t.short_name for t in types) + ")"
    return write_records(dest, mixed_fields(types), mixed_records(types, seed), title)


def _resolve(ws, permit_type) -> m.PermitType:
    if permit_type is None:
        return permit_types.default(ws)
    if isinstance(permit_type, str):
        return permit_types.get(ws, permit_type)
    return permit_type
