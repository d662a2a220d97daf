"""Two-person pemusnahan: disposal proposals, the berkas each names, and the decision on each.

A disposal is proposed by one person and carried out only when another approves it
(the evidence rule: pemusnahan needs a second person's approval). All three tables
are append-only (SQLite triggers forbid UPDATE and DELETE): a proposal, its berkas
and its one decision (approved or rejected, by whom, when) stay the evidence.
A proposal is open while it has no decision row.

Revision ID: 0012_disposal_proposals
Revises: 0011_schedule
"""

import sqlalchemy as sa
from alembic import op

from sikro_docs.db import allow_changes, forbid_changes

revision = "0012_disposal_proposals"
down_revision = "0011_schedule"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
TABLES = ("disposal_decisions", "disposal_items", "disposal_proposals")


def upgrade() -> None:
    op.create_table(
        "disposal_proposals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("proposed_by", sa.String(100), nullable=False),
        sa.Column("proposed_at", TZ, nullable=False),  # UTC
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decision_number", sa.String(120)),  # may be given only at approval
        sa.Column("delete_files", sa.Boolean, nullable=False),
        sa.Column("force", sa.Text),  # why the schedule is overridden (None: it is not)
    )
    forbid_changes("disposal_proposals")
    op.create_table(
        "disposal_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("disposal_proposals.id"), nullable=False, index=True),
        sa.Column("berkas_number", sa.String(120), nullable=False, index=True),
        sa.Column("registration_number", sa.String(64), nullable=False),
        sa.UniqueConstraint("proposal_id", "berkas_number", name="uq_disposal_item"),
    )
    forbid_changes("disposal_items")
    op.create_table(
        "disposal_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("disposal_proposals.id"), nullable=False,
                  unique=True),  # one decision per proposal: a second approver finds it decided
        sa.Column("verdict", sa.String(20), nullable=False),  # approved | rejected
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("reason", sa.Text),  # of a rejection
        sa.Column("decision_number", sa.String(120)),  # the one the disposal was carried out under
    )
    forbid_changes("disposal_decisions")


def downgrade() -> None:
    for table in TABLES:
        allow_changes(table)
        op.drop_table(table)
