"""One application entered or corrected by hand: the form a permit type's data makes, and its record
checked and registered exactly as a workbook row is.

    form = build_form(ptype, posted, problems, lang)  # sections of FormField; problems worded in `lang`
    row = check(ws, ptype, cells_of(ptype, get))   # intake's RecordValidator, as for a sheet row
    saved = save(ws, row, actor, source)           # registry: find_existing, prepare, store

Nothing here names a permit type: the fields, their kinds, choices and the checklist come from
sikro_docs/permit_types. A record the registry refuses comes back as problems of the row, at
their fields, as an import reports them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from .. import db, holdings, permit_types, registry
from ..archive.berkas import mask_nik
from ..intake import Problem, Row, type_chooser
from ..intake import columns as c
from ..intake.jsoninput import check_record
from ..intake.validate import RecordValidator
from ..models import Application
from ..numbering import Document
from . import i18n

REGISTRATION = "no_registrasi"  # the number a row names to update an application (registry.find_existing)
LIFETIME = "Seumur Hidup"
LIFETIME_SUFFIX = "__seumur_hidup"  # the checkbox beside a date-or-lifetime field
YES, NO = "Y", "T"
ROW = 1  # the form is a file of one record
GROUPS = (c.APPLICANT, c.PERMIT, c.CHECKLIST_GROUP, c.LATER)  # the sections, in order
NIK_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
# Kind of value -> the control that enters it (anything else is a text input).
CONTROLS = {c.DATE: "date", c.DATE_OR_LIFETIME: "lifetime", c.CHOICE: "select", c.GENDER: "select",
            c.DECISION: "select", c.APPLICATION_KIND: "select", c.NUMBER: "number", c.YES_NO: "checkbox",
            c.EMAIL: "email", c.PHONE: "tel"}


@dataclass
class FormField:
    """One input of the form, as the template draws it."""

    field: c.Field
    control: str  # text | date | lifetime | select | number | checkbox | email | tel
    value: str = ""
    checked: bool = False  # a checkbox, or the "Seumur Hidup" box of a date-or-lifetime field
    options: tuple[tuple[str, str], ...] = ()  # (value, shown) of a select
    required: bool = False  # must be filled whatever the application (HTML `required`)
    wajib: bool = False  # a checklist item WAJIB for the application's kind
    errors: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        return self.field.shown_label

    @property
    def help(self) -> str:
        return self.field.help


@dataclass
class Form:
    permit_type: permit_types.PermitType
    sections: list[tuple[str, list[FormField]]]  # (group, its fields)
    general: list[str]  # problems that belong to no field of the form

    @property
    def has_errors(self) -> bool:
        return bool(self.general) or any(f.errors for _g, fields in self.sections for f in fields)


def form_fields(ptype) -> list[c.Field]:
    """The fields a person fills: the type's workbook columns but the registration number."""
    return [f for f in c.workbook_fields(ptype) if f.name != REGISTRATION]


def _options(fld: c.Field) -> tuple[tuple[str, str], ...]:
    if fld.kind == c.APPLICATION_KIND:
        return tuple((k.title, k.title) for k in permit_types.common().kinds)
    if fld.kind == c.GENDER:
        return (("", "–"), ("L", "L"), ("P", "P"))
    if fld.kind == c.DECISION:
        return (("", "–"), ("Disetujui", "Disetujui"), ("Ditolak", "Ditolak"))
    return (("", "–"), *((choice, choice) for choice in fld.choices))


def build_form(ptype, posted: dict[str, str], problems: list[Problem] = (), lang: str = "en") -> Form:
    """The form of `ptype` holding `posted` (form names -> text), each problem at its field, worded in `lang`."""
    kind_code = _kind_code(ptype, posted)
    wajib = {item.name for item in ptype.checklist(kind_code) if item.required} if kind_code else set()
    by_group: dict[str, list[FormField]] = {g: [] for g in GROUPS}
    for fld in form_fields(ptype):
        control = CONTROLS.get(fld.kind, "text")
        entry = FormField(fld, control, value=posted.get(fld.name, ""), options=_options(fld) if control == "select" else (),
                          required=fld.required and fld.group == c.APPLICANT, wajib=fld.name in wajib)
        if control == "checkbox":
            entry.checked = posted.get(fld.name) == YES
        elif control == "lifetime":
            entry.checked = posted.get(fld.name + LIFETIME_SUFFIX) == YES
        by_group.setdefault(fld.group, []).append(entry)
    entries = {e.name: e for fields in by_group.values() for e in fields}
    general = []
    for problem in problems:
        message = masked(i18n.problem_words(problem, lang))
        if problem.field in entries:
            entries[problem.field].errors.append(message)
        else:
            general.append(message)
    return Form(ptype, [(g, fields) for g, fields in by_group.items() if fields], general)


def _kind_code(ptype, posted: dict[str, str]) -> str | None:
    """The application kind the form names (blank: a new application); None when it names none."""
    kind_field = next((f for f in ptype.fields if f.kind == c.APPLICATION_KIND), None)
    try:
        return permit_types.application_kind(posted.get(kind_field.name, "") if kind_field else "").code
    except ValueError:
        return None


def masked(message: str) -> str:
    """A message without a full NIK (the library's messages quote the value they refuse)."""
    return NIK_DIGITS.sub(lambda m: mask_nik(m.group(0)), message)


# --------------------------------------------------------------------------- the form's values


def posted_values(ptype, get: Callable[[str], str]) -> dict[str, str]:
    """What the form sent, by input name (kept to draw the form again)."""
    posted = {}
    for fld in form_fields(ptype):
        posted[fld.name] = get(fld.name)
        if fld.kind == c.DATE_OR_LIFETIME:
            posted[fld.name + LIFETIME_SUFFIX] = get(fld.name + LIFETIME_SUFFIX)
    return posted


