"""The status of the QR signing keys: active, retired, compromised.

A retired key (`sikro keys rotate`) still verifies what it signed before its
retirement, nothing later; a compromised key (`sikro keys revoke`) verifies
nothing. The status is kept twice, so that a database edit alone cannot
un-compromise a key:

* append-only rows in the `key_status` table, each chained by an HMAC keyed
  with the workspace's chain secret (`keys/chain.secret`);
* a mirror file `keys/key-status.json`, written atomically and owner-only,
  with an HMAC over its entries.

A key's status is the most severe that either place records (a compromise
is final; the earliest retirement counts), so a row deleted from the
database, or an "active" row inserted after a compromise, changes nothing.
`check` names the places where the two disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import chain, clock
from .errors import SikroError
from .fsutil import atomic_write_bytes
from .keys import chain_secret, create_signing_key
from .models import Base
from .numbering import Document
from .timestamps import UtcDateTime, parse_utc

ACTIVE, RETIRED, COMPROMISED = "active", "retired", "compromised"
STATUSES = (ACTIVE, RETIRED, COMPROMISED)
STATUS_FILE = "key-status.json"
FILE_FORMAT = "sikro-key-status"
GENESIS = "0" * 64


class KeyStatusRecord(Base):
    """One change of a key's status (append-only; triggers forbid UPDATE and DELETE)."""

    __tablename__ = "key_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    since: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    mac: Mapped[str] = mapped_column(String(64))

    def fields(self) -> dict:
        return {"kid": self.kid, "status": self.status, "since": self.since.astimezone(dt.UTC).isoformat(),
                "reason": self.reason, "actor": self.actor}


@dataclass(frozen=True)
class KeyState:
    """What decides whether a key's signature still counts."""

    kid: str
    status: str = ACTIVE
    retired_at: dt.datetime | None = None  # UTC
    compromised_at: dt.datetime | None = None  # UTC
    reason: str | None = None

    def as_json(self) -> dict:
        return {"status": self.status, "reason": self.reason,
                "retired_at": self.retired_at.isoformat() if self.retired_at else None,
                "compromised_at": self.compromised_at.isoformat() if self.compromised_at else None}


# --------------------------------------------------------------------------- recording


def record_status(session: Session, ws, kid: str, status: str, *, reason: str | None = None,
                  actor: str = "sikro", since: dt.datetime | None = None) -> KeyStatusRecord:
    """Append a status change for `kid` to the database (caller's write transaction) and the mirror file.

    The file is written first: should the commit then fail, the file says
    more than the database, which errs on the side of distrust.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown key status {status!r}")
    row = KeyStatusRecord(kid=kid, status=status, since=(since or clock.utcnow()).astimezone(dt.UTC),
                          reason=reason, actor=actor)
    chain_record(session, ws, row)
    _append_to_file(ws, row.fields())
    session.add(row)
    session.flush()
    chain.append(session, ws, KEY_STREAM, kid, _chained(row), actor=actor)
    return row


# Key status is also a stream of the evidence chain (sikro_docs/chain.py): `sikro register
# verify` then names a status row removed or rewritten, like every other verdict's ground.
KEY_STREAM = "key"


def _chained(row: KeyStatusRecord) -> dict:
    return {"status": row.status, "since": row.since.astimezone(dt.UTC).isoformat(), "reason": row.reason}


def _keys_now(session: Session) -> dict[str, dict]:
    latest: dict[str, KeyStatusRecord] = {}
    for row in session.scalars(select(KeyStatusRecord).order_by(KeyStatusRecord.id)):
        latest[row.kid] = row
    return {kid: _chained(row) for kid, row in latest.items()}


chain.track(KEY_STREAM, _keys_now, lambda kid, _state: f"signing key {kid}", {"status": "status"})


def chain_record(session: Session, ws, row: KeyStatusRecord) -> None:
    """Chain `row` to the previous key-status row: its HMAC covers the previous HMAC and its fields.

    The one place that chains a record, so it can be pointed at the generic
    chain (sikro_docs/chain.py) later.
    """
    previous = session.scalars(select(KeyStatusRecord.mac).order_by(KeyStatusRecord.id.desc()).limit(1)).first()
    row.mac = _mac(chain_secret(ws.keys_dir), (previous or GENESIS) + _canonical(row.fields()))


def _mac(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _canonical(data) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- the mirror file


def status_file(ws) -> Path:
    return ws.keys_dir / STATUS_FILE


def _append_to_file(ws, entry: dict) -> None:
    entries, _ok = read_file(ws)
    entries = [*entries, entry]
    data = {"format": FILE_FORMAT, "entries": entries,
            "mac": _mac(chain_secret(ws.keys_dir), _canonical(entries))}
    atomic_write_bytes(status_file(ws), (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                       mode=0o600)


def read_file(ws) -> tuple[list[dict], bool]:
    """The mirror file's entries and whether its HMAC holds ([] and True when there is no file)."""
    path = status_file(ws)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return [], True
    except OSError:
        return [], False
    # Every verification reads it: parsed once per version of the file (name, time, size).
    entries, ok = _parsed_file(str(path), stat.st_mtime_ns, stat.st_size, str(ws.keys_dir))
    return list(entries), ok


