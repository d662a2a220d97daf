"""Two-phase issue: documents and numbers pending under the lease, then issued once their files exist."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import chain
from ..db import session as db_session
from ..errors import SikroError
from ..models import Application, utcnow
from ..workspace import Workspace
from .allocation import PendingRequest, _as_date, allocate_many
from .document_stream import DOCUMENT_STREAM, _verification_records, document_state
from .kinds import DocumentKind, KindNotForApplication, document_kind, document_kinds
from .leases import current_lease
from .log import _append_log, _entry_event, _record_event, lock_register
from .placeholders import fill_placeholders
from .registers import register_for
from .tables import INTERRUPTED, Document, RegisterEntry
from .voiding import _void_document, recover_interrupted_alone


def new_uid() -> str:
    """16 base32 characters from 80 random bits: unguessable, QR-alphanumeric friendly."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


@dataclass(frozen=True)
class IssueRequest:
    """One document to issue: for which application, and its register line's subject and addressee."""
    application_id: int
    subject: str = ""
    addressee: str = ""


Produced = list | Exception  # a document's files, or why producing them failed


FinishHook = Callable[[Session, Document], None]


def _open_documents(ws, spec: DocumentKind, requests: list[IssueRequest], on, actor) -> list[Document]:
    """Transaction 1: the pending documents and (if their kind is numbered) their pending numbers.

    All of them at once: every request is checked first (any refusal writes nothing), then the
    documents are added with one flush and numbered per register in request order
    (`allocate_many`), as numbering them one by one would have.
    """
    recover_interrupted_alone(ws)
    with db_session(ws, write=True, alongside=True) as session:
        session.info["recovered"] = True  # just done, in a transaction of its own: see db.session's lock order
        ids = {r.application_id for r in requests}
        applications = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}
        revoked = find_revoked_for(session, list(ids), spec.key)
        for request in requests:
            application = applications.get(request.application_id)
            if application is None:
                raise SikroError(f"no application with id {request.application_id}")
            if request.application_id in revoked:
                raise DocumentRevoked(revoked[request.application_id], application.registration_number)
            if not spec.applies_to_kind(application.application_kind):
                raise KindNotForApplication(spec.key, application.application_kind, spec.application_kinds)
        lease, date = current_lease(ws).id, _as_date(on)
        documents = [Document(uid=new_uid(), application_id=r.application_id, kind=spec.key, date=date,
                              status="pending", files=[], lease=lease) for r in requests]
        session.add_all(documents)
        session.flush()
        by_register: dict[str, list[PendingRequest]] = {}
        for request, document in zip(requests, documents, strict=True):
            application = applications[request.application_id]
            register = register_for(ws, spec, application)
            if register:
                by_register.setdefault(register, []).append(PendingRequest(
                    document, request.subject or fill_placeholders(spec.subject, application, ws),
                    request.addressee or fill_placeholders(spec.addressee, application, ws)))
        for register in sorted(by_register):  # registers in one order: see db.session
            lock_register(session, register)
        for register, pending in by_register.items():
            allocate_many(session, ws, register, on, pending, kind=spec.key, actor=actor)
        for document in documents:
            _record_event(session, document.application_id, "document.started", actor,
                          kind=spec.key, uid=document.uid, number=document.number)
        return documents


def _relative(ws: Workspace, path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(ws.root))
    except ValueError:
        return str(path)


