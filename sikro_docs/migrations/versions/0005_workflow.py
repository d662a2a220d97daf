"""Workflow: SOP steps recorded per application

One row per step done, never changed afterwards (SQLite triggers forbid
UPDATE and DELETE): the service-time report and the status are computed from
these rows, so they must stay the evidence of what happened when.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from sikro_docs.db import allow_changes, forbid_changes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "step_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False, index=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),  # UTC
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("decision", sa.String(20)),
        sa.Column("reason", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("outcome", sa.String(20), nullable=False),  # the application's status after the step
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    forbid_changes("step_records")


def downgrade() -> None:
    allow_changes("step_records")
    op.drop_table("step_records")
