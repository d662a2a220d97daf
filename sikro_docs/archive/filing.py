"""Filing files into berkas: one atomic bag change, then the index, then (only then) success.

Order of a filing, and why:
1. under the berkas's filing lock (archive/locking.py), finish whatever a killed
   process left (`recover`);
2. hash every incoming file; one already in the archive is a duplicate;
3. build and swap in the bag's next version (bags.stage_and_swap): from
   here the files are safely on disk, fsynced, in the manifest;
4. index the bag in the database;
5. drop the staging leftovers. A crash between 3 and 5 leaves an intent
   that the next command's `recover` completes (swap, index, drop).
Only after 4 is a file reported "filed" and may its source be removed.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import delete, select

from .. import db
from ..errors import SikroError
from ..models import Application
from ..numbering import Document
from ..verification.qr import ScanLimits
from ..workspace import Workspace
from . import ocr
from .active_content import active_content
from .bags import (
    NewPayload,
    Staged,
    discard_staging,
    pending_stagings,
    read_bag,
    safe_name,
    sha256_file,
    stage_and_swap,
    swap_in,
)
from .berkas import BerkasMeta, berkas_number_for, meta_for_application
from .events import (
    DERIVATION,
    FAILURE,
    INGESTION,
    SUCCESS,
    VALIDATION,
    WARNING,
    new_event,
)
from .index import index_bag
from .locking import ArchiveHold, filing_lock
from .refusals import AmbiguousArchiveRef, UnknownArchiveRef
from .retention import STAGE_DISPOSED, STAGE_HANDED_OVER
from .tables import ArchiveFile, Berkas, Unmatched

FILED, UNMATCHED, DUPLICATE, FAILED = "filed", "unmatched", "duplicate", "failed"
ORIGIN_FOLDERS = {"scan": "scans", "generated": "documents", "manual": "manual"}
DEFAULT_AGENT = "sikro-docs"


@dataclass
class Incoming:
    """A file to be filed, and what it is."""

    source: Path
    origin: str  # scan | generated | manual
    kind: str | None = None
    number: str | None = None
    uid: str | None = None
    on: dt.date | None = None
    text: str = ""
    text_source: str | None = None  # None: OCR pending


@dataclass
class FileOutcome:
    path: str
    status: str
    berkas: str | None = None
    number: str | None = None
    message: str = ""
    stored: str | None = None  # path inside the bag
    sha256: str | None = None

    def as_json(self) -> dict:
        return {"path": self.path, "status": self.status, "berkas": self.berkas,
                "number": self.number, "message": self.message}


@dataclass
class FilingResult:
    berkas: str | None
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status in (FILED, DUPLICATE) for f in self.files)


# --------------------------------------------------------------------------- recovery


def recover(ws: Workspace, hold: ArchiveHold | None = None) -> int:
    """Complete or discard what killed processes left in .staging; returns how many were completed.

    `hold`: what the caller holds already (archive/locking.py); without it, only whole-archive
    work is kept out meanwhile. Stagings of a berkas another live process holds are its own.
    """
    if not (ws.archive_dir / ".staging").is_dir():
        return 0
    if hold is not None:
        return _recover_held(ws, hold)
    with filing_lock(ws) as held:
        return _recover_held(ws, held)


def _recover_held(ws: Workspace, hold: ArchiveHold) -> int:
    root, done = ws.archive_dir, 0
    for staging, target in pending_stagings(root):
        with hold.claim(staging) as ours:
            if not ours:
                continue
            if target is None:
                discard_staging(staging)  # never reached its commit point: as if it never began
                continue
            swap_in(root, staging)
            if (root / target / "bagit.txt").is_file():
                with db.session(ws, write=True) as session:
                    index_bag(session, root, root / target)
            discard_staging(staging)
            done += 1
    return done


# --------------------------------------------------------------------------- the berkas of a thing


def current_meta(ws: Workspace, meta: BerkasMeta) -> BerkasMeta:
    """The berkas's metadata as its bag has it (location, stage, numbers), else `meta` for a new one."""
    bag = ws.archive_dir / meta.rel_path
    if (bag / "bagit.txt").is_file():
        found = BerkasMeta.from_bag(read_bag(bag))
        return replace(found, application_id=meta.application_id)
    return meta


