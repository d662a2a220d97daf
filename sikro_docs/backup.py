"""Backup and restore of a workspace, made while the office works.

`backup(ws, DEST)` writes a complete snapshot `DEST/<UTC time>/`:

    manifest.json            every file's SHA-256 and size, the registers' chain heads
    sikro.db                 SQLite's online backup (one consistent snapshot, not a file copy);
                             on PostgreSQL a SQLite copy of the server's database (db_copy)
    sikro.toml, *.toml       the profile (and the SOP overrides)
    keys/                    signing keys, the chain secret and chain head (owner-only)
    templates/, permit-types/
    archive/                 the BagIt archive

Incremental: a file that has not changed since the previous snapshot in
DEST is a hard link to that snapshot's copy, not a new copy. A bag is
unchanged when its tag manifest (which covers its payload manifest, its
events and its metadata) hashes as before; any other file when its size
and modification time are as before. So every snapshot is complete on its
own — it can be verified, restored, copied or deleted alone — and costs
only the files that changed.

Consistency: the archive's lock (which every filing holds) is taken for
the whole copy, so no bag is swapped while it is read; keys/ and the
database are copied while SQLite's write lock is held, so the chain head
kept in keys/ and the registers it seals are of one moment. On PostgreSQL the same
holds with the writers' advisory lock (`db.WRITERS_LOCK`) held while keys/ is copied and
the database is read in one REPEATABLE READ transaction (`db.consistent_read`); the copy
is a SQLite file like any other snapshot's, so `backup verify` and `restore` treat both
alike, and a restored workspace uses that file (its profile's `[database] url` is
commented out) until `sikro db copy --to` puts it on a server again.
The database copy may hold documents issued but not yet filed: the state
a crash between issuing and filing leaves too.

A snapshot is built in `DEST/.incomplete-<name>/` and renamed into place
once its manifest is written: a folder named like a snapshot is complete.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import clock, db
from .archive.bags import LOCK_FILE, archive_lock, copy_durably, sha256_file
from .archive.locking import whole_archive_lock
from .errors import EXIT_UNUSABLE, SikroError
from .fsutil import atomic_write_bytes, fsync_dir
from .workspace import (
    DB_NAME,
    PROFILE_NAME,
    Workspace,
    access_of,
    load_profile,
    tighten_modes,
)

MANIFEST = "manifest.json"
FORMAT = 1
INCOMPLETE = ".incomplete-"
RECORD = ".sikro-backup.json"  # in the workspace: when and where the last backup went
COPIED_FOLDERS = ("keys", "templates", "permit-types")
SECRET_FOLDER = "keys"
DEFAULT_MAX_AGE = "1d"
_SNAPSHOT_NAME = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
_AGE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class BackupError(SikroError):
    """The backup cannot be made or used as asked (exit 2)."""

    code = "backup-unusable"
    exit_code = EXIT_UNUSABLE


class BackupDamaged(SikroError):
    """A backup file differs from its manifest, or is missing (exit 1)."""

    code = "backup-damaged"

    def __init__(self, snapshot: Path, path: str, problem: str, count: int = 1):
        self.snapshot, self.path, self.problem, self.count = snapshot, path, problem, count
        more = f" ({count} problems in all)" if count > 1 else ""
        super().__init__(f"{snapshot / path}: {problem}{more}")


@dataclass
class Stats:
    files_copied: int = 0
    bytes_copied: int = 0
    files_linked: int = 0
    bags_unchanged: int = 0
    bags_copied: int = 0


@dataclass
class Snapshot:
    path: Path
    manifest: dict
    stats: Stats = field(default_factory=Stats)


# --------------------------------------------------------------------------- making a backup


def backup(ws: Workspace, dest: Path) -> Snapshot:
    """Write a new complete snapshot of `ws` into `dest`; returns it with what it cost."""
    dest = Path(dest).expanduser().resolve()
    _refuse_inside(ws, dest)
    access = ws.access
    _make_private_dir(dest, access.dir_mode)
    with archive_lock(dest):  # one backup at a time into a DEST (the same flock as the archive's)
        _chmod(dest / LOCK_FILE, access.file_mode)
        _discard_incomplete(dest)
        previous = latest_snapshot(dest)
        name = _new_name(dest)
        work = dest / f"{INCOMPLETE}{name}"
        _make_private_dir(work, access.dir_mode)
        builder = _Builder(work, previous, access.file_mode, access.dir_mode)
        try:
            manifest = _fill(ws, builder)
            atomic_write_bytes(work / MANIFEST, _json(manifest), mode=access.file_mode)
            os.rename(work, dest / name)  # the commit point: a snapshot's name means it is complete
            fsync_dir(dest)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    snapshot = Snapshot(dest / name, manifest, builder.stats)
    _record(ws, snapshot)
    return snapshot


def _fill(ws: Workspace, builder: _Builder) -> dict:
    """Copy the workspace into the builder's folder; returns the manifest."""
    with whole_archive_lock(ws):  # no bag changes while the bags are copied
        if ws.db_url.startswith("sqlite:"):
            with _writers_paused(ws.db_path):  # keys/ (the chain head) and the registers of one moment
                builder.add_tree(ws.keys_dir, SECRET_FOLDER, secret=True)
                heads = builder.add_database(ws.db_path)
        else:
            with db.consistent_read(ws) as source:  # the writers' lock held: keys/ and the copy of one moment
                builder.add_tree(ws.keys_dir, SECRET_FOLDER, secret=True)
                heads = builder.add_database_copy(source)
        for folder in COPIED_FOLDERS[1:]:
            builder.add_tree(ws.root / folder, folder)
        for profile in sorted(ws.root.glob("*.toml")):
            builder.add_file(profile, profile.name)
        bags = builder.add_archive(ws.archive_dir)
    return {"format": FORMAT, "created": clock.utcnow().isoformat(), "workspace": str(ws.root),
            "database": _engine_name(ws), "heads": heads, "bags": bags, "files": builder.files}


