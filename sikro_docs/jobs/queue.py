"""The queue jobs travel by: huey, with its SQLite storage by default, Redis when an office grows.

    [jobs]
    backend = "sqlite"              # the workspace's run/jobs-queue.db; "redis" with url = "redis://host:6379/0"

The queue carries only a job's id; what the job is and how it ended is the workspace's
`jobs` table. Its key-value store also carries what must cross while a job holds the
database's write lock: live progress and cancel requests (see model.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from ..errors import SikroError

QUEUE_NAME = "sikro"
QUEUE_FILE = "jobs-queue.db"
_QUEUES: dict[tuple, Huey] = {}


class QueueUnusable(SikroError):
    code = "jobs-queue-unusable"


def queue_settings(ws) -> dict:
    settings = dict((ws.profile or {}).get("jobs", {}))
    backend = settings.get("backend", "sqlite")
    if backend not in ("sqlite", "redis"):
        raise QueueUnusable(f'{ws.profile_path}: [jobs] backend must be "sqlite" or "redis", not {backend!r}')
    if backend == "redis" and not settings.get("url"):
        raise QueueUnusable(f'{ws.profile_path}: [jobs] backend = "redis" needs url = "redis://HOST:PORT/DB"')
    return {"backend": backend, "url": settings.get("url")}


def queue_for(ws) -> Huey:
    """The workspace's queue, with the one task every job runs as (`run_job`)."""
    settings = queue_settings(ws)
    key = (str(ws.root), settings["backend"], settings["url"])
    queue = _QUEUES.get(key)
    if queue is None:
        queue = _QUEUES[key] = _make_queue(ws, settings)
    return queue


def _make_queue(ws, settings: dict) -> Huey:
    if settings["backend"] == "redis":
        queue = RedisHuey(QUEUE_NAME, url=settings["url"], results=False, utc=True)
    else:
        run = Path(ws.root) / "run"
        run.mkdir(mode=0o700, exist_ok=True)
        queue = SqliteHuey(QUEUE_NAME, filename=str(run / QUEUE_FILE), results=False, utc=True)
    from .runner import run_job  # the task's body; imported here: runner imports this module

    _TASKS[id(queue)] = queue.task(name="run_job")(run_job)
    return queue


_TASKS: dict[int, Any] = {}  # queue -> its run_job task


def enqueue(ws, job_id: str) -> None:
    """Put the job on the queue: calling a huey task enqueues it."""
    _TASKS[id(queue_for(ws))](str(ws.root), job_id)


def put(ws, key: str, value: Any) -> None:
    queue_for(ws).put(key, value)


def peek(ws, key: str) -> Any:
    return queue_for(ws).get(key, peek=True)
