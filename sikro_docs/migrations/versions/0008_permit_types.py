"""Permit types as data: an application records its permit type and application kind,
its type-specific facts in one JSON column, and the permit it renews, changes or revokes.

Before this revision every application was a SIKRO one with four columns of its own
(STR number and validity, workplace name and address); they move into `facts`
under the same names (the SIKRO type's data says so: `key = "str_number"`...), so
the application chain's states read the same. A document's verification record
keeps the type and the type's QR fields as signed (`fields`), and who replaced it.

Revision ID: 0008_permit_types
Revises: 0007_issued_files
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0008_permit_types"
down_revision = "0007_issued_files"
branch_labels = None
depends_on = None

# The one permit type there was before this revision (data/permit-types/sikro/).
FIRST_TYPE = "sikro"
MOVED = ("str_number", "str_valid_until", "workplace_name", "workplace_address")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("permit_type", sa.String(40), nullable=False, server_default=FIRST_TYPE))
        batch.add_column(sa.Column("application_kind", sa.String(20), nullable=False, server_default="baru"))
        batch.add_column(sa.Column("previous_number", sa.String(120)))
        batch.add_column(sa.Column("previous_date", sa.Date))
        batch.add_column(sa.Column("previous_document_id", sa.Integer,
                                    sa.ForeignKey("documents.id", name="fk_applications_previous_document")))
        batch.add_column(sa.Column("place_key", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("facts", sa.JSON, nullable=False, server_default="{}"))
    rows = bind.execute(sa.text(f"SELECT id, {', '.join(MOVED)} FROM applications")).fetchall()
    for row in rows:
        facts = {name: (value.isoformat() if hasattr(value, "isoformat") else value)
                 for name, value in zip(MOVED, row[1:], strict=True)}
        bind.execute(sa.text("UPDATE applications SET facts = :facts WHERE id = :id"),
                     {"facts": json.dumps(facts), "id": row[0]})
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("uq_application_nik_date", type_="unique")
        for name in MOVED:
            batch.drop_column(name)
        batch.create_unique_constraint(
            "uq_application_identity", ["nik", "application_date", "permit_type", "application_kind", "place_key"])
        batch.create_index("ix_applications_permit_type", ["permit_type"])
        batch.create_index("ix_applications_previous_number", ["previous_number"])

    with op.batch_alter_table("document_verification") as batch:
        batch.add_column(sa.Column("permit_type", sa.String(40)))
        batch.add_column(sa.Column("fields", sa.JSON))
        batch.add_column(sa.Column("replaced_by_id", sa.Integer,
                                    sa.ForeignKey("documents.id", name="fk_verification_replaced_by")))
        batch.add_column(sa.Column("replaced_at", sa.DateTime(timezone=True)))
    records = bind.execute(sa.text("SELECT document_id, str_number, workplace FROM document_verification")).fetchall()
    for document_id, str_number, workplace in records:
        fields = {"no_str": str_number or "", "nama_tempat_kerja": workplace or ""}
        bind.execute(sa.text("UPDATE document_verification SET permit_type = :t, fields = :f "
                             "WHERE document_id = :id"),
                     {"t": FIRST_TYPE, "f": json.dumps(fields), "id": document_id})
    with op.batch_alter_table("document_verification") as batch:
        batch.drop_column("str_number")
        batch.drop_column("workplace")


def downgrade() -> None:
    """Back to one SIKRO-shaped table (only a registry of the first type can go back whole)."""
    bind = op.get_bind()
    with op.batch_alter_table("document_verification") as batch:
        batch.add_column(sa.Column("str_number", sa.String(100)))
        batch.add_column(sa.Column("workplace", sa.String(200)))
    for document_id, fields in bind.execute(sa.text("SELECT document_id, fields FROM document_verification")):
        fields = json.loads(fields) if isinstance(fields, str) else (fields or {})
        bind.execute(sa.text("UPDATE document_verification SET str_number = :s, workplace = :w WHERE document_id = :id"),
                     {"s": fields.get("no_str"), "w": fields.get("nama_tempat_kerja"), "id": document_id})
    with op.batch_alter_table("document_verification") as batch:
        for name in ("permit_type", "fields", "replaced_by_id", "replaced_at"):
            batch.drop_column(name)
    with op.batch_alter_table("applications") as batch:
        for name in MOVED[:1] + MOVED[2:]:
            batch.add_column(sa.Column(name, sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("str_valid_until", sa.Date))
    for app_id, facts in bind.execute(sa.text("SELECT id, facts FROM applications")).fetchall():
        facts = json.loads(facts) if isinstance(facts, str) else (facts or {})
        bind.execute(sa.text("UPDATE applications SET str_number = :a, str_valid_until = :b, workplace_name = :c, "
                             "workplace_address = :d WHERE id = :id"),
                     {"a": facts.get("str_number") or "", "b": facts.get("str_valid_until"),
                      "c": facts.get("workplace_name") or "", "d": facts.get("workplace_address") or "", "id": app_id})
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("uq_application_identity", type_="unique")
        batch.drop_index("ix_applications_permit_type")
        batch.drop_index("ix_applications_previous_number")
        for name in ("permit_type", "application_kind", "previous_number", "previous_date", "previous_document_id",
                     "place_key", "facts"):
            batch.drop_column(name)
        batch.create_unique_constraint("uq_application_nik_date", ["nik", "application_date"])
