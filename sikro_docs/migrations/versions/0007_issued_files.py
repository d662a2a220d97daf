"""Evidence of verification: the PDFs the office issued, the status of its QR signing keys,
and the signed token of each document.

`issued_files`: one row per PDF the registry issued (its SHA-256, size and
signing state), so `sikro verify FILE.pdf` can tell the issued file from an
altered or re-signed copy. `key_status`: active / retired / compromised
records of the QR signing keys, each chained by an HMAC. Both append-only.
`document_verification.token`: the signed token itself, so a typed short
code shows what was signed, never database fields alone.

Revision ID: 0007_issued_files
Revises: 0006_chain
"""

import sqlalchemy as sa
from alembic import op

from sikro_docs.db import allow_changes, forbid_changes

revision = "0007_issued_files"
down_revision = "0006_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), nullable=False, index=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("signed", sa.Boolean, nullable=False),
        sa.Column("signer_fingerprint", sa.String(64)),  # SHA-256 of the signer's certificate
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),  # HMAC (keys/chain.secret): a row inserted by hand fails
    )
    forbid_changes("issued_files")
    op.create_table(
        "key_status",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kid", sa.String(16), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),  # active | retired | compromised
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),  # UTC
        sa.Column("reason", sa.Text),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),  # HMAC chain (keys/chain.secret)
    )
    forbid_changes("key_status")
    op.add_column("document_verification", sa.Column("token", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("document_verification") as batch:
        batch.drop_column("token")
    for table in ("key_status", "issued_files"):
        allow_changes(table)
        op.drop_table(table)