def berkas_of(ws: Workspace, session, apps: list[Application]) -> dict[int, BerkasMeta]:
    """Each application's berkas, by application id: where it was filed (the office may have
    changed its classification since), or a new one."""
    numbers = [app.registration_number for app in apps]
    filed = {row.registration_number: row.path for row in
             session.scalars(select(Berkas).where(Berkas.registration_number.in_(numbers)))}
    found = {}
    for app in apps:
        path = filed.get(app.registration_number)
        if path and (ws.archive_dir / path / "bagit.txt").is_file():
            found[app.id] = replace(BerkasMeta.from_bag(read_bag(ws.archive_dir / path)), application_id=app.id)
        else:
            found[app.id] = meta_for_application(ws, app)
    return found


def meta_for_ref(ws: Workspace, ref: str) -> tuple[BerkasMeta, Document | None]:
    """REF: a registration number, a document (permit, letter) number, or a berkas number."""
    ref = ref.strip()
    with db.session(ws) as session:
        app = session.scalars(select(Application).where(Application.registration_number == ref)).first()
        if app is not None:
            return current_meta(ws, berkas_of(ws, session, [app])[app.id]), None
        documents = session.scalars(select(Document).where(Document.number == ref)).all()
        if len(documents) > 1:
            raise AmbiguousArchiveRef(ref=ref)
        if documents and documents[0].application_id is not None:
            app = session.get(Application, documents[0].application_id)
            return current_meta(ws, berkas_of(ws, session, [app])[app.id]), documents[0]
        berkas = _berkas_named(session, ref)
        if berkas is not None:
            return BerkasMeta.from_bag(read_bag(ws.archive_dir / berkas.path)), None
    raise UnknownArchiveRef(ref=ref)


def _berkas_named(session, ref: str) -> Berkas | None:
    return session.scalars(select(Berkas).where(
        (Berkas.berkas_number == ref) | (Berkas.berkas_number == berkas_number_for(ref))
        | (Berkas.registration_number == ref))).first()


# --------------------------------------------------------------------------- filing


def file_into(ws: Workspace, meta: BerkasMeta, items: list[Incoming], *, agent: str = DEFAULT_AGENT,
              events: list[dict] | None = None, update=None) -> list[FileOutcome]:
    """File `items` (and record `events`) into the berkas `meta` describes; one bag change.

    `update(meta) -> meta` changes the metadata (a location, a stage) under
    the lock, on what the bag holds at that moment.
    """
    with filing_lock(ws, [meta.rel_path]) as hold:
        _recover_held(ws, hold)
        meta = current_meta(ws, meta)
        if update is not None:
            meta = update(meta)
        if items and _closed(meta):
            return _refused(meta, items)
        outcomes, accepted = _sort_out_duplicates(ws, meta, items)
        if not accepted and not events:
            return outcomes
        try:
            stored = _commit(ws, meta, accepted, list(events or []), agent)
        except (OSError, SikroError) as exc:
            if not accepted:  # only events: nobody else would hear of the failure
                raise SikroError(f"berkas {meta.berkas_number} could not be updated: {exc}") from None
            for _item, outcome in accepted:
                outcome.status, outcome.message = FAILED, f"not filed: {exc}"
            return outcomes
        for (_item, outcome), path in zip(accepted, stored):
            outcome.status, outcome.stored = FILED, path
            outcome.message = f"filed in {meta.berkas_number} as {path}"
    return outcomes


def _closed(meta: BerkasMeta) -> str:
    """Why nothing more may be filed into this berkas ("" if it may): it was disposed of or handed over."""
    if meta.stage in (STAGE_DISPOSED, STAGE_HANDED_OVER):
        return (f"berkas {meta.berkas_number} is closed ({meta.stage}: disposed of or handed over "
                "under the retention schedule); not filed")
    return ""


