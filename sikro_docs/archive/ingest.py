"""`sikro archive ingest`: scans in, each filed into the berkas of the document its QR code names.

Reading codes is the slow part (rendering pages, decoding): it runs in a
pool of worker processes (pypdfium2 is not thread-safe, so processes, not
threads). Verifying the codes and filing happen in this process, one
berkas at a time. A scan without a usable code is reported with the
reason, listed in the unmatched table, and left where it was.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import select

from .. import db
from ..errors import SikroError
from ..models import Application, utcnow
from ..numbering import Document
from ..verification import TokenError, read_qr_codes, token_from_text, verify_token
from ..verification.token import host_of
from ..workspace import Workspace
from . import ocr
from .bags import sha256_file
from .filing import (
    DUPLICATE, FILED, UNMATCHED, FileOutcome, Incoming, berkas_of, file_into, recover,
)
from .tables import Unmatched

SCAN_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")
DEFAULT_WORKERS = 2
# Verdicts that prove the paper is this office's document (it may since have been revoked or
# expired: the paper is still part of the record and is filed all the same).
FILEABLE = {"valid", "expired", "revoked", "void"}


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status in (FILED, DUPLICATE) for f in self.files)

    def as_json(self) -> dict:
        return {"files": [f.as_json() for f in self.files], "notes": self.notes}


# --------------------------------------------------------------------------- finding the files


def collect(paths) -> tuple[list[Path], list[FileOutcome]]:
    """Files to read (folders expanded, hidden files skipped); outcomes for what is not usable."""
    found, problems = [], []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        elif path.is_file():
            found.append(path)
        else:
            problems.append(FileOutcome(str(path), UNMATCHED, message="no such file or folder"))
    usable = []
    for path in dict.fromkeys(p.resolve() for p in found):
        if path.suffix.lower() in SCAN_SUFFIXES or ocr.is_pdf(path):
            usable.append(path)
        else:
            problems.append(FileOutcome(str(path), UNMATCHED, message="not a PDF or image; left where it is"))
    return usable, problems


def _hidden(path: Path, top: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(top).parts)


# --------------------------------------------------------------------------- reading codes


def _read_codes(path: str) -> tuple[str, list[str] | str]:
    """Worker: ("ok", codes) or ("error", why). Never raises: one bad file must not stop a batch."""
    try:
        return "ok", read_qr_codes(path)
    except SikroError as exc:
        return "error", str(exc)
    except Exception as exc:  # a decoder crash on a hostile file is that file's problem only
        return "error", f"cannot be read ({type(exc).__name__})"


def read_all_codes(paths: list[Path], workers: int = DEFAULT_WORKERS):
    """(state, codes or why) per path, in order, yielded as soon as each is decoded.

    Yielding lets the caller file scan n while the workers decode n+1 and
    n+2: decoding is CPU, filing mostly waits on fsync, so they overlap.
    """
    names = [str(p) for p in paths]
    if workers <= 1 or len(paths) <= 1:
        yield from (_read_codes(name) for name in names)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(paths)), mp_context=get_context("fork")) as pool:
        yield from pool.map(_read_codes, names, chunksize=1)


# --------------------------------------------------------------------------- matching


@dataclass
class Match:
    document: Document
    application: Application
    status: str


def match_codes(ws: Workspace, session, codes: list[str]) -> Match | str:
    """The document the codes name, or why none can be used."""
    host = host_of(ws.profile.get("verification", {}).get("base_url", "") or "") or None
    matches, reasons = {}, []
    for text in codes:
        try:
            token = token_from_text(text, host)
        except TokenError as exc:
            reasons.append(f"QR code is not a verification code of this office ({exc})")
            continue
        verdict = verify_token(ws, token, online=True, session=session)
        if verdict.status not in FILEABLE:
            reasons.append(f"QR code rejected: {verdict.status} ({verdict.reason})")
            continue
        document = session.scalars(select(Document).where(Document.uid == verdict.document_uid)).first()
        app = session.get(Application, document.application_id) if document and document.application_id else None
        if app is None:
            reasons.append("the document belongs to no application")
            continue
        matches[app.id] = Match(document, app, verdict.status)
    if len(matches) > 1:
        return "the file shows documents of several applications; scan them separately"
    if matches:
        return next(iter(matches.values()))
    return reasons[0] if reasons else "no QR code found"


# --------------------------------------------------------------------------- the whole run


def ingest(ws: Workspace, paths, *, keep: bool = False, do_ocr: bool = True,
           workers: int = DEFAULT_WORKERS, agent: str = "sikro-docs") -> IngestReport:
    recover(ws)
    sources, problems = collect(paths)
    report = IngestReport(files=list(problems))
    for source, (state, found) in zip(sources, read_all_codes(sources, workers)):
        report.files += _file_scan(ws, source, state, found, agent)
    _remember_unmatched(ws, report.files)
    if not keep:
        _remove_sources(ws, report.files)
    if do_ocr:
        report.notes += run_pending_ocr(ws, agent=agent)
    return report


def _file_scan(ws: Workspace, source: Path, state: str, found, agent: str) -> list[FileOutcome]:
    if state == "error" or not found:
        return [FileOutcome(str(source), UNMATCHED, message=found or "no QR code found")]
    with db.session(ws) as session:
        match = match_codes(ws, session, found)
        if isinstance(match, str):
            return [FileOutcome(str(source), UNMATCHED, message=match)]
        meta = berkas_of(ws, session, [match.application])[match.application.id]
    return file_into(ws, meta, [_scan_item(source, match.document)], agent=agent)


def _scan_item(source: Path, document: Document) -> Incoming:
    text, text_source = ocr.text_layer(source)
    return Incoming(source=source, origin="scan", kind=document.kind, number=document.number,
                    uid=document.uid, on=document.date, text=text if text_source == ocr.PDF_TEXT else "",
                    text_source=text_source)


def _remember_unmatched(ws: Workspace, outcomes: list[FileOutcome]) -> None:
    unmatched = [o for o in outcomes if o.status == UNMATCHED and Path(o.path).is_file()]
    if not unmatched:
        return
    with db.session(ws, write=True) as session:
        for outcome in unmatched:
            digest = sha256_file(Path(outcome.path))[0]
            row = session.scalars(select(Unmatched).where(Unmatched.path == outcome.path,
                                                          Unmatched.sha256 == digest)).first()
            row = row or Unmatched(path=outcome.path, sha256=digest)
            row.reason, row.seen_at = outcome.message, utcnow()
            session.add(row)


def _remove_sources(ws: Workspace, outcomes: list[FileOutcome]) -> None:
    """Delete a source only once its bytes are verifiably in a bag (filed now, or earlier)."""
    for outcome in outcomes:
        if outcome.status not in (FILED, DUPLICATE) or not outcome.stored:
            continue
        archived = _archived_path(ws, outcome)
        if archived is None or not archived.is_file() or sha256_file(archived)[0] != outcome.sha256:
            outcome.message += "; source kept (its archived copy could not be confirmed)"
            continue
        try:
            os.unlink(outcome.path)
            outcome.message += "; source removed"
        except OSError as exc:
            outcome.message += f"; source could not be removed ({exc.strerror or exc})"


def _archived_path(ws: Workspace, outcome: FileOutcome) -> Path | None:
    if outcome.status == DUPLICATE:
        return ws.archive_dir / outcome.stored if "/data/" in outcome.stored else None
    return ws.archive_dir / _berkas_path(ws, outcome.berkas) / outcome.stored


def _berkas_path(ws: Workspace, berkas_number: str) -> str:
    from .tables import Berkas

    with db.session(ws) as session:
        return session.scalars(select(Berkas.path).where(Berkas.berkas_number == berkas_number)).one()


# --------------------------------------------------------------------------- OCR afterwards


def run_pending_ocr(ws: Workspace, *, agent: str = "sikro-docs", limit: int | None = None) -> list[str]:
    """OCR every archived original still without text; notes for the report."""
    from .filing import ocr_pending_files

    return ocr_pending_files(ws, agent=agent, limit=limit)
