"""The jobs area: long work (imports, batches, signing, scan ingest) and its live progress.

    GET  /jobs                 the user's jobs (everyone's for users.manage), newest first
    GET  /jobs/{id}            one job: status, progress (refreshed every second by htmx while it
                               runs; without script the page says to reload), result links
    GET  /jobs/{id}/progress   the progress fragment the job page polls
    POST /jobs/{id}/cancel     cancel (the job's owner, or users.manage)
    GET  /api/v1/jobs/{id}     the job as JSON; POST /api/v1/jobs/{id}/cancel

Other areas submit jobs (jobs.submit) and redirect to /jobs/{id}; what a finished
job links to comes from `RESULT_LINKS`, per job kind, filled by the area that owns
the kind (a provider by name, as the kinds themselves are).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import RedirectResponse, Response

from .. import jobs
from ..accounts.roles import MANAGE_USERS
from .area import ApiCall, ApiRefusal, Area, Endpoint, MenuItem

# job kind -> (job view, words) -> [(label, href)]: what a finished job of that kind offers
RESULT_LINKS: dict[str, Callable[[jobs.JobView, dict], list[tuple[str, str]]]] = {}
JOB_ID_CHARS = 32


def sees_all_jobs(book, who) -> bool:
    """Whoever manages the accounts sees every job; anyone else their own."""
    return book.may(who.roles, MANAGE_USERS)


def visible_job(ws, book, who, job_id: str) -> jobs.JobView | None:
    """The job when it is the user's (or the user sees every job), else None."""
    if len(job_id) > JOB_ID_CHARS:
        return None
    try:
        job = jobs.status(ws, job_id)
    except jobs.JobNotFound:
        return None
    return job if job.created_by == who.username or sees_all_jobs(book, who) else None


class JobsArea(Area):
    name = "jobs"
    menu = [MenuItem("nav_jobs", "/jobs", None)]
    words = {
        "id": {
            "nav_jobs": "Pekerjaan",
            "jobs_heading": "Pekerjaan latar",
            "jobs_intro": "Impor, pembuatan dokumen, penandatanganan dan pemindaian berjalan di latar belakang; "
                          "halaman ini menunjukkan kemajuannya.",
            "jobs_empty": "Belum ada pekerjaan.",
            "job_heading": "Pekerjaan: {title}",
            "job_kind": "Jenis", "job_status": "Keadaan", "job_by": "Diminta oleh", "job_created": "Dibuat",
            "job_started": "Mulai", "job_finished": "Selesai", "job_progress": "Kemajuan",
            "job_progress_of": "{done} dari {total}", "job_progress_count": "{done} selesai",
            "job_reload": "Muat ulang halaman ini untuk melihat kemajuan terbaru.",
            "job_cancel": "Batalkan pekerjaan", "job_cancel_requested": "Pembatalan diminta.",
            "job_error": "Kesalahan", "job_results": "Hasil",
            "job_state_queued": "Menunggu", "job_state_running": "Berjalan", "job_state_done": "Selesai",
            "job_state_failed": "Gagal", "job_state_cancelled": "Dibatalkan",
        },
        "en": {
            "nav_jobs": "Jobs",
            "jobs_heading": "Background jobs",
            "jobs_intro": "Imports, document batches, signing and scan ingest run in the background; this page "
                          "shows how far they are.",
            "jobs_empty": "No jobs yet.",
            "job_heading": "Job: {title}",
            "job_kind": "Kind", "job_status": "Status", "job_by": "Requested by", "job_created": "Created",
            "job_started": "Started", "job_finished": "Finished", "job_progress": "Progress",
            "job_progress_of": "{done} of {total}", "job_progress_count": "{done} done",
            "job_reload": "Reload this page to see the latest progress.",
            "job_cancel": "Cancel the job", "job_cancel_requested": "Cancelling was requested.",
            "job_error": "Error", "job_results": "Results",
            "job_state_queued": "Queued", "job_state_running": "Running", "job_state_done": "Done",
            "job_state_failed": "Failed", "job_state_cancelled": "Cancelled",
        },
    }

    def pages(self):
        return [self.page("/jobs", self.index, None),
                self.page("/jobs/{job_id}", self.show, None),
                self.page("/jobs/{job_id}/progress", self.progress, None),
                self.page("/jobs/{job_id}/cancel", self.cancel, None, methods=("POST",))]

    def endpoints(self):
        return [Endpoint("GET", "/api/v1/jobs", self.api_list, None, "The user's jobs, newest first"),
                Endpoint("GET", "/api/v1/jobs/{job_id}", self.api_show, None, "A job with its live progress"),
                Endpoint("POST", "/api/v1/jobs/{job_id}/cancel", self.api_cancel, None, "Cancel a job")]

    # ----------------------------------------------------------------- whose jobs

    def sees_all(self, who) -> bool:
        return sees_all_jobs(self.book, who)

    def job_of(self, who, job_id: str) -> jobs.JobView | None:
        return visible_job(self.ws, self.book, who, job_id)

    # ----------------------------------------------------------------- pages

    def index(self, ctx) -> Response:
        mine = None if self.sees_all(ctx.who) else ctx.who.username
        return self.console.page(ctx, "jobs.html", jobs=jobs.list_jobs(self.ws, created_by=mine))

    def show(self, ctx) -> Response:
        job = self.job_of(ctx.who, ctx.request.path_params["job_id"])
        if job is None:
            return self.console.error_page(ctx, 404)
        return self.console.page(ctx, "job.html", job=job, links=self.links(job, ctx.lang))

    def progress(self, ctx) -> Response:
        job = self.job_of(ctx.who, ctx.request.path_params["job_id"])
        if job is None:
            return self.console.error_page(ctx, 404)
        return self.console.page(ctx, "job_progress.html", job=job, links=self.links(job, ctx.lang))

    def cancel(self, ctx) -> Response:
        job = self.job_of(ctx.who, ctx.request.path_params["job_id"])
        if job is None:
            return self.console.error_page(ctx, 404)
        jobs.cancel(self.ws, job.id, actor=ctx.who.username)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    def links(self, job: jobs.JobView, lang: str) -> list[tuple[str, str]]:
        provider = RESULT_LINKS.get(job.kind)
        if provider is None or job.status != jobs.DONE:
            return []
        from . import i18n

        return provider(job, i18n.words(lang))

    # ----------------------------------------------------------------- API

    def api_list(self, call: ApiCall) -> list:
        mine = None if self.sees_all(call.who) else call.who.username
        return [job.as_json() for job in jobs.list_jobs(self.ws, created_by=mine)]

    def api_show(self, call: ApiCall) -> dict:
        job = self.job_of(call.who, call.path["job_id"])
        if job is None:
            raise ApiRefusal(404, "job-not-found")
        return job.as_json()

    def api_cancel(self, call: ApiCall) -> dict:
        job = self.job_of(call.who, call.path["job_id"])
        if job is None:
            raise ApiRefusal(404, "job-not-found")
        return jobs.cancel(self.ws, job.id, actor=call.who.username).as_json()