def _engine_name(ws: Workspace) -> str:
    return "sqlite" if ws.db_url.startswith("sqlite:") else ws.db_url.split(":", 1)[0].split("+", 1)[0]


def _discard_incomplete(dest: Path) -> None:
    """What an interrupted backup left (never a snapshot: those are renamed in only when complete)."""
    for folder in dest.glob(f"{INCOMPLETE}*"):
        shutil.rmtree(folder, ignore_errors=True)


def _refuse_inside(ws: Workspace, dest: Path) -> None:
    for part in (ws.archive_dir, *(ws.root / f for f in COPIED_FOLDERS)):
        if dest == part or dest.is_relative_to(part):
            raise BackupError(f"{dest}: a backup cannot go inside the workspace's {part.name}/")


def _make_private_dir(path: Path, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    _chmod(path, mode)


def _chmod(path: Path, mode: int) -> None:
    """chmod, except on a file system without modes (a FAT backup drive): there it is a no-op."""
    try:
        os.chmod(path, mode)
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def _new_name(dest: Path) -> str:
    base = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (dest / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _work_file(path: Path) -> bool:
    """A file of work in progress, never part of a workspace's state: an atomic write's
    temporary (`.chain.head.x1y2.tmp`) or a lock file."""
    return (path.name.startswith(".") and path.name.endswith(".tmp")) or path.name.endswith(".lock")


class _Builder:
    """Fills a snapshot folder, linking what the previous snapshot already holds."""

    def __init__(self, root: Path, previous: Snapshot | None, file_mode: int, dir_mode: int):
        self.root, self.previous = root, previous
        self.file_mode, self.dir_mode = file_mode, dir_mode
        self.files: dict[str, dict] = {}
        self.stats = Stats()
        self._old = previous.manifest.get("files", {}) if previous else {}

    # ---- files

    def add_tree(self, source: Path, rel: str, *, secret: bool = False) -> None:
        if not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            if not path.is_file() or path.is_symlink() or _work_file(path):
                continue
            try:
                self.add_file(path, f"{rel}/{path.relative_to(source).as_posix()}", secret=secret)
            except FileNotFoundError:  # removed while we walked (another process's own work file)
                continue

    def add_file(self, source: Path, rel: str, *, secret: bool = False, unchanged_bag: bool = False) -> None:
        """Link the previous copy when the file is unchanged (its bag's tag manifest, else its size
        and time, say so), else copy it."""
        info = source.stat()
        old = self._old.get(rel)
        same = old is not None and old.get("size") == info.st_size and (
            unchanged_bag or old.get("mtime_ns") == info.st_mtime_ns)
        if same and self._link(rel):
            self.files[rel] = dict(old)
            return
        target = self._target(rel, secret)
        digest, size = copy_durably(source, target)
        _chmod(target, 0o600 if secret else self.file_mode)
        self.files[rel] = {"sha256": digest, "size": size, "mtime_ns": info.st_mtime_ns}
        self.stats.files_copied += 1
        self.stats.bytes_copied += size

    def _target(self, rel: str, secret: bool) -> Path:
        target = self.root / rel
        folder = target.parent
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            for parent in [folder, *folder.parents]:
                if parent == self.root:
                    break
                _chmod(parent, 0o700 if secret else self.dir_mode)
        return target

    def _link(self, rel: str) -> bool:
        """Hard-link the previous snapshot's copy of `rel`; False when that cannot be done."""
        if self.previous is None:
            return False
        source = self.previous.path / rel
        target = self._target(rel, rel.startswith(f"{SECRET_FOLDER}/"))
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.EXDEV, errno.EMLINK, errno.EPERM):
                return False
            raise
        self.stats.files_linked += 1
        return True

    # ---- the database

    def add_database(self, db_path: Path) -> dict:
        target = self._target(DB_NAME, False)
        _online_backup(db_path, target)
        _chmod(target, self.file_mode)
        digest, size = sha256_file(target)
        self.files[DB_NAME] = {"sha256": digest, "size": size}
        self.stats.files_copied += 1
        self.stats.bytes_copied += size
        return chain_heads(target)

    def add_database_copy(self, source) -> dict:
        """A database on a server, copied into the snapshot's sikro.db (db_copy, one REPEATABLE READ
        transaction of `source`): the same file, checked and verified the same way, as SQLite's."""
        from . import db_copy

        target = self._target(DB_NAME, False)
        url = f"sqlite:///{target}"
        try:
            db_copy.prepare_target(url)
            report = db_copy.copy_all(source, url)
            problems = db_copy.count_problems(url, report)
        finally:
            db.dispose(url)
        if problems:
            raise BackupError(f"the database copy differs from the database: {problems[0]}")
        _stand_alone(target)
        _chmod(target, self.file_mode)
        digest, size = sha256_file(target)
        self.files[DB_NAME] = {"sha256": digest, "size": size}
        self.stats.files_copied += 1
        self.stats.bytes_copied += size
        return chain_heads(target)

    # ---- the archive

    def add_archive(self, archive: Path) -> dict[str, str]:
        """Copy the archive; returns each bag's tag-manifest hash (the next backup's yardstick)."""
        if not archive.is_dir():
            return {}
        old_bags = self.previous.manifest.get("bags", {}) if self.previous else {}
        files = [p for p in sorted(archive.rglob("*"))
                 if not p.relative_to(archive).parts[0].startswith(".")  # .lock, .staging (work in progress)
                 and p.is_file() and not p.is_symlink()]
        bags = {marker.parent.relative_to(archive).as_posix(): _tag_hash(marker.parent)
                for marker in files if marker.name == "bagit.txt"}
        unchanged = {bag for bag, tag in bags.items() if tag is not None and old_bags.get(bag) == tag}
        self.stats.bags_unchanged, self.stats.bags_copied = len(unchanged), len(bags) - len(unchanged)
        for path in files:
            rel = path.relative_to(archive)
            self.add_file(path, f"archive/{rel.as_posix()}", unchanged_bag=_bag_of(rel, bags) in unchanged)
        return bags


def _bag_of(rel: Path, bags: dict) -> str | None:
    """The bag (its path in the archive) a file of the archive belongs to."""
    for depth in range(len(rel.parts) - 1, 0, -1):
        bag = "/".join(rel.parts[:depth])
        if bag in bags:
            return bag
    return None


def _tag_hash(bag: Path) -> str | None:
    tag = bag / "tagmanifest-sha256.txt"
    return sha256_file(tag)[0] if tag.is_file() else None


@contextmanager
def _writers_paused(db_path: Path) -> Iterator[None]:
    """Hold SQLite's write lock: no register moves (nor its chain head in keys/) meanwhile.

    Readers go on (WAL), writers wait (their busy timeout is a minute; this
    takes the time of copying keys/ and the database).
    """
    if not db_path.is_file():
        raise BackupError(f"{db_path}: no database to back up")
    holder = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
    finally:
        holder.close()  # ends the transaction: nothing was written


def _online_backup(db_path: Path, target: Path) -> None:
    """SQLite's online backup in one step: a snapshot of one moment, whatever writers do meanwhile."""
    source = sqlite3.connect(db_path, timeout=60)  # another connection than the lock's: a WAL reader
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # pages=-1: every page under one read transaction
        finally:
            copy.close()
    finally:
        source.close()
    _stand_alone(target)


def _stand_alone(target: Path) -> None:
    """The copy on its own (no -wal beside it), checked by SQLite, on the disk."""
    copy = sqlite3.connect(target)
    try:
        copy.execute("PRAGMA journal_mode = DELETE")
        result = copy.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        copy.close()
    if result != "ok":
        raise BackupError(f"{target}: the database copy fails SQLite's check: {result}")
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())


