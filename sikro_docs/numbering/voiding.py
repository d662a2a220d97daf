"""Voiding a number or a document with its reason, and voiding a dead process's pending ones."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import SikroError
from ..models import utcnow
from ..workspace import Workspace
from .document_stream import chain_document
from .leases import _forget_lease, lease_is_alive
from .log import _append_log, _entry_event, _record_event
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
        raise SikroError("a reason is required to void a document.")
    _void_document(session, ws, document, reason, actor)


def recover_interrupted(session: Session, ws: Workspace) -> list[RegisterEntry]:
    """Void every pending entry (and pending document) whose lease is dead: "interrupted".

    Once per transaction is enough: while this transaction holds the write
    lock no other process can leave anything new behind.
    """
    if session.info.get("recovered"):
        return []
    session.info["recovered"] = True
    pending_entries = session.scalars(
        select(RegisterEntry).where(RegisterEntry.status == "pending").order_by(RegisterEntry.id)
    ).all()
    pending_documents = session.scalars(
        select(Document).where(Document.status == "pending").order_by(Document.id)
    ).all()
    leases = {e.lease for e in pending_entries} | {d.lease for d in pending_documents}
    dead = {lease for lease in leases if not lease_is_alive(ws, lease)}
    voided = []
    for entry in pending_entries:
        if entry.lease in dead:
            voided.append(_void_entry(session, ws, entry, INTERRUPTED, "sikro (recovery)"))
    for document in pending_documents:
        if document.lease in dead and document.status == "pending":
            _void_document(session, ws, document, INTERRUPTED, "sikro (recovery)")
    for lease in dead:
        _forget_lease(ws, lease)
    return voided


def void(session: Session, ws: Workspace, register: str, number: str, reason: str,
         actor: str = "sikro") -> RegisterEntry:
    """Void a number (and its document); it is never given out again."""
    reason = (reason or "").strip()
    if not reason:
        raise SikroError("a reason is required to void a number.")
    register_settings(ws, register)
    recover_interrupted(session, ws)
    entry = session.scalars(
        select(RegisterEntry).where(RegisterEntry.register == register, RegisterEntry.number == number)
    ).first()
    if entry is None:
        raise SikroError(f"register {register} has no number {number}.")
    if entry.status == "void":
        raise SikroError(f"number {number} of register {register} is already void ({entry.reason}).")
    if entry.status == "pending":
        raise SikroError(f"number {number} is being issued by a running process right now; void it when that ends.")
    _void_entry(session, ws, entry, reason, actor)
    if entry.document_id is not None:
        document = session.get(Document, entry.document_id)
        _record_event(session, document.application_id, "document.voided", actor,
                      kind=document.kind, uid=document.uid, number=document.number, reason=reason)
    return entry
