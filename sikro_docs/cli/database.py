"""`sikro db copy --to URL`: move the office's database to another (normally a PostgreSQL server)."""

from __future__ import annotations

import click

from . import print_json, workspace_option


@click.group("db")
def db_group():
    """The workspace's database as a whole."""


@db_group.command("copy")
@click.option("--to", "target", required=True, metavar="URL",
              help="The empty database to copy into, e.g. postgresql://sikro@dbhost/dairi.")
@click.option("--switch", is_flag=True, help="Then write the URL into sikro.toml's [database] url.")
@click.option("--json", "as_json", is_flag=True, help="Print what was copied as JSON.")
@workspace_option
def copy_cmd(target, switch, as_json, ws):
    """Copy every table (ids kept) to the empty database at URL, in one transaction, then verify it.

    The target is migrated to the newest schema first and refused (exit 2) unless every
    table is empty. Writers wait while the copy is read. Verified: the rows of every table
    counted on both sides, and every chain verified on the copy as `sikro register verify`
    does (exit 1 when not). Only then is the copy ready: point the workspace at it with
    `[database] url` in sikro.toml (--switch writes it) or $SIKRO_DATABASE_URL.
    """
    from ..db_copy import copy_database, switch_to

    report = copy_database(ws, target)
    if switch:
        switch_to(ws, target)
    if as_json:
        return print_json({"target": report.target, "rows": report.rows, "index_rows": report.index_rows,
                           "verified": True, "switched": switch})
    click.echo(f"copied {report.total} rows of {len(report.rows)} tables (and {report.index_rows} berkas of the "
               f"search index) to {report.target}: row counts equal, every chain verifies on the copy")
    if switch:
        click.echo("sikro.toml now says [database] url = the copy: this workspace uses it from now on")
    else:
        click.echo("to use it: in sikro.toml set [database] url = \"<the URL>\" (sikro db copy --switch "
                   "does it), or set $SIKRO_DATABASE_URL")


COMMANDS = [db_group]
