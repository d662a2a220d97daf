"""Leases in the database: which host and process owns pending numbers.

A lease is alive while its process holds the lock `lease:<id>` (db.hold: on PostgreSQL a
session-level advisory lock every host sees); this table only names the owner.

Revision ID: 0014_leases
Revises: 0013_register_counters
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_leases"
down_revision = "0013_register_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("workspace", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),  # UTC
    )


def downgrade() -> None:
    op.drop_table("leases")
