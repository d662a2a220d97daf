"""The documents area: batches of one document kind as jobs, their files, and the signing queue.

    GET  /documents                           the form: document kind (?kind=), the applications ready
                                              for it (checkboxes), typed registration numbers, "draft"
    POST /documents                           a `documents` job (jobs/documents_job.py); redirects to /jobs/{id}
    GET  /documents/result/{job_id}           a finished batch: each document, its number and download
    GET  /documents/result/{job_id}/pdf/{doc_id}    an issued document's PDF (by registry id, of that job)
    GET  /documents/result/{job_id}/draft/{n}       the job's n-th draft PDF, shown inline (no number)
    GET  /documents/result/{job_id}/merged.pdf      the merged print PDF of the batch
    GET  /documents/result/{job_id}/results.xlsx    the results workbook
    GET  /documents/sign                      the signing queue of the Kepala Dinas (documents.sign)
    POST /documents/sign                      sign the chosen ones with the passphrase typed (never stored)
    GET  /api/v1/documents/kinds, POST /api/v1/documents/batches,
    GET  /api/v1/documents/sign,  POST /api/v1/documents/sign

Every file served is one the server knows: a document's PDF from the registry (by id, resolved
inside the workspace), a job's draft, merged PDF or workbook from the job's stored result (inside
out/); never a path from the URL.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from starlette.responses import FileResponse, RedirectResponse, Response

from .. import db, jobs, numbering, workflow
from ..accounts.roles import MAKE_DOCUMENTS, SIGN_DOCUMENTS
from ..archive.berkas import mask_nik
from ..errors import SikroError
from ..jobs.documents_job import MAX_REFS, renderable_kinds
from ..models import Application
from ..numbering import Document
from ..signing import pending
from ..workflow.schedule import ensure_scheduled
from . import area_jobs, i18n
from .area import ApiCall, ApiRefusal, Area, Endpoint, MenuItem

KIND = "documents"  # the job kind
READY_SHOWN = 200  # applications listed for a kind at most; more are typed (or made in several batches)
# Signed within the request, never as a job: a job's parameters are stored by the queue (on disk
# or in Redis), and the passphrase must never be stored anywhere. A request signs at most this
# many (a fraction of a second each, in Starlette's thread pool); the rest stay in the queue.
MAX_SIGN = 100
# A form posts one field per checked box, and the console takes at most [limits.console]
# form_fields fields a request: a page offers no more boxes than its form can post beside its
# other fields (csrf, kind, typed, draft; csrf, passphrase).
BATCH_FIELDS, SIGN_FIELDS = 4, 2
SPLIT = re.compile(r"[\s,;]+")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the batch's note on the SOP step it records (batch._record_steps), worded here in the page's language
STEP_NOTE = re.compile(r"SOP step (?P<step>\d+) was recorded for (?P<done>\d+) applications; "
                       r"(?P<skipped>\d+) were not at the step before it")


def note_words(note: str, t: dict) -> str:
    found = STEP_NOTE.match(note)
    return t["docs_step_note"].format(**found.groupdict()) if found else note


def _result_links(job: jobs.JobView, words: dict) -> list[tuple[str, str]]:
    return [(words["docs_result_link"], f"/documents/result/{job.id}")]


area_jobs.RESULT_LINKS[KIND] = _result_links
# how an application's timeline names the event this area's signing records (signing/pending.py)
i18n.EVENTS["id"]["document.signed"] = "Dokumen ditandatangani secara elektronik"
i18n.EVENTS["en"]["document.signed"] = "Document signed electronically"


def kinds_offered() -> list[tuple[str, str]]:
    """(kind, title) of every kind a batch makes, from the data (document_kinds.toml)."""
    known = numbering.document_kinds()
    return [(kind, known[kind].title) for kind in renderable_kinds() if kind in known]


def ready_for(ws, kind: str, limit: int = READY_SHOWN) -> tuple[list[dict], bool]:
    """The applications ready for `kind` and without it yet: at or past the SOP's gate of a kind
    issued after a decision (the permit: the recommendation received), else waiting on the step
    that makes it. (rows, more than `limit`)."""
    sop = workflow.sop_for(ws)
    spec = numbering.document_kind(kind)
    gate = workflow.issue_gate(sop, kind)
    ensure_scheduled(ws)  # new registrations wait on their first step once it is worked out
    has_it = select(Document.application_id).where(Document.kind == kind,
                                                   Document.status.in_(("issued", "pending", "revoked")))
    query = select(Application).where(Application.id.not_in(has_it))
    if gate is not None:
        query = query.where(Application.status.in_(gate.statuses),
                            Application.current_step.in_(gate.path[gate.path.index(gate.requires):]))
    else:
        query = query.where(Application.next_step == sop.step_for_kind(kind))
    rows = []
    with db.session(ws) as session:
        for app in session.scalars(query.order_by(Application.id).limit(limit * 2 + 1)):
            if spec.applies_to_kind(app.application_kind):
                rows.append({"id": app.id, "registration_number": app.registration_number, "name": app.name,
                             "nik": mask_nik(app.nik), "step": _step_label(sop, app.next_step)})
    return rows[:limit], len(rows) > limit


def _step_label(sop, number: int | None) -> str | None:
    return f"{number}. {sop.step(number).activity}" if number in sop.steps else None


class DocumentsArea(Area):
    name = "documents"
    menu = [MenuItem("nav_documents", "/documents", MAKE_DOCUMENTS, prefix="/documents/result"),
            MenuItem("nav_signing", "/documents/sign", SIGN_DOCUMENTS)]
    errors = {
        "id": {
            "signing.passphrase-wrong": "Frasa sandi sertifikat salah: tidak ada dokumen yang ditandatangani.",
            "signing.passphrase-needed": "Ketik frasa sandi sertifikat: tidak ada dokumen yang ditandatangani.",
            "signing.not-configured": "Sertifikat tanda tangan belum diatur ([signing] p12 di sikro.toml).",
            "job-params-invalid": "Permintaan tidak dapat diproses: {detail}",
            "signing.certificate-not-yet-valid": ("Sertifikat {who} baru berlaku mulai {date}: tidak ada dokumen "
                                                  "yang ditandatangani."),
            "signing.certificate-expired": ("Sertifikat {who} sudah habis masa berlakunya pada {date}: tidak ada "
                                            "dokumen yang ditandatangani."),
            "signing.certificate-not-for-signing": ("Sertifikat {who} bukan untuk tanda tangan (penggunaan kuncinya "
                                                    "tidak memuat digitalSignature atau nonRepudiation): tidak ada "
                                                    "dokumen yang ditandatangani."),
        },
        "en": {
            "signing.passphrase-wrong": "Wrong certificate passphrase: nothing was signed.",
            "signing.passphrase-needed": "Type the certificate's passphrase: nothing was signed.",
            "signing.not-configured": "No signing certificate is configured ([signing] p12 in sikro.toml).",
            "job-params-invalid": "The request cannot be processed: {detail}",
        },
    }
    words = {
        "id": {
            "nav_documents": "Dokumen",
            "nav_signing": "Antrian tanda tangan",
            "docs_heading": "Buat dokumen",
            "docs_intro": "Pilih jenis dokumen dan permohonannya. Dokumen dibuat di latar belakang: nomor "
                          "diambil dari register, PDF dibuat, lalu diarsipkan. Menjalankan ulang tidak "
                          "menerbitkan nomor baru.",
            "docs_kind": "Jenis dokumen", "docs_show": "Tampilkan permohonan",
            "docs_ready": "Permohonan yang siap untuk dokumen ini",
            "docs_ready_none": "Tidak ada permohonan yang siap untuk dokumen ini.",
            "docs_ready_more": "Hanya {count} yang pertama ditampilkan; ketik nomor registrasi lainnya di bawah.",
            "docs_pick": "Pilih", "docs_registration": "No. registrasi", "docs_name": "Nama",
            "docs_nik": "NIK", "docs_waiting_step": "Menunggu langkah",
            "docs_typed": "Atau ketik nomor registrasi (satu per baris)",
            "docs_draft": "Draf saja (tanpa nomor, untuk diperiksa)",
            "docs_submit": "Buat dokumen",
            "docs_none_chosen": "Pilih atau ketik setidaknya satu permohonan.",
            "docs_unknown_ref": "Nomor registrasi tidak dikenal: {refs}",
            "docs_too_many": "Paling banyak {count} permohonan dalam satu pekerjaan.",
            "docs_unknown_kind": "Jenis dokumen tidak dikenal.",
            "docs_result_link": "Hasil pembuatan dokumen",
            "docs_result_heading": "Hasil: {title}",
            "docs_not_finished": "Pekerjaan ini belum selesai.",
            "docs_number": "Nomor", "docs_status": "Keadaan", "docs_message": "Keterangan",
            "docs_file": "Berkas", "docs_download": "Unduh PDF", "docs_preview": "Lihat draf",
            "docs_merged": "Unduh PDF gabungan untuk dicetak", "docs_results_book": "Unduh buku kerja hasil",
            "docs_notes": "Catatan",
            "docs_step_note": "Langkah SOP {step} dicatat untuk {done} permohonan; {skipped} permohonan belum "
                              "berada pada langkah sebelumnya, jadi langkah itu dicatat nanti oleh perannya.",
            "docs_status_issued": "Diterbitkan", "docs_status_existing": "Sudah ada",
            "docs_status_draft": "Draf", "docs_status_skipped": "Dilewati", "docs_status_waiting": "Menunggu",
            "docs_status_revoked": "Dicabut", "docs_status_failed": "Gagal",
            "docs_counts": "{issued} diterbitkan, {existing} sudah ada, {draft} draf, {other} lainnya",
            "sign_heading": "Antrian tanda tangan",
            "sign_intro": "Dokumen yang sudah bernomor dan menunggu tanda tangan elektronik (PAdES) Kepala "
                          "Dinas. Frasa sandi dipakai sekali untuk menandatangani dan tidak disimpan.",
            "sign_empty": "Tidak ada dokumen yang menunggu tanda tangan.",
            "sign_kind": "Dokumen", "sign_date": "Tanggal", "sign_step": "Langkah SOP yang dicatat",
            "sign_passphrase": "Frasa sandi sertifikat",
            "sign_submit": "Tandatangani yang dipilih",
            "sign_none_chosen": "Pilih setidaknya satu dokumen.",
            "sign_done": "{count} dokumen ditandatangani.",
            "sign_more": "{total} dokumen menunggu; {shown} yang terlama ditampilkan dan ditandatangani sekali "
                         "kirim. Sisanya tetap di antrian dan muncul di sini sesudahnya.",
            "sign_failed": "Tidak ditandatangani: {number}: {message}",
            "sign_step_note": "ditandatangani secara elektronik di antrian tanda tangan",
        },
        "en": {
            "nav_documents": "Documents",
            "nav_signing": "Signing queue",
            "docs_heading": "Make documents",
            "docs_intro": "Choose the document kind and the applications. The documents are made in the "
                          "background: the number is taken from its register, the PDF made, then filed. "
                          "Running again issues no new number.",
            "docs_kind": "Document kind", "docs_show": "Show applications",
            "docs_ready": "Applications ready for this document",
            "docs_ready_none": "No application is ready for this document.",
            "docs_ready_more": "Only the first {count} are shown; type other registration numbers below.",
            "docs_pick": "Choose", "docs_registration": "Registration no.", "docs_name": "Name",
            "docs_nik": "NIK", "docs_waiting_step": "Waiting on step",
            "docs_typed": "Or type registration numbers (one per line)",
            "docs_draft": "Draft only (no number, for checking)",
            "docs_submit": "Make the documents",
            "docs_none_chosen": "Choose or type at least one application.",
            "docs_unknown_ref": "Unknown registration number: {refs}",
            "docs_too_many": "At most {count} applications in one job.",
            "docs_unknown_kind": "Unknown document kind.",
            "docs_result_link": "Documents made",
            "docs_result_heading": "Result: {title}",
            "docs_not_finished": "This job has not finished.",
            "docs_number": "Number", "docs_status": "Status", "docs_message": "Note",
            "docs_file": "File", "docs_download": "Download PDF", "docs_preview": "View draft",
            "docs_merged": "Download the merged PDF for printing", "docs_results_book": "Download the results workbook",
            "docs_notes": "Notes",
            "docs_step_note": "SOP step {step} was recorded for {done} applications; {skipped} were not at the "
                              "step before it, so their role records it later.",
            "docs_status_issued": "Issued", "docs_status_existing": "Already issued",
            "docs_status_draft": "Draft", "docs_status_skipped": "Skipped", "docs_status_waiting": "Waiting",
            "docs_status_revoked": "Revoked", "docs_status_failed": "Failed",
            "docs_counts": "{issued} issued, {existing} already issued, {draft} drafts, {other} other",
            "sign_heading": "Signing queue",
            "sign_intro": "Numbered documents waiting for the Kepala Dinas's electronic signature (PAdES). "
                          "The passphrase is used once to sign and is never stored.",
            "sign_empty": "No document is waiting for a signature.",
            "sign_kind": "Document", "sign_date": "Date", "sign_step": "SOP step recorded",
            "sign_passphrase": "Certificate passphrase",
            "sign_submit": "Sign the chosen ones",
            "sign_none_chosen": "Choose at least one document.",
            "sign_done": "{count} documents signed.",
            "sign_more": "{total} documents are waiting; the {shown} oldest are shown and signed in one "
                         "submit. The rest stay in the queue and show here afterwards.",
            "sign_failed": "Not signed: {number}: {message}",
            "sign_step_note": "signed electronically in the signing queue",
        },
    }

    def boxes(self, other_fields: int, most: int) -> int:
        """How many checkboxes one of this area's forms may offer (see BATCH_FIELDS)."""
        return max(1, min(most, self.console.settings.form_fields - other_fields))

    def pages(self):
        return [self.page("/documents", self.form, MAKE_DOCUMENTS),
                self.page("/documents", self.submit, MAKE_DOCUMENTS, methods=("POST",)),
                self.page("/documents/result/{job_id}", self.result, MAKE_DOCUMENTS),
                self.page("/documents/result/{job_id}/pdf/{doc_id:int}", self.document_file, MAKE_DOCUMENTS),
                self.page("/documents/result/{job_id}/draft/{index:int}", self.draft_file, MAKE_DOCUMENTS),
                self.page("/documents/result/{job_id}/merged.pdf", self.merged_file, MAKE_DOCUMENTS),
                self.page("/documents/result/{job_id}/results.xlsx", self.results_file, MAKE_DOCUMENTS),
                self.page("/documents/sign", self.queue, SIGN_DOCUMENTS),
                self.page("/documents/sign", self.sign, SIGN_DOCUMENTS, methods=("POST",))]

    def endpoints(self):
        return [Endpoint("GET", "/api/v1/documents/kinds", self.api_kinds, MAKE_DOCUMENTS,
                         "The document kinds a batch makes"),
                Endpoint("POST", "/api/v1/documents/batches", self.api_batch, MAKE_DOCUMENTS,
                         "Make a batch of one document kind as a job; answers the job",
                         body={"type": "object", "required": ["kind", "refs"],
                               "properties": {"kind": {"type": "string"},
                                              "refs": {"type": "array", "items": {"type": "string"}},
                                              "draft": {"type": "boolean"}}}),
                Endpoint("GET", "/api/v1/documents/sign", self.api_queue, SIGN_DOCUMENTS,
                         "The documents waiting for the Kepala Dinas's signature"),
                Endpoint("POST", "/api/v1/documents/sign", self.api_sign, SIGN_DOCUMENTS,
                         f"Sign documents of the queue (at most {MAX_SIGN}); the passphrase is never stored",
                         body={"type": "object", "required": ["ids", "passphrase"],
                               "properties": {"ids": {"type": "array", "items": {"type": "integer"}},
                                              "passphrase": {"type": "string"}}})]

    # ----------------------------------------------------------------- a batch

    def form(self, ctx, *, problem: str | None = None, status: int = 200, typed: str = "") -> Response:
        kinds = kinds_offered()
        kind = ctx.request.query_params.get("kind") or ctx.field("kind") or kinds[0][0]
        if kind not in dict(kinds):
            kind = kinds[0][0]
        shown = self.boxes(BATCH_FIELDS, READY_SHOWN)
        ready, more = ready_for(self.ws, kind, shown)
        # htmx asks for the batch form alone when the kind changes (HX-Request); a browser, the page
        template = "documents_batch.html" if ctx.request.headers.get("hx-request") == "true" else "documents.html"
        return self.console.page(ctx, template, status, kinds=kinds, kind=kind, ready=ready, more=more,
                                 shown=shown, problem=problem, typed=typed,
                                 chosen=set(ctx.fields("ref")), draft=ctx.field("draft") == "yes",
                                 switch_path="/documents")

    def submit(self, ctx) -> Response:
        t = i18n.words(ctx.lang)
        typed = ctx.field("typed")[:20000]
        refs = list(dict.fromkeys(ctx.fields("ref") + [r for r in SPLIT.split(typed) if r]))
        try:
            params = self.batch_params(ctx.field("kind"), refs, ctx.field("draft") == "yes", t)
        except ValueError as problem:
            return self.form(ctx, problem=str(problem), status=400, typed=typed)
        job = jobs.submit(self.ws, KIND, params, actor=ctx.who.username)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    def batch_params(self, kind: str, refs: list[str], draft: bool, t: dict) -> dict:
        """The job's parameters: the kind checked, each reference found as a registration number
        (stored so: never a NIK in a job's parameters). ValueError with the words of what is wrong."""
        if kind not in dict(kinds_offered()):
            raise ValueError(t["docs_unknown_kind"])
        if not refs:
            raise ValueError(t["docs_none_chosen"])
        if len(refs) > MAX_REFS:
            raise ValueError(t["docs_too_many"].format(count=MAX_REFS))
        with db.session(self.ws) as session:
            found = dict(session.execute(select(Application.registration_number, Application.id).where(
                Application.registration_number.in_(refs))).all())
        unknown = [ref for ref in refs if ref not in found]
        if unknown:
            raise ValueError(t["docs_unknown_ref"].format(refs=", ".join(r[:40] for r in unknown[:5])))
        return {"kind": kind, "refs": refs, "draft": draft}

    # ----------------------------------------------------------------- its result and files

    def job_of(self, ctx) -> jobs.JobView | None:
        job = area_jobs.visible_job(self.ws, self.book, ctx.who, ctx.request.path_params["job_id"])
        return job if job is not None and job.kind == KIND else None

    def finished(self, ctx) -> jobs.JobView | None:
        job = self.job_of(ctx)
        return job if job is not None and job.status == jobs.DONE and job.result else None

    def result(self, ctx) -> Response:
        job = self.job_of(ctx)
        if job is None:
            return self.console.error_page(ctx, 404)
        if job.status != jobs.DONE or not job.result:
            return self.console.error_page(ctx, 409, i18n.words(ctx.lang)["docs_not_finished"])
        docs = job.result["documents"]
        counts = {s: sum(d["status"] == s for d in docs) for s in ("issued", "existing", "draft")}
        counts["other"] = len(docs) - sum(counts.values())
        drafts = [i for i, d in enumerate(docs) if d["status"] == "draft" and d.get("pdf")]
        title = dict(kinds_offered()).get(job.params.get("kind"), job.params.get("kind"))
        return self.console.page(ctx, "documents_result.html", job=job, docs=docs, counts=counts, drafts=drafts,
                                 title=title, notes=[note_words(n, i18n.words(ctx.lang))
                                                     for n in job.result.get("notes") or []])

    def document_file(self, ctx) -> Response:
        """An issued document's PDF: only a document of this job's result, as the registry knows it."""
        job, doc_id = self.finished(ctx), ctx.request.path_params["doc_id"]
        if job is None or doc_id not in {d.get("document_id") for d in job.result["documents"]}:
            return self.console.error_page(ctx, 404)
        with db.session(self.ws) as session:
            document = session.get(Document, doc_id)
            pdf = pending._pdf_of(self.ws, document.files) if document is not None else None
        if pdf is None:
            return self.console.error_page(ctx, 404)
        return FileResponse(pdf, media_type="application/pdf", filename=pdf.name,
                            content_disposition_type="attachment")

    def _out_file(self, value) -> Path | None:
        """A file the job's result names, when it lies inside the workspace's out/ folder."""
        if not value:
            return None
        path = Path(value).resolve()
        return path if path.is_relative_to(self.ws.out_dir.resolve()) and path.is_file() else None

    def draft_file(self, ctx) -> Response:
        """A draft PDF, shown in the browser (inline): drafts take no number and are in no register."""
        job, index = self.finished(ctx), ctx.request.path_params["index"]
        docs = job.result["documents"] if job else []
        draft = docs[index] if index < len(docs) and docs[index]["status"] == "draft" else None
        path = self._out_file(draft.get("pdf")) if draft else None
        if path is None or not path.is_relative_to((self.ws.out_dir / "draf").resolve()):
            return self.console.error_page(ctx, 404)
        return FileResponse(path, media_type="application/pdf", filename=path.name,
                            content_disposition_type="inline")

    def merged_file(self, ctx) -> Response:
        job = self.finished(ctx)
        path = self._out_file(job.result.get("merged_pdf")) if job else None
        if path is None:
            return self.console.error_page(ctx, 404)
        return FileResponse(path, media_type="application/pdf", filename=path.name,
                            content_disposition_type="attachment")

    def results_file(self, ctx) -> Response:
        job = self.finished(ctx)
        path = self._out_file(job.result.get("results_file")) if job else None
        if path is None:
            return self.console.error_page(ctx, 404)
        return FileResponse(path, media_type=XLSX_MIME, filename=path.name)

    # ----------------------------------------------------------------- the signing queue

    def queue(self, ctx, *, problem: str | None = None, status: int = 200, failed: list | None = None) -> Response:
        cap = self.boxes(SIGN_FIELDS, MAX_SIGN)
        items, total = pending.waiting(self.ws, limit=cap)
        sop = workflow.sop_for(self.ws)
        steps = {item.document_id: _step_label(sop, pending.sign_step_for(self.ws, item.application_id, item.kind))
                 for item in items}
        done = ctx.request.query_params.get("signed", "")
        return self.console.page(ctx, "documents_sign.html", status, items=items, total=total, steps=steps,
                                 cap=cap, problem=problem, failed=failed or [],
                                 signed=int(done) if done.isdigit() and len(done) < 5 else None,
                                 switch_path="/documents/sign")

    def sign(self, ctx) -> Response:
        t = i18n.words(ctx.lang)
        ids = list(dict.fromkeys(int(v) for v in ctx.fields("doc") if v.isdigit() and len(v) < 19))[:MAX_SIGN]
        if not ids:
            return self.queue(ctx, problem=t["sign_none_chosen"], status=400)
        passphrase = (ctx.form.get("passphrase") or [""])[0]  # as typed: spaces are part of it
        try:
            outcomes = self.sign_now(ctx.who, ids, passphrase, t)
        except SikroError as err:
            return self.queue(ctx, problem=i18n.error_words(err, ctx.lang), status=400)
        failed = [o for o in outcomes if o.status == "failed"]
        signed = sum(o.status == "signed" for o in outcomes)
        if failed:
            return self.queue(ctx, problem=t["sign_done"].format(count=signed), status=409,
                              failed=[t["sign_failed"].format(number=o.number or o.document_id,
                                                              message=o.message) for o in failed])
        return RedirectResponse(f"/documents/sign?signed={signed}", status_code=303)

    def sign_now(self, who, ids: list[int], passphrase: str, t: dict) -> list[pending.Signed]:
        """Open the certificate with the passphrase (SikroError, nothing signed, when it does not
        fit), sign each chosen document, and record the SOP's signing step where the application
        waits on it and the user's roles record it. The passphrase lives only in this call."""
        credentials = pending.open_credentials(self.ws, passphrase)
        outcomes = pending.sign_documents(self.ws, ids, credentials, actor=who.username)
        for outcome in outcomes:
            if outcome.status != "signed":
                continue
            step = pending.sign_step_for(self.ws, outcome.application_id, outcome.kind)
            if step is not None and self.book.may_record(who.roles, step):
                try:
                    workflow.record_step(self.ws, outcome.application_id, step, by=who.username,
                                         note=t["sign_step_note"])  # the signature is its document
                except SikroError:
                    pass  # another desk moved it meanwhile: the signature stands, the step is theirs to record
        return outcomes

    # ----------------------------------------------------------------- API

    def api_kinds(self, call: ApiCall) -> list:
        return [{"kind": kind, "title": title} for kind, title in kinds_offered()]

    def api_batch(self, call: ApiCall) -> dict:
        refs = call.body.get("refs")
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise ApiRefusal(400, "refs-must-be-a-list-of-strings")
        try:
            params = self.batch_params(str(call.body.get("kind") or ""), list(dict.fromkeys(r.strip() for r in refs
                                                                                           if r.strip())),
                                       bool(call.body.get("draft")), i18n.words("en"))
        except ValueError as problem:
            raise ApiRefusal(400, "batch-refused", message=str(problem)) from None
        return jobs.submit(self.ws, KIND, params, actor=call.who.username).as_json()

    def api_queue(self, call: ApiCall) -> dict:
        items, total = pending.waiting(self.ws)
        return {"total": total, "documents": [item.as_json() for item in items]}

    def api_sign(self, call: ApiCall) -> dict:
        ids, passphrase = call.body.get("ids"), call.body.get("passphrase")
        if not isinstance(ids, list) or not ids or not all(type(i) is int and 0 < i < 2**62 for i in ids):
            raise ApiRefusal(400, "ids-must-be-a-list-of-document-ids")
        if not isinstance(passphrase, str):
            raise ApiRefusal(400, "passphrase-required")
        # A library error (a wrong passphrase) is answered 409 with its code: nothing was signed.
        outcomes = self.sign_now(call.who, list(dict.fromkeys(ids))[:MAX_SIGN], passphrase, i18n.words("en"))
        return {"signed": sum(o.status == "signed" for o in outcomes), "documents": [o.as_json() for o in outcomes],
                "left": max(0, len(set(ids)) - MAX_SIGN)}