def _close_documents(ws, document_ids: list[int], produced: dict[int, Produced], actor: str,
                     on_finish: FinishHook | None) -> list[Document | Exception]:
    """Transaction 2: each produced document issued with its number used; each failed one voided
    ("generation failed: ..."); each never produced (Ctrl-C) voided as interrupted."""
    results: list[Document | Exception] = []
    with db_session(ws, write=True, alongside=True) as session:
        # All at once: one query each, not one per document.
        documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(document_ids)))}
        entries = {e.document_id: e for e in session.scalars(
            select(RegisterEntry).where(RegisterEntry.document_id.in_(document_ids)))}
        _lock_in_order(session, {e.register for e in entries.values()})
        # their applications too (held here: the session only keeps weak references), so that each
        # document's effect finds its own without a query, and so without a flush per document
        applications = session.scalars(select(Application).where(  # noqa: F841
            Application.id.in_({d.application_id for d in documents.values()} - {None}))).all()
        issued: list[Document] = []
        for document_id in document_ids:
            document = documents[document_id]
            outcome = produced.get(document_id)
            if isinstance(outcome, list) and document.status != "pending":
                outcome = SikroError(
                    f"document {document.number or document.uid} was voided while it was being "
                    f"produced ({document.reason}); its files were not recorded")
            elif isinstance(outcome, list):
                _finish(session, ws, document, entries.get(document_id), outcome, actor)
                if on_finish is not None:
                    on_finish(session, document)
                _application_kind_effect(session, document, actor)
                issued.append(document)
            elif document.status == "pending":
                reason = f"generation failed: {outcome}" if outcome is not None else INTERRUPTED
                _void_document(session, ws, document, reason, actor)
            results.append(document if isinstance(outcome, list) else outcome)
        _chain_issued(session, ws, issued, actor)
    return results


def _lock_in_order(session: Session, registers: set[str]) -> None:
    """Take every lock closing documents may need, registers first, each group sorted (see db.session):
    two transactions that take them lazily in different orders could each wait for the other.
    The streams: the documents' chain, the issued files' chain, and the applications' (an
    application kind's effect on the previous permit's holder)."""
    from ..issued_files import FILE_STREAM  # late: both import this package
    from ..registry import APPLICATION_STREAM

    for register in sorted(registers):
        lock_register(session, register)
    for stream in sorted((DOCUMENT_STREAM, FILE_STREAM, APPLICATION_STREAM)):
        chain.lock_stream(session, stream)


def _application_kind_effect(session: Session, document: Document, actor: str) -> None:
    """A renewal's permit makes the previous one DIGANTI, a revocation decree DICABUT (issue 14)."""
    from ..application_kinds import on_issued  # late: application_kinds imports this module

    on_issued(session, document, actor)


def _chain_issued(session: Session, ws: Workspace, documents: list[Document], actor: str) -> None:
    """Chain the issued documents with what their QR codes were signed with (one query for all)."""
    if not documents:
        return
    session.flush()
    records = _verification_records(session, [d.id for d in documents])
    for document in documents:
        chain.append(session, ws, DOCUMENT_STREAM, document.uid, document_state(document, records.get(document.id)),
                     actor)


def _finish(session: Session, ws: Workspace, document: Document, entry: RegisterEntry | None,
            paths: list[Path], actor: str) -> None:
    document.files = [_relative(ws, p) for p in paths]
    document.status, document.lease, document.updated_at = "issued", None, utcnow()
    if entry is not None:
        entry.status, entry.updated_at = "used", utcnow()
        _append_log(session, ws, entry, "confirm", actor)
        _entry_event(session, entry, "number.confirmed", actor)
    _record_event(session, document.application_id, "document.issued", actor,
                  kind=document.kind, uid=document.uid, number=document.number,
                  files=document.files)


def issue_documents(
    ws: Workspace,
    *,
    kind: str,
    requests: list[IssueRequest],
    on: dt.date,
    produce: Callable[[Document], list[Path]],
    actor: str = "sikro",
    on_finish: FinishHook | None = None,
) -> list[Document | Exception]:
    """Number (if their kind is numbered), produce and record documents of one kind, in request order.

    Two transactions for all of them, whatever their number: one opens every
    document with a pending number under this process's lease, one records
    every outcome. A document whose `produce` raised comes back as that
    exception, its number voided ("generation failed: ..."); the others are
    issued. If the process dies in between, the next command voids the
    pending numbers ("interrupted"); on Ctrl-C the produced ones are issued
    and the rest voided. `on_finish(session, document)` runs in the second
    transaction for each issued document (e.g. to record its QR signature).
    """
    from .. import permit_types  # late: permit types read numbering's kinds

    with permit_types.pinned(ws):  # read once for the call: subjects and patterns ask per document
        return _issue_documents(ws, document_kind(kind), requests, on, produce, actor, on_finish)


