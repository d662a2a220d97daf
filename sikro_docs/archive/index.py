"""The archive index: rows rebuilt from a bag, full-text search (FTS5 or PostgreSQL, see fulltext).

`index_bag` is the one way rows get into the index, whether a file was
just filed, a crashed filing is recovered, or everything is rebuilt after
the database was lost: what the bag says is what the index holds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from ..errors import SikroError, UnusableInput
from ..models import utcnow
from . import fulltext
from .bags import BagContent, read_bag
from .berkas import LOCATION_PARTS, BerkasMeta, location_line
from .events import DERIVATION, INGESTION, filed_hashes, record_events, warnings_of
from .tables import ArchiveFile, Berkas, Location

TEXT_DIR = "data/text/"
MAX_BODY_CHARS = 400_000  # per berkas: enough for every page of a case file, bounded for the index
WEIGHTS = fulltext.WEIGHTS  # of the columns numbers, names, workplace, body (document text)
DEFAULT_LIMIT = 20
MAX_QUERY_CHARS = 200  # default of [limits.search] query_chars


def index_bag(session: Session, root: Path, bag: Path, *, chain_references: bool = True) -> Berkas:
    """Make the index say what the bag at `bag` says (berkas, files, location, events, text).

    `chain_references=False` (a rebuild of a lost index from the bags alone) chains nothing: what
    a bag says after the database is gone is not the tool's own record of what it filed.
    """
    content = read_bag(bag)
    meta = BerkasMeta.from_bag(content)
    berkas = _upsert_berkas(session, meta, str(bag.relative_to(root)), content)
    record_events(session, meta.berkas_number, content.events, chain_references=chain_references)
    session.flush()
    reference = filed_hashes(session, meta.berkas_number)
    session.execute(delete(ArchiveFile).where(ArchiveFile.berkas_id == berkas.id))
    _set_location(session, berkas.id, meta.location)
    rows = _file_rows(berkas.id, bag, content, reference)
    if rows:  # one statement for the berkas's files (nothing reads them back as objects here)
        session.execute(insert(ArchiveFile.__table__), rows)
    _index_text(session, berkas, bag, content)
    return berkas


def _upsert_berkas(session: Session, meta: BerkasMeta, rel: str, content: BagContent) -> Berkas:
    berkas = session.scalars(select(Berkas).where(Berkas.berkas_number == meta.berkas_number)).first()
    if berkas is None:
        berkas = Berkas(berkas_number=meta.berkas_number)
        session.add(berkas)
    for name in ("registration_number", "classification", "title", "name", "nik_masked", "workplace",
                 "date_start", "date_end", "active_until", "inactive_until", "final_fate", "stage",
                 "document_numbers"):
        setattr(berkas, name, getattr(meta, name))
    berkas.year, berkas.path = meta.year, rel
    berkas.version = content.get("Sikro-Bag-Version")
    berkas.application_id = berkas.application_id or _application_id(session, meta.registration_number)
    berkas.updated_at = utcnow()
    session.flush()
    return berkas


def _application_id(session: Session, registration_number: str) -> int | None:
    from ..models import Application

    return session.scalar(select(Application.id).where(Application.registration_number == registration_number))


def _file_rows(berkas_id: int, bag: Path, content: BagContent, reference: dict[str, str]) -> list[dict]:
    """One row per manifest entry; what it is comes from its ingestion / derivation event, its
    hash from the event table when it has one (a rewritten manifest never reaches the index)."""
    facts: dict[str, dict] = {}
    for event in content.events:
        detail = event.get("eventDetail") or {}
        if event.get("eventType") in (INGESTION, DERIVATION) and detail.get("path"):
            facts[detail["path"]] = {**detail, "at": event.get("eventDateTime")}
    texts = {f["derived_from"]: f.get("text_source") for f in facts.values() if f.get("derived_from")}
    rows = []
    for path, digest in sorted(content.manifest.items()):
        fact = facts.get(path, {})
        file = bag / path
        rows.append(dict(
            berkas_id=berkas_id, path=path, sha256=reference.get(path, digest), size=file.stat().st_size if file.is_file() else 0,
            role="derivative" if fact.get("derived_from") else "original",
            origin=fact.get("origin", "unknown"), kind=fact.get("kind"),
            document_number=fact.get("number"), document_uid=fact.get("uid"),
            source_name=fact.get("source_name"),
            text_source=texts.get(path, fact.get("text_source")), derived_from=fact.get("derived_from"),
            filed_at=_when(fact.get("at")),
        ))
    return rows


def _when(text) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        return utcnow()


def _set_location(session: Session, berkas_id: int, location: dict | None) -> None:
    row = session.get(Location, berkas_id)
    if not location:
        if row is not None:
            session.delete(row)
        return
    row = row or Location(berkas_id=berkas_id)
    for part in LOCATION_PARTS:
        setattr(row, part, location.get(part, ""))
    row.updated_at = utcnow()
    session.add(row)


def _body_text(bag: Path, content: BagContent) -> str:
    parts, total = [], 0
    for path in sorted(p for p in content.manifest if p.startswith(TEXT_DIR)):
        try:
            chunk = (bag / path).read_text("utf-8", errors="replace")
        except OSError:
            continue  # missing on disk: the audit reports it; the index simply lacks its words
        parts.append(chunk[: MAX_BODY_CHARS - total])
        total += len(parts[-1])
        if total >= MAX_BODY_CHARS:
            break
    return "\n".join(parts)


def _index_text(session: Session, berkas: Berkas, bag: Path, content: BagContent) -> None:
    put_fts_row(session, berkas.id, numbers=" ".join([berkas.berkas_number, berkas.registration_number,
                                                      *berkas.document_numbers]),
                names=f"{berkas.name} {berkas.title}", workplace=berkas.workplace,
                body=_body_text(bag, content))


def put_fts_row(session: Session, rowid: int, *, numbers: str, names: str, workplace: str, body: str) -> None:
    """Make berkas `rowid` findable by these words (replacing what it was findable by)."""
    provider = fulltext.for_session(session)
    if provider is not None:
        provider.put(session, rowid, dict(numbers=numbers, names=names, workplace=workplace, body=body))


def drop_fts_row(session: Session, rowid: int) -> None:
    provider = fulltext.for_session(session)
    if provider is not None:
        provider.drop(session, rowid)


# --------------------------------------------------------------------------- searching

_TERM = re.compile(r"\w+", re.UNICODE)
fts_query = fulltext.fts_query


@dataclass
class Hit:
    berkas_number: str
    registration_number: str
    name: str
    classification: str
    kurun: str
    location: str
    path: str
    rank: float
    documents: list[dict] = field(default_factory=list)  # the documents whose number matched
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return dict(self.__dict__)


# A query that matches most of the archive (words every permit shares) is
# ranked among its newest CANDIDATES matches only: bm25 over 100,000 rows
# costs ~200 ms, over a few thousand ~5 ms, and the newest files are the
# ones an archivist most often looks for. Names and numbers match few rows
# and are ranked in full. The same holds for ts_rank on PostgreSQL.
CANDIDATES = fulltext.CANDIDATES


def search(session: Session, query: str, *, limit: int = DEFAULT_LIMIT,
           max_chars: int = MAX_QUERY_CHARS) -> list[Hit]:
    if len(query) > max_chars:
        raise UnusableInput(f"the search query is {len(query)} characters long: beyond the limit "
                            f"limits.search.query_chars = {max_chars}")
    provider = fulltext.for_session(session)
    if provider is None:
        raise SikroError(f"archive search needs SQLite or PostgreSQL; this workspace uses "
                         f"{session.get_bind().dialect.name}")
    if not fulltext.phrases(query):
        raise SikroError("give at least one word or number to search for")
    best = provider.candidates(session, query, limit)  # {berkas id: rank}, lower is better
    if not best:
        return []
    rows = session.execute(text(
        "SELECT b.berkas_number, b.registration_number, b.name, b.classification, b.date_start, b.date_end, "
        "b.path, b.id, l.room, l.cabinet, l.shelf, l.box, l.folder "
        "FROM archive_berkas b LEFT JOIN archive_locations l ON l.berkas_id = b.id "
        f"WHERE b.id IN ({', '.join(str(int(i)) for i in best)})"
    )).all()
    hits = [_hit((*row[:7], best[row[7]], *row[8:])) for row in rows]
    _name_documents(session, hits, {row[0]: row[7] for row in rows}, query)
    warnings = warnings_of(session, [hit.berkas_number for hit in hits])
    for hit in hits:
        hit.warnings = warnings.get(hit.berkas_number, [])
    return sorted(hits, key=lambda hit: hit.rank)


def _name_documents(session: Session, hits: list[Hit], ids: dict[str, int], query: str) -> None:
    """Each hit's documents (kind, number) whose number the query names, in filing order."""
    phrases = [[w.lower() for w in _TERM.findall(chunk)] for chunk in query.split()]
    phrases = [p for p in phrases if p]
    rows = session.execute(select(ArchiveFile.berkas_id, ArchiveFile.kind, ArchiveFile.document_number)
                           .where(ArchiveFile.berkas_id.in_(list(ids.values())),
                                  ArchiveFile.document_number.is_not(None))
                           .order_by(ArchiveFile.id)).all()
    by_berkas: dict[int, list[dict]] = {}
    for berkas_id, kind, number in rows:
        words = [w.lower() for w in _TERM.findall(number)]
        entry = {"kind": kind, "number": number}
        if any(_names(words, phrase) for phrase in phrases) and entry not in by_berkas.get(berkas_id, []):
            by_berkas.setdefault(berkas_id, []).append(entry)
    for hit in hits:
        hit.documents = by_berkas.get(ids[hit.berkas_number], [])


def _names(words: list[str], phrase: list[str]) -> bool:
    """Whether `phrase` occurs in `words` as FTS5 would match it: in order, the last word a prefix."""
    for start in range(len(words) - len(phrase) + 1):
        window = words[start:start + len(phrase)]
        if window[:-1] == phrase[:-1] and window[-1].startswith(phrase[-1]):
            return True
    return False


def _hit(row) -> Hit:
    location = dict(zip(LOCATION_PARTS, row[8:13])) if row[8] is not None else None
    return Hit(berkas_number=row[0], registration_number=row[1], name=row[2], classification=row[3],
               kurun=kurun_waktu(_as_date(row[4]), _as_date(row[5])), location=location_line(location),
               path=row[6], rank=round(float(row[7]), 4))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def kurun_waktu(start: dt.date, end: dt.date) -> str:
    return str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