def _refused(meta: BerkasMeta, items: list[Incoming]) -> list[FileOutcome]:
    return [FileOutcome(path=str(item.source), status=FAILED, berkas=meta.berkas_number, number=item.number,
                        message=_closed(meta)) for item in items]


def _sort_out_duplicates(ws, meta, items, session=None) -> tuple[list[FileOutcome],
                                                                 list[tuple[Incoming, FileOutcome]]]:
    if session is None:
        with db.session(ws) as session:
            return _sort_out_duplicates(ws, meta, items, session)
    outcomes, accepted, seen = [], [], {}
    for item in items:
        outcome = FileOutcome(path=str(item.source), status=FAILED, berkas=meta.berkas_number,
                              number=item.number)
        outcomes.append(outcome)
        try:
            outcome.sha256, _size = sha256_file(item.source)
        except OSError as exc:
            outcome.message = f"cannot be read: {exc.strerror or exc}"
            continue
        known = session.scalars(select(ArchiveFile).where(ArchiveFile.sha256 == outcome.sha256)).first()
        if known is not None:
            where = session.get(Berkas, known.berkas_id)
            outcome.status, outcome.berkas = DUPLICATE, where.berkas_number
            outcome.stored = f"{where.path}/{known.path}"
            outcome.message = f"already in the archive: {where.berkas_number}/{known.path}"
        elif outcome.sha256 in seen:
            outcome.status = DUPLICATE
            outcome.message = f"same content as {seen[outcome.sha256]} in this batch"
        else:
            seen[outcome.sha256] = item.source.name
            accepted.append((item, outcome))
    return outcomes, accepted


def _stage(ws: Workspace, meta: BerkasMeta, accepted, events: list[dict], agent: str) -> tuple[list[str], Staged]:
    """Steps 3: the bag's next version with the accepted files, swapped in (not yet indexed)."""
    root = ws.archive_dir
    bag = root / meta.rel_path
    taken = set(read_bag(bag).manifest) if bag.is_dir() else set()
    if bag.is_dir():
        taken |= {str(p.relative_to(bag)) for p in (bag / "data").rglob("*")} if (bag / "data").is_dir() else set()
    payload, manifest, stored = [], {}, []
    for item, outcome in accepted:
        rel = _stored_name(item, taken)
        taken.add(rel)
        payload.append(NewPayload(rel=rel, sha256=outcome.sha256, source=item.source))
        manifest[rel] = outcome.sha256
        events.append(_ingestion_event(item, rel, outcome.sha256, agent))
        if ocr.is_signed_pdf(item.source):
            events.append(_signature_event(ws, item.source, rel, agent))
        findings = active_content(item.source)
        if findings:  # filed all the same (it is evidence), with a warning for whoever opens it
            events.append(new_event(VALIDATION, agent=agent, outcome=WARNING, objects=[rel],
                                    check="active content", findings=findings))
        if item.text:
            events.append(_add_text(item.text, item.text_source, rel, payload, manifest, agent))
        meta = meta.with_document(item.number, item.on)
        stored.append(rel)
    version = uuid.uuid4().hex
    staged = stage_and_swap(root, meta.rel_path, version=version, info=meta.to_info(ws.profile, version),
                            manifest_add=manifest, payload=payload, events_add=events)
    return stored, staged


def _commit(ws: Workspace, meta: BerkasMeta, accepted, events: list[dict], agent: str) -> list[str]:
    stored, staged = _stage(ws, meta, accepted, events, agent)
    with db.session(ws, write=True) as session:
        _index(session, ws, meta, accepted)
    staged.finish()
    return stored


def _index(session, ws: Workspace, meta: BerkasMeta, accepted) -> None:
    """The index says what the new bag says; its files are no longer 'unmatched' scans."""
    index_bag(session, ws.archive_dir, ws.archive_dir / meta.rel_path)
    shas = [o.sha256 for _i, o in accepted]
    if shas:
        session.execute(delete(Unmatched).where(Unmatched.sha256.in_(shas)))