def _issue_documents(ws, spec: DocumentKind, requests, on, produce, actor, on_finish) -> list[Document | Exception]:
    documents = _open_documents(ws, spec, requests, on, actor)
    produced: dict[int, Produced] = {}
    try:
        for document in documents:
            try:
                produced[document.id] = list(produce(document) or [])
            except Exception as exc:
                produced[document.id] = exc
    except BaseException:  # Ctrl-C, SystemExit: keep what was made, void the rest
        _close_documents(ws, [d.id for d in documents], produced, actor, on_finish)
        raise
    return _close_documents(ws, [d.id for d in documents], produced, actor, on_finish)


def issue_document(
    ws: Workspace,
    *,
    kind: str,
    application_id: int,
    on: dt.date,
    subject: str = "",
    addressee: str = "",
    produce: Callable[[Document], list[Path]],
    actor: str = "sikro",
) -> Document:
    """Number (if its kind is numbered), produce and record one document.

    If `produce` raises, the number is voided ("generation failed: ...") and
    the exception re-raised; if the process dies, the next command voids it
    ("interrupted"). Callers re-running a batch use `find_issued` first.
    """
    [outcome] = issue_documents(ws, kind=kind, requests=[IssueRequest(application_id, subject, addressee)],
                                on=on, produce=produce, actor=actor)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def find_issued_for(session: Session, application_ids: list[int], kind: str) -> dict[int, Document]:
    """Each application's latest issued document of `kind`, by application id."""
    found: dict[int, Document] = {}
    for document in session.scalars(
            select(Document)
            .where(Document.application_id.in_(application_ids), Document.kind == kind,
                   Document.status == "issued")
            .order_by(Document.id)):
        found[document.application_id] = document
    return found


def find_revoked_for(session: Session, application_ids: list[int], kind: str) -> dict[int, Document]:
    """Each application's revoked document that bars a new `kind`: one of that kind, or a final one
    (a permit). A revocation is final: a new document needs a new application."""
    kinds = {kind} | {k.key for k in document_kinds().values() if k.final}
    found: dict[int, Document] = {}
    for document in session.scalars(
            select(Document)
            .where(Document.application_id.in_(application_ids), Document.kind.in_(kinds),
                   Document.status == "revoked")
            .order_by(Document.id)):
        found.setdefault(document.application_id, document)
    return found


def revocation_of(session: Session, document: Document) -> tuple[dt.datetime | None, str]:
    """When (UTC) and why `document` was revoked."""
    record = _verification_records(session, [document.id]).get(document.id)
    at = record.revoked_at if record is not None and record.revoked_at else document.updated_at
    return at, (record.revoked_reason if record is not None else None) or document.reason or ""


class DocumentRevoked(SikroError):
    """A new document for an application whose permit was revoked."""

    code = "revoked"

    def __init__(self, document: Document, registration_number: str):
        self.number, self.registration_number = document.number, registration_number
        super().__init__(f"{registration_number}: {document.kind} {document.number or document.uid} was revoked "
                         f"({document.reason}); a revocation is final: a new one needs a new application")


def find_issued(session: Session, application_id: int, kind: str) -> Document | None:
    """The application's latest issued document of `kind` (to reuse instead of re-numbering)."""
    return session.scalars(
        select(Document)
        .where(Document.application_id == application_id, Document.kind == kind,
               Document.status == "issued")
        .order_by(Document.id.desc())
        .limit(1)
    ).first()