def chain_heads(db_file: Path) -> dict:
    """The newest link of every hash chain in a database: register_log per register, and every
    other table with a `hash` column (rows, last hash)."""
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        heads: dict = {}
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        for table in sorted(tables):
            columns = {r[1] for r in con.execute(f'pragma table_info("{table}")')}
            if "hash" not in columns:
                continue
            if table == "register_log" and {"register", "position"} <= columns:
                for register, position, digest in con.execute(
                        "select register, position, hash from register_log r where position = "
                        "(select max(position) from register_log where register = r.register) order by register"):
                    heads[f"register_log/{register}"] = {"position": position, "hash": digest}
                continue
            rows, = con.execute(f'select count(*) from "{table}"').fetchone()
            last = con.execute(f'select hash from "{table}" order by rowid desc limit 1').fetchone()
            heads[table] = {"rows": rows, "hash": last[0] if last else None}
        return heads
    finally:
        con.close()


def _json(data) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- finding and verifying


def latest_snapshot(dest: Path) -> Snapshot | None:
    """The newest complete snapshot in `dest` (None when there is none)."""
    dest = Path(dest)
    if not dest.is_dir():
        return None
    for folder in sorted((p for p in dest.iterdir() if _SNAPSHOT_NAME.match(p.name)), reverse=True):
        manifest = _read_manifest(folder)
        if manifest is not None:
            return Snapshot(folder, manifest)
    return None


