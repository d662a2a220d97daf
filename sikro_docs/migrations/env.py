"""Alembic environment: runs on the engine handed over by sikro_docs.db."""

from alembic import context

from sikro_docs.db import WRITERS_LOCK, lock
from sikro_docs.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode copies a table and drops the old one; with foreign keys on, SQLite
        # would refuse to drop a table other rows refer to. Off for the migration only
        # (outside any transaction: the pragma is a no-op inside one), checked after.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    )
    try:
        with context.begin_transaction():
            # PostgreSQL: two processes opening the workspace at once take turns; the second
            # then reads the version the first committed and has nothing left to do (DDL is
            # transactional there). A no-op on SQLite, whose migration holds the write lock.
            lock(connection, WRITERS_LOCK)
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        connection.commit()
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
