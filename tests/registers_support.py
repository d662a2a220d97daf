"""Helpers of the registers tests: applications, worker processes, direct database access."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sikro_docs import db, numbering, registry
from sikro_docs.models import Application

WORKER = Path(__file__).parent / "helpers" / "registers_worker.py"
DOC_DATE = dt.date(2025, 3, 7)


def make_applications(ws, count: int, *, name: str = "Pemohon", on: dt.date = DOC_DATE) -> list[int]:
    """`count` applications, each numbered from the registrasi register as the importer does."""
    ids = []
    with db.session(ws, write=True) as session:
        offset = session.query(Application).count()  # NIK and STR stay unique across calls
        for i in range(offset, offset + count):
            app = Application(
                registration_number=f"(pending {i})", application_date=on,
                name=f"{name} {i + 1 - offset}" if count > 1 else name, nik=f"{1211010101900000 + i}",
                birth_place="Sidikalang", birth_date=dt.date(1990, 1, 1), sex="L",
                address="Jl. Sudirman 1", phone="0812", education="D3 Refraksi Optisi",
                checklist={}, status="open", current_step=2,
                **_type_columns(i),
            )
            session.add(app)
            session.flush()
            entry = numbering.allocate(session, ws, "registrasi", on, kind="registration",
                                       application_id=app.id, subject=f"Permohonan SIKRO a.n. {app.name}")
            app.registration_number = entry.number
            if hasattr(registry, "chain_application"):  # (absent before the chain: the tests ran on both)
                registry.chain_application(session, ws, app, "test")  # as the importer does
            ids.append(app.id)
    return ids


def _type_columns(i: int) -> dict:
    """The permit type's columns as the importer fills them (SIKRO's STR and workplace)."""
    if not hasattr(Application, "facts"):  # (the release before permit types: its own columns)
        return {"str_number": f"STR-{i + 1:05d}", "workplace_name": "Optik Terang",
                "workplace_address": "Jl. Pahlawan 2, Sidikalang"}
    return {"permit_type": "sikro", "application_kind": "baru", "place_key": "",
            "facts": {"str_number": f"STR-{i + 1:05d}", "str_valid_until": None,
                      "workplace_name": "Optik Terang", "workplace_address": "Jl. Pahlawan 2, Sidikalang"}}


def start_worker(ws, first: int, last: int, kinds: str, *, slow: float = 0.0, die_at: int = 0,
                 fail_at: int = 0) -> subprocess.Popen:
    """A real process issuing documents for applications first..last (see helpers/registers_worker.py)."""
    args = [sys.executable, str(WORKER), str(ws.root), str(first), str(last), kinds,
            "--slow", str(slow), "--die-at", str(die_at), "--fail-at", str(fail_at)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def sql(ws, statement: str, params=()) -> list[tuple]:
    """Run SQL directly on the workspace database, as someone with sqlite3 (or psql) could."""
    if ws.db_url.startswith("postgresql"):
        return _pg_sql(ws.db_url, statement, params)
    conn = sqlite3.connect(ws.db_path)
    try:
        rows = conn.execute(statement, params).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def _pg_sql(url: str, statement: str, params) -> list[tuple]:
    """`sql` on PostgreSQL: psycopg, straight to the server (`?` placeholders become psycopg's `%s`)."""
    with _pg_connect(url) as conn:
        cur = conn.execute(statement.replace("?", "%s"), params or None)
        return cur.fetchall() if cur.description else []


def sql_many(ws, statements: list[str | tuple[str, tuple]]) -> None:
    """Several statements in one connection and one transaction (each a string or (statement, params));
    for what must share a connection, e.g. foreign keys switched off: use `foreign_keys_off(ws)` first."""
    if ws.db_url.startswith("postgresql"):
        _pg_many(ws.db_url, statements)
        return
    conn = sqlite3.connect(ws.db_path)
    try:
        for item in statements:
            statement, params = (item, ()) if isinstance(item, str) else item
            conn.execute(statement, params)
        conn.commit()
    finally:
        conn.close()


def foreign_keys_off(ws) -> str:
    """The statement that switches foreign-key checks off for the rest of one connection (`sql_many`)."""
    if ws.db_url.startswith("postgresql"):
        return "SET session_replication_role = replica"
    return "pragma foreign_keys = off"


def _pg_many(url: str, statements) -> None:
    with _pg_connect(url) as conn:
        for item in statements:
            statement, params = (item, ()) if isinstance(item, str) else item
            conn.execute(statement.replace("?", "%s"), params or None)


def _pg_connect(url: str):
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.query.get("host") or u.host, port=u.port, user=u.username, password=u.password,
                           dbname=u.database)


def database_errors() -> tuple[type[Exception], ...]:
    """What a refused statement raises through `sql`: sqlite3's error or psycopg's, by engine."""
    import psycopg

    return (sqlite3.DatabaseError, psycopg.Error)


def json_value(value):
    """A JSON column as `sql` returns it: text on SQLite, already decoded by psycopg on PostgreSQL."""
    import json

    return json.loads(value) if isinstance(value, (str, bytes)) else value


def dump_rows(ws) -> str:
    """Every row of every table as text: what a copy of the database gives away (in place of iterdump)."""
    from sqlalchemy import inspect

    tables = inspect(db.engine_for(ws)).get_table_names()
    return "\n".join(f"{table}: {row!r}" for table in tables for row in sql(ws, f'select * from "{table}"'))


def drop_append_only_triggers(ws, table: str) -> None:
    """What an insider with the database's owner rights could do first: take the append-only triggers away."""
    if ws.db_url.startswith("postgresql"):
        for verb in ("update", "delete", "truncate"):
            sql(ws, f"DROP TRIGGER IF EXISTS {table}_no_{verb} ON {table}")
        return
    sql(ws, f"drop trigger if exists {table}_no_update")
    sql(ws, f"drop trigger if exists {table}_no_delete")


def lose_database(ws) -> None:
    """The database gone for good, as after a lost disk: SQLite's files deleted, or on PostgreSQL every
    table of the office's database dropped (the next command finds an empty database and migrates it)."""
    if ws.db_url.startswith("postgresql"):
        sql_many(ws, ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"])
        return
    for suffix in ("", "-wal", "-shm"):
        (ws.root / f"sikro.db{suffix}").unlink(missing_ok=True)


def entries(ws, register: str) -> list[tuple]:
    return sql(ws, "select year, seq, number, status, reason, document_id from register_entries "
                   "where register = ? order by year, seq", (register,))


def assert_series_complete(ws, register: str) -> list[tuple]:
    """No duplicate, no gap, every void explained, nothing left pending."""
    rows = entries(ws, register)
    numbers = [r[2] for r in rows]
    assert len(numbers) == len(set(numbers)), "duplicate numbers"
    by_year: dict[int, list[int]] = {}
    for year, seq, *_ in rows:
        by_year.setdefault(year, []).append(seq)
    for year, seqs in by_year.items():
        assert seqs == list(range(1, len(seqs) + 1)), f"gap in {register} {year}"
    for _year, _seq, number, status, reason, _doc in rows:
        assert status in ("used", "void"), f"{number} left {status}"
        if status == "void":
            assert reason, f"{number} void without a reason"
    return rows
