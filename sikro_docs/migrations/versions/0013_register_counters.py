"""A counter row per register and year: the last number given.

Allocation locks the row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transaction already holds the write lock) and advances it in the issuing transaction,
so writers of different registers no longer wait for each other, and no PostgreSQL
sequence is used (a sequence leaves gaps on rollback). The row is also evidence: it
must equal the register's max(seq) for that year, which `register verify` checks, so
an entry added or removed behind the tool's back shows.

Revision ID: 0013_register_counters
Revises: 0012_disposal_proposals
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_register_counters"
down_revision = "0012_disposal_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_counters",
        sa.Column("register", sa.String(40), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO register_counters (register, year, last_seq) "
               "SELECT register, year, max(seq) FROM register_entries GROUP BY register, year")


def downgrade() -> None:
    op.drop_table("register_counters")
