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
