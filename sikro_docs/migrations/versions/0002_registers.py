"""Registers: documents, numbering registers with their hash-chained log, dispatches.

Revision ID: 0002
Revises: 0001
"""


import sqlalchemy as sa
from alembic import op

from sikro_docs.db import forbid_changes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("register", sa.String(40)),
        sa.Column("year", sa.Integer),
        sa.Column("seq", sa.Integer),
        sa.Column("number", sa.String(120), index=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("lease", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("register", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), index=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), index=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("addressee", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("lease", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("register", "year", "seq", name="uq_register_year_seq"),
        sa.UniqueConstraint("register", "number", name="uq_register_number"),
    )
    op.create_table(
        "register_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("register", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("number", sa.String(120), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("register", "position", name="uq_register_log_position"),
    )
    forbid_changes("register_log")
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("year", "seq", name="uq_dispatch_year_seq"),
    )
    forbid_changes("dispatches")


def downgrade() -> None:
    op.drop_table("dispatches")
    op.drop_table("register_log")
    op.drop_table("register_entries")
    op.drop_table("documents")
