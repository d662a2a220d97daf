"""The archive's full-text index, one provider per database engine behind the same three calls.

`put` makes a berkas's words searchable (its numbers, names, workplace and document text),
`drop` forgets them, `candidates` returns the best-ranked berkas ids for a person's query
as {id: rank}, lower rank first (bm25's sign): `index.search` does the rest the same way on
both engines. `rows` reads back what `put` was given (a database copied to the other engine
carries its index along, see db_copy).

SQLite: the FTS5 table `archive_fts` (unicode61, diacritics removed), ranked with bm25.
PostgreSQL: the table `archive_search` with a `tsvector` per berkas (GIN index, migration
0015), ranked with ts_rank; the texts it was made of in `archive_search_text`. Its text search configuration is `simple`: no stemming
(Indonesian names are not English words) and no stop words. The words themselves are cut
here, in Python, the way unicode61 cuts them (letters and digits; "/", ".", "-" and "_"
separate), lower-cased with their diacritics removed: "503/0001/IZIN/2026" is the phrase
503 <-> 0001 <-> izin <-> 2026 in the document and in the query alike, and PostgreSQL's
parser (which would keep a path or a version number whole) only ever sees single words.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

COLUMNS = ("numbers", "names", "workplace", "body")
# Weights of the columns, in COLUMNS order: numbers count most, the document text least.
WEIGHTS = (10.0, 5.0, 3.0, 1.0)
# Matches are ranked among the newest CANDIDATES only (see index.search).
CANDIDATES = 2000

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class FullText(Protocol):
    def put(self, session: Session, berkas_id: int, columns: dict[str, str]) -> None: ...
    def drop(self, session: Session, berkas_id: int) -> None: ...
    def candidates(self, session: Session, query: str, limit: int) -> dict[int, float]: ...
    def rows(self, session: Session) -> list[tuple[int, dict[str, str]]]: ...


def words(value: str) -> list[str]:
    """The searchable words of `value`: letters and digits, lower-cased, diacritics removed."""
    return [_fold(word) for word in _WORD.findall(value)]


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def phrases(query: str) -> list[list[str]]:
    """A person's query as phrases: each whitespace-separated chunk is one, its last word a prefix."""
    return [found for found in (words(chunk) for chunk in query.split()) if found]


class Fts5:
    """SQLite FTS5: the virtual table archive_fts (migration 0004), bm25."""

    def put(self, session: Session, berkas_id: int, columns: dict[str, str]) -> None:
        self.drop(session, berkas_id)
        session.execute(
            text("INSERT INTO archive_fts (rowid, numbers, names, workplace, body) VALUES (:id, :numbers, "
                 ":names, :workplace, :body)"), {"id": berkas_id, **columns})

    def drop(self, session: Session, berkas_id: int) -> None:
        session.execute(text("DELETE FROM archive_fts WHERE rowid = :id"), {"id": berkas_id})

    def candidates(self, session: Session, query: str, limit: int) -> dict[int, float]:
        # FTS5 walks matches in rowid order natively, so the LIMIT stops the walk early and
        # bm25 is computed for at most CANDIDATES rows; the best are then picked here.
        match = fts_query(query)
        scored = session.execute(text(
            "SELECT rowid, bm25(archive_fts, :w0, :w1, :w2, :w3) FROM archive_fts "
            "WHERE archive_fts MATCH :q ORDER BY rowid DESC LIMIT :candidates"
        ), {"q": match, "candidates": CANDIDATES, **{f"w{i}": w for i, w in enumerate(WEIGHTS)}}).all()
        return dict(sorted(scored, key=lambda pair: pair[1])[:limit])

    def rows(self, session: Session) -> list[tuple[int, dict[str, str]]]:
        found = session.execute(text("SELECT rowid, numbers, names, workplace, body FROM archive_fts ORDER BY rowid"))
        return [(row[0], dict(zip(COLUMNS, row[1:]))) for row in found]


# ts_rank's weights are given for D, C, B, A; the columns are A (numbers) to D (body), and
# the bm25 weights scaled so that a number counts 1.0: {0.1, 0.3, 0.5, 1.0}.
PG_WEIGHTS = "{" + ", ".join(str(w / WEIGHTS[0]) for w in reversed(WEIGHTS)) + "}"
PG_CONFIG = "simple"
_PG_DOCUMENT = " || ".join(f"setweight(to_tsvector('{PG_CONFIG}', :{name}_words), '{letter}')"
                           for name, letter in zip(COLUMNS, "ABCD"))


