"""The intake area: hand in applications as a workbook (.xlsx) or JSON file, imported as a job.

    GET  /intake                        the upload form (a plain file input; a drop zone styled by CSS)
    POST /intake                        check the file (type, size, readable, headers), then an `import` job;
                                        redirects to /jobs/{id}
    GET  /intake/result/{job_id}        a finished import: counts, the refused rows at sheet row and column
    GET  /intake/result/{job_id}/errors the errors workbook of that import (written formula-safe by the library)

The single application form (/intake/new), correcting an application and the
applications API are area_intake_form.py's.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, RedirectResponse, Response

from .. import jobs, permit_types
from ..accounts.roles import UPLOAD_APPLICATIONS
from ..errors import SikroError
from ..intake import open_input
from . import area_jobs, i18n
from .area import Area, MenuItem
from .intake_form import masked

ACCEPTED = (".xlsx", ".json")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _result_links(job: jobs.JobView, words: dict) -> list[tuple[str, str]]:
    return [(words["intake_result_link"], f"/intake/result/{job.id}")]


area_jobs.RESULT_LINKS["import"] = _result_links


class IntakeArea(Area):
    name = "intake"
    menu = [MenuItem("nav_intake", "/intake", UPLOAD_APPLICATIONS)]
    upload_paths = ("/intake",)
    words = {
        "id": {
            "nav_intake": "Penerimaan",
            "intake_heading": "Unggah daftar permohonan",
            "intake_intro": "Unggah buku kerja (.xlsx) atau berkas JSON berisi permohonan. Baris yang benar "
                            "didaftarkan; baris yang salah dikembalikan dalam buku kerja kesalahan.",
            "intake_file": "Berkas (.xlsx atau .json)",
            "intake_drop": "Seret berkas ke sini, atau pilih dengan tombol di bawah.",
            "intake_type": "Jenis izin",
            "intake_type_column": "Dari kolom Jenis Izin",
            "intake_submit": "Unggah dan impor",
            "intake_no_file": "Pilih satu berkas .xlsx atau .json.",
            "intake_wrong_type": "Berkas harus .xlsx atau .json.",
            "intake_unknown_type": "Jenis izin tidak dikenal.",
            "intake_result_link": "Hasil impor",
            "intake_result_heading": "Hasil impor",
            "intake_imported": "Didaftarkan", "intake_updated": "Diperbarui", "intake_unchanged": "Tidak berubah",
            "intake_refused": "Baris ditolak",
            "intake_row": "Baris", "intake_column": "Kolom", "intake_message": "Kesalahan",
            "intake_no_errors": "Semua baris benar.",
            "intake_errors_download": "Unduh buku kerja kesalahan",
            "intake_again": "Perbaiki buku kerja lalu unggah lagi: baris yang sudah terdaftar tidak didaftarkan dua kali.",
            "intake_not_finished": "Impor ini belum selesai.",
        },
        "en": {
            "nav_intake": "Intake",
            "intake_heading": "Upload an application list",
            "intake_intro": "Upload a workbook (.xlsx) or JSON file of applications. Valid rows are registered; "
                            "invalid rows come back in an errors workbook.",
            "intake_file": "File (.xlsx or .json)",
            "intake_drop": "Drag the file here, or choose it with the button below.",
            "intake_type": "Permit type",
            "intake_type_column": "From the Jenis Izin column",
            "intake_submit": "Upload and import",
            "intake_no_file": "Choose one .xlsx or .json file.",
            "intake_wrong_type": "The file must be .xlsx or .json.",
            "intake_unknown_type": "Unknown permit type.",
            "intake_result_link": "Import result",
            "intake_result_heading": "Import result",
            "intake_imported": "Registered", "intake_updated": "Updated", "intake_unchanged": "Unchanged",
            "intake_refused": "Rows refused",
            "intake_row": "Row", "intake_column": "Column", "intake_message": "Error",
            "intake_no_errors": "Every row was valid.",
            "intake_errors_download": "Download the errors workbook",
            "intake_again": "Fix the workbook and upload it again: rows already registered are not registered twice.",
            "intake_not_finished": "This import has not finished.",
        },
    }

    def pages(self):
        return [self.page("/intake", self.form, UPLOAD_APPLICATIONS),
                self.page("/intake", self.upload, UPLOAD_APPLICATIONS, methods=("POST",), files=1),
                self.page("/intake/result/{job_id}", self.result, UPLOAD_APPLICATIONS),
                self.page("/intake/result/{job_id}/errors", self.errors_book, UPLOAD_APPLICATIONS)]

    # ----------------------------------------------------------------- upload

    def types(self) -> list:
        catalogue = permit_types.catalogue(self.ws)
        return [catalogue.get(code) for code in catalogue.codes()]

    def form(self, ctx, message: str | None = None, status: int = 200) -> Response:
        return self.console.page(ctx, "intake.html", status, types=self.types(), message=message)

    def upload(self, ctx) -> Response:
        t = i18n.words(ctx.lang)
        files = ctx.upload.files
        if len(files) != 1:
            return self.form(ctx, t["intake_no_file"], 400)
        received = files[0]
        if Path(received.name).suffix.lower() not in ACCEPTED:
            return self.form(ctx, t["intake_wrong_type"], 400)
        code = ctx.upload.field("permit_type") or None
        try:
            permit_type = permit_types.get(self.ws, code) if code else None
            # Opened once here: a corrupt file, too large a file or a misspelt header is
            # told now, in one line, rather than as a failed job.
            with open_input(received.path, self.ws.profile, ws=self.ws, permit_type=permit_type):
                pass
        except SikroError as err:
            return self.form(ctx, self.one_line(err, received, ctx.lang), 400)
        ctx.upload.keep()
        params = {"path": str(received.path), "permit_type": permit_type.code if permit_type else None}
        job = jobs.submit(self.ws, "import", params, actor=ctx.who.username)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @staticmethod
    def one_line(err: SikroError, received, lang: str) -> str:
        """The library's words for a refused file, naming it as the browser did (never the server's path)."""
        words = " ".join(i18n.error_words(err, lang).split()).replace(str(received.path), received.name)
        return words if received.name in words else f"{received.name}: {words}"

    # ----------------------------------------------------------------- result

    def job_of(self, ctx) -> jobs.JobView | None:
        job = area_jobs.visible_job(self.ws, self.book, ctx.who, ctx.request.path_params["job_id"])
        return job if job is not None and job.kind == "import" else None

    def result(self, ctx) -> Response:
        job = self.job_of(ctx)
        if job is None:
            return self.console.error_page(ctx, 404)
        if job.status != jobs.DONE or not job.result:
            return self.console.error_page(ctx, 409, i18n.words(ctx.lang)["intake_not_finished"])
        # Each refused row in the page's language, from the code and values the job kept (an older
        # result has its English message only); a NIK the message quotes is masked.
        problems = [{"row": p.get("row"), "column": p.get("column"),
                     "words": masked(i18n.problem_words(p, ctx.lang))} for p in job.result.get("invalid") or []]
        return self.console.page(ctx, "intake_result.html", job=job, report=job.result, problems=problems)

    def errors_book(self, ctx) -> Response:
        job = self.job_of(ctx)
        path = (job.result or {}).get("errors_file") if job is not None else None
        if not path or not Path(path).is_file():
            return self.console.error_page(ctx, 404)
        return FileResponse(path, media_type=XLSX_MIME, filename=Path(path).name)
