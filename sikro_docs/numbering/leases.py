"""This process's lease: a lock held for its life, so that a dead issuer's pending numbers show.

The lease is the held lock `lease:<id>` of the database layer (db.hold): on PostgreSQL a
session-level advisory lock on a connection the process keeps for its life, which every
host sharing the database sees and the server drops when the process dies (kill -9 too);
on SQLite an flock file in `<workspace>/locks/`. A row in `leases` names its host and
process for an operator; it is written in the first transaction that uses the lease, so
a pending number never names a lease nobody can look up.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import db
from ..workspace import Workspace
from .tables import LeaseRow

LOCKS_DIR = "locks"


@dataclass
class Lease:
    id: str
    held: db.Held
    recorded: bool = False  # its row is committed


_LEASE_ID = re.compile(r"^[0-9a-f]{32}$")


# Keyed by pid too: a forked child must not pass off its parent's lease as its own. The held
# lock lives outside the engines' pools, so db.close_connections (the tests' in-process CLI)
# leaves it alone: the lease stays this process's until the process ends.
_leases: dict[tuple[Path, int], Lease] = {}


def lock_name(lease_id: str) -> str:
    return f"lease:{lease_id}"


def current_lease(ws: Workspace) -> Lease:
    """This process's lease on `ws`, taken the first time it is asked for."""
    key = (ws.root, os.getpid())
    lease = _leases.get(key)
    if lease is None or lease.held.lost():  # its connection broke: others see it dead, so it is
        lease_id = uuid.uuid4().hex
        lease = _leases[key] = Lease(lease_id, db.hold(ws, lock_name(lease_id)))  # a fresh name: never waits
    return lease


def lease_is_alive(ws: Workspace, lease_id: str | None) -> bool:
    """True while the process that owns the lease runs, on whichever host (its lock is held)."""
    if not lease_id or not _LEASE_ID.match(lease_id):
        return False
    own = _leases.get((ws.root, os.getpid()))
    if own is not None and own.id == lease_id:
        return True
    return db.is_held(ws, lock_name(lease_id))


def _forget_lease(ws: Workspace, lease_id: str) -> None:
    if _LEASE_ID.match(lease_id or ""):
        db.forget(ws, lock_name(lease_id))


def _end_lease(ws: Workspace) -> Lease | None:
    """Let go of this process's lease as its end would (for tests of what others then see)."""
    lease = _leases.pop((ws.root, os.getpid()), None)
    if lease is not None:
        lease.held.release()
    return lease


@event.listens_for(Session, "before_flush")
def _record_leases(session: Session, _context, _instances) -> None:
    """Add this process's lease row to the first transaction that flushes after it is taken."""
    ws = session.info.get("workspace")
    lease = _leases.get((ws.root, os.getpid())) if ws is not None else None
    if lease is None or lease.recorded or session.info.get("lease_added") == lease.id:
        return
    session.info["lease_added"] = lease.id
    session.add(LeaseRow(id=lease.id, host=socket.gethostname(), pid=os.getpid(), workspace=str(ws.root)))


@event.listens_for(Session, "after_commit")
def _leases_recorded(session: Session) -> None:
    ws, added = session.info.get("workspace"), session.info.pop("lease_added", None)
    lease = _leases.get((ws.root, os.getpid())) if ws is not None else None
    if lease is not None and lease.id == added:
        lease.recorded = True


@event.listens_for(Session, "after_rollback")
def _lease_not_recorded(session: Session) -> None:
    session.info.pop("lease_added", None)
