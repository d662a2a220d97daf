"""Batches: one document of a kind for many applications, numbered, rendered, converted.

The flow of `sikro batch FILE --doc KIND` (and of `sikro generate KIND REF...`,
which starts at step 2 with registered applications):

1. import the workbook as `sikro import` does: its valid rows are applications;
2. keep the applications the kind applies to (`applies` in document_kinds.toml);
3. for each one, in this order of preference:
   - nothing for an application whose permit was revoked (reported "dicabut":
     a revocation is final, a new permit needs a new application),
   - nothing for an application the SOP has not brought to where the kind is
     issued (the permit after the recommendation was received, step 16; the
     rejection letter after the decision to reject). A row whose Keputusan,
     Nomor and Tanggal Rekomendasi (or Alasan Penolakan) say so records those
     steps first, through the step-recording code (workflow.gates); the
     others are reported "menunggu langkah N (...)",
   - reuse the document already issued (a re-run issues nothing new),
   - or render a draft (watermarked DRAF, no number, nothing recorded),
   - or issue it: the context is checked first (so a data error costs no
     number), then `numbering.issue_document` takes the number and, with the
     number known, the QR token is signed and the DOCX rendered;
4. convert every DOCX to PDF/A in one converter pool (PDFs are derivatives:
   a crash after step 3 leaves numbered DOCX files whose PDFs the next run
   makes);
5. file the PDFs into the archive, write the results workbook and, with
   `merge`, one PDF of the whole batch for printing.

One failing row or document never stops the batch: it is reported with a
one-line message and the batch goes on.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import os
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from . import clock, convert, db, issued_files, numbering, permit_types, registry, signing, verification, workflow
from .archive import file_documents
from .documents import build_context, check_template, render_document, template_path
from .documents import get_kind as template_kind
from .errors import SikroError
from .excel_safe import write_row
from .fsutil import atomic_write_bytes
from .models import Application, Event
from .workflow.records import histories
from .workspace import Workspace

# Which applications a kind applies to (document_kinds.toml `applies`), and
# what a skipped row is told.
APPLIES: dict[str, tuple[Callable[[dict], bool], Callable[[dict], str]]] = {
    "any": (lambda a: True, lambda a: ""),
    "complete": (lambda a: a["complete"],
                 lambda a: "berkas tidak lengkap (" + ", ".join(a["missing"]) + "): "
                           "it gets a checklist-return, not this document"),
    "incomplete": (lambda a: not a["complete"], lambda a: "berkas lengkap: nothing to return"),
    "approved": (lambda a: a["decision"] == "Disetujui",
                 lambda a: f"Keputusan is {a['decision'] or 'empty'}, not Disetujui"),
    "rejected": (lambda a: a["decision"] == "Ditolak",
                 lambda a: f"Keputusan is {a['decision'] or 'empty'}, not Ditolak"),
}


@dataclass
class DocResult:
    row: int | None
    application: str
    kind: str
    status: str  # issued | existing | skipped | waiting | revoked | failed | draft
    number: str | None = None
    docx: Path | None = None
    pdf: Path | None = None
    message: str = ""
    document_id: int | None = field(default=None, repr=False)
    revoked: dict | None = None  # the revoked document that bars this row: number, date, reason

    def as_json(self) -> dict:
        data = {
            "row": self.row, "application": self.application, "kind": self.kind,
            "status": self.status, "number": self.number,
            "docx": str(self.docx) if self.docx else None,
            "pdf": str(self.pdf) if self.pdf else None, "message": self.message,
        }
        if self.revoked is not None:
            data["revoked"] = self.revoked
        return data


@dataclass
class BatchReport:
    kind: str
    documents: list[DocResult] = field(default_factory=list)
    import_report: registry.ImportReport | None = None
    results_file: Path | None = None
    merged_pdf: Path | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "LibreOffice is not installed ..."

    @property
    def ok(self) -> bool:
        invalid = self.import_report is not None and self.import_report.invalid
        return not invalid and all(d.status != "failed" for d in self.documents)

    def as_json(self) -> dict:
        data = {"documents": [d.as_json() for d in self.documents],
                "results_file": str(self.results_file) if self.results_file else None,
                "merged_pdf": str(self.merged_pdf) if self.merged_pdf else None,
                "notes": self.notes}
        if self.import_report is not None:
            data["import"] = self.import_report.as_json()
        return data


@dataclass(frozen=True)
class Options:
    pdf: bool = False
    draft: bool = False
    merge: bool = False
    reissue: bool = False
    sign: bool = False  # PAdES-sign each PDF with the profile's [signing] certificate
    record_steps: bool = True  # record the SOP step that makes the kind, where it is the next one
    on: dt.date | None = None  # the documents' date; default: today in the office
    actor: str = "sikro"
    source: str | None = None  # the workbook the rows come from (recorded with the steps it records)
    permit_type: object = None  # `--type`: the permit type of every row of the workbook (else its Jenis Izin)


# --------------------------------------------------------------------------- entry points


def run_batch(ws: Workspace, source: Path, kind: str, options: Options, progress=None) -> BatchReport:
    """`sikro batch`: import SOURCE, then make a KIND document for each row it applies to."""
    numbering.document_kind(kind)  # an unknown kind fails before anything is imported
    options = dataclasses.replace(options, source=str(Path(source).resolve()))
    # LibreOffice starts while the workbook is read: its start costs as much as a dozen documents.
    with permit_types.pinned(ws), \
            BackgroundConverter(enabled=options.pdf, finish=_finisher(ws, options)) as converter:
        imported = registry.import_file(ws, source, actor=options.actor, permit_type=options.permit_type)
        report = produce(ws, kind, imported.applications, options, progress, label=source.stem,
                         converter=converter)
    report.import_report = imported
    return report


def generate(ws: Workspace, kind: str, refs: list[str], options: Options, progress=None) -> BatchReport:
    """`sikro generate`: make a KIND document for registered applications."""
    numbering.document_kind(kind)
    with db.session(ws) as sess:
        targets = [(None, registry.find_application(sess, ref).id) for ref in refs]
    return produce(ws, kind, targets, options, progress, label="generate")


def generate_documents(ws: Workspace, kind: str, application_ids: list[int], *, pdf: bool = True,
                       draft: bool = False, reissue: bool = False, sign: bool = False,
                       on: dt.date | None = None, facts: dict[int, dict] | None = None,
                       actor: str = "sikro", progress=None) -> BatchReport:
    """For the workflow: documents of KIND for applications by id, with per-application facts."""
    # The workflow records its own steps; the batch only makes the documents.
    options = Options(pdf=pdf, draft=draft, reissue=reissue, sign=sign, on=on, actor=actor,
                      record_steps=False)
    targets = [(None, app_id) for app_id in application_ids]
    return produce(ws, kind, targets, options, progress, label=kind, facts=facts or {})


# --------------------------------------------------------------------------- the pipeline


def produce(ws: Workspace, kind: str, targets: list[tuple[int | None, int]], options: Options,
            progress=None, *, label: str, facts: dict[int, dict] | None = None,
            converter: BackgroundConverter | None = None) -> BatchReport:
    """Make the documents; with `converter`, PDFs go to that (already running) converter, which
    the caller closes; `converter.notes` are then the caller's to read."""
    with permit_types.pinned(ws):  # the types are read once for the batch, in every thread (`thread`)
        return _produce(ws, kind, targets, options, progress, label, facts, converter)