class PgFullText:
    """PostgreSQL: archive_search (berkas_id, document tsvector; GIN), ranked with ts_rank.

    The four texts are kept in archive_search_text so that the index can be read back (a
    copy to SQLite); apart, so that the rows a search reads stay narrow. Positions beyond 16,383 (PostgreSQL's limit) count as 16,383: a phrase deep in
    a very long document text may then match loosely; single words always match exactly.
    """

    def put(self, session: Session, berkas_id: int, columns: dict[str, str]) -> None:
        self.put_many(session, [(berkas_id, columns)])

    def put_many(self, session: Session, rows: list[tuple[int, dict[str, str]]]) -> None:
        """`put` for many berkas in one statement sent many times (a migration, a copy)."""
        if not rows:
            return
        params = [{"id": berkas_id, **columns, **{f"{name}_words": " ".join(words(columns[name])) for name in COLUMNS}}
                  for berkas_id, columns in rows]
        session.execute(text(
            f"INSERT INTO archive_search (berkas_id, document) VALUES (:id, {_PG_DOCUMENT}) "
            "ON CONFLICT (berkas_id) DO UPDATE SET document = excluded.document"), params)
        session.execute(text(
            "INSERT INTO archive_search_text (berkas_id, numbers, names, workplace, body) "
            "VALUES (:id, :numbers, :names, :workplace, :body) "
            "ON CONFLICT (berkas_id) DO UPDATE SET numbers = excluded.numbers, names = excluded.names, "
            "workplace = excluded.workplace, body = excluded.body"), params)

    def drop(self, session: Session, berkas_id: int) -> None:
        for table in ("archive_search", "archive_search_text"):
            session.execute(text(f"DELETE FROM {table} WHERE berkas_id = :id"), {"id": berkas_id})

    def candidates(self, session: Session, query: str, limit: int) -> dict[int, float]:
        # As FTS5 does: the newest CANDIDATES matches, then the best of those. The planner
        # walks the primary key backwards when the query names much of the archive (a few
        # thousand rows read) and reads the GIN index when it names few (a name, a number):
        # the column's statistics say which. The candidates are ranked in the same pass that
        # finds them (each document is read once) with ts_rank, which weighs how often the
        # words occur, as bm25 does, at half the cost of ts_rank_cd's cover density (p95 at
        # 100,000 berkas, bench/archive_bench.py), divided by 1 + log(the document's length)
        # (normalization 1: a short document that matches counts more, as with bm25), and
        # negated, so that lower is better as with bm25.
        # psycopg prepares a statement run often, and PostgreSQL may then plan it once for any
        # query ("generic"): blind to how many rows the words match, it would walk the whole
        # table for a name. Each search is planned for its own words.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        scored = session.execute(text(
            f"SELECT berkas_id, -ts_rank('{PG_WEIGHTS}', document, CAST(:q AS tsquery), 1) AS rank "
            "FROM (SELECT berkas_id, document FROM archive_search WHERE document @@ CAST(:q AS tsquery) "
            "      ORDER BY berkas_id DESC LIMIT :candidates) AS newest "
            "ORDER BY rank, berkas_id DESC LIMIT :limit"
        ), {"q": pg_query(query), "candidates": CANDIDATES, "limit": limit}).all()
        return {berkas_id: float(rank) for berkas_id, rank in scored}

    def rows(self, session: Session) -> list[tuple[int, dict[str, str]]]:
        found = session.execute(text(
            "SELECT berkas_id, numbers, names, workplace, body FROM archive_search_text ORDER BY berkas_id"))
        return [(row[0], dict(zip(COLUMNS, row[1:]))) for row in found]


def fts_query(query: str) -> str:
    """A person's words as a safe FTS5 query: every chunk a quoted phrase (no operators), prefix-matched.

    Splitting on non-word characters the way the unicode61 tokenizer does keeps
    "REG/00001/DPMPTSP/2026" a phrase of its parts; quoting means AND, OR, NEAR,
    "*", "(" or ":" typed by a person are just text.
    """
    groups = []
    for chunk in query.split():
        found = _WORD.findall(chunk)
        if found:
            groups.append('"{}"*'.format(" ".join(found).replace('"', '""')))
    return " ".join(groups)


def pg_query(query: str) -> str:
    """The tsquery of a person's words: each chunk a phrase (<->) whose last word is a prefix
    (:*), the phrases ANDed — what `fts_query` asks FTS5. The words are letters and digits only
    (see `words`), so quoting each is all the escaping there is to do."""
    groups = []
    for phrase in phrases(query):
        quoted = [f"'{word}'" for word in phrase]
        quoted[-1] += ":*"
        groups.append("(" + " <-> ".join(quoted) + ")")
    return " & ".join(groups)


_PROVIDERS: dict[str, FullText] = {"sqlite": Fts5(), "postgresql": PgFullText()}


def for_session(session: Session) -> FullText | None:
    """The full-text provider of the session's database (None: an engine without one)."""
    return for_dialect(session.get_bind().dialect.name)


def for_dialect(name: str) -> FullText | None:
    return _PROVIDERS.get(name)
