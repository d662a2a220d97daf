"""PREMIS-style events of a berkas: what happened, when, by whom, with what outcome.

An event is written twice: as a line of the bag's `premis-events.jsonl`
(so the bag carries its own history and `reindex` can rebuild it) and as
a row of the append-only `archive_events` table. Both carry the same
uuid, so a rebuild adds only the rows that are missing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from .bags import now_iso
from .tables import ArchiveEvent

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


def record_events(session: Session, berkas_number: str, events: list[dict]) -> int:
    """Add the events the table lacks (by uuid); returns how many were added."""
    if not events:
        return 0
    ids = [e.get("eventIdentifier") for e in events]
    known = set(session.scalars(select(ArchiveEvent.uuid).where(ArchiveEvent.uuid.in_(ids))))
    added = 0
    for event in events:
        ident = event.get("eventIdentifier")
        if not ident or ident in known:
            continue
        session.add(ArchiveEvent(
            uuid=ident, berkas_number=berkas_number, at=_parse_time(event.get("eventDateTime")),
            type=str(event.get("eventType", "")), agent=str(event.get("linkingAgent", "")),
            outcome=str(event.get("eventOutcome", "")),
            detail={"objects": event.get("linkingObjects", []), **(event.get("eventDetail") or {})},
        ))
        known.add(ident)
        added += 1
    return added


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
