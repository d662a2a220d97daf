"""Allocating numbers in the caller's write transaction: the counter row + 1, never a gap, never twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .. import chain
from ..db import insert_missing
from ..errors import SikroError
from ..models import Application, Event, utcnow
from ..workspace import Workspace
from .kinds import document_kind
from .leases import current_lease
from .log import ENTRY_FIELDS, GENESIS_HASH, _append_log, _entry_event, canonical_json, chain_hash, lock_register
from .registers import _short_name, format_number, register_for
from .tables import Document, RegisterCounter, RegisterEntry, RegisterLogRow
from .voiding import recover_interrupted


def _as_date(on: dt.date | dt.datetime) -> dt.date:
    return on.date() if isinstance(on, dt.datetime) else on


def _take_seqs(session: Session, ws: Workspace, register: str, year: int, count: int = 1) -> int:
    """Advance the register's counter row for `year` by `count`; returns the first number taken.

    The register's lock (which also guards its log) and then its counter row are locked
    until the caller's transaction ends, so writers of one register take turns and writers
    of different registers do not wait. The counter must equal the register's max(seq):
    otherwise entries were removed or added behind the tool's back. And the head outside
    the database may know of a higher number ever given: then the newest entries and the
    counter were rolled back together (a database restored from an old copy, or edited).
    Giving numbers on would overwrite that evidence, so allocation refuses, with the
    numbers that are missing, until the database is restored.
    """
    lock_register(session, register)
    insert_missing(session, RegisterCounter.__table__, {"register": register, "year": year, "last_seq": 0})
    counter = session.scalars(select(RegisterCounter).where(
        RegisterCounter.register == register, RegisterCounter.year == year).with_for_update()).one()
    last = session.scalar(
        select(func.max(RegisterEntry.seq)).where(RegisterEntry.register == register, RegisterEntry.year == year)
    ) or 0
    if counter.last_seq > last:
        raise NumbersLost(register, year, last, counter.last_seq, witness="the register's counter")
    if counter.last_seq < last:
        raise CounterBehind(register, year, counter.last_seq, last)
    given = chain.given_max(session, ws, register, year)
    if given > last:
        raise NumbersLost(register, year, last, given)
    counter.last_seq = last + count
    return last + 1


class NumbersLost(chain.ChainTampered):
    """Numbers the chain head (or the register's counter) says were given are missing from the register."""

    code = "numbers-lost"

    def __init__(self, register: str, year: int, last: int, given: int, *, witness: str = ""):
        self.register, self.year, self.last, self.given = register, year, last, given
        missing = f"no. {last + 1}" if given == last + 1 else f"no. {last + 1}-{given}"
        witness = witness or f"keys/{chain.HEAD_FILE}"
        super().__init__(
            f"register {register} {year}: {missing} was given ({witness}) but is missing from "
            f"the database: entries were removed behind the tool's back; no number is given until the "
            "database is restored from a backup (`sikro register verify` shows what differs)")


class CounterBehind(chain.ChainTampered):
    """The register holds numbers its counter row never gave: entries added behind the tool's back."""

    code = "counter-behind"

    def __init__(self, register: str, year: int, counter: int, last: int):
        self.register, self.year, self.counter, self.last = register, year, counter, last
        super().__init__(
            f"register {register} {year}: the database holds no. {counter + 1}-{last}, which its counter "
            f"(last given: {counter}) never gave: entries were added behind the tool's back; no number is "
            "given until the database is restored from a backup (`sikro register verify` shows what differs)")


def _bind(document: Document, entry: RegisterEntry) -> None:
    document.register, document.year = entry.register, entry.year
    document.seq, document.number = entry.seq, entry.number
    document.updated_at = utcnow()


def allocate(
    session: Session,
    ws: Workspace,
    register: str,
    on: dt.date,
    *,
    kind: str,
    application_id: int | None,
    subject: str = "",
    addressee: str = "",
    actor: str = "sikro",
    pending: bool = False,
    document: Document | None = None,
) -> RegisterEntry:
    """Take the next number of `register` inside the caller's write session.

    pending=False binds it at once (registration numbers, allocated in the
    transaction that creates the application); pending=True leaves it owned
    by this process's lease until `issue_document` confirms it.
    """
    spec = document_kind(kind)
    expected = spec.register
    if spec.type_register and application_id is not None:
        expected = register_for(ws, spec, session.get(Application, application_id))
    if expected != register:
        raise SikroError(
            f"a {spec.title} ({kind}) takes its number from register {expected or '(none)'}, not {register}"
        )
    on = _as_date(on)
    recover_interrupted(session, ws)
    seq = _take_seqs(session, ws, register, on.year)
    number = format_number(ws, register, seq, on, _short_name(ws, session, application_id))
    clash = session.scalar(
        select(RegisterEntry.id).where(RegisterEntry.register == register, RegisterEntry.number == number)
    )
    if clash is not None:
        raise SikroError(f"register {register}: pattern gives {number} again; make the pattern unique per year")
    entry = RegisterEntry(
        register=register, year=on.year, seq=seq, number=number,
        status="pending" if pending else "used", kind=kind, application_id=application_id,
        document_id=document.id if document is not None else None, date=on,
        subject=subject, addressee=addressee, reason=None,
        lease=current_lease(ws).id if pending else None,
    )
    session.add(entry)
    session.flush()
    if document is not None:
        _bind(document, entry)
    _append_log(session, ws, entry, "allocate", actor)
    _entry_event(session, entry, "number.allocated", actor)
    return entry


@dataclass(frozen=True)
class PendingRequest:
    """One pending number of `allocate_many`: the document it is for, its register line's subject, addressee."""
    document: Document
    subject: str = ""
    addressee: str = ""


def allocate_many(session: Session, ws: Workspace, register: str, on: dt.date, requests: list[PendingRequest],
                  *, kind: str, actor: str = "sikro") -> list[RegisterEntry]:
    """`allocate(..., pending=True, document=...)` for many documents of one register, in order.

    The same entries (consecutive numbers under this process's lease, each bound to its
    document), log links and events as calling `allocate` for each in turn; only one query
    for the next number, one for clashes and one flush for all of them (a batch's chunk).
    """
    if not requests:
        return []
    spec = document_kind(kind)
    for request in requests:
        application_id = request.document.application_id
        expected = spec.register
        if spec.type_register and application_id is not None:
            expected = register_for(ws, spec, session.get(Application, application_id))
        if expected != register:
            raise SikroError(
                f"a {spec.title} ({kind}) takes its number from register {expected or '(none)'}, not {register}")
    on = _as_date(on)
    recover_interrupted(session, ws)
    first, lease = _take_seqs(session, ws, register, on.year, len(requests)), current_lease(ws).id
    numbers = [format_number(ws, register, first + i, on, _short_name(ws, session, r.document.application_id))
               for i, r in enumerate(requests)]
    _refuse_clashes(session, register, numbers)
    entries = [RegisterEntry(
        register=register, year=on.year, seq=first + i, number=number, status="pending", kind=kind,
        application_id=r.document.application_id, document_id=r.document.id, date=on,
        subject=r.subject, addressee=r.addressee, reason=None, lease=lease)
        for i, (r, number) in enumerate(zip(requests, numbers, strict=True))]
    session.add_all(entries)
    session.flush()
    for request, entry in zip(requests, entries, strict=True):
        _bind(request.document, entry)
        _append_log(session, ws, entry, "allocate", actor)
        _entry_event(session, entry, "number.allocated", actor)
    return entries


@dataclass(frozen=True)
class BlockRequest:
    """One number of a block: for which application, its register line's subject, its type's short name."""
    application_id: int
    subject: str = ""
    izin: str = ""


def allocate_block(session: Session, ws: Workspace, register: str, on: dt.date, requests: list[BlockRequest],
                   *, kind: str, actor: str = "sikro") -> list[str]:
    """`allocate` (bound at once) for many applications: consecutive numbers, one INSERT per table.

    An import registers a chunk of rows in one transaction; numbering them one by one was most of
    its time. Every number, log link and event is what `allocate` would have written in turn.
    Returns the numbers, in the order of `requests`.
    """
    if not requests:
        return []
    on = _as_date(on)
    recover_interrupted(session, ws)
    first = _take_seqs(session, ws, register, on.year, len(requests))
    numbers = [format_number(ws, register, first + i, on, r.izin) for i, r in enumerate(requests)]
    _refuse_clashes(session, register, numbers)
    entries = [{"register": register, "year": on.year, "seq": first + i, "number": number, "status": "used",
                "kind": kind, "application_id": r.application_id, "document_id": None, "date": on,
                "subject": r.subject, "addressee": "", "reason": None, "lease": None}
               for i, (r, number) in enumerate(zip(requests, numbers, strict=True))]
    session.execute(insert(RegisterEntry.__table__), entries)
    _append_log_many(session, ws, register, entries, "allocate", actor)
    session.execute(insert(Event.__table__), [
        {"application_id": e["application_id"], "actor": actor, "action": "number.allocated",
         "details": {"register": register, "number": e["number"], "kind": kind, "status": "used", "reason": None}}
        for e in entries])
    return numbers


def _refuse_clashes(session: Session, register: str, numbers: list[str]) -> None:
    clash = session.scalar(select(RegisterEntry.number).where(RegisterEntry.register == register,
                                                              RegisterEntry.number.in_(numbers)).limit(1))
    if clash is None and len(set(numbers)) < len(numbers):
        clash = next(n for n in numbers if numbers.count(n) > 1)
    if clash is not None:
        raise SikroError(f"register {register}: pattern gives {clash} again; make the pattern unique per year")


def _append_log_many(session: Session, ws: Workspace, register: str, entries: list[dict], action: str,
                     actor: str) -> None:
    """`_append_log` for entries written in bulk: the same links, in order, one INSERT."""
    remembered = session.info.setdefault("last_log_row", {})
    lock_register(session, register)
    last = remembered.get(register) or session.scalars(
        select(RegisterLogRow).where(RegisterLogRow.register == register)
        .order_by(RegisterLogRow.position.desc()).limit(1)).first()
    position, prev = (last.position, last.hash) if last else (0, GENESIS_HASH)
    key, at, rows = chain.session_key(session, ws), utcnow().isoformat(), []
    for entry in entries:
        position += 1
        snapshot = {name: entry[name] for name in ENTRY_FIELDS}
        snapshot["date"] = entry["date"].isoformat()
        content = canonical_json({**snapshot, "action": action, "actor": actor, "at": at})
        prev_hash, prev = prev, chain_hash(key, prev, content)
        rows.append({"register": register, "position": position, "action": action, "year": entry["year"],
                     "seq": entry["seq"], "number": entry["number"], "content": content,
                     "prev_hash": prev_hash, "hash": prev})
    session.execute(insert(RegisterLogRow.__table__), rows)
    remembered[register] = RegisterLogRow(**rows[-1])
    chain.note_head(session, ws, f"register_log:{register}", position, prev)
    if action == "allocate":
        chain.note_number(session, ws, register, entries[-1]["year"], entries[-1]["seq"])
