"""Archive: case files (berkas), their files, locations, events, full-text index

The bags on disk are the record; these tables are an index of them that
`sikro archive reindex` can rebuild from the bags alone. `archive_events`
is append-only (PREMIS-style evidence is never rewritten); every event
carries the uuid it has in the bag's `premis-events.jsonl`, so a rebuild
adds only what is missing.

Revision ID: 0004
Revises: 0003
"""


import sqlalchemy as sa
from alembic import op

from sikro_docs.db import forbid_changes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# One row per berkas; weights of the columns are given at query time (bm25).
FTS_CREATE = """
CREATE VIRTUAL TABLE archive_fts USING fts5(
    numbers, names, workplace, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
)
"""


def upgrade() -> None:
    op.create_table(
        "archive_berkas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("berkas_number", sa.String(120), nullable=False, unique=True),
        sa.Column("registration_number", sa.String(64), nullable=False, index=True),
        sa.Column("application_id", sa.Integer, index=True),  # no FK: survives a lost registry
        sa.Column("classification", sa.String(40), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),  # relative to the archive root
        sa.Column("title", sa.Text, nullable=False),  # uraian
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("nik_masked", sa.String(16), nullable=False),
        sa.Column("workplace", sa.Text, nullable=False),
        sa.Column("document_numbers", sa.JSON, nullable=False),
        sa.Column("date_start", sa.Date, nullable=False),
        sa.Column("date_end", sa.Date, nullable=False),
        sa.Column("active_until", sa.Date, nullable=False),
        sa.Column("inactive_until", sa.Date, nullable=False),
        sa.Column("final_fate", sa.String(40), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),  # aktif|inaktif|musnah|permanen|dinilai-kembali
        sa.Column("version", sa.String(32), nullable=False),  # Sikro-Bag-Version of the indexed bag
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "archive_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("berkas_id", sa.Integer, sa.ForeignKey("archive_berkas.id"), nullable=False, index=True),
        sa.Column("path", sa.Text, nullable=False),  # inside the bag: data/...
        sa.Column("sha256", sa.String(64), nullable=False, index=True),  # duplicates are refused by the filing code
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),  # original | derivative
        sa.Column("origin", sa.String(20), nullable=False),  # generated | scan | manual | text
        sa.Column("kind", sa.String(40)),
        sa.Column("document_number", sa.String(120), index=True),
        sa.Column("document_uid", sa.String(32)),
        sa.Column("source_name", sa.Text),
        sa.Column("text_source", sa.String(20)),  # pdf-text | ocr | signed | none | NULL (OCR pending)
        sa.Column("derived_from", sa.Text),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("berkas_id", "path", name="uq_archive_file_path"),
    )
    op.create_table(
        "archive_locations",
        sa.Column("berkas_id", sa.Integer, sa.ForeignKey("archive_berkas.id"), primary_key=True),
        sa.Column("room", sa.String(100), nullable=False),
        sa.Column("cabinet", sa.String(100), nullable=False),
        sa.Column("shelf", sa.String(100), nullable=False),
        sa.Column("box", sa.String(100), nullable=False, index=True),
        sa.Column("folder", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "archive_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("berkas_number", sa.String(120), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    forbid_changes("archive_events")
    op.create_table(
        "archive_unmatched",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("path", "sha256", name="uq_archive_unmatched"),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(FTS_CREATE)
    # Other databases: no FTS5; `archive search` says it needs SQLite (see archive.index).


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS archive_fts")
    op.drop_table("archive_unmatched")
    op.drop_table("archive_events")
    op.drop_table("archive_locations")
    op.drop_table("archive_files")
    op.drop_table("archive_berkas")
