"""The files a person hands to `sikro archive ingest`, and the only ways ingest may touch them.

Ingest must never harm what it does not own. So:
- only regular files are read, opened with O_NOFOLLOW: a symbolic link (to a
  file or a folder) is reported and left alone, never followed;
- a file that is the same inode as a file of the archive or of `out/` (a
  hard link) is not read; a folder inside the workspace, the archive or
  `out/`, or one that holds them, is refused before anything is done;
- every file is read once into a private snapshot, and everything after
  (codes, hashes, filing) reads the snapshot: swapping the file for a link
  afterwards changes nothing;
- a source is removed (or moved to the office's folder) only after its filed
  copy has been synced and re-hashed, through a handle on its folder, if it
  is still the same inode with the same bytes; nothing inside the workspace
  is ever removed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnusableInput
from ..fsutil import fsync_dir
from ..verification.qr import ScanLimitReached, ScanLimits
from ..workspace import Workspace
from .filing import UNMATCHED, FileOutcome

SKIPPED, QUARANTINED = "skipped", "quarantined"
SCAN_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
SNAPSHOTS = ".ingest"  # inside the archive root: the same file system, owner-only, never a bag
CHUNK = 1 << 20


@dataclass(frozen=True)
class Source:
    path: Path  # as given (absolute; links in it are not resolved)
    copy: Path  # the private snapshot everything else reads
    dev: int
    ino: int
    folder_dev: int
    folder_ino: int
    sha256: str
    in_workspace: bool


class Protected:
    """The workspace's own places: nothing in them is read as a scan or removed."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.roots = [Path(os.path.realpath(p)) for p in (ws.root, ws.archive_dir, ws.out_dir)]
        self._inodes: set[tuple[int, int]] | None = None

    def inside(self, path: Path) -> Path | None:
        """The protected root that holds `path` (after resolving its links), else None."""
        real = Path(os.path.realpath(path))
        return next((root for root in self.roots if real == root or root in real.parents), None)

    def in_outputs(self, path: Path) -> bool:
        """Whether `path` is inside the archive or out/ (whose files ingest never reads)."""
        real = Path(os.path.realpath(path))
        return any(real == root or root in real.parents for root in self.roots[1:])

    def holds(self, folder: Path) -> Path | None:
        """The protected root that the folder holds (a scan of it would walk into it), else None."""
        real = Path(os.path.realpath(folder))
        return next((root for root in self.roots if real in root.parents), None)

    def is_archived_inode(self, st: os.stat_result) -> bool:
        """Whether the file is one of the archive's or out/'s files under another name (a hard link)."""
        if st.st_nlink < 2:
            return False  # its only name is the one given: it cannot be the archive's
        if self._inodes is None:
            self._inodes = set()
            for top in (self.ws.archive_dir, self.ws.out_dir):
                for folder, _dirs, files in os.walk(top):
                    for name in files:
                        try:
                            found = os.lstat(os.path.join(folder, name))
                        except OSError:
                            continue
                        if stat.S_ISREG(found.st_mode):
                            self._inodes.add((found.st_dev, found.st_ino))
        return (st.st_dev, st.st_ino) in self._inodes


# --------------------------------------------------------------------------- checks before anything


def check_arguments(ws: Workspace, paths, protected: Protected) -> None:
    """Refuse (exit 2, nothing done) a folder inside the workspace or one that holds it."""
    for raw in paths:
        path = Path(os.path.abspath(Path(raw).expanduser()))
        try:
            st = os.lstat(path)
        except OSError:
            continue  # reported per file later
        if not stat.S_ISDIR(st.st_mode):
            continue
        root = protected.inside(path)
        if root is not None:
            raise UnusableInput(f"{path}: a folder of the workspace ({root}); ingest reads scans from a "
                                "folder outside the workspace and never removes the workspace's files")
        root = protected.holds(path)
        if root is not None:
            raise UnusableInput(f"{path}: the folder holds the workspace ({root}); give the scanner's folder")


def check_move_to(ws: Workspace, folder, protected: Protected) -> Path | None:
    if not folder:
        return None
    path = Path(os.path.abspath(Path(str(folder)).expanduser()))
    root = protected.inside(path) or protected.holds(path)
    if root is not None:
        raise UnusableInput(f"--move-to {path}: inside the workspace ({root}) or holding it; "
                            "name a folder outside it")
    if path.exists() and not path.is_dir():
        raise UnusableInput(f"--move-to {path}: not a folder")
    return path


# --------------------------------------------------------------------------- collecting


@contextmanager
def snapshot_folder(ws: Workspace):
    """A private folder for this run's snapshots; leftovers of dead runs are removed first."""
    top = ws.archive_dir / SNAPSHOTS
    top.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in top.iterdir():
        pid = stale.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    mine = top / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    mine.mkdir(mode=0o700)
    try:
        yield mine
    finally:
        shutil.rmtree(mine, ignore_errors=True)
        try:
            top.rmdir()
        except OSError:
            pass  # another run's snapshots are in it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect(ws: Workspace, paths, limits: ScanLimits, protected: Protected,
            snapshots: Path) -> tuple[list[Source], list[FileOutcome]]:
    """The regular files to read, each snapshotted; an outcome for everything else."""
    candidates, problems = [], []
    for raw in paths:
        path = Path(os.path.abspath(Path(raw).expanduser()))
        try:
            st = os.lstat(path)
        except OSError:
            problems.append(FileOutcome(str(path), UNMATCHED, message="no such file or folder"))
            continue
        if stat.S_ISLNK(st.st_mode):
            problems.append(_link(path))
        elif stat.S_ISDIR(st.st_mode):
            _walk(path, protected, candidates, problems)
        else:
            candidates.append(path)
    sources, seen = [], set()
    for index, path in enumerate(dict.fromkeys(candidates)):
        outcome_or_source = _snapshot(path, snapshots / str(index), limits, protected)
        if isinstance(outcome_or_source, FileOutcome):
            problems.append(outcome_or_source)
        elif (outcome_or_source.dev, outcome_or_source.ino) not in seen:
            seen.add((outcome_or_source.dev, outcome_or_source.ino))
            sources.append(outcome_or_source)
    return sources, problems


