"""`sikro console`: the staff console, for the office network only.

A server of its own, never the public verification site (`sikro serve`):
another application on another listener, whose routes the public site does
not have. Like `sikro serve` it listens on 127.0.0.1 unless told otherwise
(--host: the office-network address), bounds requests by `[limits.console]`,
and shares its rate limit across its workers (web/rate_table.py). Put it
behind the office's HTTPS reverse proxy where there is one: its cookies are
then marked Secure (`[console] secure_cookies`).
"""

from __future__ import annotations

import click

from ..accounts import MANAGE_USERS, list_users, role_book
from ..console.settings import console_settings
from ..web.rate_table import TABLE_ENV, create_table_file
from ..web.settings import REQUEST_SECONDS_ENV
from ..workspace import ENV_VAR
from . import workspace_option
from .serve import EVERY_INTERFACE, _http_protocol

APP_FACTORY = "sikro_docs.console.app:app_from_environment"


@click.command("console")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on: the office-network address (never a public one).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log every request.")
@click.option("--job-workers", default=1, show_default=True, type=click.IntRange(0, 32),
              help="Jobs run at once by the console's own `sikro worker` (0: none; run `sikro worker` elsewhere).")
@workspace_option
def console_cmd(ws, host, port, workers, access_log, job_workers):
    """Serve the staff console: sign-in, each person's inbox, applications, users (Admin), archive boxes.

    For the office network only; accounts come from `sikro users add`. The public verification
    site (`sikro serve`) serves none of these pages.
    """
    import os

    import uvicorn

    from ..console import uploads

    settings = console_settings(ws.profile)  # a bad setting is one line before any worker starts
    _warn_about_accounts(ws)
    click.echo(f"sikro: staff console of {ws.root} on http://{host}:{port} "
               f"({workers} worker{'s' if workers > 1 else ''}, rate limit {settings.rate_limit or 'off'}); "
               "for the office network only", err=True)
    if host.strip("[]") in EVERY_INTERFACE:
        click.echo(f"sikro: warning: the console on {host} listens on every interface; give --host the "
                   "office-network address and never expose this port to the internet", err=True)
    os.environ[ENV_VAR] = str(ws.root)
    os.environ[REQUEST_SECONDS_ENV] = str(settings.request_seconds)
    table = create_table_file(ws.root / "run") if settings.rate_limit else None
    if table:
        os.environ[TABLE_ENV] = str(table)
    uploads.sweep(ws)  # the files handed in that nothing needs any more
    job_worker = _start_job_worker(ws, job_workers)
    try:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, proxy_headers=False,
                    access_log=access_log, server_header=False, http=_http_protocol(),
                    h11_max_incomplete_event_size=settings.header_bytes,
                    log_level="info" if access_log else "warning")
    finally:
        if table:
            table.unlink(missing_ok=True)
        _stop_job_worker(job_worker)


def _start_job_worker(ws, count: int):
    """The console's own `sikro worker`, a process group of its own (long work never runs in a web
    worker), logging to run/worker.log; it ends with the console, even a console killed outright."""
    import functools
    import os
    import subprocess
    import sys

    if count == 0:
        return None
    log = open(ws.root / "run" / "worker.log", "ab")  # noqa: SIM115 - the child keeps it
    try:
        return subprocess.Popen([sys.executable, "-m", "sikro_docs", "worker", "--workers", str(count),
                                 "--workspace", str(ws.root)], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, preexec_fn=functools.partial(_end_with_parent, os.getpid()))
    finally:
        log.close()


def _end_with_parent(console_pid: int) -> None:
    """In the worker, before it runs: SIGTERM when the console dies (not Linux: _stop_job_worker only)."""
    import signal

    from ..childenv import end_with_parent

    end_with_parent(signal.SIGTERM, console_pid)


def _stop_job_worker(proc) -> None:
    import os
    import signal
    import subprocess

    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the consumer and its worker processes
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _warn_about_accounts(ws) -> None:
    managers = role_book(ws).holders_of(MANAGE_USERS)
    users = [u for u in list_users(ws) if not u.disabled]
    if not users:
        click.echo("sikro: note: no accounts yet; add one: sikro users add NAME --name \"...\" --role admin",
                   err=True)
    elif not any(set(u.roles) & managers for u in users):
        click.echo("sikro: note: no enabled account may manage accounts (role admin): "
                   "sikro users roles NAME --add admin", err=True)


COMMANDS = [console_cmd]
