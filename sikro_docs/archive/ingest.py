"""`sikro archive ingest`: scans in, each filed into the berkas of the document its QR code names.

Reading codes is the slow part (rendering pages, decoding): it runs in a
pool of worker processes (pypdfium2 is not thread-safe, so processes, not
threads). Verifying the codes and filing happen in this process, one
berkas at a time. A scan without a usable code is reported with the
reason, listed in the unmatched table, and left where it was; a scan
beyond a limit of `[limits.scan]` is quarantined the same way, with the
limit as its reason. One file failing, however badly, is that file's
outcome: the others are filed and the report is always printed.

What ingest may read and remove is decided in sources.py.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import select

from .. import db
from ..errors import SikroError
from ..models import Application, utcnow
from ..numbering import Document
from ..verification import TokenError, read_qr_codes, token_from_text, verify_token
from ..verification.qr import ScanLimitReached, ScanLimits
from ..verification.token import host_of
from ..workspace import Workspace
from . import ocr
from .filing import (
    DUPLICATE,
    FAILED,
    FILED,
    UNMATCHED,
    FileOutcome,
    Incoming,
    berkas_of,
    file_into,
    recover,
)
from .sources import (
    QUARANTINED,
    SCAN_SUFFIXES,
    SKIPPED,
    Protected,
    Source,
    check_arguments,
    check_move_to,
    collect,
    confirmed_copy,
    release,
    snapshot_folder,
)
from .tables import Unmatched

__all__ = ["SCAN_SUFFIXES", "SKIPPED", "QUARANTINED", "IngestReport", "ingest", "run_pending_ocr"]

DEFAULT_WORKERS = 2
# Verdicts that prove the paper is this office's document (it may since have been revoked or
# expired: the paper is still part of the record and is filed all the same).
FILEABLE = {"valid", "expired", "revoked", "replaced", "void"}
LIMIT = "limit"  # state of a file beyond a scan limit


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status in (FILED, DUPLICATE) for f in self.files)

    def as_json(self) -> dict:
        return {"files": [f.as_json() for f in self.files], "notes": self.notes}


# --------------------------------------------------------------------------- reading codes


def _read_codes(path: str, limits: ScanLimits) -> tuple[str, list[str] | str]:
    """Worker: ("ok", codes), ("limit", why) or ("error", why). Never raises: one bad file must
    not stop a batch."""
    try:
        return "ok", read_qr_codes(path, limits)
    except ScanLimitReached as exc:
        return LIMIT, str(exc)
    except SikroError as exc:
        return "error", str(exc)
    except MemoryError:
        return LIMIT, f"{path}: reading it ran out of memory"
    except Exception as exc:  # a decoder crash on a hostile file is that file's problem only
        return "error", f"cannot be read ({type(exc).__name__})"


def read_all_codes(paths: list[Path], limits: ScanLimits, workers: int = DEFAULT_WORKERS):
    """(state, codes or why) per path, in order, yielded as soon as each is decoded.

    Yielding lets the caller file scan n while the workers decode n+1 and
    n+2: decoding is CPU, filing mostly waits on fsync, so they overlap.
    The workers are the backstop behind the limits' checks: each may add at
    most `reader_memory_mb` of address space (beyond it, MemoryError: that
    file is quarantined) and a file that takes more than twice
    `decode_seconds` (plus a margin) has its worker killed; a worker killed
    fails its file only, and the files after it are read in a fresh pool.
    """
    names = [str(p) for p in paths]
    timeout = 2 * limits.decode_seconds + READ_MARGIN_S
    position = 0
    while position < len(names):
        pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(names) - position)),
                                   mp_context=get_context("fork"), initializer=_start_worker,
                                   initargs=(os.getpid(), limits.reader_memory_mb))
        broken = False
        try:
            futures = [pool.submit(_read_codes, name, limits) for name in names[position:]]
            for future in futures:
                result, broken = _outcome(future, timeout, limits)
                yield result
                position += 1
                if broken:
                    break  # this pool is gone: the files after it get a fresh one
        finally:
            if broken or position < len(names):
                _kill_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future, timeout: float, limits: ScanLimits) -> tuple[tuple[str, list[str] | str], bool]:
    """A worker's answer, or why there is none; True when the pool cannot be used any more."""
    try:
        return future.result(timeout=timeout), False
    except BrokenProcessPool:
        return (LIMIT, "the process reading it died (killed, or out of memory)"), True
    except FuturesTimeout:
        return (LIMIT, f"reading it took longer than {timeout:g} s "
                       f"(limits.scan.decode_seconds = {limits.decode_seconds:g})"), True


READ_MARGIN_S = 10


