"""The Buku Ekspedisi: recording and verifying the delivery of final documents."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import chain, clock
from ..db import lock
from ..models import Application, utcnow
from ..workspace import Workspace
from .kinds import document_kinds
from .log import GENESIS_HASH, _chain_key, _check_series, _record_event, canonical_json, chain_hash
from .refusals import AmbiguousDispatchRef, DispatchNeedsNames, NotDeliverable, NothingToDeliver, UnknownDispatchRef
from .tables import Dispatch, Document
from .voiding import _bound_entry, recover_interrupted


def _final_document_of(session: Session, application: Application) -> Document:
    finals = [k.key for k in document_kinds().values() if k.final]
    document = session.scalars(
        select(Document)
        .where(Document.application_id == application.id, Document.kind.in_(finals),
               Document.status == "issued")
        .order_by(Document.date.desc(), Document.id.desc())
        .limit(1)
    ).first()
    if document is None:
        titles = " or ".join(document_kinds()[k].title for k in finals)
        raise NothingToDeliver(ref=application.registration_number, titles=titles)
    return document


def resolve_dispatch_ref(session: Session, ref: str) -> Document:
    """REF is a document number, or a registration number meaning its final document."""
    documents = session.scalars(select(Document).where(Document.number == ref)).all()
    application = session.scalars(select(Application).where(Application.registration_number == ref)).first()
    issued = [d for d in documents if d.status == "issued"]
    if len(issued) > 1 or (issued and application is not None):
        raise AmbiguousDispatchRef(ref=ref)
    if issued:
        return issued[0]
    if application is not None:
        return _final_document_of(session, application)
    if documents:
        raise NotDeliverable(ref=ref, status=documents[0].status)
    raise UnknownDispatchRef(ref=ref)


DISPATCH_LOCK = "dispatches"  # the Buku Ekspedisi: one chain, one running No per year


def record_dispatch(session: Session, ws: Workspace, ref: str, *, to: str, received_by: str,
                    at: dt.datetime | None = None, actor: str = "sikro") -> Dispatch:
    """Add a line to the Buku Ekspedisi: document REF delivered to `to`, signed for by `received_by`."""
    if not to.strip() or not received_by.strip():
        raise DispatchNeedsNames()
    tz = clock.office_timezone(ws.profile)
    recover_interrupted(session, ws)
    document = resolve_dispatch_ref(session, ref)
    entry = _bound_entry(session, document)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=tz)  # a time without a zone is office time (WIB), not the server's
    delivered = (at or clock.now(ws.profile)).astimezone(tz).replace(microsecond=0)
    lock(session, DISPATCH_LOCK)  # its tail and the year's series are read to be written on
    last = session.scalars(select(Dispatch).order_by(Dispatch.id.desc()).limit(1)).first()
    seq = (session.scalar(select(func.max(Dispatch.seq)).where(Dispatch.year == delivered.year)) or 0) + 1
    content = canonical_json({
        "year": delivered.year, "seq": seq, "document_id": document.id, "document_uid": document.uid,
        "number": document.number, "document_date": document.date.isoformat(), "kind": document.kind,
        "subject": entry.subject if entry else "", "addressee": to.strip(),
        "received_by": received_by.strip(), "delivered_at": delivered.isoformat(),
        "actor": actor, "recorded_at": utcnow().isoformat(),
    })
    prev_hash = last.hash if last else GENESIS_HASH
    row = Dispatch(year=delivered.year, seq=seq, document_id=document.id, content=content,
                   prev_hash=prev_hash, hash=chain_hash(_chain_key(ws), prev_hash, content))
    session.add(row)
    session.flush()
    chain.note_head(session, ws, "dispatches", row.id, row.hash)
    _record_event(session, document.application_id, "document.dispatched", actor,
                  number=document.number, kind=document.kind, to=to.strip(),
                  received_by=received_by.strip(), delivered_at=delivered.isoformat(),
                  ekspedisi=f"{seq}/{delivered.year}")
    return row


def verify_dispatches(session: Session, ws: Workspace) -> list[str]:
    rows = session.scalars(select(Dispatch).order_by(Dispatch.id)).all()
    document_ids = set(session.scalars(select(Document.id)))
    problems, keys = [], set()
    for row, where, data, link_problems in chain.walk_links(_chain_key(ws), rows, noun="line",
                                                            where=lambda r: f"ekspedisi {r.year} no. {r.seq}"):
        problems += link_problems
        data = data or {}  # content that is not JSON: its columns differ from it too
        if (data.get("year"), data.get("seq"), data.get("document_id")) != (row.year, row.seq, row.document_id):
            problems.append(f"{where}: columns differ from the recorded line (edited)")
        if row.document_id not in document_ids:
            problems.append(f"{where}: its document is missing")
        keys.add((row.year, row.seq))
    problems += chain.head_problems(ws, "dispatches", {row.id: row.hash for row in rows}, "ekspedisi")
    return problems + _check_series("ekspedisi", keys, [])


def list_dispatches(session: Session, year: int | None = None) -> list[dict]:
    query = select(Dispatch)
    if year is not None:
        query = query.where(Dispatch.year == year)
    rows = session.scalars(query.order_by(Dispatch.year, Dispatch.seq)).all()
    return [{**row.data, "status": "used", "date": row.data["document_date"]} for row in rows]
