"""Voiding a number or a document with its reason, and voiding a dead process's pending ones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import lock
from ..models import utcnow
from ..workspace import Workspace
from .document_stream import chain_document
from .leases import _forget_lease, lease_is_alive
from .log import _append_log, _entry_event, _record_event
from .refusals import AlreadyVoid, NoSuchNumber, NumberBeingIssued, VoidNeedsReason
from .registers import register_settings
from .tables import INTERRUPTED, Document, RegisterEntry


def _bound_entry(session: Session, document: Document) -> RegisterEntry | None:
    return session.scalars(select(RegisterEntry).where(RegisterEntry.document_id == document.id)).first()


def _void_entry(session: Session, ws: Workspace, entry: RegisterEntry, reason: str, actor: str) -> RegisterEntry:
    entry.status, entry.reason, entry.updated_at = "void", reason, utcnow()
    _append_log(session, ws, entry, "void", actor)
    _entry_event(session, entry, "number.voided", actor)
    if entry.document_id is not None:
        document = session.get(Document, entry.document_id)
        if document is not None and document.status != "void":
            document.status, document.reason, document.updated_at = "void", reason, utcnow()
            chain_document(session, ws, document, actor)
    return entry


def _void_document(session: Session, ws: Workspace, document: Document, reason: str, actor: str) -> None:
    entry = _bound_entry(session, document)
    if entry is not None and entry.status != "void":
        _void_entry(session, ws, entry, reason, actor)  # voids and chains the document too
    if (document.status, document.reason) != ("void", reason):
        document.status, document.reason, document.updated_at = "void", reason, utcnow()
        chain_document(session, ws, document, actor)
    _record_event(session, document.application_id, "document.voided", actor,
                  kind=document.kind, uid=document.uid, number=document.number, reason=reason)


def void_document(session: Session, ws: Workspace, document: Document, reason: str,
                  actor: str = "sikro") -> None:
    """Void a document and the number it carries (if any); used when it is made again."""
    reason = (reason or "").strip()
    if not reason:
        raise VoidNeedsReason(what="document")
    _void_document(session, ws, document, reason, actor)


RECOVERY_LOCK = "numbers:recovery"


def recover_interrupted(session: Session, ws: Workspace) -> list[RegisterEntry]:
    """Void every pending entry (and pending document) whose lease is dead: "interrupted".

    Once per transaction is enough: what another process leaves behind after this looked
    is the next transaction's. Transactions that issue alongside each other (PostgreSQL,
    `db.session(alongside=True)`) may find the same dead lease: the first to take the
    recovery lock voids, the others find the entries voided when they look again under it.
    """
    if session.info.get("recovered"):
        return []
    session.info["recovered"] = True
    entries, documents, dead = _left_by_the_dead(session, ws)
    if not dead:
        return []
    lock(session, RECOVERY_LOCK)  # taken before any register's or stream's lock: see db.session
    entries, documents, dead = _left_by_the_dead(session, ws, fresh=True)
    voided = []
    for entry in entries:
        if entry.lease in dead:
            voided.append(_void_entry(session, ws, entry, INTERRUPTED, "sikro (recovery)"))
    for document in documents:
        if document.lease in dead and document.status == "pending":
            _void_document(session, ws, document, INTERRUPTED, "sikro (recovery)")
    for lease in dead:
        _forget_lease(ws, lease)
    return voided


def recover_interrupted_alone(ws: Workspace) -> list[RegisterEntry]:
    """`recover_interrupted` in a transaction of its own, which issuing runs first: voiding takes
    registers' and streams' locks, and the recovery lock must come before those (see db.session)."""
    from ..db import session as db_session

    with db_session(ws, write=True, alongside=True) as session:
        return recover_interrupted(session, ws)


def _left_by_the_dead(session: Session, ws: Workspace, *, fresh: bool = False):
    """The pending entries and documents, and which of their leases are dead.
    `fresh`: re-read rows this session already holds (another transaction may have voided them)."""
    options = {"populate_existing": True} if fresh else {}
    entries = session.scalars(select(RegisterEntry).where(RegisterEntry.status == "pending")
                              .order_by(RegisterEntry.id).execution_options(**options)).all()
    documents = session.scalars(select(Document).where(Document.status == "pending")
                                .order_by(Document.id).execution_options(**options)).all()
    leases = {e.lease for e in entries} | {d.lease for d in documents}
    return entries, documents, {lease for lease in leases if not lease_is_alive(ws, lease)}


def void(session: Session, ws: Workspace, register: str, number: str, reason: str,
         actor: str = "sikro") -> RegisterEntry:
    """Void a number (and its document); it is never given out again."""
    reason = (reason or "").strip()
    if not reason:
        raise VoidNeedsReason(what="number")
    register_settings(ws, register)
    recover_interrupted(session, ws)
    entry = session.scalars(
        select(RegisterEntry).where(RegisterEntry.register == register, RegisterEntry.number == number)
    ).first()
    if entry is None:
        raise NoSuchNumber(register=register, number=number)
    if entry.status == "void":
        raise AlreadyVoid(number=number, register=register, reason=entry.reason)
    if entry.status == "pending":
        raise NumberBeingIssued(number=number, register=register)
    _void_entry(session, ws, entry, reason, actor)
    if entry.document_id is not None:
        document = session.get(Document, entry.document_id)
        _record_event(session, document.application_id, "document.voided", actor,
                      kind=document.kind, uid=document.uid, number=document.number, reason=reason)
    return entry
