"""The archive's scans: upload scanned papers, filed by an `ingest` job into the berkas their QR codes name.

    GET  /archive/scans                    the upload form (several PDF / JPEG / PNG / TIFF files)
    POST /archive/scans                    keeps the uploads (uploads.py) and submits an `ingest` job
                                           (jobs/ingest_job.py: archive.ingest, as `sikro archive ingest`);
                                           redirects to /jobs/{id}
    GET  /archive/scans/result/{job_id}    a finished ingest: the scans filed (their berkas and application
                                           linked) and those not filed, each with its reason
    GET  /api/v1/archive/scans/{job_id}    the result as JSON

What a file may be and cost is the ingest library's to decide ([limits.scan]): a file that is no
real PDF or image, or beyond a limit, is one line of the result and the others are filed all the
same. The whole request is bounded by [limits.console] upload_bytes (413 beyond).
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from .. import db, jobs
from ..accounts.roles import MANAGE_ARCHIVE
from ..archive.filing import DUPLICATE, FILED
from ..archive.tables import Berkas
from ..limits import limits
from . import area_jobs, i18n
from .area import ApiCall, ApiRefusal, Area, Endpoint

KIND = "ingest"
MAX_FILES = 50  # scans of one upload (the job takes up to jobs.ingest_job.MAX_FILES)
ACCEPT = ".pdf,.jpg,.jpeg,.png,.tif,.tiff,application/pdf,image/jpeg,image/png,image/tiff"
MATCHED = (FILED, DUPLICATE)
# The library's reasons (English), said in Bahasa Indonesia: (start of the reason, words)
REASONS_ID = (("no QR code found", "tidak ditemukan kode QR"),
              ("not a PDF or image", "bukan PDF atau gambar"),
              ("not a readable image or PDF", "bukan gambar atau PDF yang dapat dibaca"),
              ("no such file or folder", "berkas tidak ada"),
              ("QR code is not a verification code of this office", "kode QR bukan kode verifikasi kantor ini"),
              ("QR code rejected", "kode QR ditolak"),
              ("the document belongs to no application", "dokumennya bukan milik permohonan mana pun"),
              ("the file shows documents of several applications",
               "berkas memuat dokumen beberapa permohonan; pindai terpisah"),
              ("cannot be read", "tidak dapat dibaca"),
              ("quarantined", "dikarantina (melewati batas)"),
              ("not filed", "tidak diarsipkan"))


NOTES_ID = (("OCR made searchable text for ", "OCR membuat teks yang dapat dicari untuk "),
            (" file(s)", " file"))


def note_words(note: str, lang: str) -> str:
    """A note of the library's report (OCR's), in `lang` where its words are known."""
    if lang != "id":
        return note
    for english, words in NOTES_ID:
        note = note.replace(english, words)
    return note


def _result_links(job: jobs.JobView, words: dict) -> list[tuple[str, str]]:
    return [(words["scans_result_link"], f"/archive/scans/result/{job.id}")]


area_jobs.RESULT_LINKS[KIND] = _result_links


def reason_words(message: str, lang: str) -> str:
    """The library's reason in `lang` (its own words kept after the Indonesian one, for the details)."""
    text = (message or "").replace("; left where it is", "")
    if lang != "id":
        return text
    for start, words in REASONS_ID:
        if text.startswith(start):
            rest = text[len(start):].lstrip(":; ")
            return f"{words} ({rest})" if rest else words
    return text


