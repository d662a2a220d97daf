"""`sikro jobs ...` and `sikro worker`: long work run in the background by a worker process."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from .. import jobs
from ..errors import EXIT_OK, EXIT_PROBLEMS
from . import print_json, workspace_option
from .documents import DOCUMENT_KINDS, _os_user
from .intake import type_option

by_option = click.option("--by", "actor", default=None, help="Who submits (for the event log; default: the OS user).")


@click.group("jobs")
def jobs_group():
    """Submit, follow and cancel background jobs (run by `sikro worker`, or the console's own worker)."""


def _submitted(job: jobs.JobView, as_json: bool) -> None:
    if as_json:
        print_json(job.as_json())
    else:
        click.echo(f"job {job.id} ({job.kind}) queued; follow it with `sikro jobs show {job.id}`")


@jobs_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@type_option
@by_option
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@workspace_option
def submit_import(file, permit_type, actor, as_json, ws):
    """Queue `sikro import FILE` as a job."""
    params = {"path": str(file.resolve()), "permit_type": permit_type}
    _submitted(jobs.submit(ws, "import", params, actor=actor or _os_user()), as_json)


@jobs_group.command("batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--doc", "kind", type=click.Choice(DOCUMENT_KINDS), required=True, help="The kind of document.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Convert to PDF/A and file them.")
@click.option("--draft", is_flag=True, help="Drafts: no numbers, nothing recorded.")
@click.option("--reissue", is_flag=True, help="Void and issue again documents issued already.")
@click.option("--merge", is_flag=True, help="Also one PDF of the whole batch for printing.")
@type_option
@by_option
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@workspace_option
def submit_batch(file, kind, pdf, draft, reissue, merge, permit_type, actor, as_json, ws):
    """Queue `sikro batch FILE --doc KIND` as a job (signing is not queued: a passphrase is never stored)."""
    params = {"path": str(file.resolve()), "doc": kind, "pdf": pdf, "draft": draft, "reissue": reissue,
              "merge": merge, "permit_type": permit_type}
    _submitted(jobs.submit(ws, "batch", params, actor=actor or _os_user()), as_json)


def _line(job: jobs.JobView) -> str:
    figures = f"{job.done}/{job.total}" if job.total else str(job.done)
    tail = f"  {job.error_code}: {job.error}" if job.error else ""
    return f"{job.id}  {job.kind:<7} {job.status:<9} {figures:>9}  {job.created_by:<16} {job.created_at[:19]}{tail}"


@jobs_group.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def list_cmd(limit, as_json, ws):
    """The newest jobs: id, kind, status, progress, who, when."""
    found = jobs.list_jobs(ws, limit=limit)
    if as_json:
        print_json([j.as_json() for j in found])
        return
    for job in found:
        click.echo(_line(job))


@jobs_group.command("show")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def show_cmd(job_id, as_json, ws):
    """One job, with its live progress and, once done, its result. Exit 1 when it failed."""
    job = jobs.status(ws, job_id)
    if as_json:
        print_json(job.as_json())
    else:
        click.echo(_line(job))
        if job.message:
            click.echo(f"  {job.message}")
    sys.exit(EXIT_PROBLEMS if job.status == jobs.FAILED else EXIT_OK)


@jobs_group.command("wait")
@click.argument("job_id")
@click.option("--timeout", type=click.FloatRange(0), default=3600, show_default=True, help="Seconds.")
@workspace_option
def wait_cmd(job_id, timeout, ws):
    """Wait until the job has finished; exit 0 done, 1 failed or cancelled or still running at the timeout."""
    deadline = time.monotonic() + timeout
    job = jobs.status(ws, job_id)
    while job.status not in jobs.FINISHED and time.monotonic() < deadline:
        time.sleep(0.2)
        job = jobs.status(ws, job_id)
    click.echo(_line(job))
    sys.exit(EXIT_OK if job.status == jobs.DONE else EXIT_PROBLEMS)


@jobs_group.command("cancel")
@click.argument("job_id")
@by_option
@workspace_option
def cancel_cmd(job_id, actor, ws):
    """Cancel a job: a queued one never starts; a running import saves nothing; a running batch
    keeps the documents it finished (run it again to go on)."""
    click.echo(_line(jobs.cancel(ws, job_id, actor=actor or _os_user())))


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Jobs run at once (one process each).")
@workspace_option
def worker_cmd(workers, ws):
    """Run queued jobs until stopped (Ctrl-C or SIGTERM). `sikro console` starts one itself; run
    more on other hosts when the queue is Redis ([jobs] backend = "redis")."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    jobs.run_worker(ws, workers=workers)


COMMANDS = [jobs_group, worker_cmd]