@lru_cache(maxsize=16)
def _parsed_file(path: str, _mtime_ns: int, _size: int, keys_dir: str) -> tuple[tuple[dict, ...], bool]:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        entries = [e for e in data["entries"] if isinstance(e, dict) and e.get("status") in STATUSES]
        ok = hmac.compare_digest(str(data.get("mac", "")), _mac(chain_secret(Path(keys_dir)),
                                                                _canonical(data["entries"])))
    except (OSError, ValueError, KeyError, TypeError):
        return (), False
    return tuple(entries), ok


# --------------------------------------------------------------------------- reading


def load_states(ws, session: Session) -> dict[str, KeyState]:
    """Every key with a recorded status, from the database and the mirror file together."""
    rows = [r.fields() for r in session.scalars(select(KeyStatusRecord).order_by(KeyStatusRecord.id))]
    file_entries, _ok = read_file(ws)
    return merge(rows + file_entries)


def merge(entries: list[dict]) -> dict[str, KeyState]:
    """The most severe status each key has in `entries` (dicts: kid, status, since, reason)."""
    states: dict[str, KeyState] = {}
    for entry in entries:
        try:
            kid, status = str(entry["kid"]), entry["status"]
            since = parse_utc(entry["since"])
        except (KeyError, TypeError, ValueError):
            continue
        states[kid] = _worse(states.get(kid, KeyState(kid)), status, since, entry.get("reason"))
    return states


def _worse(state: KeyState, status: str, since: dt.datetime, reason: str | None) -> KeyState:
    retired_at, compromised_at = state.retired_at, state.compromised_at
    if status == RETIRED:
        retired_at = min(filter(None, (retired_at, since)))
    elif status == COMPROMISED:
        compromised_at = min(filter(None, (compromised_at, since)))
        reason = state.reason if state.compromised_at and state.compromised_at <= since else reason
    if compromised_at:
        return KeyState(state.kid, COMPROMISED, retired_at, compromised_at,
                        reason if status == COMPROMISED else state.reason)
    return KeyState(state.kid, RETIRED if retired_at else ACTIVE, retired_at, None, None)


def states_from_export(entries: list[dict]) -> dict[str, KeyState]:
    """The states an export file (`sikro keys export`) carries, by key id."""
    def when(entry: dict, name: str) -> dt.datetime | None:
        value = entry.get(name)
        return parse_utc(value) if value else None

    states = {}
    for entry in entries:
        status = entry.get("status", ACTIVE)
        if status in STATUSES:
            states[str(entry["kid"])] = KeyState(str(entry["kid"]), status, when(entry, "retired_at"),
                                                 when(entry, "compromised_at"), entry.get("reason"))
    return states


