"""Evidence chain: one HMAC-chained, append-only log of what verdicts rest on (sikro_docs/chain.py)

Existing workspaces keep their register_log and dispatch chains as they are;
the new streams adopt the tables' state the first time they are written
(see chain.py), so nothing already chained is rewritten.

Revision ID: 0006_chain
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from sikro_docs.db import allow_changes, forbid_changes

revision = "0006_chain"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stream", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(120), nullable=False, index=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("stream", "seq", name="uq_chain_stream_seq"),
    )
    forbid_changes("chain_log")


def downgrade() -> None:
    allow_changes("chain_log")
    op.drop_table("chain_log")
