"""This process's lease: an exclusive flock held for its life, so a dead issuer's pending numbers show."""

from __future__ import annotations

import fcntl
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..workspace import Workspace

LOCKS_DIR = "locks"


@dataclass
class Lease:
    id: str
    path: Path
    fd: int


_LEASE_ID = re.compile(r"^[0-9a-f]{32}$")


_leases: dict[tuple[Path, int], Lease] = {}


def _lock_path(ws: Workspace, lease_id: str) -> Path:
    return ws.root / LOCKS_DIR / f"{lease_id}.lock"


def current_lease(ws: Workspace) -> Lease:
    """This process's lease on `ws`: an exclusive flock held until the process ends.

    Keyed by pid too: a forked child must not pass off its parent's lease as its own.
    """
    key = (ws.root, os.getpid())
    lease = _leases.get(key)
    if lease is None:
        lease_id = uuid.uuid4().hex
        path = _lock_path(ws, lease_id)
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # a fresh file: nobody else can hold it
        os.write(fd, f"pid {os.getpid()}\n".encode("ascii"))  # for a curious human only
        lease = _leases[key] = Lease(lease_id, path, fd)
    return lease


def lease_is_alive(ws: Workspace, lease_id: str | None) -> bool:
    """True while the process that owns the lease runs (its flock cannot be taken)."""
    if not lease_id or not _LEASE_ID.match(lease_id):
        return False
    own = _leases.get((ws.root, os.getpid()))
    if own is not None and own.id == lease_id:
        return True
    try:
        fd = os.open(_lock_path(ws, lease_id), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _forget_lease(ws: Workspace, lease_id: str) -> None:
    if _LEASE_ID.match(lease_id or ""):
        _lock_path(ws, lease_id).unlink(missing_ok=True)