def _start_worker(ingest_pid: int, extra_mb: float) -> None:
    """Worker start: it dies with the ingest (a killed one leaves no reader blocked on its
    queue for ever), and its address space may grow by at most `extra_mb` beyond what it has now."""
    import resource
    import signal

    from ..childenv import end_with_parent

    end_with_parent(signal.SIGKILL, ingest_pid)

    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = current + int(extra_mb * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    except (OSError, ValueError):
        pass  # not Linux: the limits' own checks still hold


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()


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


def ingest(ws: Workspace, paths, *, keep: bool = False, move_to=None, do_ocr: bool = True,
           workers: int = DEFAULT_WORKERS, agent: str = "sikro-docs", progress=None) -> IngestReport:
    """File the scans at `paths`. UnusableInput (nothing done) for a folder of the workspace or a
    --move-to folder inside it; everything else is reported file by file. `progress(outcomes)`, if
    given, hears of each file as soon as it is done (a job's progress; it may raise to stop the run)."""
    protected = Protected(ws)
    check_arguments(ws, paths, protected)
    move_to = check_move_to(ws, move_to or ws.profile.get("archive", {}).get("move_ingested_to"), protected)
    limits = ScanLimits.from_profile(ws.profile)
    recover(ws)
    report = IngestReport()
    with snapshot_folder(ws) as snapshots:
        sources, problems = collect(ws, paths, limits, protected, snapshots)
        report.files += problems
        if progress and problems:
            progress(problems)
        filed: list[tuple[Source, list[FileOutcome]]] = []
        for source, (state, found) in zip(sources, read_all_codes([s.copy for s in sources], limits, workers),
                                          strict=True):
            outcomes = _guarded(source, lambda s=source, st=state, f=found: _file_scan(ws, s, st, f, agent, limits))
            filed.append((source, outcomes))
            report.files += outcomes
            if progress:
                progress(outcomes)
        report.notes += _step("recording the unmatched files", _remember_unmatched, ws, filed)
        if not keep:
            for source, outcomes in filed:
                _release(ws, source, outcomes, protected, move_to)
    if do_ocr:
        report.notes += _step("OCR", run_pending_ocr, ws, agent=agent)
    return report


def _guarded(source: Source, work) -> list[FileOutcome]:
    """The outcomes of one file, whatever happens while filing it; paths shown as given."""
    try:
        outcomes = work()
    except SikroError as exc:
        outcomes = [FileOutcome(str(source.copy), FAILED, message=f"not filed: {exc}")]
    except Exception as exc:  # MemoryError too: that file fails, the run goes on
        outcomes = [FileOutcome(str(source.copy), FAILED, message=f"not filed: internal error ({type(exc).__name__})")]
    for outcome in outcomes:
        outcome.path = str(source.path)
    return outcomes


def _step(what: str, func, *args, **kwargs) -> list[str]:
    """Run a step after the filing; its failure is a note, never a lost report."""
    try:
        return func(*args, **kwargs) or []
    except Exception as exc:
        return [f"{what} failed: {exc if isinstance(exc, SikroError) else type(exc).__name__}"]


def _file_scan(ws: Workspace, source: Source, state: str, found, agent: str,
               limits: ScanLimits) -> list[FileOutcome]:
    where = str(source.copy)
    if state == LIMIT:
        return [FileOutcome(where, QUARANTINED, message=f"quarantined: {_reason(found, source)}")]
    if state == "error" or not found:
        return [FileOutcome(where, UNMATCHED, message=_reason(found, source) or "no QR code found")]
    with db.session(ws) as session:
        match = match_codes(ws, session, found)
        if isinstance(match, str):
            return [FileOutcome(where, UNMATCHED, message=match)]
        meta = berkas_of(ws, session, [match.application])[match.application.id]
    return file_into(ws, meta, [_scan_item(source.copy, match.document, limits)], agent=agent)


def _reason(found, source: Source) -> str:
    """A reader's message without the snapshot's path (the report names the file already)."""
    text = found if isinstance(found, str) else ""
    prefix = f"{source.copy}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _scan_item(source: Path, document: Document, limits: ScanLimits) -> Incoming:
    text, text_source = ocr.text_layer(source, limits)
    return Incoming(source=source, origin="scan", kind=document.kind, number=document.number,
                    uid=document.uid, on=document.date, text=text if text_source == ocr.PDF_TEXT else "",
                    text_source=text_source)


def _remember_unmatched(ws: Workspace, filed: list[tuple[Source, list[FileOutcome]]]) -> list[str]:
    """Unmatched and quarantined files get a row with their reason (replaced at each run: a row
    never stops a later run from reading the file again)."""
    rows = [(source, o) for source, outcomes in filed for o in outcomes if o.status in (UNMATCHED, QUARANTINED)]
    if not rows:
        return []
    with db.session(ws, write=True) as session:
        for source, outcome in rows:
            row = session.scalars(select(Unmatched).where(Unmatched.path == outcome.path,
                                                          Unmatched.sha256 == source.sha256)).first()
            row = row or Unmatched(path=outcome.path, sha256=source.sha256)
            row.reason, row.seen_at = outcome.message, utcnow()
            session.add(row)
    return []


def _release(ws: Workspace, source: Source, outcomes: list[FileOutcome], protected: Protected,
             move_to: Path | None) -> None:
    """Remove or move a source only once its bytes are verifiably in a bag (filed now, or earlier)."""
    for outcome in outcomes:
        if outcome.status not in (FILED, DUPLICATE) or not outcome.stored:
            continue
        try:
            archived = _archived_path(ws, outcome)
            if not confirmed_copy(archived, source.sha256) or outcome.sha256 != source.sha256:
                outcome.message += "; source kept (its archived copy could not be confirmed)"
                continue
            outcome.message += "; " + release(source, protected, move_to)
        except (OSError, SikroError) as exc:
            outcome.message += f"; source kept ({exc})"


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
