"""Database access: engines, sessions and migrations.

SQLite is the embedded default; the URL in the profile's `[database] url`
may name PostgreSQL instead. The schema is owned by Alembic migrations
shipped in `sikro_docs/migrations`, applied automatically when a workspace
is opened, so an older workspace is upgraded in place.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session

from .workspace import Workspace

# SQLite waits this long for another process's write lock before failing.
BUSY_TIMEOUT_MS = 60_000


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, durable commits, and BEGIN modes we control.

    pysqlite's own transaction handling issues BEGIN lazily and never
    BEGIN IMMEDIATE; allocating numbers needs the write lock up front so
    that two processes never read the same "last number" (see numbering).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


# The engines _engine() made (lru_cache keeps no public list of its values), for close_connections.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    _ENGINES.add(engine)
    return engine


def engine_for(workspace: Workspace) -> Engine:
    return _engine(workspace.db_url)


def close_connections() -> None:
    """Close every pooled connection of this process (each engine opens new ones when next used):
    what a process's end does, for whoever runs several commands in one (the tests' in-process CLI),
    so that a database file replaced in between is opened again, not read through an old handle."""
    for engine in list(_ENGINES):
        engine.dispose()


def dispose(url: str) -> None:
    """Close the pooled connections to `url` (a file about to be moved or checked by another connection)."""
    _engine(url).dispose()


def _alembic_config(workspace: Workspace) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("sikro_docs") / "migrations"))
    cfg.attributes["engine"] = engine_for(workspace)
    return cfg


def _current_and_head(workspace: Workspace) -> tuple[str | None, str | None]:
    cfg = _alembic_config(workspace)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine_for(workspace).connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


def migrate(workspace: Workspace) -> None:
    """Bring the schema up to the newest migration (no-op when current)."""
    current, head = _current_and_head(workspace)
    if current != head:
        had_chain = _has_table(workspace, "chain_log")
        applied = _revisions_between(workspace, current, head)
        command.upgrade(_alembic_config(workspace), "head")
        if not had_chain:
            # The chain is born now, and its head outside the database with it: from here on
            # a missing head means it was removed (see chain.py), never "an older workspace".
            from .chain import create_head

            create_head(workspace)
        elif current is not None:
            _restate_chains(workspace, applied)


def _revisions_between(workspace: Workspace, current: str | None, head: str | None) -> list[str]:
    script = ScriptDirectory.from_config(_alembic_config(workspace))
    return [rev.revision for rev in script.iterate_revisions(head, current)]


# Modules that register, with chain.restate_after, how their chained states read before a revision.
RESTATING_MODULES = ("sikro_docs.registry", "sikro_docs.numbering")


def _restate_chains(workspace: Workspace, applied: list[str]) -> None:
    """Once, after the upgrade: chain the new shape of states a revision changed (see chain.Restate).

    A subject whose chained state was already not its state before the upgrade is left alone:
    `sikro register verify` still reports it.
    """
    import importlib

    from . import chain

    for name in RESTATING_MODULES:
        importlib.import_module(name)
    restates = chain.restates_for(applied)
    if not restates:
        return
    engine = engine_for(workspace)
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with Session(engine, expire_on_commit=False) as sess:
            sess.info["workspace"] = workspace
            with sess.begin():
                lock(sess, WRITERS_LOCK)
                for item in restates:
                    chain.restate(sess, workspace, item)
    except chain.ChainTampered:
        return  # entries or the head were removed: nothing is chained over that; verify names it


def _has_table(workspace: Workspace, name: str) -> bool:
    from sqlalchemy import inspect

    with engine_for(workspace).connect() as conn:
        return inspect(conn).has_table(name)


@contextmanager
def session(workspace: Workspace, *, write: bool = False, alongside: bool = False) -> Iterator[Session]:
    """A session in one transaction, committed on success, rolled back on error.

    `write=True` makes the transaction the only writing one of the database from its
    start: use it for anything that reads a value it will then write on (upserts, a step's
    order). On SQLite that is the write lock BEGIN IMMEDIATE takes; on PostgreSQL the
    advisory lock `WRITERS_LOCK` (see `lock`) taken exclusively before the first read and
    held to the commit, so that what the transaction reads no other writer changes first.

    `alongside=True` (with write) is for the transactions that issue numbers and chain
    what they did: everything they read to write on is guarded by a lock of its own, taken
    where it is read — a register's counter row and log (`lock_register`), a chain stream's
    tail (`chain:<stream>`), the Buku Ekspedisi's series. On PostgreSQL they take
    `WRITERS_LOCK` shared, so they run at the same time as each other (writers of different
    registers do not wait for each other) and never beside an exclusive writer. SQLite has
    one writer at a time whatever is asked. Lock order, so that two of them never wait for
    each other in a circle: recovery, then registers, then chain streams.
    """
    migrate_once(workspace)
    engine = engine_for(workspace)
    sqlite = engine.dialect.name == "sqlite"
    if write and sqlite:
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    # Writing threads of one process take turns here first: a waiter wakes the moment the
    # writer before it commits, where SQLite's busy handler sleeps 1 to 100 ms between tries.
    # Bounded, so that no lock order can hang: after the timeout SQLite decides, as without it.
    turn = write and (sqlite or not alongside) and _WRITERS.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        with Session(engine, expire_on_commit=False) as sess:
            sess.info["workspace"] = workspace  # chained changes need the workspace's chain secret and head
            with sess.begin():
                if write:
                    lock(sess, WRITERS_LOCK, shared=alongside)
                yield sess
    finally:
        if turn:
            _WRITERS.release()


@contextmanager
def consistent_read(workspace: Workspace) -> Iterator[Connection]:
    """A connection that reads one moment of the database while no writer moves (a copy, a backup).

    The chain head in keys/ is written by writers after they commit: while the writers'
    lock is held it describes exactly what this connection reads. SQLite: the IMMEDIATE
    transaction of `session(write=True)`, a snapshot by itself. PostgreSQL: the advisory lock
    `WRITERS_LOCK` held by a second connection first, then a REPEATABLE READ transaction
    (whose snapshot is taken at its first statement: after the lock was granted, so after
    the last writer's commit).
    """
    migrate_once(workspace)
    engine = engine_for(workspace)
    if engine.dialect.name != "postgresql":
        with session(workspace, write=True) as sess:
            yield sess.connection()
        return
    with engine.connect() as holder, holder.begin():
        lock(holder, WRITERS_LOCK)
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            yield conn


# The advisory locks of sikro-docs are pairs (LOCK_SPACE, hashtext(name)): another application's
# one-number advisory locks on the same database never collide with them.
LOCK_SPACE = 0x51C0
WRITERS_LOCK = "sikro:writers"  # what `session(write=True)` takes on PostgreSQL


def lock(sess: Session | Connection, name: str, *, shared: bool = False) -> None:
    """Hold the lock `name` until the current transaction ends (commit or rollback).

    Writers that take the same name take turns (`shared` holders only exclude the others);
    it is the one locking primitive of the database layer. SQLite: nothing to do, its
    writers already take turns (the IMMEDIATE transaction of `session(write=True)` holds the
    database's write lock). PostgreSQL: a transaction-level advisory lock,
    `pg_advisory_xact_lock`, which the server releases itself when the transaction or its
    connection ends (a killed process holds nothing). Taking a name twice in one
    transaction is harmless. Take it before reading what it protects: under READ COMMITTED
    each statement after it sees what the previous holder committed.
    """
    dialect = sess.get_bind().dialect if isinstance(sess, Session) else sess.dialect
    if dialect.name != "postgresql":
        return
    if isinstance(sess, Session):  # one round trip per name and transaction (a session is one transaction)
        held = sess.info.setdefault("locks_held", set())
        if (name, shared) in held:
            return
        held.add((name, shared))
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    sess.execute(text(f"SELECT {function}(:space, hashtext(:name))"), {"space": LOCK_SPACE, "name": name})


def insert_missing(sess: Session, table, values: dict) -> None:
    """INSERT `values` into `table` unless a row with the same key exists (ON CONFLICT DO NOTHING)."""
    dialect = sess.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    sess.execute(insert(table).values(**values).on_conflict_do_nothing())


_WRITERS = threading.RLock()


_migrated: set[str] = set()


def migrate_once(workspace: Workspace) -> None:
    if workspace.db_url not in _migrated:
        migrate(workspace)
        _migrated.add(workspace.db_url)


_APPEND_ONLY_TRIGGER = """
CREATE TRIGGER {table}_no_{verb} BEFORE {VERB} ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END
"""

# PostgreSQL: one function raises for every append-only table; a row trigger per verb calls it,
# and a statement trigger stops TRUNCATE (which fires no row trigger). The message is SQLite's.
_PG_APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION sikro_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$
"""
_PG_APPEND_ONLY_TRIGGER = """
CREATE TRIGGER {table}_no_{verb} BEFORE {VERB} ON {table}
FOR EACH {each} EXECUTE FUNCTION sikro_append_only()
"""
_PG_VERBS = (("update", "ROW"), ("delete", "ROW"), ("truncate", "STATEMENT"))


def forbid_changes(table: str) -> None:
    """For migrations: triggers that make `table` append-only (evidence is never rewritten).

    SQLite: triggers that RAISE(ABORT) on UPDATE and DELETE, kept unchanged once written
    (migrations that already ran depend on it). PostgreSQL: triggers calling a plpgsql
    function that raises, on UPDATE, DELETE and TRUNCATE. Other engines: none.
    """
    from alembic import op

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            op.execute(_APPEND_ONLY_TRIGGER.format(table=table, verb=verb, VERB=verb.upper()))
    elif dialect == "postgresql":
        op.execute(_PG_APPEND_ONLY_FUNCTION)
        for verb, each in _PG_VERBS:
            op.execute(_PG_APPEND_ONLY_TRIGGER.format(table=table, verb=verb, VERB=verb.upper(), each=each))


def allow_changes(table: str) -> None:
    """For downgrades: drop the triggers `forbid_changes` made on `table` (before the table is dropped)."""
    from alembic import op

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    elif dialect == "postgresql":
        for verb, _each in _PG_VERBS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb} ON {table}")


# --------------------------------------------------------------------------- locks held beyond a transaction


class Held:
    """A named lock this process holds until `release()` (or its end), seen from every host.

    PostgreSQL: a session-level advisory lock on a connection of its own, outside the
    engine's pool (the pool's connections are reused and disposed of), so the server
    releases it when that connection ends: a process killed with -9 holds nothing.
    SQLite (one machine by nature): an exclusive flock on a file in `<workspace>/locks/`.
    """

    def __init__(self, name: str, release, lost=lambda: False) -> None:
        self.name, self._release, self._lost = name, release, lost

    def lost(self) -> bool:
        """Whether the lock was lost without a release (PostgreSQL: its connection broke)."""
        return self._release is None or self._lost()

    def release(self) -> None:
        if self._release is not None:
            self._release()
            self._release = None


def hold(workspace: Workspace, names: str | list[str], *, wait: bool = True,
         shared: bool = False) -> Held | None:
    """Take the lock `names` (or each of a list, in its order: callers sort them so that two
    holders never wait on each other in a circle), waiting for it, or None at once when `wait`
    is False and one is taken (then none is held). `shared` holders only exclude the others."""
    names = [names] if isinstance(names, str) else list(names)
    label = names[0] if len(names) == 1 else f"{len(names)} locks"
    if engine_for(workspace).dialect.name == "postgresql":
        return _pg_hold(workspace, names, label, wait, shared)
    return _file_hold(workspace, names, label, wait, shared)


def is_held(workspace: Workspace, name: str) -> bool:
    """Whether a live process (on any host) holds the lock `name`; never waits, takes nothing."""
    if engine_for(workspace).dialect.name == "postgresql":
        with engine_for(workspace).connect() as conn:
            return bool(conn.execute(text(_PG_HELD), {"space": LOCK_SPACE, "name": name}).scalar())
    return _file_is_held(workspace, name)


def forget(workspace: Workspace, name: str) -> None:
    """The lock `name` is never taken again (a dead lease's): drop what it leaves (SQLite: its file)."""
    if engine_for(workspace).dialect.name != "postgresql":
        lock_file(workspace, name).unlink(missing_ok=True)


# pg_locks shows an advisory lock on two int4 keys as classid, objid (as unsigned oids), objsubid 2.
_PG_HELD = """
SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid = CAST(:space AS bigint)::oid
               AND objid = (CAST(hashtext(:name) AS bigint) & 4294967295)::oid)
"""


def _pg_hold(workspace: Workspace, names: list[str], label: str, wait: bool, shared: bool) -> Held | None:
    engine = engine_for(workspace)
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    conn = engine.dialect.connect(*args, **kwargs)  # one connection however many names
    conn.autocommit = True
    call = ("pg_advisory_lock" if wait else "pg_try_advisory_lock") + ("_shared" if shared else "")
    for name in names:
        got = conn.execute(f"SELECT {call}(%s, hashtext(%s))", (LOCK_SPACE, name)).fetchone()[0]
        if not wait and not got:
            conn.close()  # and with it the names taken so far
            return None
    # Closing the session releases its advisory locks; a broken one has lost them already.
    return Held(label, conn.close, lambda: conn.closed or conn.broken)


def lock_file(workspace: Workspace, name: str):
    """SQLite's stand-in for the lock `name`: a file in `<workspace>/locks/` (a lease's keeps its id as name)."""
    import hashlib
    import re

    stem = name.split(":", 1)[1] if name.startswith("lease:") else \
        re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80] + "-" + hashlib.sha256(name.encode()).hexdigest()[:12]
    return workspace.root / "locks" / f"{stem}.lock"


def _file_hold(workspace: Workspace, names: list[str], label: str, wait: bool, shared: bool) -> Held | None:
    import fcntl
    import os

    fds: list[int] = []

    def release() -> None:
        for fd in fds:
            os.close(fd)

    for name in names:
        path = lock_file(workspace, name)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fds.append(fd)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            release()
            return None
        if not shared:
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}\n".encode("ascii"))  # for a curious human only
    return Held(label, release)


def _file_is_held(workspace: Workspace, name: str) -> bool:
    import fcntl
    import os

    try:
        fd = os.open(lock_file(workspace, name), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