def _read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def open_snapshot(source: Path) -> Snapshot:
    """A snapshot folder itself, or the newest one in a backup folder (whose manifest must read)."""
    source = Path(source).expanduser().resolve()
    folder = source
    if not (source / MANIFEST).exists():
        named = sorted(p for p in source.iterdir() if _SNAPSHOT_NAME.match(p.name)) if source.is_dir() else []
        if not named:
            raise BackupError(f"{source}: no backup here (no folder with a {MANIFEST})")
        folder = named[-1]
    manifest = _read_manifest(folder)
    if manifest is None:
        raise BackupDamaged(folder, MANIFEST, "missing, or not a readable backup manifest")
    return Snapshot(folder, manifest)


def verify(source: Path) -> tuple[Snapshot, list[tuple[str, str]]]:
    """Check every file of a snapshot against its manifest; returns (snapshot, [(path, problem)])."""
    snapshot = open_snapshot(source)
    listed = snapshot.manifest.get("files", {})
    problems: list[tuple[str, str]] = []
    for rel in sorted(listed):
        entry = listed[rel]
        path = snapshot.path / rel
        if not path.is_file() or path.is_symlink():
            problems.append((rel, "missing"))
            continue
        digest, size = sha256_file(path)
        if size != entry.get("size") or digest != entry.get("sha256"):
            problems.append((rel, f"differs from the manifest (sha256 {digest[:12]}…, expected "
                                  f"{str(entry.get('sha256'))[:12]}…)"))
    for path in sorted(snapshot.path.rglob("*")):
        rel = path.relative_to(snapshot.path).as_posix()
        if (path.is_file() or path.is_symlink()) and rel != MANIFEST and rel not in listed:
            problems.append((rel, "not in the manifest"))
    if not problems and DB_NAME in listed:
        if chain_heads(snapshot.path / DB_NAME) != snapshot.manifest.get("heads"):
            problems.append((DB_NAME, "its chain heads differ from the manifest"))
    return snapshot, problems


