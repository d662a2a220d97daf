"""`sikro archive reindex`: the index and locations rebuilt from the bags alone.

After the database is lost, the bags still say everything the archive
index holds (bag-info.txt, manifest, premis-events.jsonl, the text
derivatives). Index rows of berkas whose bag is gone are removed; the
append-only event rows stay (they are evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select

from .. import db
from ..workspace import Workspace
from .bags import find_bags
from .filing import recover
from .index import drop_fts_row, index_bag
from .locking import whole_archive_lock
from .tables import ArchiveFile, Berkas, Location

BATCH = 200  # bags per transaction: a crash loses little work, commits stay few


@dataclass
class ReindexReport:
    bags: int = 0
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def reindex(ws: Workspace) -> ReindexReport:
    root, report = ws.archive_dir, ReindexReport()
    with whole_archive_lock(ws) as hold:
        recover(ws, hold)
        bags = list(find_bags(root))
        seen = set()
        for start in range(0, len(bags), BATCH):
            with db.session(ws, write=True) as session:
                for bag in bags[start:start + BATCH]:
                    try:
                        seen.add(index_bag(session, root, bag, chain_references=False).id)
                        report.bags += 1
                    except (OSError, ValueError, KeyError) as exc:
                        report.problems.append(f"{bag}: not indexed ({exc})")
        report.removed = _drop_vanished(ws, seen)
    return report


def _drop_vanished(ws: Workspace, seen: set[int]) -> list[str]:
    with db.session(ws, write=True) as session:
        gone = [b for b in session.scalars(select(Berkas)) if b.id not in seen]
        for berkas in gone:
            session.execute(delete(ArchiveFile).where(ArchiveFile.berkas_id == berkas.id))
            session.execute(delete(Location).where(Location.berkas_id == berkas.id))
            drop_fts_row(session, berkas.id)
            session.delete(berkas)
        return [b.berkas_number for b in gone]
