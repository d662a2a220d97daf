"""Where each application waits: its next step and when it is due, stored for the inbox.

Every existing row starts UNSCHEDULED (-1); workflow.schedule works them out, with the SOP and
the office's working time, the first time an inbox is read.

Revision ID: 0011_schedule
Revises: 0010_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_schedule"
down_revision = "0010_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("next_step", sa.Integer, server_default=sa.text("-1")))
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_applications_waiting", ["next_step", "due_at"])


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_index("ix_applications_waiting")
        batch.drop_column("due_at")
        batch.drop_column("next_step")
