"""Archive search on PostgreSQL: the table archive_search, a tsvector per berkas, and its GIN index.

SQLite has searched with the FTS5 table archive_fts since 0004; nothing changes there.
On PostgreSQL each berkas gets a row in archive_search, the `tsvector` of the four
texts FTS5 holds (numbers, names, workplace, body) weighted A to D in that order, and
one in archive_search_text, the texts themselves (see sikro_docs/archive/fulltext.py). Berkas indexed before this revision are made findable
by their numbers, names and workplace at once; their document text comes with the next
`sikro archive reindex`.

Revision ID: 0015_archive_search_pg
Revises: 0014_leases
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0015_archive_search_pg"
down_revision = "0014_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "archive_search",
        sa.Column("berkas_id", sa.Integer, sa.ForeignKey("archive_berkas.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("document", TSVECTOR, nullable=False),
    )
    op.create_index("ix_archive_search_document", "archive_search", ["document"], postgresql_using="gin")
    op.create_table(
        "archive_search_text",
        sa.Column("berkas_id", sa.Integer, sa.ForeignKey("archive_berkas.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("numbers", sa.Text, nullable=False),
        sa.Column("names", sa.Text, nullable=False),
        sa.Column("workplace", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    _fill_from_berkas()
    # The planner chooses between the GIN index and walking the newest rows by the
    # column's statistics (see fulltext.PgFullText.candidates): have them from the start.
    op.execute("ANALYZE archive_search")


def _fill_from_berkas() -> None:
    from sikro_docs.archive.fulltext import PgFullText

    connection, provider = op.get_bind(), PgFullText()
    rows = connection.execute(sa.text(
        "SELECT id, berkas_number, registration_number, document_numbers, name, title, workplace "
        "FROM archive_berkas ORDER BY id")).all()
    provider.put_many(connection, [
        (berkas_id, dict(numbers=" ".join([number, registration, *(documents if isinstance(documents, list) else [])]),
                         names=f"{name} {title}", workplace=workplace, body=""))
        for berkas_id, number, registration, documents, name, title, workplace in rows])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("archive_search_text")
        op.drop_table("archive_search")
