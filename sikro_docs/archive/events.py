"""PREMIS-style events of a berkas: what happened, when, by whom, with what outcome.

An event is written twice: as a line of the bag's `premis-events.jsonl`
(so the bag carries its own history and `reindex` can rebuild it) and as
a row of the append-only `archive_events` table. Both carry the same
uuid, so a rebuild adds only the rows that are missing.

The hash each file had when it was filed is the audit's reference, so it is
also chained (sikro_docs/chain.py, stream "archive_file"): an insider who
drops the triggers and rewrites a filing event, the file and the bag's
manifests still leaves the chained reference, which only the holder of
keys/chain.secret can extend. The first filing of a path sets it; only a
deletion on purpose ends it; a rebuild (`reindex`) never overwrites it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import chain, clock
from .bags import now_iso
from .tables import ArchiveEvent

ARCHIVE_STREAM = "archive_file"

# PREMIS eventType values used here (PREMIS controlled vocabulary names).
INGESTION = "ingestion"
FIXITY_CHECK = "fixity check"
VALIDATION = "validation"
LOCATION_CHANGE = "location change"  # not PREMIS vocabulary: where the paper original sits
RETENTION_ACTION = "retention action"  # not PREMIS vocabulary: moved to inactive storage (pemindahan)
DEACCESSION = "deaccession"  # disposed of under the retention schedule (pemusnahan)
TRANSFER = "transfer"  # handed over to the archive institution as permanent (penyerahan arsip statis)
DELETION = "deletion"  # payload files removed on purpose (the event lists each path and hash)
DERIVATION = "derivation"  # OCR text made from an original (PREMIS "derivation")
METADATA_MODIFICATION = "metadata modification"

SUCCESS, FAILURE = "success", "failure"
WARNING = "warning"  # filed, but something in it deserves care (active content in a PDF)


def new_event(event_type: str, *, agent: str, outcome: str = SUCCESS, objects=(), **detail) -> dict:
    return {
        "eventIdentifier": str(uuid.uuid4()),
        "eventType": event_type,
        "eventDateTime": now_iso(),
        "eventOutcome": outcome,
        "linkingAgent": agent,
        "linkingObjects": list(objects),
        "eventDetail": detail,
    }


def record_events(session: Session, berkas_number: str, events: list[dict], *,
                  chain_references: bool = True) -> int:
    """Add the events the table lacks (by uuid); returns how many were added."""
    if not events:
        return 0
    ids = [e.get("eventIdentifier") for e in events]
    known = set(session.scalars(select(ArchiveEvent.uuid).where(ArchiveEvent.uuid.in_(ids))))
    # The chained references of every file the new events name, in one read (not one per event).
    chained = _last_chained_of(session, berkas_number, [e for e in events if e.get("eventIdentifier") not in known]) \
        if chain_references else {}
    rows = []
    for event in events:
        ident = event.get("eventIdentifier")
        if not ident or ident in known:
            continue
        rows.append(dict(
            uuid=ident, berkas_number=berkas_number, at=_parse_time(event.get("eventDateTime")),
            type=str(event.get("eventType", "")), agent=str(event.get("linkingAgent", "")),
            outcome=str(event.get("eventOutcome", "")),
            detail={"objects": event.get("linkingObjects", []), **(event.get("eventDetail") or {})},
        ))
        known.add(ident)
        if chain_references:
            _chain_reference(session, berkas_number, str(event.get("eventType", "")), event.get("eventDetail") or {},
                             chained)
    if rows:  # in their order, one statement (what reads them next, a query, sees them)
        session.execute(insert(ArchiveEvent.__table__), rows)
    return len(rows)


def _last_chained_of(session: Session, berkas_number: str, events: list[dict]) -> dict[str, dict]:
    """subject -> its last authentic chained data, for the files `events` file (what `_last_chained`
    says of each, read at once)."""
    subjects = [_subject(berkas_number, (e.get("eventDetail") or {}).get("path")) for e in events
                if e.get("eventType") in (INGESTION, DERIVATION) and (e.get("eventDetail") or {}).get("path")]
    return dict(chained_rows(session, subjects)) if subjects else {}  # oldest first: the last one stays


def _chain_reference(session: Session, berkas_number: str, event_type: str, detail: dict,
                     chained: dict[str, dict] | None = None) -> None:
    """Chain the reference an event sets or ends; `chained`: the last chained data by subject,
    read before (and kept up to date here), else read now."""
    if event_type in (INGESTION, DERIVATION) and detail.get("path") and detail.get("sha256"):
        subject = _subject(berkas_number, detail["path"])
        last = chained.get(subject) if chained is not None else _last_chained(session, subject)
        if last is None or last.get("deleted"):
            data = {"sha256": str(detail["sha256"])}
            chain.append(session, None, ARCHIVE_STREAM, subject, data)
            if chained is not None:
                chained[subject] = data
    elif event_type == DELETION:
        for gone in detail.get("files") or []:
            subject, data = _subject(berkas_number, gone.get("path")), {"sha256": str(gone.get("sha256")), "deleted": True}
            chain.append(session, None, ARCHIVE_STREAM, subject, data)
            if chained is not None:
                chained[subject] = data


def _subject(berkas_number: str, path) -> str:
    return f"{berkas_number}:{path}"


def _last_chained(session: Session, subject: str) -> dict | None:
    rows = chained_rows(session, [subject])
    return rows[-1][1] if rows else None


def chained_rows(session: Session, subjects: list[str] | None = None, berkas_number: str | None = None):
    """(subject, data) of the stream's rows whose HMAC holds, oldest first (a forged row is left out)."""
    query = select(chain.ChainRow).where(chain.ChainRow.stream == ARCHIVE_STREAM)
    if subjects is not None:
        query = query.where(chain.ChainRow.subject.in_(subjects))
    if berkas_number is not None:
        query = query.where(chain.ChainRow.subject.startswith(f"{berkas_number}:", autoescape=True))
    found = []
    for row in session.scalars(query.order_by(chain.ChainRow.seq)):
        if chain.row_is_authentic(session, row):
            found.append((row.subject, json.loads(row.content).get("data") or {}))
    return found


