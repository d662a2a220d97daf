"""`sikro db copy --to URL`: an office's database moved, whole and verified, to another engine.

The usual move is from the embedded SQLite file to a PostgreSQL server; the backup uses
the same copy the other way round (a PostgreSQL database into the snapshot's SQLite file).

1. The target is brought to the newest schema (the same migrations as any workspace), and
   refused unless every table of it is empty: a copy never merges two offices' records.
2. Every table is copied in foreign-key order in ONE transaction on the target, ids kept;
   the evidence tables' append-only triggers stop UPDATE and DELETE only, so inserting is
   allowed. PostgreSQL's id sequences are then set past the highest id copied.
   The source is read in one transaction that holds the writers' lock (`db.session(write=True)`:
   SQLite's write lock, PostgreSQL's advisory lock under REPEATABLE READ), so what is copied
   is one moment of the office, the moment the chain head in keys/ also describes.
3. The full-text index is carried over through the providers of archive.fulltext (an FTS5
   table there, a tsvector table here), the texts it was made of unchanged.
4. Verified before anything is said to be done: the rows of every table counted on both
   sides, and the registers' and the evidence chains verified on the target as
   `sikro register verify` does (numbering.verify_registers), against the same keys/.

Timestamps: every reflected timestamp column is read and written as `timestamps.UtcDateTime`,
the column type of the models: SQLite's UTC wall time and PostgreSQL's `timestamptz` are the
same instant on both sides, whatever the server's TimeZone setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from sqlalchemy import JSON, Connection, DateTime, Integer, MetaData, Table, func, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import sort_tables_and_constraints

from . import db
from .archive import fulltext
from .errors import EXIT_UNUSABLE, SikroError
from .timestamps import UtcDateTime
from .workspace import Workspace, normalise_db_url

BATCH = 1000  # rows read and inserted at a time
# Tables that are not copied row by row: Alembic's own, and the full-text indexes of either
# engine (FTS5's virtual table and its shadow tables; PostgreSQL's tsvector and text tables).
SKIPPED_PREFIXES = ("alembic_version", "archive_fts", "archive_search", "sqlite_")


class CopyRefused(SikroError):
    """The target cannot take the copy (not empty, not reachable, the same database): exit 2."""

    code = "db-copy-refused"
    exit_code = EXIT_UNUSABLE


class CopyFailed(SikroError):
    """The copy was made but does not verify (rows or chains differ): exit 1. Nothing switches to it."""

    code = "db-copy-failed"


@dataclasses.dataclass(frozen=True)
class WorkspaceAt(Workspace):
    """The workspace (its keys, its profile) with its database at `url` instead."""

    url: str = ""

    @property
    def db_url(self) -> str:
        return self.url


@dataclasses.dataclass
class CopyReport:
    target: str
    rows: dict[str, int]
    index_rows: int
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_database(ws: Workspace, target_url: str) -> CopyReport:
    """Copy the workspace's database to the empty database at `target_url`, then verify the copy."""
    target_url = normalise_db_url(target_url)
    if target_url == ws.db_url:
        raise CopyRefused("the target is the workspace's own database: give another one")
    target = WorkspaceAt(ws.root, ws.profile, url=target_url)
    db.migrate_once(ws)
    prepare_target(target_url)
    with db.consistent_read(ws) as source:
        report = copy_all(source, target_url)
    report.problems = verify_copy(ws, target, report)
    if report.problems:
        raise CopyFailed(f"the copy at {redacted(target_url)} does not verify ({len(report.problems)} "
                         f"problem(s)); first: {report.problems[0]}")
    return report