def _produce(ws, kind, targets, options: Options, progress, label: str, facts: dict | None,
             converter: BackgroundConverter | None) -> BatchReport:
    if converter is None:
        with BackgroundConverter(enabled=options.pdf, finish=_finisher(ws, options)) as own:
            report = _make_all(ws, kind, targets, options, progress, facts or {}, own)
        report.notes += own.notes
    else:
        report = _make_all(ws, kind, targets, options, progress, facts or {}, converter)
        converter.close()
        report.notes += converter.notes
    if options.record_steps and not options.draft:  # a draft changes nothing
        _record_steps(ws, report, options)
    report.results_file = write_results(ws, report, label)
    if options.merge:
        report.merged_pdf = merge_pdfs(ws, report, label)
    return report


def thread(target: Callable[[], None], name: str) -> threading.Thread:
    """A daemon thread that runs `target` in a copy of the caller's context: what the caller
    pinned (the permit types) holds there too (a new thread starts with an empty context)."""
    return threading.Thread(target=contextvars.copy_context().run, args=(target,), name=name, daemon=True)


def _finisher(ws: Workspace, options: Options) -> Callable[[list[DocResult]], list[str]]:
    def finish(docs: list[DocResult]) -> list[str]:
        """What follows a PDF: the signature (last of all), the registry, the archive."""
        if options.sign and not options.draft:
            _sign_pdfs(ws, docs)
        _record_pdfs(ws, docs)
        return _file_into_archive(ws, docs)

    return finish


