"""Verification: what a signed document's QR code is checked against.

A side table of `documents` (one row per signed or revoked document), so
that the documents table, owned by the registers, is not altered.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_verification",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), primary_key=True),
        sa.Column("key_id", sa.String(16)),
        sa.Column("valid_until", sa.Date),
        sa.Column("holder", sa.String(200)),
        sa.Column("str_number", sa.String(100)),
        sa.Column("workplace", sa.String(200)),
        sa.Column("signed_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_reason", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("document_verification")