def chained_hashes(session: Session, berkas_number: str) -> dict[str, str] | None:
    """The chained reference hashes of a berkas (path -> SHA-256); None when it has none chained
    (filed before the chain existed: `filed_hashes` is the reference then)."""
    rows = chained_rows(session, berkas_number=berkas_number)
    if not rows:
        return None
    state: dict[str, dict] = {}
    for subject, data in rows:
        state[subject.split(":", 1)[1]] = data
    return {path: data["sha256"] for path, data in state.items() if not data.get("deleted")}


def _references_now(session: Session) -> dict[str, dict]:
    """Every berkas's references as the event table gives them, in the chain's shape (for verify)."""
    rows = session.execute(select(ArchiveEvent.berkas_number, ArchiveEvent.type, ArchiveEvent.detail)
                           .where(ArchiveEvent.type.in_((INGESTION, DERIVATION, DELETION)))
                           .order_by(ArchiveEvent.id)).all()
    state: dict[str, dict] = {}
    for number, event_type, detail in rows:
        detail = detail or {}
        if event_type == DELETION:
            for gone in detail.get("files") or []:
                state[_subject(number, gone.get("path"))] = {"sha256": str(gone.get("sha256")), "deleted": True}
        elif detail.get("path") and detail.get("sha256"):
            subject = _subject(number, detail["path"])
            if subject not in state or state[subject].get("deleted"):
                state[subject] = {"sha256": str(detail["sha256"])}
    return state


chain.track(ARCHIVE_STREAM, _references_now, lambda subject, _state: f"archive file {subject}",
            {"sha256": "SHA-256 when filed"})


def filed_hashes(session: Session, berkas_number: str) -> dict[str, str]:
    """The reference hashes of a berkas's files: what the append-only event table recorded when
    each was filed (the first ingestion or derivation event naming the path), less the files
    deleted on purpose since. A manifest rewritten in the bag cannot change these."""
    rows = session.execute(select(ArchiveEvent.type, ArchiveEvent.detail)
                           .where(ArchiveEvent.berkas_number == berkas_number,
                                  ArchiveEvent.type.in_((INGESTION, DERIVATION, DELETION)))
                           .order_by(ArchiveEvent.id)).all()
    hashes: dict[str, str] = {}
    for event_type, detail in rows:
        detail = detail or {}
        if event_type == DELETION:
            for gone in detail.get("files") or []:
                hashes.pop(str(gone.get("path")), None)
        elif detail.get("path") and detail.get("sha256"):
            hashes.setdefault(str(detail["path"]), str(detail["sha256"]))
    return hashes


def warnings_of(session: Session, berkas_numbers: list[str]) -> dict[str, list[str]]:
    """Per berkas: one line per warning event ("data/scans/x.pdf: JavaScript, an embedded file")."""
    if not berkas_numbers:
        return {}
    rows = session.execute(select(ArchiveEvent.berkas_number, ArchiveEvent.detail)
                           .where(ArchiveEvent.berkas_number.in_(berkas_numbers), ArchiveEvent.outcome == WARNING)
                           .order_by(ArchiveEvent.id)).all()
    found: dict[str, list[str]] = {}
    for number, detail in rows:
        detail = detail or {}
        where = ", ".join(detail.get("objects") or []) or "the berkas"
        found.setdefault(number, []).append(f"{where}: contains {', '.join(detail.get('findings') or [])}")
    return found


def _parse_time(text) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        return clock.utcnow()