def _stored_name(item: Incoming, taken: set[str]) -> str:
    folder = ORIGIN_FOLDERS.get(item.origin, "other")
    suffix = item.source.suffix.lower() or (".pdf" if ocr.is_pdf(item.source) else "")
    if item.kind or item.number:
        stem = safe_name("_".join(x for x in (item.kind, item.number or item.uid) if x))
    else:
        stem = safe_name(item.source.stem)
    rel, n = f"data/{folder}/{stem}{suffix}", 1
    while rel in taken:
        n += 1
        rel = f"data/{folder}/{stem}_{n}{suffix}"
    return rel


def text_path_for(rel: str) -> str:
    return "data/text/" + rel[len("data/"):] + ".txt"


def _add_text(text: str, source: str | None, rel: str, payload, manifest, agent: str) -> dict:
    import hashlib

    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    text_rel = text_path_for(rel)
    payload.append(NewPayload(rel=text_rel, sha256=digest, data=data))
    manifest[text_rel] = digest
    return new_event(DERIVATION, agent=agent, objects=[rel, text_rel], path=text_rel, sha256=digest,
                     derived_from=rel, text_source=source, origin="text")


def _ingestion_event(item: Incoming, rel: str, sha256: str, agent: str) -> dict:
    return new_event(
        INGESTION, agent=agent, objects=[rel], path=rel, sha256=sha256, size=item.source.stat().st_size,
        origin=item.origin, kind=item.kind, number=item.number, uid=item.uid,
        date=item.on.isoformat() if item.on else None, source_name=item.source.name,
        text_source=None if item.text else item.text_source,
    )


def _signature_event(ws: Workspace, source: Path, rel: str, agent: str) -> dict:
    """PREMIS validation of a signed PDF's electronic signature, as it was when filed."""
    from ..signing import signature_summary, workspace_trust_roots

    summary = signature_summary(source, workspace_trust_roots(ws)) or {}
    intact = bool(summary.get("intact"))
    return new_event(
        VALIDATION, agent=agent, outcome=SUCCESS if intact else FAILURE, objects=[rel],
        check="PAdES signature", intact=intact, trusted=bool(summary.get("trusted")),
        signer=summary.get("signer"), signed_at=summary.get("signed_at"), message=summary.get("message"),
    )


# --------------------------------------------------------------------------- entry points


def incoming_with_text(source: Path, origin: str, **facts) -> Incoming:
    """An Incoming with the text a PDF already carries (OCR, if needed, comes later)."""
    text, source_kind = ocr.text_layer(source)
    if source_kind is None and not (ocr.is_pdf(source) or source.suffix.lower() in ocr.IMAGE_SUFFIXES):
        source_kind = ocr.NO_TEXT  # e.g. a DOCX: nothing to OCR
    return Incoming(source=source, origin=origin, text=text if source_kind == ocr.PDF_TEXT else "",
                    text_source=source_kind, **facts)


def file_document(ws: Workspace, document_id: int, paths, *, agent: str = DEFAULT_AGENT) -> FilingResult:
    """File the files of an issued document (its PDF) into its application's berkas.

    Paths may be relative to the workspace (as Document.files holds them).
    Originals are copied, never moved or modified.
    """
    [result] = file_documents(ws, [(document_id, list(paths))], agent=agent)
    if isinstance(result, SikroError):
        raise result
    return result


STAGING_THREADS = 8  # bags staged at once by file_documents


