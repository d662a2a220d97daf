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
def session(workspace: Workspace, *, write: bool = False) -> Iterator[Session]:
    """A session in one transaction, committed on success, rolled back on error.

    `write=True` makes the transaction the only writing one of the database from its
    start: use it for anything that reads a value it will then write on (numbers, upserts).
    On SQLite that is the write lock BEGIN IMMEDIATE takes; on PostgreSQL the advisory
    lock `WRITERS_LOCK` (see `lock`), taken before the first read and held to the commit,
    so that what the transaction reads (a register's max(seq), a chain's tail) no other
    writer changes before it is done: numbers stay gap-free and duplicate-free on both.
    One lock for all writers is the simple first step; the next is a counter row per
    register and year locked with SELECT ... FOR UPDATE, so writers of different
    registers no longer wait for each other.
    """
    migrate_once(workspace)
    engine = engine_for(workspace)
    if write and engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    # Writing threads of one process take turns here first: a waiter wakes the moment the
    # writer before it commits, where SQLite's busy handler sleeps 1 to 100 ms between tries.
    # Bounded, so that no lock order can hang: after the timeout SQLite decides, as without it.
    turn = write and _WRITERS.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        with Session(engine, expire_on_commit=False) as sess:
            sess.info["workspace"] = workspace  # chained changes need the workspace's chain secret and head
            with sess.begin():
                if write:
                    lock(sess, WRITERS_LOCK)
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


def lock(sess: Session | Connection, name: str) -> None:
    """Hold the lock `name` until the current transaction ends (commit or rollback).

    Writers that take the same name take turns; it is the one locking primitive of the
    database layer. SQLite: nothing to do, its writers already take turns (the IMMEDIATE
    transaction of `session(write=True)` holds the database's write lock). PostgreSQL: a
    transaction-level advisory lock, `pg_advisory_xact_lock`, which the server releases
    itself when the transaction or its connection ends (a killed process holds nothing).
    Take it before reading what it protects: under READ COMMITTED each statement after
    it sees what the previous holder committed.
    """
    dialect = sess.get_bind().dialect if isinstance(sess, Session) else sess.dialect
    if dialect.name != "postgresql":
        return
    sess.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:name))"),
                 {"space": LOCK_SPACE, "name": name})


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
