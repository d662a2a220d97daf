"""What a holder already holds: the registry's permits, and the rules across them.

A renewal, change or revocation names its previous permit; an n-th permit names the earlier
ones; a type may limit how many valid permits a holder has and allow one per place. All of it
is checked here against the permits the registry issued, from the type's data (`[rules]`):
nothing here knows a permit type.

Checks return `Issue`s (the field they are about and a sentence without the column's name);
the registry turns them into row errors of an import or a structured error of the library API.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import permit_types
from .models import Application
from .numbering import Document

PERMIT_KIND = "permit"  # the document kind a permit is issued as (data/document_kinds.toml)
PREVIOUS_NUMBER = "nomor_izin_sebelumnya"
PREVIOUS_DATE = "tanggal_izin_sebelumnya"
NIK_FIELD = "nik"

VALID, REVOKED, REPLACED, EXPIRED = "berlaku", "dicabut", "diganti", "kedaluwarsa"


@dataclass(frozen=True)
class Issue:
    field: str  # the field (column) it is about
    message: str  # the sentence after the column's name
    fact: bool = False  # about a value itself (unknown field, wrong kind), not about other permits
    # A stable name and what the message is made of (ISSUES): an import's row problem carries them,
    # for the console to word it in its language.
    code: str = "intake.other"
    values: dict = dataclasses.field(default_factory=dict, compare=False)


# The registry's refusals of a record against the permits it holds: code -> the English message.
ISSUES = {
    "registry.previous.required": "is empty; a {kind} names the permit it is about",
    "registry.previous.unknown": ('is empty; permit "{number}" is not in the registry (issued before the office '
                                  "used this toolkit): type its date"),
    "registry.previous.wrong-date": '{typed} is not the date of permit "{number}" ({date})',
    "registry.previous.other-type": '"{number}" is a {other}, not a {permit_type}',
    "registry.previous.other-holder": '"{number}" was issued to another holder (another NIK)',
    "registry.previous.revoked": '"{number}" was revoked (DICABUT); it cannot be {verb}',
    "registry.previous.replaced": '"{number}" was already replaced (DIGANTI); it cannot be {verb} again',
    "registry.previous.pending": '"{number}" is already named by application {registration_number} ({kind})',
    "registry.holder.at-most": ('"{value}" already holds {count} valid {permit_type} ({numbers}); at most '
                                "{maximum} are allowed"),
    "registry.holder.same-place": ('"{value}" already has this holder\'s valid {permit_type} {number}; one permit '
                                   "per place"),
}


def _issue(field_name: str, code: str, **values) -> Issue:
    return Issue(field_name, ISSUES[code].format(**values), code=code, values=values)


@dataclass(frozen=True)
class Effect:
    """What an application kind's effect (common.toml `effect`) means to the registry."""

    is_new_permit: bool  # it ends in a permit: the type's limits on valid permits apply
    frees_previous: bool  # its previous permit stops counting (it becomes DIGANTI)
    verb: str  # what is done to the previous permit, for messages


# Effect name -> what it means here; a kind names its effect in data/permit-types/common.toml.
EFFECTS: dict[str, Effect] = {
    "new": Effect(is_new_permit=True, frees_previous=False, verb="issued"),
    "replace": Effect(is_new_permit=True, frees_previous=True, verb="renewed or changed"),
    "revoke": Effect(is_new_permit=False, frees_previous=False, verb="revoked"),
}


def kind_of(code: str) -> permit_types.ApplicationKind:
    return permit_types.application_kind(code)


def effect_of(code: str) -> Effect:
    return EFFECTS[kind_of(code).effect]


# --------------------------------------------------------------------------- permits held


@dataclass
class HeldPermit:
    """A permit the registry issued: its document, its application and its verification record."""

    document: Document
    application: Application
    record: object | None  # verification.verdict.DocumentVerification

    @property
    def number(self) -> str:
        return self.document.number or ""

    @property
    def valid_until(self) -> dt.date | None:
        return getattr(self.record, "valid_until", None)

    @property
    def replaced(self) -> bool:  # DIGANTI: marked by the successor's issue (application_kinds)
        return self.document.status == "replaced" or getattr(self.record, "replaced_by_id", None) is not None

    def state(self, today: dt.date) -> str:
        if self.document.status == "revoked":
            return REVOKED
        if self.replaced:
            return REPLACED
        if self.valid_until is not None and self.valid_until < today:
            return EXPIRED
        return VALID


