"""`sikro serve`: the public verification page that documents' QR codes open.

Run it behind the office's HTTPS reverse proxy on the verification host
(`[verification] base_url` of the profile).

The staff pages (/A/BOX/<box>, what the QR of a box label opens: it names
applicants) are the staff console's, behind its sign-in: `sikro console`
(cli/console.py), a separate server for the office network whose address
goes in `[archive] internal_url`. The public site never serves them.

The rate limit holds for the whole server: the workers share one table of
buckets (web/rate_table.py) that this process creates in the workspace's
run/ folder before they start, and removes when it stops. X-Forwarded-For
is believed only from `[web] trusted_proxies` (web/forwarded.py); uvicorn's
own proxy-header handling is off. Request line and headers are bounded by
`[limits.web] header_bytes`, the body by `body_bytes` (web/security.py).
"""

from __future__ import annotations

import importlib.util
import os

import click

from ..web.app import RATE_LIMIT_ENV, rate_limit_setting
from ..web.rate_table import TABLE_ENV, create_table_file
from ..web.security import RateLimit
from ..web.settings import REQUEST_SECONDS_ENV, trusted_proxies, web_limits
from ..workspace import ENV_VAR
from . import workspace_option

APP_FACTORY = "sikro_docs.web.app:app_from_environment"
# httptools with a bound on the request line and headers (imported by uvicorn, only when serving).
BOUNDED_HTTPTOOLS = "sikro_docs.web.http_limits:LimitedHttpToolsProtocol"
EVERY_INTERFACE = ("0.0.0.0", "::", "")


def _check_rate_limit(ctx, param, value):
    if value is None:
        return None
    try:
        RateLimit.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (one per CPU core serves the most verifications).")
@click.option("--rate-limit", callback=_check_rate_limit, metavar="N/SECONDS",
              help="Requests per client address for the whole server, all workers together, e.g. 30/10s "
                   "(default: [web] rate_limit of the profile, else 30/10s). 'off' only for benchmarks. "
                   "X-Forwarded-For is believed only from [web] trusted_proxies.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request (its path holds the document's code: personal data).")
@click.option("--internal", is_flag=True, default=False, hidden=True)  # moved: `sikro console` (refused below)
@workspace_option
def serve_cmd(ws, host, port, workers, rate_limit, access_log, internal):
    """Serve the verification page: /V/<code> (documents), /P/<code> (receipts), /kode (short codes).

    The staff pages (archive boxes, /A/BOX/<box>) are the staff console's, behind its
    sign-in: `sikro console` on the office network. This site never has them (404).
    """
    import uvicorn

    if internal:
        raise click.UsageError("the staff pages (/A/BOX/<box>) moved to the staff console, behind its sign-in: "
                               "run `sikro console --host <office-network address>` (and `sikro users add` "
                               "for its accounts)")

    limit = rate_limit_setting(ws, rate_limit) if rate_limit else rate_limit_setting(ws)
    limits = web_limits(ws.profile)
    proxies = trusted_proxies(ws.profile)  # checked here: a bad entry is one line before any worker starts
    click.echo(f"sikro: serving {ws.root} on http://{host}:{port} "
               f"({workers} worker{'s' if workers > 1 else ''}, rate limit {limit or 'off'}"
               f"{'; X-Forwarded-For from [web] trusted_proxies' if proxies.networks else ''})",
               err=True)
    table = _prepare_workers(ws, limit, limits)
    try:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port,
                    workers=workers, proxy_headers=False, access_log=access_log, server_header=False,
                    http=_http_protocol(), h11_max_incomplete_event_size=limits["header_bytes"],
                    log_level="warning" if not access_log else "info")
    finally:
        if table:
            table.unlink(missing_ok=True)


def _prepare_workers(ws, limit, limits: dict):
    """Tell the worker processes (they build the app themselves, APP_FACTORY) the workspace, the
    limit, the request deadline and the shared table of the limit's buckets; the table's path."""
    os.environ[ENV_VAR] = str(ws.root)
    os.environ[RATE_LIMIT_ENV] = str(limit) if limit else "off"
    os.environ[REQUEST_SECONDS_ENV] = str(limits["request_seconds"])  # read by BOUNDED_HTTPTOOLS
    table = create_table_file(ws.root / "run") if limit else None
    if table:
        os.environ[TABLE_ENV] = str(table)
    return table


def _http_protocol() -> str:
    """httptools (fast) with a bound on its headers when installed, else h11 (bounded by uvicorn)."""
    return BOUNDED_HTTPTOOLS if importlib.util.find_spec("httptools") else "h11"


COMMANDS = [serve_cmd]
