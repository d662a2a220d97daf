"""PostgreSQL: the schema from the one migration history, numbering, append-only evidence, concurrency.

Every test runs on a real PostgreSQL server the session starts itself (tests/pg_support.py);
in CI a missing server fails rather than skips.
"""

from __future__ import annotations

import pytest
from conftest import needs_postgresql

pytestmark = needs_postgresql


def test_migrations_upgrade_to_head_on_postgresql(pg_workspace):
    from sqlalchemy import inspect

    from sikro_docs import db

    current, head = db._current_and_head(pg_workspace)
    assert current == head is not None
    engine = db.engine_for(pg_workspace)
    assert engine.dialect.name == "postgresql"
    tables = set(inspect(engine).get_table_names())
    assert {"applications", "register_entries", "register_log", "chain_log", "disposal_decisions"} <= tables


APPEND_ONLY = ("events", "register_log", "dispatches", "archive_events", "step_records", "chain_log",
               "issued_files", "key_status", "disposal_proposals", "disposal_items", "disposal_decisions")


def raw(url: str, statement: str, params=None) -> list[tuple]:
    """Run SQL on the database directly, as someone with psql could (no sikro code in between)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.query["host"], user=u.username, dbname=u.database) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def test_every_evidence_table_has_its_triggers_on_postgresql(pg_workspace, pg_url):
    rows = raw(pg_url, "SELECT event_object_table, trigger_name FROM information_schema.triggers")
    got = {(t, name) for t, name in rows}
    for table in APPEND_ONLY:
        assert {(table, f"{table}_no_update"), (table, f"{table}_no_delete")} <= got, table
    truncating = raw(pg_url, "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%_no_truncate'")
    assert {t for (t,) in truncating} == set(APPEND_ONLY)


def test_update_delete_and_truncate_of_evidence_fail_on_postgresql(pg_workspace, pg_url):
    import psycopg
    from registers_support import make_applications

    make_applications(pg_workspace, 2)
    assert raw(pg_url, "SELECT count(*) FROM register_log")[0][0] == 2
    for statement in ("UPDATE register_log SET number = 'X'", "DELETE FROM register_log",
                      "TRUNCATE register_log", "UPDATE events SET actor = 'someone else'",
                      "DELETE FROM chain_log"):
        with pytest.raises(psycopg.errors.RestrictViolation, match="is append-only"):
            raw(pg_url, statement)
    assert raw(pg_url, "SELECT count(*) FROM register_log")[0][0] == 2
    # Tables that are not evidence change as ever.
    raw(pg_url, "UPDATE applications SET phone = '0813'")


def test_migrations_go_down_and_up_again_on_postgresql(pg_workspace):
    from alembic import command
    from sqlalchemy import inspect

    from sikro_docs import db

    cfg = db._alembic_config(pg_workspace)
    command.downgrade(cfg, "base")
    engine = db.engine_for(pg_workspace)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    current, head = db._current_and_head(pg_workspace)
    assert current == head