def prepare_target(url: str) -> None:
    """The target at the newest schema, every table empty; else CopyRefused."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
    except Exception as exc:  # noqa: BLE001 — any driver's "cannot connect" is one line for the person
        raise CopyRefused(f"cannot open the target database {redacted(url)}: {str(exc).splitlines()[0]}") from exc
    if names and "alembic_version" not in names:
        raise CopyRefused(f"the target database {redacted(url)} is not empty: it has tables not made by "
                          f"sikro ({', '.join(sorted(names)[:3])}, ...)")
    config = db._alembic_config(WorkspaceAt(None, {}, url=url))  # type: ignore[arg-type]
    command.upgrade(config, "head")
    with engine.connect() as conn:
        for table in _copied_tables(conn):
            if conn.execute(select(table).limit(1)).first() is not None:
                raise CopyRefused(f"the target database {redacted(url)} is not empty: table {table.name} "
                                  "has rows (a copy goes into an empty database only)")


def copy_all(source: Connection, target_url: str) -> CopyReport:
    """Every table of the source into the (empty, migrated) target, in one target transaction."""
    engine = _engine(target_url)
    rows: dict[str, int] = {}
    with engine.begin() as target:
        source_tables = {t.name: t for t in _copied_tables(source)}
        to_postgresql = target.dialect.name == "postgresql"
        tables, cycles = _tables_and_cycles(target)
        later: list[tuple[Table, dict, dict]] = []
        for table in tables:
            if table.name not in source_tables:
                continue  # a table only one engine has (none today but the full-text ones)
            rows[table.name] = _copy_table(source, source_tables[table.name], target, table,
                                           cycles.get(table.name, []), later)
        for table, key, values in later:  # the references that closed a cycle, now that both rows exist
            target.execute(table.update().where(*(table.c[k] == v for k, v in key.items())).values(**values))
        if to_postgresql:
            _reset_sequences(target, [t for t in _copied_tables(target) if t.name in rows])
        index_rows = _copy_index(source, target)
    return CopyReport(target=redacted(target_url), rows=rows, index_rows=index_rows)


def _copy_table(source: Connection, src: Table, target: Connection, dst: Table,
                cyclic: list[str], later: list) -> int:
    columns = [c.name for c in dst.columns if c.name in src.c]
    keys = [c.name for c in dst.primary_key.columns]
    order = [src.c[k] for k in keys] or [src.c[columns[0]]]
    result = source.execute(select(*(src.c[c] for c in columns)).order_by(*order))
    count = 0
    for batch in result.partitions(BATCH):
        values = [dict(zip(columns, row)) for row in batch]
        for row in values:
            deferred = {c: row[c] for c in cyclic if row.get(c) is not None}
            if deferred:
                later.append((dst, {k: row[k] for k in keys}, deferred))
                row.update(dict.fromkeys(deferred))
        target.execute(dst.insert(), values)
        count += len(batch)
    return count


def _reset_sequences(target: Connection, tables: list[Table]) -> None:
    """Each id sequence past the highest id copied (its next value: max + 1)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        target.execute(text(
            f"SELECT setval(seq, coalesce((SELECT max({keys[0].name}) FROM {table.name}), 0) + 1, false) "
            "FROM pg_get_serial_sequence(:table, :col) AS seq WHERE seq IS NOT NULL"
            ), {"table": table.name, "col": keys[0].name})


def _copy_index(source: Connection, target: Connection) -> int:
    """The full-text index, as the texts it was made of, from one engine's provider into the other's."""
    reader, writer = fulltext.for_dialect(source.dialect.name), fulltext.for_dialect(target.dialect.name)
    if reader is None or writer is None:
        return 0
    rows = reader.rows(source)  # type: ignore[arg-type]
    if isinstance(writer, fulltext.PgFullText):
        for start in range(0, len(rows), BATCH):
            writer.put_many(target, rows[start:start + BATCH])  # type: ignore[arg-type]
    else:
        for berkas_id, columns in rows:
            writer.put(target, berkas_id, columns)  # type: ignore[arg-type]
    return len(rows)


def verify_copy(ws: Workspace, target: Workspace, report: CopyReport) -> list[str]:
    """What differs between the copy and what was copied: row counts, then the chains on the target."""
    from . import numbering

    problems = count_problems(target.db_url, report)
    with chain_session(target) as session:
        problems += numbering.verify_registers(session, target)
    return problems