def _records(sess: Session, ids) -> dict[int, object]:
    from .verification.verdict import DocumentVerification  # late: verification imports the registry's tables

    ids = list(ids)
    if not ids:
        return {}
    rows = sess.scalars(select(DocumentVerification).where(DocumentVerification.document_id.in_(ids)))
    return {r.document_id: r for r in rows}


def _held(sess: Session, query) -> list[HeldPermit]:
    pairs = sess.execute(query.order_by(Document.id)).all()
    records = _records(sess, (d.id for d, _a in pairs))
    return [HeldPermit(d, a, records.get(d.id)) for d, a in pairs]


def _issued_permits():
    return (select(Document, Application).join(Application, Document.application_id == Application.id)
            .where(Document.kind == PERMIT_KIND, Document.status.in_(("issued", "revoked", "replaced"))))


def find_permit(sess: Session, number: str) -> HeldPermit | None:
    """The permit the registry issued with this number (the newest, if reissued), or None."""
    found = _held(sess, _issued_permits().where(Document.number == number))
    return found[-1] if found else None


def valid_permits(sess: Session, nik: str, permit_type: str, today: dt.date,
                  not_of: int | None = None) -> list[HeldPermit]:
    """The holder's valid permits of the type (issued, not revoked, replaced or expired)."""
    query = _issued_permits().where(Application.nik == nik, Application.permit_type == permit_type)
    if not_of is not None:
        query = query.where(Application.id != not_of)
    return [p for p in _held(sess, query) if p.state(today) == VALID]


# --------------------------------------------------------------------------- the previous permit


@dataclass
class PreviousPermit:
    number: str
    date: dt.date | None  # typed in, or the known permit's date
    held: HeldPermit | None  # None: issued before the office used the toolkit

    @property
    def known(self) -> bool:
        return self.held is not None


def check_previous(sess: Session, ptype, kind_code: str, values: dict, application_id: int | None,
                   today: dt.date) -> tuple[PreviousPermit | None, list[Issue]]:
    """The permit a renewal, change or revocation is about, and why it cannot be (if it cannot)."""
    kind = kind_of(kind_code)
    number, typed = values.get(PREVIOUS_NUMBER), values.get(PREVIOUS_DATE)
    if not kind.needs_previous:
        return None, []
    if not number:
        return None, [_issue(PREVIOUS_NUMBER, "registry.previous.required", kind=kind.title)]
    held = find_permit(sess, number)
    if held is None:
        if typed is None:
            return None, [_issue(PREVIOUS_DATE, "registry.previous.unknown", number=number)]
        return PreviousPermit(number, typed, None), []
    issues = _previous_problems(sess, ptype, kind, values, held, application_id, today)
    if typed is not None and typed != held.document.date:
        issues.append(_issue(PREVIOUS_DATE, "registry.previous.wrong-date", typed=f"{typed:%d-%m-%Y}",
                             number=number, date=f"{held.document.date:%d-%m-%Y}"))
    return PreviousPermit(number, held.document.date, held), issues


def _previous_problems(sess, ptype, kind, values, held: HeldPermit, application_id, today) -> list[Issue]:
    number, effect = held.number, EFFECTS[kind.effect]
    if held.application.permit_type != ptype.code:
        other = _short_name(held.application.permit_type)
        return [_issue(PREVIOUS_NUMBER, "registry.previous.other-type", number=number, other=other,
                       permit_type=ptype.short_name)]
    if held.application.nik != values.get(NIK_FIELD):
        return [_issue(PREVIOUS_NUMBER, "registry.previous.other-holder", number=number)]
    state = held.state(today)
    if state == REVOKED:
        return [_issue(PREVIOUS_NUMBER, "registry.previous.revoked", number=number, verb=effect.verb)]
    if state == REPLACED:
        return [_issue(PREVIOUS_NUMBER, "registry.previous.replaced", number=number, verb=effect.verb)]
    pending = _pending_successor(sess, held, application_id)
    if pending is not None:
        return [_issue(PREVIOUS_NUMBER, "registry.previous.pending", number=number,
                       registration_number=pending.registration_number,
                       kind=kind_of(pending.application_kind).title)]
    return []


def _pending_successor(sess: Session, held: HeldPermit, application_id: int | None) -> Application | None:
    """Another application, not refused, about the same permit (a permit is replaced once)."""
    query = select(Application).where(Application.previous_document_id == held.document.id,
                                      Application.status != "rejected")
    if application_id is not None:
        query = query.where(Application.id != application_id)
    return sess.scalars(query.order_by(Application.id)).first()


def _short_name(code: str) -> str:
    try:
        return permit_types.get(None, code).short_name
    except permit_types.UnknownPermitType:
        return code


