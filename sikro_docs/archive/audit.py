"""Fixity audit: re-hash every file of every bag; report changed, missing, unexpected files.

The reference is what was chained when each file was filed
(events.chained_hashes; for a berkas filed before the chain, what the
append-only event table recorded, events.filed_hashes), not the bag's manifest: a file replaced
and the manifests recomputed (bagit's `bag.save(manifests=True)`) is
"changed", a file slipped into data/ and the manifest is "unexpected",
and the manifest's disagreement is named. The audit never writes a hash.

Hashing runs in a small thread pool: hashlib releases the GIL on large
buffers, so two threads keep a disk busy while the CPU hashes. Each
berkas gets a PREMIS "fixity check" event (pass or fail) in its bag and
in the database; the bagit library validates the bag's structure too.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import bagit
from sqlalchemy import select

from .. import db
from ..workspace import Workspace
from .bags import MANIFEST, TAGMANIFEST, find_bags, read_bag, read_manifest, sha256_file
from .berkas import BerkasMeta
from .events import FAILURE, FIXITY_CHECK, SUCCESS, chained_hashes, filed_hashes, new_event
from .filing import file_into, recover
from .tables import Berkas

HASH_THREADS = 2


@dataclass
class BagReport:
    berkas: str
    path: str
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # bagit's own findings (structure, tag files)
    files: int = 0
    bytes: int = 0

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.unexpected or self.invalid)

    def as_json(self) -> dict:
        return {"berkas": self.berkas, "path": self.path, "intact": self.intact, "changed": self.changed,
                "missing": self.missing, "unexpected": self.unexpected, "invalid": self.invalid,
                "files": self.files}


@dataclass
class AuditReport:
    bags: list[BagReport] = field(default_factory=list)
    missing_bags: list[str] = field(default_factory=list)  # in the index, not on disk

    @property
    def intact(self) -> bool:
        return not self.missing_bags and all(b.intact for b in self.bags)

    def as_json(self) -> dict:
        return {"intact": self.intact, "bags": [b.as_json() for b in self.bags],
                "missing_bags": self.missing_bags,
                "files": sum(b.files for b in self.bags), "bytes": sum(b.bytes for b in self.bags)}


def check_bag(bag: Path, pool: ThreadPoolExecutor | None = None,
              reference: dict[str, str] | None = None) -> BagReport:
    """`reference`: path -> SHA-256 recorded when filed (None: the manifest alone, for a bag the
    index does not know)."""
    content = read_bag(bag)
    report = BagReport(berkas=content.get("External-Identifier") or bag.name, path=str(bag))
    expected = dict(content.manifest) if reference is None else dict(reference)
    present = {str(p.relative_to(bag)) for p in (bag / "data").rglob("*") if p.is_file()} \
        if (bag / "data").is_dir() else set()
    report.missing = sorted(set(expected) - present)
    report.unexpected = sorted(present - set(expected))
    listed = sorted(set(expected) & present)
    hashes = (pool.map if pool else map)(lambda rel: sha256_file(bag / rel), listed)
    for rel, (digest, size) in zip(listed, hashes, strict=True):
        report.files += 1
        report.bytes += size
        if digest != expected[rel]:
            report.changed.append(rel)
    report.invalid = _manifest_problems(content.manifest, reference) + _tag_problems(bag) + _bagit_problems(bag)
    return report


def _manifest_problems(manifest: dict[str, str], reference: dict[str, str] | None) -> list[str]:
    """Where the bag's manifest disagrees with the hashes recorded when the files were filed."""
    if reference is None:
        return []
    problems = []
    for rel in sorted(set(manifest) | set(reference)):
        if rel not in reference:
            problems.append(f"{MANIFEST}: {rel} is listed but was never recorded as filed")
        elif rel not in manifest:
            problems.append(f"{MANIFEST}: {rel} was filed but is no longer listed")
        elif manifest[rel] != reference[rel]:
            problems.append(f"{MANIFEST}: {rel} is listed with a hash other than the one recorded when it "
                            f"was filed ({reference[rel][:12]}…)")
    return problems


def _tag_problems(bag: Path) -> list[str]:
    problems = []
    for name, digest in read_manifest(bag / TAGMANIFEST).items():
        path = bag / name
        if not path.is_file():
            problems.append(f"{name}: tag file missing")
        elif sha256_file(path)[0] != digest:
            problems.append(f"{name}: tag file changed")
    return problems


def _bagit_problems(bag: Path) -> list[str]:
    """The bagit library's verdict on structure and completeness (we hashed the payload already)."""
    try:
        bagit.Bag(str(bag)).validate(completeness_only=True)
        return []
    except bagit.BagValidationError as exc:
        return [f"bagit: {exc.message}"] if not exc.details else [f"bagit: {d}" for d in exc.details][:20]
    except bagit.BagError as exc:
        return [f"bagit: {exc}"]


def audit(ws: Workspace, *, agent: str = "sikro-docs", record: bool = True) -> AuditReport:
    recover(ws)
    root, report = ws.archive_dir, AuditReport()
    with ThreadPoolExecutor(HASH_THREADS) as pool, db.session(ws) as session:
        for bag in find_bags(root):
            report.bags.append(check_bag(bag, pool, _reference(session, root, bag)))
    on_disk = {str(Path(b.path).relative_to(root)) for b in report.bags}
    with db.session(ws) as session:
        indexed = session.scalars(select(Berkas.path)).all()
    report.missing_bags = sorted(set(indexed) - on_disk)
    if record:
        for bag_report in report.bags:
            _record_fixity(ws, Path(bag_report.path), bag_report, agent)
    return report


def _reference(session, root: Path, bag: Path) -> dict[str, str] | None:
    """The filed hashes of the berkas the index has at `bag` (found by its folder, not by what its
    bag-info says), None when the index has never heard of it."""
    number = session.scalar(select(Berkas.berkas_number).where(Berkas.path == str(bag.relative_to(root))))
    if number is None:
        return None
    chained = chained_hashes(session, number)  # what a rewritten event row cannot change
    return chained if chained is not None else filed_hashes(session, number)


def _record_fixity(ws: Workspace, bag: Path, result: BagReport, agent: str) -> None:
    """A fixity-check event in the bag and the database; the damaged files are left as they are."""
    if not (bag / "bag-info.txt").is_file():
        return
    detail = {"files": result.files, "changed": result.changed, "missing": result.missing,
              "unexpected": result.unexpected, "invalid": result.invalid[:20]}
    event = new_event(FIXITY_CHECK, agent=agent, outcome=SUCCESS if result.intact else FAILURE,
                      objects=["data/"], **detail)
    meta = BerkasMeta.from_bag(read_bag(bag))
    file_into(ws, meta, [], agent=agent, events=[event])


def raw_read_mb_s(paths: list[Path]) -> float:
    """Plain sequential read speed over `paths` (for comparing with hashing speed)."""
    import time

    total, start = 0, time.perf_counter()
    for path in paths:
        with open(path, "rb", buffering=0) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
    return total / (1 << 20) / max(time.perf_counter() - start, 1e-9)


def drop_from_cache(path: Path) -> None:
    """Ask the kernel to forget a file's cached pages, so the next read comes from the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