def _make_all(ws, kind, targets, options: Options, progress, facts: dict,
              converter: BackgroundConverter) -> BatchReport:
    on = options.on or office_today(ws)
    report = BatchReport(kind=kind)
    template_problem = _template_problem(ws, kind)
    with GateAhead(ws, kind, _chunks(targets), options, template_problem) as chunks:
        for chunk, looked_up in chunks:
            for result in _documents(ws, kind, chunk, looked_up, on, options, facts, template_problem):
                report.documents.append(result)
                converter.add(result)
                if progress:
                    progress(result)
    return report


def _template_problem(ws: Workspace, kind: str) -> str:
    """One line naming what is wrong with the template the batch would use, or ""."""
    try:
        path = template_path(ws, kind)
        problems = check_template(path, kind)
    except SikroError as err:
        return str(err)
    if not problems:
        return ""
    more = f" (and {len(problems) - 1} more: sikro templates check {path})" if len(problems) > 1 else ""
    return f"template {path} is broken: {problems[0]}{more}"


def office_today(ws: Workspace) -> dt.date:
    return clock.today(ws.profile)


CHUNK = 16  # documents numbered together: two transactions each; small, so LibreOffice starts early


def _chunks(targets: list[tuple[int | None, int]]):
    """Runs of at most CHUNK targets, none naming an application twice: the second
    mention of an application must see the document the first one issued."""
    chunk: list[tuple[int | None, int]] = []
    for target in targets:
        if len(chunk) == CHUNK or any(target[1] == app_id for _row, app_id in chunk):
            yield chunk
            chunk = []
        chunk.append(target)
    if chunk:
        yield chunk


@dataclass
class LookedUp:
    """What a chunk's documents depend on, read (and its rows' SOP steps recorded) before they are made."""
    revoked: dict[int, dict]
    existing: dict[int, numbering.Document]
    waiting: dict[int, str | None]


def _look_up(ws, kind, chunk, options: Options, template_problem: str) -> LookedUp:
    ids = [app_id for _row, app_id in chunk]
    with db.session(ws) as sess:
        revoked = {app_id: _revocation(ws, sess, document)
                   for app_id, document in numbering.find_revoked_for(sess, ids, kind).items()}
        existing = numbering.find_issued_for(sess, ids, kind)
    # a broken template fails every row first: no step is recorded for a document that cannot be made
    waiting = {} if template_problem else _gate(ws, kind, chunk, options, revoked, existing)
    return LookedUp(revoked, existing, waiting)


