"""The "document" stream of chain.py: every document's status and what it was issued with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import chain
from ..workspace import Workspace
from .kinds import document_kinds
from .tables import Document

DOCUMENT_STREAM = "document"


# What a problem calls each chained field, most telling first.
DOCUMENT_LABELS = {
    "status": "status", "reason": "reason", "revoked_at": "revocation time", "revoked_reason": "revocation reason",
    "number": "number", "kind": "kind", "date": "date issued", "holder": "holder name",
    "permit_type": "permit type", "fields": "signed fields", "valid_until": "valid until",
    "replaced_by_id": "successor", "replaced_at": "replacement time",
    "key_id": "signing key", "application_id": "application",
}


def _utc_text(moment: dt.datetime | None) -> str | None:
    """A stored time as UTC text."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat()


def document_state(document: Document, record) -> dict[str, Any]:
    """What a verdict rests on: status, number, and what the QR code was signed with (as issued)."""
    state: dict[str, Any] = {
        "status": document.status, "reason": document.reason, "number": document.number,
        "kind": document.kind, "date": document.date, "application_id": document.application_id,
    }
    if record is not None:  # document_verification: what the signed QR code carries
        state.update(holder=record.holder, permit_type=record.permit_type, fields=record.fields or {},
                     valid_until=record.valid_until, key_id=record.key_id,
                     revoked_at=_utc_text(record.revoked_at), revoked_reason=record.revoked_reason)
        if record.replaced_by_id is not None:  # DIGANTI (issue 14): by which document, when
            state.update(replaced_by_id=record.replaced_by_id, replaced_at=_utc_text(record.replaced_at))
    return state


def _verification_records(session: Session, document_ids=None) -> dict[int, Any]:
    from ..verification.verdict import DocumentVerification  # late: verification imports numbering

    query = select(DocumentVerification)
    if document_ids is not None:
        query = query.where(DocumentVerification.document_id.in_(list(document_ids)))
    return {r.document_id: r for r in session.scalars(query)}


def chain_document(session: Session, ws: Workspace | None, document: Document, actor: str = "sikro") -> None:
    """Chain the document's state now (issued, void, revoked ...), in the caller's transaction."""
    session.flush()
    record = _verification_records(session, [document.id]).get(document.id)
    chain.append(session, ws, DOCUMENT_STREAM, document.uid, document_state(document, record), actor)


def _documents_now(session: Session) -> dict[str, dict]:
    records = _verification_records(session)
    return {d.uid: document_state(d, records.get(d.id)) for d in session.scalars(select(Document))}


def _describe_document(uid: str, state: dict) -> str:
    spec = document_kinds().get(state.get("kind") or "")
    if state.get("number"):
        return f"{(spec.register if spec else None) or state.get('kind')} {state['number']}"
    return f"{state.get('kind')} {uid}"


chain.track(DOCUMENT_STREAM, _documents_now, _describe_document, DOCUMENT_LABELS,
            unchained_ok=lambda state: state.get("status") == "pending")


def _restate_documents() -> None:
    from ..migrations import legacy_states  # the states as they read before permit types (0008)

    chain.restate_after(legacy_states.REVISION, DOCUMENT_STREAM, legacy_states.document_was_before)


_restate_documents()