class ArchiveScansArea(Area):
    name = "archive_scans"
    upload_paths = ("/archive/scans",)
    words = {
        "id": {
            "scans_heading": "Unggah pindaian ke arsip",
            "scans_intro": "Unggah pindaian surat izin atau dokumen lain yang ber-QR. Setiap pindaian diarsipkan "
                           "ke berkas permohonan yang ditunjuk kode QR-nya; yang tidak cocok ditampilkan dengan "
                           "alasannya.",
            "scans_files": "Berkas pindaian (PDF, JPEG, PNG atau TIFF; boleh beberapa)",
            "scans_limits": "Paling banyak {count} berkas sekali unggah, setiap berkas paling besar {mb} MB.",
            "scans_submit": "Unggah dan arsipkan",
            "scans_no_file": "Pilih sedikitnya satu berkas pindaian.",
            "scans_too_many": "Paling banyak {count} berkas sekali unggah.",
            "scans_link": "Unggah pindaian",
            "scans_result_link": "Hasil pemindaian",
            "scans_result_heading": "Hasil pemindaian ke arsip",
            "scans_not_finished": "Pemindaian ini belum selesai.",
            "scans_summary": "{matched} pindaian diarsipkan, {unmatched} tidak.",
            "scans_matched": "Diarsipkan ke berkasnya", "scans_unmatched": "Tidak diarsipkan",
            "scans_file": "Nama file", "scans_document": "Nomor dokumen", "scans_berkas": "Berkas arsip",
            "scans_status": "Keadaan", "scans_reason": "Alasan", "scans_application": "Permohonan",
            "scans_none_matched": "Tidak ada pindaian yang diarsipkan.",
            "scans_none_unmatched": "Semua pindaian diarsipkan.",
            "scans_again": "Unggah pindaian lain", "scans_notes": "Catatan",
            "scan_state_filed": "Diarsipkan", "scan_state_duplicate": "Sudah ada di arsip",
            "scan_state_unmatched": "Tidak cocok", "scan_state_quarantined": "Dikarantina",
            "scan_state_skipped": "Dilewati", "scan_state_failed": "Gagal",
        },
        "en": {
            "scans_heading": "Upload scans to the archive",
            "scans_intro": "Upload scans of permits or other documents that carry a QR code. Each scan is filed "
                           "into the berkas of the application its QR code names; those that match none are "
                           "shown with the reason.",
            "scans_files": "Scan files (PDF, JPEG, PNG or TIFF; several at once)",
            "scans_limits": "At most {count} files per upload, each at most {mb} MB.",
            "scans_submit": "Upload and file",
            "scans_no_file": "Choose at least one scan file.",
            "scans_too_many": "At most {count} files per upload.",
            "scans_link": "Upload scans",
            "scans_result_link": "Scan ingest result",
            "scans_result_heading": "Scans filed into the archive",
            "scans_not_finished": "This scan ingest has not finished.",
            "scans_summary": "{matched} scan(s) filed, {unmatched} not.",
            "scans_matched": "Filed into their berkas", "scans_unmatched": "Not filed",
            "scans_file": "File name", "scans_document": "Document number", "scans_berkas": "Archive berkas",
            "scans_status": "Status", "scans_reason": "Reason", "scans_application": "Application",
            "scans_none_matched": "No scan was filed.",
            "scans_none_unmatched": "Every scan was filed.",
            "scans_again": "Upload more scans", "scans_notes": "Notes",
            "scan_state_filed": "Filed", "scan_state_duplicate": "Already in the archive",
            "scan_state_unmatched": "No match", "scan_state_quarantined": "Quarantined",
            "scan_state_skipped": "Skipped", "scan_state_failed": "Failed",
        },
    }

    def pages(self):
        return [self.page("/archive/scans", self.form, MANAGE_ARCHIVE),
                self.page("/archive/scans", self.upload, MANAGE_ARCHIVE, methods=("POST",), files=MAX_FILES),
                self.page("/archive/scans/result/{job_id}", self.result, MANAGE_ARCHIVE)]

    def endpoints(self):
        return [Endpoint("GET", "/api/v1/archive/scans/{job_id}", self.api_result, MANAGE_ARCHIVE,
                         "A finished scan ingest: each scan filed (berkas, application) or not (reason)")]

    # ----------------------------------------------------------------- upload

    def max_mb(self) -> float:
        return float(limits(self.ws.profile, "scan")["max_file_mb"])

    def form(self, ctx, message: str | None = None, status: int = 200) -> Response:
        mb = self.max_mb()
        return self.console.page(ctx, "archive_scans.html", status, message=message, accept=ACCEPT,
                                 max_files=MAX_FILES, max_mb=int(mb) if mb == int(mb) else mb)

    def upload(self, ctx) -> Response:
        t = i18n.words(ctx.lang)
        files = ctx.upload.files if ctx.upload else []
        if not files:
            return self.form(ctx, t["scans_no_file"], 400)
        if len(files) > MAX_FILES:
            return self.form(ctx, t["scans_too_many"].format(count=MAX_FILES), 400)
        ctx.upload.keep()
        params = {"files": [{"path": str(f.path), "name": f.name} for f in files]}
        job = jobs.submit(self.ws, KIND, params, actor=ctx.who.username)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    # ----------------------------------------------------------------- result

    def job_of(self, who, job_id: str) -> jobs.JobView | None:
        job = area_jobs.visible_job(self.ws, self.book, who, job_id)
        return job if job is not None and job.kind == KIND else None

    def outcome(self, job: jobs.JobView, lang: str) -> dict:
        """The job's files split into matched (with the berkas's row id and application) and not."""
        files = (job.result or {}).get("files", [])
        numbers = sorted({f["berkas"] for f in files if f.get("berkas")})
        with db.session(self.ws) as session:
            rows = session.execute(select(Berkas.berkas_number, Berkas.id, Berkas.application_id,
                                          Berkas.registration_number)
                                   .where(Berkas.berkas_number.in_(numbers))).all() if numbers else []
        known = {number: (berkas_id, app_id, reg) for number, berkas_id, app_id, reg in rows}
        matched, unmatched = [], []
        for f in files:
            if f["status"] in MATCHED:
                berkas_id, app_id, reg = known.get(f.get("berkas"), (None, None, None))
                matched.append({**f, "berkas_id": berkas_id, "application_id": app_id, "registration_number": reg})
            else:
                unmatched.append({**f, "reason": reason_words(f.get("message", ""), lang)})
        notes = [note_words(n, lang) for n in (job.result or {}).get("notes", [])]
        return {"matched": matched, "unmatched": unmatched, "notes": notes}

    def result(self, ctx) -> Response:
        job = self.job_of(ctx.who, ctx.request.path_params["job_id"])
        if job is None:
            return self.console.error_page(ctx, 404)
        if job.status != jobs.DONE or not job.result:
            return self.console.error_page(ctx, 409, i18n.words(ctx.lang)["scans_not_finished"])
        return self.console.page(ctx, "archive_scans_result.html", job=job, **self.outcome(job, ctx.lang))

    def api_result(self, call: ApiCall) -> dict:
        job = self.job_of(call.who, call.path["job_id"])
        if job is None:
            raise ApiRefusal(404, "job-not-found")
        if job.status != jobs.DONE or not job.result:
            raise ApiRefusal(409, "job-not-finished", status=job.status)
        return {"job": job.id, **self.outcome(job, "en")}

