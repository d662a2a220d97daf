"""The register log: canonical snapshots chained by HMAC, the events a register writes, series checks."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import chain
from ..db import lock
from ..keys import chain_secret
from ..models import Event, utcnow
from ..workspace import Workspace
from .tables import RegisterEntry, RegisterLogRow

GENESIS_HASH = "0" * 64


# The fields of an entry that the log snapshots and `verify` compares.
ENTRY_FIELDS = (
    "register", "year", "seq", "number", "status", "kind", "application_id",
    "document_id", "date", "subject", "addressee", "reason", "lease",
)


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(key: bytes, prev_hash: str, content: str) -> str:
    """HMAC-SHA256 of the previous hash and this row, keyed with the workspace's chain secret."""
    return hmac.new(key, (prev_hash + content).encode("utf-8"), hashlib.sha256).hexdigest()


def _chain_key(ws: Workspace) -> bytes:
    return chain_secret(ws.keys_dir)


def entry_snapshot(entry: RegisterEntry) -> dict[str, Any]:
    snap = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    snap["date"] = entry.date.isoformat() if entry.date else None
    return snap


def lock_register(session: Session, register: str) -> None:
    """Hold `register`'s lock to the end of the transaction: its counter rows and its log are
    read to be written on (see `db.session(alongside=True)`); a no-op on SQLite, whose writer is alone."""
    lock(session, f"register:{register}")


def _append_log(session: Session, ws: Workspace, entry: RegisterEntry, action: str, actor: str) -> RegisterLogRow:
    # The last row is remembered per write transaction: while it holds the
    # write lock nobody else appends, and a chunk of documents appends many.
    remembered = session.info.setdefault("last_log_row", {})
    lock_register(session, entry.register)
    last = remembered.get(entry.register) or session.scalars(
        select(RegisterLogRow)
        .where(RegisterLogRow.register == entry.register)
        .order_by(RegisterLogRow.position.desc())
        .limit(1)
    ).first()
    prev_hash = last.hash if last else GENESIS_HASH
    content = canonical_json(
        {**entry_snapshot(entry), "action": action, "actor": actor, "at": utcnow().isoformat()}
    )
    row = RegisterLogRow(
        register=entry.register,
        position=(last.position + 1) if last else 1,
        action=action,
        year=entry.year,
        seq=entry.seq,
        number=entry.number,
        content=content,
        prev_hash=prev_hash,
        hash=chain_hash(chain.session_key(session, ws), prev_hash, content),
    )
    session.add(row)
    remembered[entry.register] = row
    chain.note_head(session, ws, f"register_log:{entry.register}", row.position, row.hash)
    if action == "allocate":
        chain.note_number(session, ws, entry.register, entry.year, entry.seq)
    return row


def _record_event(session: Session, application_id: int | None, action: str, actor: str, **details) -> None:
    if application_id is not None:
        session.add(Event(application_id=application_id, actor=actor, action=action, details=details))


def _entry_event(session: Session, entry: RegisterEntry, action: str, actor: str) -> None:
    _record_event(
        session, entry.application_id, action, actor,
        register=entry.register, number=entry.number, kind=entry.kind,
        status=entry.status, reason=entry.reason,
    )


def _check_series(register: str, keys, numbers: list[str]) -> list[str]:
    """Each year's series runs 1..max without holes; no number appears twice."""
    problems = []
    by_year: dict[int, set[int]] = defaultdict(set)
    for year, seq in keys:
        by_year[year].add(seq)
    for year in sorted(by_year, key=lambda y: y or 0):
        seqs = by_year[year]
        missing = sorted(set(range(1, max(seqs) + 1)) - seqs)
        if missing:
            problems.append(f"{register} {year}: no. {', '.join(map(str, missing))} missing from the series (gap)")
    for number, count in Counter(numbers).items():
        if count > 1:
            problems.append(f"{register}: number {number} appears {count} times (duplicate)")
    return problems