def check(ws, session: Session) -> list[str]:
    """Where the database and the mirror file disagree, or a chain link does not hold (English lines)."""
    problems = []
    secret, previous = chain_secret(ws.keys_dir), GENESIS
    rows = list(session.scalars(select(KeyStatusRecord).order_by(KeyStatusRecord.id)))
    for row in rows:
        expected = _mac(secret, previous + _canonical(row.fields()))
        if not hmac.compare_digest(row.mac, expected):
            problems.append(f"key_status row {row.id} ({row.kid} {row.status}) was edited or inserted "
                            "behind the tool's back")
        previous = row.mac
    entries, ok = read_file(ws)
    if not ok:
        problems.append(f"{status_file(ws)} was edited behind the tool's back")
    in_db = {_canonical(r.fields()) for r in rows}
    in_file = {_canonical(e) for e in entries}
    for text in sorted(in_file - in_db):
        entry = json.loads(text)
        problems.append(f"{entry['kid']} {entry['status']} since {entry['since']} is in {STATUS_FILE} "
                        "but missing from the database")
    for text in sorted(in_db - in_file):
        entry = json.loads(text)
        problems.append(f"{entry['kid']} {entry['status']} since {entry['since']} is in the database "
                        f"but missing from {STATUS_FILE}")
    return problems


def file_state(ws, kid: str) -> KeyState:
    """The status of `kid` by the mirror file alone (cheap: what signing checks before each token)."""
    entries, _ok = read_file(ws)
    return merge(entries).get(kid, KeyState(kid))


# --------------------------------------------------------------------------- the commands


def rotate(session: Session, ws, *, actor: str = "sikro") -> tuple[str, list[str]]:
    """A new active key; every earlier key not yet retired or compromised is retired now.

    Returns the new key id and the ids retired.
    """
    from .verification.verdict import load_public_keys

    earlier = sorted(load_public_keys(ws))
    states = load_states(ws, session)
    kid = create_signing_key(ws.keys_dir)
    now = clock.utcnow()
    retired = [old for old in earlier if states.get(old, KeyState(old)).status == ACTIVE]
    for old in retired:
        record_status(session, ws, old, RETIRED, reason="rotated", actor=actor, since=now)
    record_status(session, ws, kid, ACTIVE, actor=actor, since=now)
    return kid, retired


@dataclass(frozen=True)
class Compromise:
    kid: str
    reason: str
    new_kid: str | None  # the key made active in its place, when it was the active one
    documents: list[tuple[str, str, str]]  # (kind, number, holder) of what it signed


def compromise(session: Session, ws, kid: str, reason: str, *, actor: str = "sikro") -> Compromise:
    """Distrust `kid` from now on; lists the documents it signed, so the office can re-issue them."""
    # verdict imports this module: imported here
    from .verification.verdict import active_key_id, load_public_keys

    reason = (reason or "").strip()
    if not reason:
        raise SikroError("a reason is required to revoke a key.")
    if kid not in load_public_keys(ws):
        raise SikroError(f"{kid} is not a signing key of this workspace (see: sikro keys list)")
    if load_states(ws, session).get(kid, KeyState(kid)).status == COMPROMISED:
        raise SikroError(f"key {kid} is already revoked.")
    new_kid = None
    if active_key_id(ws) == kid:  # nothing may be signed with it again
        new_kid = create_signing_key(ws.keys_dir)
        record_status(session, ws, new_kid, ACTIVE, actor=actor)
    record_status(session, ws, kid, COMPROMISED, reason=reason, actor=actor)
    return Compromise(kid, reason, new_kid, signed_by(session, kid))


def signed_by(session: Session, kid: str) -> list[tuple[str, str, str]]:
    """(kind, number, holder) of every issued document whose code `kid` signed."""
    from .verification.verdict import DocumentVerification

    rows = session.execute(
        select(Document.kind, Document.number, DocumentVerification.holder, Document.uid)
        .join(DocumentVerification, DocumentVerification.document_id == Document.id)
        .where(DocumentVerification.key_id == kid, Document.status == "issued")
        .order_by(Document.kind, Document.number)).all()
    return [(kind, number or uid, holder or "") for kind, number, holder, uid in rows]