# --------------------------------------------------------------------------- carrying data over


def carry_over(ptype, values: dict, previous: PreviousPermit | None) -> list[str]:
    """Fill the type's own fields left blank from the previous application; the names filled."""
    if previous is None or not previous.known:
        return []
    facts = previous.held.application.facts or {}
    carried = []
    for fld in ptype.own_fields:
        if values.get(fld.name) is None and facts.get(fld.storage_key) is not None:
            values[fld.name] = from_stored(fld, facts[fld.storage_key])
            carried.append(fld.name)
    return carried


def from_stored(fld, value):
    """A fact as stored (JSON) -> the value as intake gives it (dates as dates)."""
    if isinstance(value, str) and fld.kind in ("date", "date_or_lifetime"):
        return dt.date.fromisoformat(value)
    return value


# --------------------------------------------------------------------------- rules across permits


def fold(value) -> str:
    """A place as compared: spacing and case do not make another place."""
    return " ".join(str(value).split()).casefold() if value not in (None, "") else ""


def earlier_numbers(text) -> list[str]:
    return [part.strip() for part in str(text or "").replace(";", ",").split(",") if part.strip()]


@dataclass
class RulesOutcome:
    issues: list[Issue]
    unknown_earlier: list[str]  # earlier permit numbers the registry does not know (accepted, recorded)


def check_rules(sess: Session, ptype, kind_code: str, values: dict, previous: PreviousPermit | None,
                application_id: int | None, today: dt.date) -> RulesOutcome:
    """The type's [rules]: the n-th permit names the earlier ones; at most N; one per place."""
    outcome = RulesOutcome([], [])
    effect = effect_of(kind_code)
    if not effect.is_new_permit:
        return outcome
    rules, nik = ptype.rules, values.get(NIK_FIELD)
    _check_nth(sess, ptype, values, today, outcome)
    if not (rules.max_places or rules.place_field):
        return outcome  # nothing to count: no query per row of a type without limits
    held = valid_permits(sess, nik, ptype.code, today, not_of=application_id)
    if effect.frees_previous and previous is not None and previous.known:
        held = [p for p in held if p.document.id != previous.held.document.id]
    if rules.max_places and len(held) + 1 > rules.max_places:
        numbers = ", ".join(p.number for p in held)
        outcome.issues.append(_issue(NIK_FIELD, "registry.holder.at-most", value=nik, count=len(held),
                                     permit_type=ptype.short_name, numbers=numbers, maximum=rules.max_places))
    place = fold(values.get(rules.place_field)) if rules.place_field else ""
    same_place = [p for p in held if place and p.application.place_key == place]
    if same_place:
        outcome.issues.append(_issue(rules.place_field, "registry.holder.same-place",
                                     value=str(values.get(rules.place_field)), permit_type=ptype.short_name,
                                     number=same_place[0].number))
    return outcome


def _check_nth(sess: Session, ptype, values: dict, today: dt.date, outcome: RulesOutcome) -> None:
    rules = ptype.rules
    if not rules.nth_field or not rules.earlier_numbers_field:
        return
    nth = values.get(rules.nth_field)
    if not isinstance(nth, int) or nth <= 1:
        return
    field = rules.earlier_numbers_field
    numbers = earlier_numbers(values.get(field))
    nth_label = ptype.by_name[rules.nth_field].label if rules.nth_field in ptype.by_name else rules.nth_field
    if len(numbers) < nth - 1:
        outcome.issues.append(Issue(field, f"names {len(numbers)} permit number(s); {nth_label} {nth} needs the "
                                           f"{nth - 1} earlier one(s), separated by commas"))
        return
    for number in numbers:
        held = find_permit(sess, number)
        if held is None:
            outcome.unknown_earlier.append(number)
        elif held.application.permit_type != ptype.code or held.application.nik != values.get(NIK_FIELD):
            outcome.issues.append(Issue(field, f'"{number}" is not a {ptype.short_name} of this holder'))
        elif current_successor(sess, held).state(today) != VALID:
            outcome.issues.append(Issue(field, f'"{number}" is not valid any more ({held.state(today)})'))


def current_successor(sess: Session, held: HeldPermit, limit: int = 50) -> HeldPermit:
    """The permit that replaced `held` (renewed, changed), and so on: a renewed earlier permit still counts."""
    seen = {held.document.id}
    while held.replaced and len(seen) < limit:
        successor_id = held.record.replaced_by_id
        found = _held(sess, _issued_permits().where(Document.id == successor_id))
        if not found or successor_id in seen:
            break
        held = found[0]
        seen.add(successor_id)
    return held
