"""Who may change the archive at once.

A filing changes one berkas (its bag, then its index rows); whole-archive work (reindex, a
backup's copy of the bags) must see no bag change under it.

- PostgreSQL (several hosts share the database and the archive root): held locks in the
  database (db.hold). A filing holds `archive` shared and `berkas:<key>` of each berkas it
  changes exclusively, so filings of different berkas go on side by side on every host;
  whole-archive work holds `archive` exclusively. The server drops a killed host's locks: a
  staging whose berkas lock is free has no writer any more and is anyone's to finish.
- SQLite (one machine, one writer at a time anyway): one flock on the archive root, taken
  exclusively by everyone, as the archive has always done.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import db
from ..workspace import Workspace
from .bags import archive_lock, berkas_key, staging_key

ARCHIVE_LOCK = "archive"


def berkas_lock_name(key: str) -> str:
    return f"berkas:{key}"


@dataclass(frozen=True)
class ArchiveHold:
    """What a process holds of the archive: all of it, or the berkas with these keys."""

    ws: Workspace
    whole: bool
    keys: frozenset[str] = frozenset()

    @contextmanager
    def claim(self, staging: Path) -> Iterator[bool]:
        """Whether this process may finish or discard `staging` now: it changes the whole
        archive, or the staging's berkas is one it holds, or that berkas's lock is free (its
        writer is gone; the lock is then held here for the while)."""
        key = staging_key(staging)
        if self.whole or key in self.keys:
            yield True
            return
        if key is None:  # made before stagings carried their berkas: whole-archive work finishes it
            yield False
            return
        held = db.hold(self.ws, berkas_lock_name(key), wait=False)
        if held is None:  # a live writer's, on this host or another
            yield False
            return
        try:
            yield True
        finally:
            held.release()


def _one_machine(ws: Workspace) -> bool:
    return db.engine_for(ws).dialect.name != "postgresql"


@contextmanager
def filing_lock(ws: Workspace, rel_paths: Iterable[str] = ()) -> Iterator[ArchiveHold]:
    """Hold the berkas at `rel_paths` (none: only keep whole-archive work out, e.g. to recover)."""
    if _one_machine(ws):
        with archive_lock(ws.archive_dir):
            yield ArchiveHold(ws, whole=True)
        return
    keys = sorted({berkas_key(path) for path in rel_paths})  # one order for all: no waiting in a circle
    archive = db.hold(ws, ARCHIVE_LOCK, shared=True)
    try:
        berkas = db.hold(ws, [berkas_lock_name(key) for key in keys]) if keys else None
        try:
            yield ArchiveHold(ws, whole=False, keys=frozenset(keys))
        finally:
            if berkas is not None:
                berkas.release()
    finally:
        archive.release()


@contextmanager
def whole_archive_lock(ws: Workspace) -> Iterator[ArchiveHold]:
    """Hold the whole archive: no filing anywhere changes a bag meanwhile."""
    if _one_machine(ws):
        with archive_lock(ws.archive_dir):
            yield ArchiveHold(ws, whole=True)
        return
    held = db.hold(ws, ARCHIVE_LOCK)
    try:
        yield ArchiveHold(ws, whole=True)
    finally:
        held.release()
