"""Berkas folders as BagIt bags (RFC 8493), written so that a crash never leaves half a bag.

A berkas is `<archive>/<year>/<classification>/<berkas number>/`:

    bagit.txt, bag-info.txt         (metadata a person can read; enough to rebuild the index)
    manifest-sha256.txt             (every payload file under data/)
    premis-events.jsonl             (the berkas's event log, one JSON object a line)
    tagmanifest-sha256.txt          (the tag files above)
    data/...                        (the files)

Every change builds a complete new version of the bag in
`<archive>/.staging/<berkas key>.<id>/bag` (existing payload files hard-linked, so
originals are never rewritten or even copied), fsyncs it, writes an
intent file naming the target, then swaps the new version in with one
atomic `renameat2(RENAME_EXCHANGE)` (a plain rename for a new berkas).
`recover` finishes or discards whatever a killed process left in
`.staging`, so every bag is always either the old version or the new one.
The berkas key in a staging's name says, before its intent is written, whose
berkas lock guards it (archive/locking.py): whether its writer may still be at work.

Existing manifest lines are copied, never recomputed: a file damaged on
disk keeps its original hash and stays visible to the audit.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import clock
from ..errors import SikroError
from ..fsutil import atomic_write_bytes, fsync_dir

STAGING = ".staging"
LOCK_FILE = ".lock"
INTENT = "intent.json"
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
BAG_INFO = "bag-info.txt"
EVENTS = "premis-events.jsonl"
CHUNK = 1 << 20
VERSION_KEY = "Sikro-Bag-Version"

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, fallback: str = "file") -> str:
    """A file or folder name any file system and any person can handle: REG/00001 -> REG-00001."""
    name = _SAFE.sub("-", text).strip("-.")
    return name[:120] or fallback


# --------------------------------------------------------------------------- hashing and copying


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_durably(src: Path, dest: Path) -> tuple[str, int]:
    """Copy `src` to a new file `dest`, fsync it; return the SHA-256 of the bytes written."""
    digest, size = hashlib.sha256(), 0
    with open(src, "rb") as fin, open(dest, "xb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return digest.hexdigest(), size


def write_durably(dest: Path, data: bytes) -> None:
    with open(dest, "xb") as fout:
        fout.write(data)
        fout.flush()
        os.fsync(fout.fileno())


# --------------------------------------------------------------------------- reading a bag


@dataclass
class BagContent:
    info: list[tuple[str, str]] = field(default_factory=list)
    manifest: dict[str, str] = field(default_factory=dict)  # "data/..." -> sha256
    events: list[dict] = field(default_factory=list)

    def get(self, key: str, default: str = "") -> str:
        return next((v for k, v in self.info if k == key), default)

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.info if k == key]


def read_bag_info(text: str) -> list[tuple[str, str]]:
    """Labels and values in order; a line starting with blanks continues the value before it."""
    items: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and items:
            key, value = items[-1]
            items[-1] = (key, value + " " + line.strip())
        elif ":" in line:
            key, value = line.split(":", 1)
            items.append((key.strip(), value.strip()))
    return items


def read_manifest(path: Path) -> dict[str, str]:
    entries = {}
    if not path.is_file():
        return entries
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            entries[decode_path(name.strip())] = digest.lower()
    return entries


def read_events(path: Path) -> list[dict]:
    """The event log; a line that is not JSON (damaged) is skipped here and shows in the audit."""
    if not path.is_file():
        return []
    events = []
    for line in path.read_text("utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def read_bag(bag: Path) -> BagContent:
    info_path = bag / BAG_INFO
    info = read_bag_info(info_path.read_text("utf-8")) if info_path.is_file() else []
    return BagContent(info=info, manifest=read_manifest(bag / MANIFEST), events=read_events(bag / EVENTS))


def encode_path(name: str) -> str:
    """RFC 8493 §2.1.3: CR, LF and % in a manifest path are percent-encoded."""
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(name: str) -> str:
    return name.replace("%0D", "\r").replace("%0A", "\n").replace("%0d", "\r").replace("%0a", "\n").replace("%25", "%")


# --------------------------------------------------------------------------- writing a new version


@dataclass
class NewPayload:
    """A file to add under data/: copied from `source`, or written from `data`."""

    rel: str  # "data/..."
    sha256: str
    source: Path | None = None
    data: bytes | None = None


def bag_info_text(info: list[tuple[str, str]]) -> str:
    lines = []
    for key, value in info:
        flat = " ".join(str(value).split())  # one line per value: no folding surprises for readers
        lines.append(f"{key}: {flat}")
    return "\n".join(lines) + "\n"


def manifest_text(entries: dict[str, str]) -> str:
    return "".join(f"{digest}  {encode_path(name)}\n" for name, digest in sorted(entries.items()))


def events_text(events: list[dict]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events)


def _link_tree(old_data: Path, new_data: Path) -> None:
    """Hard-link every file under the old data/ (listed or not): nothing on disk is lost or copied."""
    new_data.mkdir()
    for folder, dirs, files in os.walk(old_data):
        rel = Path(folder).relative_to(old_data)
        for name in dirs:
            (new_data / rel / name).mkdir()
        for name in files:
            os.link(Path(folder) / name, new_data / rel / name)
    for folder, _dirs, _files in os.walk(new_data):
        fsync_dir(Path(folder))


def _add_payload(bag: Path, item: NewPayload) -> None:
    dest = bag / item.rel
    if dest.exists():
        raise SikroError(f"{item.rel} already exists in the bag; refusing to overwrite an archived file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if item.source is not None:
        digest, _size = copy_durably(item.source, dest)
        if digest != item.sha256:
            raise SikroError(f"{item.source} changed while it was being filed; file it again")
    else:
        write_durably(dest, item.data or b"")
    fsync_dir(dest.parent)


def _write_tag_files(bag: Path, info, manifest: dict[str, str], events: list[dict], old: Path | None) -> None:
    tags = {
        "bagit.txt": BAGIT_TXT.encode(),
        BAG_INFO: bag_info_text(info).encode("utf-8"),
        MANIFEST: manifest_text(manifest).encode("utf-8"),
        EVENTS: events_text(events).encode("utf-8"),
    }
    for name, data in tags.items():
        write_durably(bag / name, data)
    if old is not None:  # tag files someone else added are kept (and listed)
        for extra in old.iterdir():
            if extra.is_file() and extra.name not in tags and extra.name != TAGMANIFEST:
                os.link(extra, bag / extra.name)
    tag_entries = {}
    for tag in sorted(p for p in bag.iterdir() if p.is_file()):
        tag_entries[tag.name] = sha256_file(tag)[0]
    write_durably(bag / TAGMANIFEST, manifest_text(tag_entries).encode("utf-8"))
    fsync_dir(bag)


def _oxum(data: Path) -> str:
    """Payload-Oxum: octets.file count of what data/ holds (bagit checks it for completeness)."""
    octets = count = 0
    for folder, _dirs, files in os.walk(data):
        for name in files:
            octets += os.stat(Path(folder) / name).st_size
            count += 1
    return f"{octets}.{count}"


@dataclass
class Staged:
    """A complete new version of a bag, swapped in; `finish` removes what is left once the index agrees."""

    folder: Path

    def finish(self) -> None:
        discard_staging(self.folder)


def stage_and_swap(root: Path, target_rel: str, *, version: str, info: list[tuple[str, str]],
                   manifest_add: dict[str, str], payload: list[NewPayload], events_add: list[dict]) -> Staged:
    """Build the next version of the bag at `root/target_rel` and swap it in atomically."""
    target = root / target_rel
    old = target if (target / "bagit.txt").is_file() else None
    if old is None and target.exists():
        raise SikroError(f"{target} exists but is not a bag; move it away before filing into this berkas")
    staging = new_staging(root, target_rel)
    bag = staging / "bag"
    bag.mkdir(parents=True)
    try:
        previous = read_bag(old) if old else BagContent()
        if old is not None and (old / "data").is_dir():
            _link_tree(old / "data", bag / "data")
        else:
            (bag / "data").mkdir()
        for item in payload:
            _add_payload(bag, item)
        manifest = {**previous.manifest, **manifest_add}
        info = [item for item in info if item[0] != "Payload-Oxum"] + [("Payload-Oxum", _oxum(bag / "data"))]
        _write_tag_files(bag, info, manifest, previous.events + events_add, old)
        fsync_dir(staging)
        intent = {"target": target_rel, "version": version}
        atomic_write_bytes(staging / INTENT, json.dumps(intent).encode())  # the commit point
    except BaseException:
        discard_staging(staging)
        raise
    swap_in(root, staging)
    return Staged(staging)


# --------------------------------------------------------------------------- swapping and recovery

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _version_of(bag: Path) -> str:
    info = bag / BAG_INFO
    if not info.is_file():
        return ""
    return next((v for k, v in read_bag_info(info.read_text("utf-8")) if k == VERSION_KEY), "")


def swap_in(root: Path, staging: Path) -> None:
    """Put the staged bag in place (idempotent: safe to repeat after a crash)."""
    intent = json.loads((staging / INTENT).read_text())
    target, bag = root / intent["target"], staging / "bag"
    if not bag.is_dir() or _version_of(bag) != intent["version"]:
        return  # already swapped: `bag` is the old version, or gone
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(bag, target)
    elif not _exchange(bag, target):
        # Two renames; a crash in between leaves the target missing and the new
        # version in `bag`, which the next swap_in (recovery) moves in.
        os.rename(target, staging / "old")
        os.rename(bag, target)
    fsync_dir(target.parent)
    fsync_dir(staging)


def discard_staging(staging: Path) -> None:
    """Remove a staging folder: the intent first, so a half-removed one is plainly garbage."""
    intent = staging / INTENT
    if intent.exists():
        intent.unlink()
        fsync_dir(staging)
    shutil.rmtree(staging, ignore_errors=True)


def berkas_key(rel_path: str) -> str:
    """A short fixed-length name for the berkas at `rel_path` (its filing lock's, its stagings')."""
    return hashlib.sha256(rel_path.encode("utf-8")).hexdigest()[:16]


def new_staging(root: Path, target_rel: str) -> Path:
    """A new staging folder's path for a change of the bag at `target_rel` (not yet made)."""
    return root / STAGING / f"{berkas_key(target_rel)}.{uuid.uuid4().hex}"


def staging_key(staging: Path) -> str | None:
    """The berkas key a staging folder's name carries; None for one made before names carried it."""
    key, dot, _id = staging.name.partition(".")
    return key if dot else None


def pending_stagings(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(staging folder, target) of what a killed process left; target None for incomplete ones."""
    folder = root / STAGING
    if not folder.is_dir():
        return
    for staging in sorted(folder.iterdir()):
        intent = staging / INTENT
        target = None
        if intent.is_file():
            try:
                target = json.loads(intent.read_text())["target"]
            except (ValueError, KeyError):
                target = None
        yield staging, target


@contextmanager
def archive_lock(root: Path) -> Iterator[None]:
    """One writer at a time across processes; the kernel drops it if the process dies."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def find_bags(root: Path) -> Iterator[Path]:
    """Every bag under the archive root (<year>/<code>/<berkas>/bagit.txt)."""
    if not root.is_dir():
        return
    for marker in sorted(root.glob("*/*/*/bagit.txt")):
        if not marker.parent.parts[-3].startswith("."):
            yield marker.parent


def now_iso() -> str:
    return clock.utcnow().replace(microsecond=0).isoformat()
