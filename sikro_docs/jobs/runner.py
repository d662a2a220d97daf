"""Running one job in a worker: its status, live progress, cancelling, and recovery.

A job is safe to run again: an import of the same file changes nothing more, and
a batch issues nothing it issued already (numbering's "a re-run issues nothing new").
So a job whose worker died (its lease is dead) is simply queued again when a worker starts.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import db, numbering
from ..errors import SikroError
from ..models import utcnow
from ..workspace import open_workspace
from . import queue
from .kinds import KINDS
from .model import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, Job

log = logging.getLogger("sikro.jobs")
PROGRESS_EVERY = 0.25  # seconds between progress reports (and cancel checks) a job sends


class JobCancelled(SikroError):
    code = "job-cancelled"


def progress_key(job_id: str) -> str:
    return f"progress:{job_id}"


def cancel_key(job_id: str) -> str:
    return f"cancel:{job_id}"


@dataclass
class JobContext:
    """What a job's work is given: who asked, and a way to report progress (which also
    notices a cancel request, and raises JobCancelled there)."""

    ws: object
    job_id: str
    actor: str
    done: int = 0
    total: int | None = None
    message: str = ""
    _sent: float = field(default=0.0)

    def advance(self, by: int = 1, *, total: int | None = None, message: str | None = None) -> None:
        self.done += by
        self.report(total=total, message=message)

    def report(self, *, total: int | None = None, message: str | None = None, force: bool = False) -> None:
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        now = time.monotonic()
        if not force and now - self._sent < PROGRESS_EVERY:
            return
        self._sent = now
        queue.put(self.ws, progress_key(self.job_id), self.snapshot())
        if queue.peek(self.ws, cancel_key(self.job_id)):
            raise JobCancelled(f"job {self.job_id} was cancelled")

    def snapshot(self) -> dict:
        return {"done": self.done, "total": self.total, "message": self.message}


def run_job(workspace_root: str, job_id: str) -> None:
    """The queue's one task: run job `job_id` of the workspace at `workspace_root`."""
    ws = open_workspace(workspace_root)
    job = _start(ws, job_id)
    if job is None:
        return
    ctx = JobContext(ws, job_id, job["created_by"])
    log.info("job %s (%s) started for %s", job_id, job["kind"], job["created_by"])
    try:
        result = KINDS[job["kind"]].run(ws, job["params"], ctx)
    except JobCancelled:
        _finish(ws, job_id, CANCELLED, ctx, cancel_requested=True)
    except SikroError as err:
        _finish(ws, job_id, FAILED, ctx, error_code=err.code, error=str(err))
    except Exception as err:  # noqa: BLE001 - a bug in one job must not take the worker down
        log.error("job %s (%s) failed:\n%s", job_id, job["kind"], traceback.format_exc())
        _finish(ws, job_id, FAILED, ctx, error_code="internal", error=f"{type(err).__name__}: {err}")
    else:
        _finish(ws, job_id, DONE, ctx, result=result)


def _start(ws, job_id: str) -> dict | None:
    """Mark the job running under this process's lease; None when there is nothing to run."""
    with db.session(ws, write=True) as sess:
        job = sess.get(Job, job_id)
        if job is None or job.status in FINISHED:
            return None
        if job.cancel_requested:
            job.status, job.finished_at = CANCELLED, utcnow()
            return None
        if job.status == RUNNING and numbering.lease_is_alive(ws, job.lease):
            return None  # delivered twice: another worker has it
        job.status, job.started_at, job.attempts = RUNNING, utcnow(), job.attempts + 1
        job.lease = numbering.current_lease(ws).id
        return {"kind": job.kind, "params": dict(job.params or {}), "created_by": job.created_by}


def _finish(ws, job_id: str, status: str, ctx: JobContext, **outcome) -> None:
    log.info("job %s %s after %d steps", job_id, status, ctx.done)
    queue.put(ws, progress_key(job_id), ctx.snapshot())  # the last figures, however recent the one before
    with db.session(ws, write=True) as sess:
        job = sess.get(Job, job_id)
        job.status, job.finished_at, job.lease = status, utcnow(), None
        for name, value in outcome.items():
            setattr(job, name, value)


def requeue_orphans(ws) -> list[str]:
    """Jobs left "running" by a worker that died: queued again (they are safe to run again)."""
    with db.session(ws, write=True) as sess:
        orphans = [job for job in sess.scalars(select(Job).where(Job.status == RUNNING))
                   if not numbering.lease_is_alive(ws, job.lease)]
        for job in orphans:
            job.status, job.lease = QUEUED, None
        ids = [job.id for job in orphans]
    for job_id in ids:
        queue.enqueue(ws, job_id)
    return ids