def count_problems(url: str, report: CopyReport) -> list[str]:
    """Tables of the copy at `url` whose rows are not as many as were copied."""
    problems = []
    with _engine(url).connect() as conn:
        for table in _copied_tables(conn):
            if table.name in report.rows:
                got = conn.execute(select(func.count()).select_from(table)).scalar_one()
                if got != report.rows[table.name]:
                    problems.append(f"table {table.name}: {got} rows in the copy, {report.rows[table.name]} copied")
    return problems


@contextmanager
def chain_session(ws: Workspace) -> Iterator[Session]:
    """A read-only session on `ws`'s database that the chain code can use (it needs the workspace)."""
    with Session(_engine(ws.db_url), expire_on_commit=False) as session:
        session.info["workspace"] = ws
        try:
            yield session
        finally:
            session.rollback()


def _copied_tables(conn: Connection) -> list[Table]:
    """The tables copied row by row, in foreign-key order (a table after those it refers to)."""
    return _tables_and_cycles(conn)[0]


def _tables_and_cycles(conn: Connection) -> tuple[list[Table], dict[str, list[str]]]:
    """`_copied_tables`, and the columns of foreign keys that close a cycle (applications refer
    to an earlier document, documents to their application): those are copied NULL first and
    set once every table is in (see copy_all)."""
    metadata = MetaData()
    metadata.reflect(conn)
    tables, cycles = [], {}
    for table, constraints in sort_tables_and_constraints(metadata.tables.values()):
        if table is not None:
            tables.append(table)
            continue
        for constraint in constraints:
            cycles.setdefault(constraint.parent.name, []).extend(c.name for c in constraint.columns)
    tables = [t for t in tables if not t.name.startswith(SKIPPED_PREFIXES)]
    for table in tables:
        for column in table.columns:
            if isinstance(column.type, JSON):  # SQL NULL stays NULL (not the JSON value null)
                column.type = JSON(none_as_null=True)
            elif isinstance(column.type, DateTime):  # the same instant on both engines
                column.type = UtcDateTime()
    return tables, cycles


def _engine(url: str):
    return db._engine(url)


def redacted(url: str) -> str:
    """The URL without its password (it goes into messages and reports)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)



def switch_to(ws: Workspace, url: str) -> None:
    """Write `url` into the profile as `[database] url` (the one line changed, or the table added)."""
    write_database_url(ws.root, url)


def write_database_url(root, url: str | None, *, note: str = "") -> None:
    """Set `[database] url` in the profile at `root` to `url`; None comments the line out
    (the workspace then uses its own sikro.db), `note` a comment put above it."""
    import json
    import re
    import tomllib

    from .fsutil import atomic_write_bytes
    from .workspace import PROFILE_NAME

    path = root / PROFILE_NAME
    profile_text = path.read_text(encoding="utf-8")
    table = re.search(r"^\[database\][ \t]*$", profile_text, flags=re.MULTILINE)
    if table is None:
        if url is None:
            return
        profile_text = profile_text.rstrip("\n") + "\n\n[database]\n"
        table = re.search(r"^\[database\][ \t]*$", profile_text, flags=re.MULTILINE)
    end = re.search(r"^\[", profile_text[table.end():], flags=re.MULTILINE)
    body_end = table.end() + (end.start() if end else len(profile_text) - table.end())
    body = re.sub(r"^url[ \t]*=.*\n?", "", profile_text[table.end():body_end], flags=re.MULTILINE)
    old = re.search(r"^url[ \t]*=(.*)$", profile_text[table.end():body_end], flags=re.MULTILINE)
    lines = [f"# {line}" for line in note.splitlines()]
    if url is not None:
        lines.append(f"url = {json.dumps(url)}")  # a JSON string is a TOML basic string
    elif old is not None:
        lines.append(f"# url ={old.group(1)}")
    rest = body.strip("\n")
    block = "\n".join([*lines, *([rest] if rest else [])])
    new_text = f"{profile_text[:table.end()]}\n{block}\n\n{profile_text[body_end:]}"
    if tomllib.loads(new_text).get("database", {}).get("url") != url:
        raise CopyRefused(f"could not write [database] url into {path}: set it by hand")
    atomic_write_bytes(path, new_text.encode("utf-8"), mode=path.stat().st_mode & 0o777)