def cells_of(ptype, posted: dict[str, str]) -> dict[str, Any]:
    """The record as a sheet row would hold it: field name -> cell text (None when blank)."""
    cells: dict[str, Any] = {}
    for fld in form_fields(ptype):
        text = posted.get(fld.name, "")
        if fld.kind == c.YES_NO:
            text = YES if text == YES else NO  # an unticked box: not handed in
        elif fld.kind == c.DATE_OR_LIFETIME and posted.get(fld.name + LIFETIME_SUFFIX) == YES and not text:
            text = LIFETIME
        cells[fld.name] = text or None
    return cells


def stored_values(app: Application, ptype) -> dict[str, str]:
    """The application's data as the form's inputs hold it (the NIK left out: it is never shown)."""
    values = {name: getattr(app, column) for name, column in registry.FIELD_COLUMNS.items()}
    values.update({f.name: holdings.from_stored(f, (app.facts or {}).get(f.storage_key)) for f in ptype.own_fields})
    values[holdings.PREVIOUS_NUMBER], values[holdings.PREVIOUS_DATE] = app.previous_number, app.previous_date
    values["jenis_permohonan"] = holdings.kind_of(app.application_kind).title
    handed_in = app.checklist or {}
    posted = {}
    for fld in form_fields(ptype):
        value = handed_in.get(fld.name) if fld.group == c.CHECKLIST_GROUP else values.get(fld.name)
        if fld.kind == c.YES_NO:
            posted[fld.name] = YES if value else ""
        elif fld.kind == c.DATE_OR_LIFETIME:
            posted[fld.name] = value.isoformat() if isinstance(value, dt.date) else ""
            posted[fld.name + LIFETIME_SUFFIX] = YES if value is None and fld.storage_key in (app.facts or {}) else ""
        elif isinstance(value, dt.date):
            posted[fld.name] = value.isoformat()
        else:
            posted[fld.name] = "" if value is None else str(value)
    posted["nik"] = ""
    return posted


def stored_record(app: Application, ptype) -> dict[str, Any]:
    """The application as a JSON record (intake's JSON form): what an API correction starts from."""
    posted = stored_values(app, ptype)
    record: dict[str, Any] = {"jenis_izin": ptype.code, "nik": app.nik, "berkas": {}}
    for fld in form_fields(ptype):
        if fld.group == c.CHECKLIST_GROUP:
            record["berkas"][fld.name] = posted[fld.name] == YES
        elif fld.kind == c.DATE_OR_LIFETIME and posted.get(fld.name + LIFETIME_SUFFIX) == YES:
            record[fld.name] = LIFETIME
        elif fld.name != "nik":
            value = posted[fld.name]
            record[fld.name] = (int(value) if fld.kind == c.NUMBER and value.isdigit() else value) or None
    return record


# --------------------------------------------------------------------------- checking and saving


def check(ws, ptype, cells: dict[str, Any]) -> Row:
    """The record checked by intake's rules, as one row of a workbook of `ptype` is."""
    validator = RecordValidator(type_chooser(ws.profile, ws=ws, permit_type=ptype), {})
    return validator.check(ROW, list(cells.values()), cells)


def check_json(ws, record: dict[str, Any], ptype=None) -> Row:
    """A JSON record checked as one record of a JSON file is (its own `jenis_izin`, else `ptype`)."""
    return check_record(record, type_chooser(ws.profile, ws=ws, permit_type=ptype))


@dataclass(frozen=True)
class Saved:
    app_id: int
    registration_number: str
    outcome: str  # imported | updated | unchanged


@dataclass(frozen=True)
class Duplicate:
    """A new application the registry already holds (the same holder, date, type and kind)."""

    app_id: int
    registration_number: str


def save(ws, row: Row, actor: str, source: dict, *, number: str | None = None) -> Saved | Duplicate | None:
    """Register the checked row (or, with `number`, update that application) the way an import
    registers a row: registry.find_existing, prepare, store — the same events, numbers and chain.
    None when the registry refuses it: its reasons are then in `row.problems`."""
    if not row.ok:
        return None
    with db.session(ws, write=True) as sess:
        try:
            ptype, kind = registry.type_and_kind(ws, row.values, sess)
        except registry.ApplicationRefused as err:
            row.problems.append(Problem(row.number, err.column, str(err), err.field))  # "intake.other"
            return None
        row.values[REGISTRATION] = number
        existing = registry.find_existing(sess, row, ptype, kind)
        if not row.ok:
            return None
        if number is None and existing is not None:
            return Duplicate(existing.id, existing.registration_number)
        prepared = registry.prepare(sess, ws, row.values, ptype, kind, existing.id if existing else None)
        registry.add_problems(row, prepared)
        if not row.ok:
            return None
        app, outcome = registry.store(sess, ws, existing, prepared, source, actor)
        return Saved(app.id, app.registration_number, outcome)


def issued_permit(ws, app_id: int) -> str | None:
    """The number of a permit issued on the application (then its data are the permit's: no correction)."""
    with db.session(ws) as sess:
        return sess.scalar(select(Document.number).where(
            Document.application_id == app_id, Document.kind == holdings.PERMIT_KIND,
            Document.status.in_(("issued", "revoked", "replaced"))).limit(1))


def load(ws, app_id: int) -> tuple[Application, permit_types.PermitType] | None:
    with db.session(ws) as sess:
        app = sess.get(Application, app_id)
        if app is None:
            return None
        ptype = registry.permit_type_of(app, ws)
        sess.expunge(app)
        return app, ptype
