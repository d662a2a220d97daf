"""The rate limit's token buckets, shared by every worker process of one server.

`sikro serve --workers N` runs N processes; a limit each of them counted on
its own would let a client make N times as many requests. The buckets live
in one small table in memory all the workers map (a file the parent
`sikro serve` creates in the workspace's run/ folder before the workers
start; its path reaches them in $SIKRO_WEB_RATE_TABLE):

    header  magic (8 bytes) | slot count (8) | hash key (32) | padding
    slots   tag (8) | tokens (8, float) | last refill (8, float, CLOCK_MONOTONIC)

A client's address picks its slot by a keyed hash (the key is random per
table, so nobody can aim at another client's slot); the tag tells a slot's
owner apart, and a new owner starts with a full bucket, as a client
forgotten by a bounded cache would. A slot is read and written under an
fcntl lock on its own bytes: two system calls, a few microseconds.
Without a file (tests, a single in-process app) the table is anonymous
memory of the process and a thread lock serves.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import secrets
import struct
import threading
import time
from pathlib import Path

from ..errors import SikroError

TABLE_ENV = "SIKRO_WEB_RATE_TABLE"
MAGIC = b"SIKRORL1"
HEADER = struct.Struct("<8sQ32s")
HEADER_SIZE = 64
SLOT = struct.Struct("<Qdd")
DEFAULT_SLOTS = 1 << 16  # 1.5 MB; more clients than that at once simply share fresher buckets
FILE_PREFIX = "web-rate-"


def create_table_file(folder: Path, slots: int = DEFAULT_SLOTS) -> Path:
    """A new, empty table (owner-only) in `folder`, named after this process; stale ones of
    servers that are gone are removed first."""
    path = folder / f"{FILE_PREFIX}{os.getpid()}.table"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _remove_stale_tables(folder)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, HEADER_SIZE + slots * SLOT.size)
            os.pwrite(fd, HEADER.pack(MAGIC, slots, secrets.token_bytes(32)), 0)
        finally:
            os.close(fd)
    except OSError as exc:
        raise SikroError(f"{path}: the rate limit's table cannot be made ({exc.strerror or exc})") from None
    return path


def _remove_stale_tables(folder: Path) -> None:
    for path in folder.glob(f"{FILE_PREFIX}*.table"):
        try:
            pid = int(path.stem[len(FILE_PREFIX):])
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except (ValueError, PermissionError, OSError):
            continue


class RateTable:
    """Token buckets of `limit` (a security.RateLimit) per client key; see the module docstring."""

    def __init__(self, limit, path: Path | str | None = None, *, slots: int = DEFAULT_SLOTS,
                 clock=time.monotonic):
        self.capacity = float(limit.requests)
        self.refill_per_second = limit.requests / limit.seconds
        self.clock = clock
        self._thread_lock = threading.Lock()
        self._fd = None
        if path is None:
            self.slots = slots
            self._memory = mmap.mmap(-1, HEADER_SIZE + slots * SLOT.size)
            self._hash_key = secrets.token_bytes(32)
        else:
            self._open(Path(path))

    def _open(self, path: Path) -> None:
        try:
            self._fd = os.open(path, os.O_RDWR)
            self._memory = mmap.mmap(self._fd, 0)
        except (OSError, ValueError) as exc:
            raise SikroError(f"rate-limit table {path} cannot be opened: {exc}") from None
        magic, self.slots, self._hash_key = HEADER.unpack_from(self._memory, 0)
        if magic != MAGIC or len(self._memory) != HEADER_SIZE + self.slots * SLOT.size:
            raise SikroError(f"rate-limit table {path} is not one (made by another program?)")

    @classmethod
    def from_environment(cls, limit) -> RateTable:
        """The server's shared table when `sikro serve` made one, else one of this process."""
        return cls(limit, os.environ.get(TABLE_ENV) or None)

    def _slot_of(self, client: str) -> tuple[int, int]:
        digest = hashlib.blake2b(client.encode("utf-8", "surrogatepass"), key=self._hash_key, digest_size=8)
        value = int.from_bytes(digest.digest(), "little")
        return HEADER_SIZE + (value % self.slots) * SLOT.size, value | 1  # tag 0 marks an empty slot

    def wait_seconds(self, client: str) -> float:
        """0 when `client` may make this request now (and count it), else how long to wait."""
        offset, tag = self._slot_of(client)
        with self._thread_lock:
            if self._fd is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_EX, SLOT.size, offset)
            try:
                return self._take(offset, tag)
            finally:
                if self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN, SLOT.size, offset)

    def _take(self, offset: int, tag: int) -> float:
        now = self.clock()
        owner, tokens, last = SLOT.unpack_from(self._memory, offset)
        if owner != tag:
            tokens, last = self.capacity, now
        tokens = min(self.capacity, tokens + max(0.0, now - last) * self.refill_per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.refill_per_second
        SLOT.pack_into(self._memory, offset, tag, tokens, now)
        return wait
