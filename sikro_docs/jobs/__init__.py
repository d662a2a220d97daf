"""Long work as jobs: submitted by the console, the API or `sikro jobs`, run by a worker.

    job = jobs.submit(ws, "import", {"path": "/path/to/book.xlsx"}, actor="fo.rina")
    jobs.status(ws, job.id)      # the row, with live progress
    jobs.cancel(ws, job.id, actor="fo.rina")
    jobs.run_worker(ws)          # `sikro worker`: runs queued jobs until stopped

A job survives a restart of the console and of the worker: the queue is on disk (or
Redis), and a job a dead worker left running is queued again (runner.requeue_orphans).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .. import db
from ..errors import SikroError
from ..models import utcnow
from . import queue
from .kinds import KINDS, JobKind, JobParamsInvalid, UnknownJobKind, kind_named, register
from .model import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, Job
from .runner import JobCancelled, JobContext, cancel_key, progress_key, requeue_orphans

__all__ = [
    "CANCELLED", "DONE", "FAILED", "FINISHED", "KINDS", "QUEUED", "RUNNING", "Job", "JobCancelled", "JobContext",
    "JobKind", "JobNotFound", "JobParamsInvalid", "JobView", "UnknownJobKind", "cancel", "list_jobs",
    "register", "run_worker", "status", "submit",
]


class JobNotFound(SikroError):
    code = "job-not-found"


@dataclass(frozen=True)
class JobView:
    """A job as the interfaces show it: its row and its live progress."""

    id: str
    kind: str
    title: str
    status: str
    created_by: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int
    done: int
    total: int | None
    message: str
    cancel_requested: bool
    result: dict | None
    error_code: str | None
    error: str | None
    params: dict

    def as_json(self) -> dict:
        return dict(self.__dict__)


def submit(ws, kind: str, params: dict[str, Any], *, actor: str) -> JobView:
    """Record the job and put it on the queue; bad parameters are refused now, not in the worker."""
    spec = kind_named(kind)
    spec.check(ws, params)
    job_id = secrets.token_hex(16)
    with db.session(ws, write=True) as sess:
        sess.add(Job(id=job_id, kind=kind, params=params, status=QUEUED, created_by=actor, attempts=0,
                     cancel_requested=False))
    queue.enqueue(ws, job_id)
    return status(ws, job_id)


def status(ws, job_id: str) -> JobView:
    with db.session(ws) as sess:
        job = sess.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        return _view(ws, job)


def list_jobs(ws, *, limit: int = 50, created_by: str | None = None) -> list[JobView]:
    with db.session(ws) as sess:
        query = select(Job).order_by(Job.created_at.desc()).limit(limit)
        if created_by:
            query = query.where(Job.created_by == created_by)
        return [_view(ws, job) for job in sess.scalars(query)]


def cancel(ws, job_id: str, *, actor: str) -> JobView:
    """A queued job never starts; a running one stops at its next progress report (an import
    then saves nothing; a batch keeps the documents it finished). A finished job is left as it is.

    The request goes through the queue's store first: a running import holds the database's
    write lock, and the row can be marked only once the job has stopped and let it go."""
    status(ws, job_id)  # JobNotFound before anything is written
    queue.put(ws, cancel_key(job_id), {"by": actor})
    with db.session(ws, write=True) as sess:
        job = sess.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        if job.status not in FINISHED:
            job.cancel_requested = True
            if job.status == QUEUED:
                job.status, job.finished_at = CANCELLED, utcnow()
    return status(ws, job_id)


def run_worker(ws, *, workers: int = 1) -> None:
    """Run queued jobs until SIGINT/SIGTERM (huey's consumer, one process per worker)."""
    requeue_orphans(ws)
    consumer = queue.queue_for(ws).create_consumer(workers=workers, worker_type="process", periodic=False,
                                                    initial_delay=0.1, max_delay=1.0)
    consumer.run()


def _view(ws, job: Job) -> JobView:
    live = queue.peek(ws, progress_key(job.id)) or {}
    spec = KINDS.get(job.kind)
    return JobView(
        id=job.id, kind=job.kind, title=spec.title if spec else job.kind, status=job.status,
        created_by=job.created_by, created_at=_iso(job.created_at), started_at=_iso(job.started_at),
        finished_at=_iso(job.finished_at), attempts=job.attempts, done=live.get("done", 0),
        total=live.get("total"), message=live.get("message", ""), cancel_requested=job.cancel_requested,
        result=job.result, error_code=job.error_code, error=job.error, params=dict(job.params or {}),
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