class GateAhead:
    """Looks up (and gates) the next chunk in a thread while the current one is numbered and rendered.

    Gating records each row's SOP steps, a few durable commits per row: done
    one chunk ahead, those waits overlap the rendering instead of adding to
    it, and LibreOffice gets its documents sooner. A chunk naming an
    application an earlier chunk named waits until that one is made (it must
    see the document it issued), so the outcome is that of doing it in order.
    """

    def __init__(self, ws, kind, chunks, options: Options, template_problem: str):
        self._args = (ws, kind, options, template_problem)
        self._chunks = chunks
        self._ready: queue.Queue = queue.Queue(maxsize=1)
        self._made = threading.Condition()
        self._made_count = 0
        self._stop = threading.Event()
        self._thread = thread(self._run, "sikro-batch-gate")

    def __enter__(self):
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        with self._made:
            self._made.notify_all()
        self._thread.join()

    def _run(self) -> None:
        seen: set[int] = set()
        try:
            for index, chunk in enumerate(self._chunks):
                ids = {app_id for _row, app_id in chunk}
                if ids & seen and not self._wait_until_made(index):
                    return
                seen |= ids
                if self._stop.is_set() or not self._put((chunk, self._look_up(chunk))):
                    return
        except BaseException as err:  # the consumer re-raises it, as if it had happened there
            self._put(err)
            return
        self._put(None)

    def _look_up(self, chunk) -> LookedUp:
        ws, kind, options, template_problem = self._args
        return _look_up(ws, kind, chunk, options, template_problem)

    def _wait_until_made(self, count: int) -> bool:
        with self._made:
            while self._made_count < count and not self._stop.is_set():
                self._made.wait()
        return not self._stop.is_set()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self):
        while (item := self._ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
            with self._made:  # the consumer asks for the next chunk: this one is made
                self._made_count += 1
                self._made.notify_all()


def _documents(ws, kind, chunk, looked_up: LookedUp, on, options: Options, facts: dict,
               template_problem: str) -> list[DocResult]:
    """The chunk's documents, in its order: reused, drafted, or issued all together."""
    ids = [app_id for _row, app_id in chunk]
    revoked, existing, waiting = looked_up.revoked, looked_up.existing, looked_up.waiting
    with db.session(ws) as sess:  # read after the gate: it may have recorded steps
        apps = {a.id: a for a in sess.scalars(select(Application).where(Application.id.in_(ids)))}
        described = {app_id: registry.describe(app, ws) for app_id, app in apps.items()}
    results, to_issue = [], []
    for row, app_id in chunk:
        application = described[app_id]
        result = DocResult(row=row, application=application["registration_number"], kind=kind, status="failed")
        results.append(result)
        if app_id in revoked:
            result.status, result.revoked = "revoked", revoked[app_id]
            result.message = _revoked_message(revoked[app_id])
            continue
        if waiting.get(app_id):
            result.status, result.message = "waiting", waiting[app_id]
            continue
        try:
            if _needs_issuing(ws, kind, apps[app_id], application, existing.get(app_id), on, options,
                              facts.get(app_id, {}), template_problem, result):
                to_issue.append((result, apps[app_id], application))
        except Exception as err:  # one document never stops the batch, not even for a bug
            result.status, result.message = "failed", _failure(err)
    if to_issue:
        _issue(ws, kind, to_issue, on, facts, options.actor)
    return results


def _revocation(ws: Workspace, sess, document) -> dict:
    at, reason = numbering.revocation_of(sess, document)
    return {"kind": document.kind, "number": document.number,
            "date": clock.local(at, ws.profile).date().isoformat() if at else None, "reason": reason}


def _revoked_message(revoked: dict) -> str:
    return (f"dicabut: {revoked['kind']} {revoked['number']} dicabut pada {revoked['date']} ({revoked['reason']}); "
            "izin baru memerlukan permohonan baru")


def _gate(ws, kind, chunk, options: Options, revoked: dict, existing: dict) -> dict[int, str | None]:
    """Why each application may not get `kind` yet (the SOP's position), by id; records a row's
    decision steps first (workflow.gates). A draft, a revoked or already issued one is not gated."""
    if options.draft:
        return {}
    gate = workflow.issue_gate(workflow.sop_for(ws), kind)
    if gate is None:
        return {}
    applies = APPLIES[numbering.document_kind(kind).applies][0]
    gated = [(row, app_id) for row, app_id in chunk
             if app_id not in revoked and (app_id not in existing or options.reissue)]
    to_check: dict[int, workflow.gates.RowFacts | None] = {}
    with db.session(ws) as sess:  # the chunk's applications in one read
        apps = {a.id: a for a in sess.scalars(select(Application).where(
            Application.id.in_([app_id for _row, app_id in gated])))}
        for row, app_id in gated:
            app = apps[app_id]
            if not applies(registry.describe(app, ws)):
                continue  # reported as not applying (e.g. "Keputusan is Ditolak")
            use_row = row is not None and options.record_steps
            to_check[app_id] = workflow.row_facts(app, options.source, row) if use_row else None
    return workflow.ready_to_issue_many(ws, to_check, gate, by=options.actor)


def _failure(err: Exception) -> str:
    if isinstance(err, SikroError):
        return str(err)
    return f"unexpected error, please report it: {type(err).__name__}: {err}"


def _needs_issuing(ws, kind, app, application, existing, on, options: Options, facts: dict,
                   template_problem: str, result: DocResult) -> bool:
    """Settle `result` (skipped, failed, draft, existing) or say it needs a new number."""
    rule = numbering.document_kind(kind).applies
    applies, why_not = APPLIES[rule]
    if not applies(application):
        if existing is not None and not options.draft and not options.reissue:
            # Issued while it applied (a checklist return before the file was
            # completed): it stays evidence, and still gets its PDF.
            _existing(ws, existing, result)
            result.message = result.message or f"issued earlier; now {why_not(application)}"
            return False
        result.status, result.message = "skipped", why_not(application)
        return False
    if template_problem:  # a broken template fails every row before any number is taken
        result.message = template_problem
        return False
    if options.draft:
        _draft(ws, kind, app, application, on, facts, result)
        return False
    if existing is not None and not options.reissue:
        _existing(ws, existing, result)
        return False
    # Check the data before a number is taken: a missing reason or
    # recommendation must not leave a voided number behind.
    probe = {**facts, "number": "0", "date": on, "uid": "", "short_code": "", "qr_png": None}
    build_context(ws, kind, application, probe)
    if existing is not None:
        _void_for_reissue(ws, existing, options.actor)
    return True


def _existing(ws: Workspace, document, result: DocResult) -> DocResult:
    files = [ws.root / f for f in document.files]
    result.status, result.number, result.document_id = "existing", document.number, document.id
    result.docx = next((f for f in files if f.suffix == ".docx"), None)
    result.pdf = next((f for f in files if f.suffix == ".pdf"), None)
    if result.docx is None or not result.docx.exists():
        result.status = "failed"
        result.message = (f"document {document.number or document.uid} was issued but its DOCX is gone; "
                          "make it again with --reissue")
    return result


def _void_for_reissue(ws: Workspace, document, actor: str) -> None:
    with db.session(ws, write=True) as sess:
        numbering.void_document(sess, ws, sess.get(numbering.Document, document.id),
                                "diterbitkan ulang (reissued)", actor)


def _draft(ws, kind, app, application, on, facts, result: DocResult) -> DocResult:
    fake = {**facts, "number": None, "date": on, "uid": "", "short_code": "", "qr_png": None,
            "draft": True}
    context = build_context(ws, kind, application, fake)
    path = output_path(ws, kind, None, application, draft=True)
    render_document(ws, kind, context, path)
    result.status, result.docx = "draft", path
    result.message = "draft: no number was taken"
    return result


def _issue(ws, kind, items: list[tuple[DocResult, Application, dict]], on, facts: dict, actor: str) -> None:
    """Number, render and record the items' documents together (numbering.issue_documents)."""
    spec = numbering.document_kind(kind)
    waiting = iter(items)  # produce is called once per document, in request order
    tokens: dict[int, verification.Token] = {}

    def make_files(document) -> list[Path]:
        _result, app, application = next(waiting)
        path, token = _render_final(ws, kind, app, application, document, facts.get(app.id, {}))
        if token is not None:
            tokens[document.id] = token
        return [path]

    def record_token(session, document) -> None:  # in the transaction that issues the document
        if document.id in tokens:
            verification.record_signing(session, document.id, tokens[document.id])

    requests = [numbering.IssueRequest(app.id, _fill(spec.subject, application, ws),
                                       _fill(spec.addressee, application, ws))
                for _result, app, application in items]
    try:
        outcomes = numbering.issue_documents(ws, kind=kind, requests=requests, on=on, produce=make_files,
                                             actor=actor, on_finish=record_token)
    except Exception as err:  # e.g. a numbering pattern that repeats: every item of the chunk fails
        outcomes = [err] * len(items)
    for (result, _app, _application), outcome in zip(items, outcomes):
        if isinstance(outcome, Exception):
            result.status, result.message = "failed", _failure(outcome)
        else:
            result.status, result.number, result.document_id = "issued", outcome.number, outcome.id
            result.docx = ws.root / outcome.files[0]


def _fill(template: str, application: dict, ws=None) -> str:
    return numbering.fill_placeholders(template, application, ws)  # the one filler


def _render_final(ws, kind, app, application, document, facts) -> tuple[Path, verification.Token | None]:
    """The DOCX of an issued document, and the signed token its QR code carries (recorded by the caller)."""
    verify = {"uid": document.uid, "short_code": verification.short_code(document.uid), "qr_png": None}
    token = None
    if template_kind(kind).qr:
        token = verification.sign_document(ws, document, app, record=False)
        verify["qr_png"] = verification.make_qr_png(token.url)
        verify["short_code"] = token.short_code
    context = build_context(ws, kind, application, {
        **facts, **verify, "number": document.number, "date": document.date, "draft": False,
    })
    path = output_path(ws, kind, document.number, application)
    return render_document(ws, kind, context, path), token


# --------------------------------------------------------------------------- files


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe ASCII form: 'Dra. Ros'ina & Co' -> 'dra-rosina-co'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("'", "")).strip("-")[:limit] or "x"


def output_path(ws: Workspace, kind: str, number: str | None, application: dict,
                draft: bool = False) -> Path:
    """out/<kind>/<number>_<applicant>.docx; drafts under out/draf/<kind>/."""
    folder = ws.out_dir / "draf" / kind if draft else ws.out_dir / kind
    key = number or application["registration_number"]
    return folder / f"{slug(key)}_{slug(application['name'], 40)}.docx"


FINISH_ROUND = 24  # PDFs finished (recorded, filed) together at most
FINISH_WAIT = 1.5  # seconds a round waits for more PDFs after its first


class BackgroundConverter:
    """Makes the batch's PDFs while the batch goes on rendering.

    LibreOffice is the slow part of a batch. One thread hands each DOCX to
    the converter pool as soon as it is rendered (the pool's input is lazy),
    so LibreOffice starts on the first document while the rest are being
    numbered and rendered. A second thread finishes each PDF as soon as it is
    made (signature, registry, archive: mostly disk work). So LibreOffice
    never waits for us, and our work hides behind its own. Documents that
    already have their PDF (a re-run) go straight to `finish`.
    """

    def __init__(self, enabled: bool, finish: Callable[[list[DocResult]], list[str]]):
        self.enabled, self.finish = enabled, finish
        self.notes: list[str] = []
        self._closed = False
        self._to_convert: queue.Queue = queue.Queue()
        self._to_finish: queue.Queue = queue.Queue()
        self._by_docx: dict[Path, DocResult] = {}
        self._threads = [thread(self._convert, "sikro-batch-pdf"), thread(self._finish, "sikro-batch-finish")]

    def __enter__(self) -> BackgroundConverter:
        if self.enabled:
            for thread in self._threads:
                thread.start()
        return self

    def add(self, result: DocResult) -> None:
        if not self.enabled or result.docx is None:
            return
        if result.pdf is not None and result.pdf.exists():
            self._to_finish.put([result])
        else:
            self._to_convert.put(result)

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """No more documents: wait until every PDF is made and finished (once; again does nothing)."""
        if self.enabled and not self._closed:
            self._closed = True
            self._to_convert.put(None)  # the converter then stops the finisher
            for thread in self._threads:
                thread.join()

    def _convert(self) -> None:
        try:
            with convert.ConverterPool() as pool:
                pool.convert(self._rendered(), progress=self._converted)
        except (convert.LibreOfficeMissing, convert.LibreOfficeBroken) as err:
            self.notes.append(str(err))
            self._drain()
        finally:
            self._to_finish.put(None)

    def _rendered(self):
        """Each DOCX as it is rendered, until the batch has no more."""
        while (doc := self._to_convert.get()) is not None:
            self._by_docx[doc.docx] = doc
            yield doc.docx

    def _converted(self, outcome: convert.ConversionResult) -> None:
        doc = self._by_docx[outcome.docx]
        if outcome.ok:
            doc.pdf = outcome.pdf
            self._to_finish.put([doc])
        else:
            doc.status, doc.message = "failed", outcome.message

    def _finish(self) -> None:
        done = False
        while not done:
            docs, done = self._waiting_to_finish()
            try:
                self.notes += self.finish(docs) if docs else []
            except Exception as err:  # never lose the rest of the batch to one round
                self.notes.append(f"finishing {len(docs)} PDFs failed: {type(err).__name__}: {err}")

    def _waiting_to_finish(self) -> tuple[list[DocResult], bool]:
        """The PDFs of the next round (at least one): one transaction and one pass for all.

        A round waits a moment for more (FINISH_ROUND PDFs, or FINISH_WAIT seconds after its
        first): LibreOffice delivers them one by one, and each round's transactions, chain head
        and archive lock cost as much as several PDFs. What waits is only bookkeeping of PDFs
        already made: a crash meanwhile leaves them for the next run to record and file.
        """
        docs: list[DocResult] = []
        deadline = None
        while True:
            if deadline is None:
                item = self._to_finish.get()
                deadline = time.monotonic() + FINISH_WAIT
            else:
                try:
                    item = self._to_finish.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    return docs, False
            if item is None:
                return docs, True
            docs += item
            if len(docs) >= FINISH_ROUND:
                return docs, False

    def _drain(self) -> None:
        while self._to_convert.get() is not None:
            pass


def _sign_pdfs(ws: Workspace, docs: list[DocResult]) -> None:
    """Sign each new PDF last (after number, QR and PDF/A), replacing it atomically.

    A PDF that already carries a signature (a re-run) is left as it is:
    signing again would only add a second signature of the same official.
    """
    for doc in docs:
        if doc.pdf is None or doc.document_id is None or signing.signature_summary(doc.pdf):
            continue
        signed = doc.pdf.with_name(f".{doc.pdf.stem}.signing.pdf")
        try:
            signing.sign_workspace_pdf(ws, doc.pdf, signed)
        except SikroError as err:
            doc.status, doc.message = "failed", f"not signed: {err}"
            continue
        os.replace(signed, doc.pdf)


def _record_steps(ws: Workspace, report: BatchReport, options: Options) -> None:
    """Record, for each application that got its document, the SOP step that makes it.

    Only where that step is the application's next one: a batch run on a
    workbook ahead of the SOP (Keputusan filled in, earlier steps never
    recorded) still makes its documents, and says how many steps it left.
    """
    step = workflow.step_for_kind(report.kind, ws=ws)
    made = {d.application for d in report.documents if d.status == "issued"}
    sop = workflow.sop_for(ws)
    with db.session(ws) as sess:  # who is at the step before it, in one read (record_step checks again)
        apps = list(sess.scalars(select(Application).where(Application.registration_number.in_(made))))
        records = histories(sess, [a.id for a in apps])
        ready = {a.registration_number for a in apps if step in workflow.allowed_steps(sop, a, records.get(a.id, []))}
    skipped = len(made) - len(ready)
    for registration in sorted(ready):
        try:
            workflow.record_step(ws, registration, step, by=options.actor)
        except SikroError:
            skipped += 1
    if skipped:
        report.notes.append(f"SOP step {step} was recorded for {len(made) - skipped} applications; "
                            f"{skipped} were not at the step before it (see `sikro status`)")


def _record_pdfs(ws: Workspace, docs: list[DocResult]) -> None:
    """Add each new PDF to its document's files, in one transaction for the round."""
    made = [d for d in docs if d.pdf is not None and d.document_id is not None]
    if not made:
        return
    with db.session(ws, write=True) as sess:
        documents = {d.id: d for d in sess.scalars(
            select(numbering.Document).where(numbering.Document.id.in_([d.document_id for d in made])))}
        for doc in made:
            document = documents[doc.document_id]
            relative = os.path.relpath(doc.pdf, ws.root)
            if doc.status in ("issued", "existing"):  # final bytes (signed when --sign): what verify accepts
                issued_files.record(sess, ws, document, doc.pdf, successor_only=relative in document.files)
            if relative not in document.files:
                document.files = [*document.files, relative]
                sess.add(Event(application_id=document.application_id, actor="sikro",
                               action="document.converted", details={"uid": document.uid, "pdf": relative}))


def _file_into_archive(ws: Workspace, docs: list[DocResult]) -> list[str]:
    """File issued PDFs into their berkas, all of the round together; a note for each not filed."""
    filed = [d for d in docs if d.pdf is not None and d.document_id is not None
             and d.status in ("issued", "existing")]
    if not filed:
        return []
    notes = []
    results = file_documents(ws, [(d.document_id, [d.pdf]) for d in filed])
    for doc, result in zip(filed, results):
        if isinstance(result, SikroError):
            notes.append(f"{doc.pdf.name}: not filed in the archive: {result}")
            continue
        notes += [f"{o.path}: not filed in the archive: {o.message}"
                  for o in result.files if o.status not in ("filed", "duplicate")]
    return notes


RESULT_HEADERS = ["Baris", "No Registrasi", "Jenis", "Status", "Nomor", "DOCX", "PDF", "Pesan"]


def write_results(ws: Workspace, report: BatchReport, label: str) -> Path:
    """The results workbook: each row's status, number and files (values written as data)."""
    stamp = clock.stamp(ws.profile)
    path = ws.out_dir / "hasil" / f"hasil-{slug(label, 30)}-{report.kind}-{stamp}.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "Hasil"
    write_row(sheet, RESULT_HEADERS, font=Font(bold=True))
    for d in report.documents:
        write_row(sheet, [d.row, d.application, d.kind, d.status, d.number,
                          str(d.docx) if d.docx else None, str(d.pdf) if d.pdf else None, d.message])
    for column, width in zip("ABCDEFGH", (7, 24, 22, 10, 40, 60, 60, 60)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = BytesIO()
    book.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def merge_pdfs(ws: Workspace, report: BatchReport, label: str) -> Path | None:
    """One PDF of every document of the batch, in row order, for printing."""
    from pypdf import PdfWriter

    pdfs = [d.pdf for d in report.documents if d.pdf is not None and d.pdf.exists()]
    if not pdfs:
        return None
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(str(pdf))
    stamp = clock.stamp(ws.profile)
    path = ws.out_dir / "cetak" / f"gabungan-{slug(label, 30)}-{report.kind}-{stamp}.pdf"
    buffer = BytesIO()
    writer.write(buffer)
    return atomic_write_bytes(path, buffer.getvalue())