def file_documents(ws: Workspace, documents: list[tuple[int, list]], *,
                   agent: str = DEFAULT_AGENT) -> list[FilingResult | SikroError]:
    """`file_document` for many documents at once (a batch's round of PDFs), in their order.

    The same steps, shared: one filing lock (of all their berkas) and recovery, one read of the
    registry, each berkas's bag staged and swapped in, then one transaction
    that indexes every bag, then the stagings dropped. A crash before that
    transaction commits leaves intents that the next command's `recover`
    completes, bag by bag, as for a single filing.
    """
    plans = _plans(ws, documents)
    groups: dict[str, list[int]] = {}
    for position, plan in enumerate(plans):
        if not isinstance(plan, SikroError):
            groups.setdefault(plan[0].rel_path, []).append(position)
    results: list[FilingResult | SikroError] = [
        plan if isinstance(plan, SikroError) else FilingResult(plan[0].berkas_number) for plan in plans]
    with filing_lock(ws, groups) as hold:
        _recover_held(ws, hold)
        to_stage: list[tuple[BerkasMeta, list]] = []
        with db.session(ws) as session:
            for positions in groups.values():
                meta = current_meta(ws, plans[positions[0]][0])
                items = [item for position in positions for item in plans[position][1]]
                if _closed(meta):
                    outcomes, accepted = _refused(meta, items), []
                else:
                    outcomes, accepted = _sort_out_duplicates(ws, meta, items, session)
                _hand_out(outcomes, positions, plans, results)
                if accepted:
                    to_stage.append((meta, accepted))
        # Each berkas is its own bag: staging them side by side lets their fsyncs
        # overlap (the disk commits them together) instead of waiting one by one.
        with ThreadPoolExecutor(max_workers=STAGING_THREADS) as pool:
            staged = [s for done in pool.map(lambda pair: _stage_or_fail(ws, *pair, agent), to_stage)
                      for s in done]
        if staged:
            try:
                with db.session(ws, write=True) as session:
                    for meta, accepted, _staging in staged:
                        _index(session, ws, meta, accepted)
            except (OSError, SikroError) as exc:  # the bags are in; `recover` indexes them next time
                for _meta, accepted, _staging in staged:
                    for _item, outcome in accepted:
                        outcome.status, outcome.message = FAILED, f"not filed: {exc}"
                return results
            for _meta, _accepted, staging in staged:
                staging.finish()
    return results


def _plans(ws: Workspace, documents: list[tuple[int, list]]) -> list[tuple[BerkasMeta, list[Incoming]] | SikroError]:
    """For each document: its berkas and the files to file, or why it cannot be filed."""
    ids = [document_id for document_id, _paths in documents]
    with db.session(ws) as session:
        found = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
        app_ids = {d.application_id for d in found.values() if d.application_id}
        apps = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(app_ids)))}
        metas = berkas_of(ws, session, list(apps.values()))
    plans = []
    for document_id, paths in documents:
        document = found.get(document_id)
        try:
            if document is None:
                raise SikroError(f"no document with id {document_id}")
            app = apps.get(document.application_id)
            if app is None:
                raise SikroError(f"document {document.uid} belongs to no application; it has no berkas")
            plans.append((metas[app.id], _incoming(ws, document, paths)))
        except SikroError as err:
            plans.append(err)
    return plans


def _incoming(ws: Workspace, document: Document, paths) -> list[Incoming]:
    items = []
    for path in paths:
        source = Path(path) if Path(path).is_absolute() else ws.root / path
        if not source.is_file():
            raise SikroError(f"{source}: no such file to file into the archive")
        items.append(incoming_with_text(source, "generated", kind=document.kind, number=document.number,
                                        uid=document.uid, on=document.date))
    return items


def _hand_out(outcomes: list[FileOutcome], positions: list[int], plans, results) -> None:
    """Give each document of a berkas group its own files' outcomes."""
    remaining = iter(outcomes)
    for position in positions:
        results[position].files = [next(remaining) for _item in plans[position][1]]


def _stage_or_fail(ws: Workspace, meta: BerkasMeta, accepted, agent: str) -> list[tuple[BerkasMeta, list, Staged]]:
    try:
        stored, staging = _stage(ws, meta, accepted, [], agent)
    except (OSError, SikroError) as exc:
        for _item, outcome in accepted:
            outcome.status, outcome.message = FAILED, f"not filed: {exc}"
        return []
    for (_item, outcome), path in zip(accepted, stored):
        outcome.status, outcome.stored = FILED, path
        outcome.message = f"filed in {meta.berkas_number} as {path}"
    return [(meta, accepted, staging)]


def file_by_ref(ws: Workspace, path: Path, ref: str, *, kind: str | None = None,
                agent: str = DEFAULT_AGENT) -> FilingResult:
    """`sikro archive add FILE --ref REF`: file a file by hand."""
    path = Path(path)
    if not path.is_file():
        raise SikroError(f"{path}: no such file")
    meta, document = meta_for_ref(ws, ref)
    facts = {"kind": kind or (document.kind if document else None),
             "number": document.number if document else None,
             "uid": document.uid if document else None, "on": document.date if document else None}
    item = incoming_with_text(path, "manual", **facts)
    return FilingResult(meta.berkas_number, file_into(ws, meta, [item], agent=agent))