def verify_or_raise(source: Path) -> Snapshot:
    snapshot, problems = verify(source)
    if problems:
        rel, problem = problems[0]
        raise BackupDamaged(snapshot.path, rel, problem, len(problems))
    return snapshot


# --------------------------------------------------------------------------- restoring


def restore(source: Path, target: Path) -> tuple[Snapshot, Workspace]:
    """Rebuild a workspace in `target` (new or empty) from a verified snapshot."""
    target = Path(target).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target}: not empty; restore only into a new or empty folder")
    snapshot = verify_or_raise(source)
    if PROFILE_NAME not in snapshot.manifest.get("files", {}):
        raise BackupDamaged(snapshot.path, PROFILE_NAME, "the backup holds no profile")
    access = access_of(load_profile(snapshot.path / PROFILE_NAME), snapshot.path / PROFILE_NAME)
    created = not target.exists()
    try:
        _make_private_dir(target, access.dir_mode)
        for rel, entry in sorted(snapshot.manifest["files"].items()):
            _restore_file(snapshot, rel, entry, target)
        for folder in ("archive", "keys", "templates", "out"):
            (target / folder).mkdir(mode=0o700 if folder == SECRET_FOLDER else access.dir_mode, exist_ok=True)
        if snapshot.manifest.get("database", "sqlite") != "sqlite":
            _use_restored_database(target, snapshot)
        profile = load_profile(target / PROFILE_NAME)
        ws = Workspace(root=target, profile=profile)
        tighten_modes(ws)
    except BaseException:
        _undo_restore(target, created)
        raise
    return snapshot, ws


def _use_restored_database(target: Path, snapshot: Snapshot) -> None:
    """A backup of a server's database holds its copy as sikro.db: the restored workspace uses that,
    never the server the profile names (which may have moved on since, or be gone)."""
    from .db_copy import write_database_url

    write_database_url(target, None, note=(
        f"Restored from {snapshot.path.name}: the database is the backup's copy, sikro.db. To put it\n"
        "on a server again: sikro db copy --to postgresql://... --switch"))


def _restore_file(snapshot: Snapshot, rel: str, entry: dict, target: Path) -> None:
    dest = target / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = copy_durably(snapshot.path / rel, dest)
    if digest != entry["sha256"] or size != entry["size"]:  # changed since it was verified
        raise BackupDamaged(snapshot.path, rel, "changed while it was restored")
    _chmod(dest, 0o600)


def _undo_restore(target: Path, created: bool) -> None:
    if created:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the last backup


def _record(ws: Workspace, snapshot: Snapshot) -> None:
    record = {"at": snapshot.manifest["created"], "snapshot": str(snapshot.path)}
    atomic_write_bytes(ws.root / RECORD, _json(record), mode=0o600)


def last_backup(ws: Workspace) -> dict | None:
    try:
        record = json.loads((ws.root / RECORD).read_text("utf-8"))
        record["at"] = dt.datetime.fromisoformat(record["at"])
        return record
    except (OSError, ValueError, KeyError, TypeError):
        return None


def max_age(ws: Workspace) -> dt.timedelta | None:
    """`[backup] max_age` ("1d", "12h", "30m", "2w"; "off": no warning)."""
    text = str((ws.profile.get("backup") or {}).get("max_age", DEFAULT_MAX_AGE))
    if text.strip().lower() in ("off", "0", ""):
        return None
    match = _AGE.match(text)
    if not match:
        raise BackupError(f"{ws.profile_path}: [backup] max_age {text!r} is not a duration like \"1d\" or \"12h\"")
    return dt.timedelta(**{_AGE_UNITS[match[2]]: int(match[1])})


def backup_warning(ws: Workspace) -> str | None:
    """A one-line warning when the last backup is older than the profile allows (None when fine)."""
    limit = max_age(ws)
    if limit is None:
        return None
    record = last_backup(ws)
    if record is None:
        return "warning: this workspace has no backup yet; make one with: sikro backup DEST"
    age = clock.utcnow() - record["at"]
    if age <= limit:
        return None
    when = clock.local(record["at"], ws.profile).strftime("%Y-%m-%d %H:%M")
    return (f"warning: the last backup ({when}, {record['snapshot']}) is older than [backup] max_age "
            f"{(ws.profile.get('backup') or {}).get('max_age', DEFAULT_MAX_AGE)}; make one with: sikro backup DEST")
