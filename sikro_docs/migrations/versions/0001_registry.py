"""Registry: applications and the append-only event log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from sikro_docs.db import forbid_changes

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("registration_number", sa.String(64), nullable=False, unique=True),
        sa.Column("application_date", sa.Date, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("nik", sa.String(16), nullable=False, index=True),
        sa.Column("birth_place", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("email", sa.String(200)),
        sa.Column("education", sa.String(200), nullable=False),
        sa.Column("str_number", sa.String(100), nullable=False),
        sa.Column("str_valid_until", sa.Date),
        sa.Column("workplace_name", sa.String(200), nullable=False),
        sa.Column("workplace_address", sa.Text, nullable=False),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("recommendation_number", sa.String(100)),
        sa.Column("recommendation_date", sa.Date),
        sa.Column("decision", sa.String(20)),
        sa.Column("rejection_reason", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("current_step", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("nik", "application_date", name="uq_application_nik_date"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("source_file", sa.Text),
        sa.Column("source_row", sa.Integer),
    )
    forbid_changes("events")


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("applications")