def _link(path: Path) -> FileOutcome:
    return FileOutcome(str(path), SKIPPED, message="a symbolic link: not followed, left where it is")


def _walk(top: Path, protected: Protected, candidates: list[Path], problems: list[FileOutcome]) -> None:
    for folder, dirs, files in os.walk(top, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            sub = here / name
            if name.startswith(".") or sub.is_symlink() or protected.inside(sub) or protected.holds(sub):
                dirs.remove(name)
                if not name.startswith("."):
                    problems.append(_link(sub) if sub.is_symlink() else FileOutcome(
                        str(sub), SKIPPED, message="a folder of the workspace: not read"))
        dirs.sort()
        for name in sorted(files):
            if not name.startswith("."):
                candidates.append(here / name)


def _snapshot(path: Path, dest_folder: Path, limits: ScanLimits, protected: Protected) -> Source | FileOutcome:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _link(path)
        return FileOutcome(str(path), UNMATCHED, message=f"cannot be read ({exc.strerror or exc})")
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return FileOutcome(str(path), SKIPPED, message="not a regular file; left where it is")
        if protected.in_outputs(path) or protected.is_archived_inode(st):
            return FileOutcome(str(path), SKIPPED, message="a file of the workspace's archive or out/ "
                                                            "(or a hard link of one): not read, left where it is")
        try:
            limits.check_size(path, st.st_size)
        except ScanLimitReached as exc:
            return FileOutcome(str(path), QUARANTINED, message=f"quarantined: {exc.args[0].split(': ', 1)[-1]}")
        head = fh.read(1024)
        if path.suffix.lower() not in SCAN_SUFFIXES and b"%PDF-" not in head:
            return FileOutcome(str(path), UNMATCHED, message="not a PDF or image; left where it is")
        dest_folder.mkdir(mode=0o700)
        copy = dest_folder / path.name
        digest = hashlib.sha256(head)
        with open(copy, "xb") as out:
            out.write(head)
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    folder = os.stat(path.parent)
    return Source(path=path, copy=copy, dev=st.st_dev, ino=st.st_ino, folder_dev=folder.st_dev,
                  folder_ino=folder.st_ino, sha256=digest.hexdigest(), in_workspace=protected.inside(path) is not None)


# --------------------------------------------------------------------------- removing or moving


def confirmed_copy(archived: Path | None, sha256: str) -> bool:
    """The filed copy is on disk, synced, and has the bytes the source had."""
    if archived is None:
        return False
    try:
        fd = os.open(archived, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as fh:
        os.fsync(fh.fileno())
        digest = hashlib.sha256()
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def release(source: Source, protected: Protected, move_to: Path | None) -> str:
    """Remove (or move) a source whose filed copy was confirmed; the note for the report."""
    if source.in_workspace:
        return "source kept (it is inside the workspace)"
    try:
        dir_fd = os.open(source.path.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        return f"source kept (its folder cannot be opened: {exc.strerror or exc})"
    try:
        why = _still_the_same(source, dir_fd, protected)
        if why:
            return f"source kept ({why})"
        if move_to is not None:
            where = _move(source, dir_fd, move_to)
            return f"source moved to {where}"
        os.unlink(source.path.name, dir_fd=dir_fd)
        os.fsync(dir_fd)
        return "source removed"
    except OSError as exc:
        return f"source could not be removed ({exc.strerror or exc})"
    finally:
        os.close(dir_fd)


def _still_the_same(source: Source, dir_fd: int, protected: Protected) -> str:
    folder = os.fstat(dir_fd)
    if (folder.st_dev, folder.st_ino) != (source.folder_dev, source.folder_ino):
        return "its folder was replaced since it was read"
    try:
        st = os.stat(source.path.name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return "it is gone already"
    if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != (source.dev, source.ino):
        return "it was replaced since it was read"
    if protected.is_archived_inode(st):
        return "it is also a file of the archive or out/"
    fd = os.open(source.path.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as fh:
        digest = hashlib.sha256()
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != source.sha256:
        return "it changed since it was read"
    return ""


def _move(source: Source, dir_fd: int, move_to: Path) -> Path:
    move_to.mkdir(parents=True, exist_ok=True)
    name, n = source.path.name, 1
    while True:
        dest = move_to / name
        try:
            os.link(source.path.name, dest, src_dir_fd=dir_fd, follow_symlinks=False)
            break
        except FileExistsError:
            n += 1
            name = f"{source.path.stem}_{n}{source.path.suffix}"
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            if dest.exists():
                n += 1
                name = f"{source.path.stem}_{n}{source.path.suffix}"
                continue
            _copy_across(source, dest)
            break
    fsync_dir(move_to)
    os.unlink(source.path.name, dir_fd=dir_fd)
    os.fsync(dir_fd)
    return dest


def _copy_across(source: Source, dest: Path) -> None:
    """Another file system: copy from the snapshot, sync, check, before the source goes."""
    with open(source.copy, "rb") as fin, open(dest, "xb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        fout.flush()
        os.fsync(fout.fileno())
    if not confirmed_copy(dest, source.sha256):
        dest.unlink(missing_ok=True)
        raise OSError(errno.EIO, f"the copy in {dest.parent} does not match")
