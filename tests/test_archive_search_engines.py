"""Archive search is the same on both engines: FTS5 (bm25) on SQLite, a tsvector (ts_rank) on PostgreSQL.

Every test runs twice, on a SQLite workspace and on a PostgreSQL one (a real server, see
tests/pg_support.py): the same berkas filed the same way, the same queries, the same hits
in the same order.
"""

from __future__ import annotations

import pytest
from archive_support import make_permit, run_here
from conftest import HAVE_POSTGRESQL, needs_tool
from sqlalchemy import text

from sikro_docs import db
from sikro_docs.archive import file_document, search
from sikro_docs.errors import SikroError
from sikro_docs.workspace import init_workspace

ENGINES = ["sqlite", pytest.param("postgresql", marks=needs_tool(HAVE_POSTGRESQL, "PostgreSQL"))]

PEOPLE = (  # name, workplace, words of the permit's PDF
    ("Rina Sitanggang", "Optik Terang", "kacamata istimewa lensa"),
    ("Hotman Simanjuntak", "Optik Cahaya Mata", "lensa kontak sidikalang"),
    ("Dewi Lubis", "Optik Sinar Rina", "kacamata baca"),
    ("Émile Nainggolan", "Optik_Jaya Dairi", "berita acara peninjauan"),
)


def _pdf(path, words: str):
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path))
    page.drawString(72, 720, f"SURAT IZIN KERJA REFRAKSIONIS OPTISIEN {words}")
    page.save()
    return path


@pytest.fixture(params=ENGINES)
def engine_ws(request, tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    if request.param == "postgresql":
        from pg_support import use_database

        ws = use_database(ws.root, request.getfixturevalue("pg_url"))
    return ws


@pytest.fixture
def filed(engine_ws, tmp_path):
    """Four permits, each filed with its generated PDF (whose text is indexed)."""
    permits = []
    for i, (name, workplace, words) in enumerate(PEOPLE):
        permit = make_permit(engine_ws, name=name, workplace=workplace)
        assert file_document(engine_ws, permit.document_id, [_pdf(tmp_path / f"izin{i}.pdf", words)]).ok
        permits.append(permit)
    return engine_ws, permits


def _found(ws, query: str) -> list[str]:
    with db.session(ws) as session:
        return [hit.registration_number for hit in search(session, query)]


def test_the_same_queries_find_the_same_berkas_in_the_same_order(filed):
    ws, permits = filed
    reg = [p.registration_number for p in permits]
    assert _found(ws, "Rina") == [reg[0], reg[2]]  # a name outranks a workplace
    assert _found(ws, "rin") == [reg[0], reg[2]]  # prefixes, any case
    assert _found(ws, "Sitanggang Rina") == [reg[0]]  # every word, in any order
    assert _found(ws, "istimewa") == [reg[0]]  # the PDF's text
    assert sorted(_found(ws, "kacamata")) == [reg[0], reg[2]]
    assert _found(ws, "lensa kontak") == [reg[1]]
    assert _found(ws, "emile") == _found(ws, "Émile") == [reg[3]]  # diacritics do not matter
    assert _found(ws, "jaya") == [reg[3]]  # "_" separates words, as "/" and "." do
    assert _found(ws, "tidakada") == []


def test_numbers_are_phrases_of_their_parts(filed):
    ws, permits = filed
    first = permits[0]
    assert _found(ws, first.registration_number) == [first.registration_number]
    assert _found(ws, first.registration_number.replace("/", "-")) == [first.registration_number]
    assert _found(ws, first.number) == [first.registration_number]
    assert sorted(_found(ws, "REG/0000")) == [p.registration_number for p in permits]  # a prefix of a number
    assert _found(ws, "00001/SIKRO") == [first.registration_number]
    assert _found(ws, "SIKRO/00001") == []  # the parts in their order only


def test_any_query_text_is_safe(filed):
    ws, permits = filed
    for query in ('"', "AND OR NOT", "nama*", "a:b", "(", "NEAR(x y)", "-", "💥", "' or 1=1 --",
                  "x' & 'y", "\\", "a <-> b", "!rina", "rina:*A"):
        with db.session(ws) as session:
            try:
                search(session, query)
            except SikroError as exc:  # a query of no words at all: a message, never an FTS error
                assert "at least one word" in str(exc)
    assert _found(ws, 'NEAR("rina" AND') == []
    assert _found(ws, "!rina") == [permits[0].registration_number, permits[2].registration_number]


def test_the_cli_search_shows_the_same_hits_and_documents(filed):
    ws, permits = filed
    args = ["--workspace", str(ws.root)]
    [hit] = run_here("archive", "search", permits[1].number, "--json", *args).json()["hits"]
    assert hit["registration_number"] == permits[1].registration_number
    assert hit["documents"] == [{"kind": "permit", "number": permits[1].number}]
    assert hit["rank"] < 0  # lower is better, on both engines
    names = run_here("archive", "search", "Rina", "--json", *args).json()["hits"]
    assert [h["registration_number"] for h in names] == [permits[0].registration_number,
                                                          permits[2].registration_number]
    assert names[0]["rank"] <= names[1]["rank"]
    assert all(h["documents"] == [] for h in names)


def test_a_berkas_filed_again_is_found_by_its_new_words_only_once(filed, tmp_path):
    ws, permits = filed
    assert file_document(ws, permits[0].document_id, [_pdf(tmp_path / "lagi.pdf", "perpanjangan")]).ok
    assert _found(ws, "perpanjangan") == [permits[0].registration_number]
    assert _found(ws, "istimewa") == [permits[0].registration_number]


def test_reindex_rebuilds_the_search_index(filed):
    ws, permits = filed
    with db.session(ws, write=True) as session:
        table = "archive_fts" if session.get_bind().dialect.name == "sqlite" else "archive_search"
        session.execute(text(f"DELETE FROM {table}"))
    assert _found(ws, "Rina") == []
    assert run_here("archive", "reindex", "--workspace", str(ws.root)).code == 0
    assert _found(ws, "Rina") == [permits[0].registration_number, permits[2].registration_number]
    assert _found(ws, "istimewa") == [permits[0].registration_number]


@needs_tool(HAVE_POSTGRESQL, "PostgreSQL")
def test_migration_0015_makes_berkas_filed_before_it_findable(pg_workspace, tmp_path):
    """A PostgreSQL workspace that filed berkas before the search index existed: after the upgrade
    they are found by their numbers, names and workplace; their text once `archive reindex` ran."""
    from alembic import command

    ws = pg_workspace
    permit = make_permit(ws, name="Rina Sitanggang", workplace="Optik Terang")
    assert file_document(ws, permit.document_id, [_pdf(tmp_path / "izin.pdf", "istimewa")]).ok
    config = db._alembic_config(ws)
    command.downgrade(config, "0015_archive_search_pg-1")
    command.upgrade(config, "head")
    db.close_connections()
    assert _found(ws, "Rina") == _found(ws, "Terang") == _found(ws, permit.number) == [permit.registration_number]
    assert _found(ws, "istimewa") == []
    assert run_here("archive", "reindex", "--workspace", str(ws.root)).code == 0
    assert _found(ws, "istimewa") == [permit.registration_number]