# --------------------------------------------------------------------------- OCR derivatives


def ocr_pending_files(ws: Workspace, *, agent: str = DEFAULT_AGENT, limit: int | None = None) -> list[str]:
    """OCR archived originals that have no text yet; each text is added as a derivative.

    OCR reads the archived copy (read-only) and may take seconds a page, so
    it runs after filing: a crash here loses no scan, only the text, which
    the next run makes.
    """
    with db.session(ws) as session:
        query = (select(ArchiveFile, Berkas).join(Berkas, Berkas.id == ArchiveFile.berkas_id)
                 .where(ArchiveFile.role == "original", ArchiveFile.text_source.is_(None))
                 .order_by(ArchiveFile.id))
        pending = session.execute(query.limit(limit) if limit else query).all()
    if not pending:
        return []
    problem = ocr.tesseract_status()
    if problem:
        return [f"{len(pending)} file(s) without searchable text: {problem}"]
    limits = ScanLimits.from_profile(ws.profile)
    deadline = time.monotonic() + limits.ocr_seconds
    notes, by_berkas, done = [], {}, 0
    for file, berkas in pending:
        if done and time.monotonic() > deadline:  # the first file always runs: every run makes progress
            notes.append(f"OCR budget spent (limits.scan.ocr_seconds = {limits.ocr_seconds:g}): "
                         f"{len(pending) - done} file(s) left for `sikro archive ocr`")
            break
        text, source_kind = _ocr_one(ws.archive_dir / berkas.path / file.path, limits, deadline, notes,
                                     f"{berkas.berkas_number}/{file.path}")
        by_berkas.setdefault(berkas.berkas_number, (berkas, []))[1].append((file.path, text, source_kind))
        done += 1
    for berkas, texts in by_berkas.values():
        try:
            _add_texts(ws, berkas, texts, agent)
        except (OSError, SikroError) as exc:
            notes.append(f"{berkas.berkas_number}: OCR text not saved: {exc}")
    return notes + [f"OCR made searchable text for {done} file(s)"]


def _ocr_one(source: Path, limits: ScanLimits, deadline: float, notes: list[str], label: str) -> tuple[str, str]:
    """The OCR text of one archived file; any failure is that file's note, and marks it done (the
    text source says none), so that one bad file never blocks a later run."""
    try:
        result = ocr.ocr_file(source, limits, deadline=deadline)
    except (SikroError, OSError) as exc:
        notes.append(f"{label}: {exc}")
        return "", ocr.NO_TEXT
    except Exception as exc:  # MemoryError too: a hostile file beyond what the checks foresaw
        notes.append(f"{label}: OCR failed ({type(exc).__name__}); the file stays filed, without text")
        return "", ocr.NO_TEXT
    notes.extend(f"{label}: {note}" for note in result.notes)
    return result.text, ocr.OCR


def _add_texts(ws: Workspace, berkas: Berkas, texts: list[tuple[str, str, str]], agent: str) -> None:
    root = ws.archive_dir
    with filing_lock(ws, [berkas.path]) as hold:
        _recover_held(ws, hold)
        bag = root / berkas.path
        content = read_bag(bag)
        payload, manifest, events = [], {}, []
        for rel, text, source_kind in texts:
            if text_path_for(rel) in content.manifest:
                continue  # another run made it meanwhile
            events.append(_add_text(text, source_kind, rel, payload, manifest, agent))
        if not events:
            return
        meta = BerkasMeta.from_bag(content)
        version = uuid.uuid4().hex
        staged = stage_and_swap(root, berkas.path, version=version, info=meta.to_info(ws.profile, version),
                                manifest_add=manifest, payload=payload, events_add=events)
        with db.session(ws, write=True) as session:
            index_bag(session, root, bag)
        staged.finish()
