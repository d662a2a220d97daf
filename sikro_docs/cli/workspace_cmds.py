"""Commands that create and describe a workspace."""

from __future__ import annotations

from pathlib import Path

import click

from ..workspace import (
    init_workspace,
    open_workspace,
    tighten_modes,
    workspace_before_command,
)
from . import WORKSPACE_HELP, print_json

# How many tightened paths `init` names one by one before it only counts them.
FIXES_SHOWN = 20


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False), required=False)
@click.option("--demo-certificate", is_flag=True,
              help="Also make a clearly labelled TEST CA and signing certificate, so that "
                   "`sikro sign` and `batch --sign` work out of the box (never for production).")
def init_cmd(directory, demo_certificate):
    """Create a workspace in DIRECTORY (profile, database, keys, archive, templates).

    Run on an existing workspace, it changes nothing but modes that let others
    read it (owner-only, or the office group's of `[security] group`), and
    says which it changed. DIRECTORY defaults to `sikro --workspace DIR`, else
    the current folder.
    """
    ws, created = init_workspace(directory or workspace_before_command() or ".")
    fixes = [] if created else tighten_modes(ws)
    if created:
        click.echo(f"Created workspace {ws.root}")
        click.echo(f"  office profile: {ws.profile_path}  (edit names, officials, numbering)")
        click.echo(f"  database:       {_database_shown(ws)}")
        click.echo(f"  archive:        {ws.archive_dir}")
        click.echo(f"  signing key:    {ws.keys_dir}/ (owner-only)")
    elif fixes:
        _report_fixes(ws, fixes)
    elif not demo_certificate:
        click.echo(f"{ws.root} is already a sikro workspace; nothing was changed.")
    if demo_certificate:
        _enable_demo_signing(ws)


def _report_fixes(ws, fixes) -> None:
    click.echo(f"{ws.root} is already a sikro workspace; tightened the modes of {len(fixes)} "
               f"path(s) others could read or write:")
    for fix in fixes[:FIXES_SHOWN]:
        click.echo(f"  {fix}")
    if len(fixes) > FIXES_SHOWN:
        click.echo(f"  ... and {len(fixes) - FIXES_SHOWN} more")


def _enable_demo_signing(ws) -> None:
    from ..signing import enable_demo_signing

    ws, p12, added = enable_demo_signing(ws)
    if added:
        click.echo(f"Demo certificate (TEST ONLY, not for production): {p12}; [signing] added to {ws.profile_path}")
    else:
        click.echo(f"Demo certificate: {p12} (the profile's [signing] section was left as it is)")


# --------------------------------------------------------------------------- backup and restore


@click.command("backup", context_settings={"ignore_unknown_options": False})
@click.argument("args", nargs=-1, required=True, metavar="[verify] DEST")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.option("--workspace", "workspace_dir", metavar="DIR", help=WORKSPACE_HELP)
def backup_cmd(args, as_json, workspace_dir):
    """Back the workspace up into DEST/<time>/, or check a backup (`sikro backup verify DEST`).

    A consistent copy made while the office works: SQLite's online backup of
    the database (on PostgreSQL: a SQLite copy of it, read in one transaction
    while writers wait), the profile, keys/, templates/ and the archive. Files
    unchanged since the previous backup in DEST are hard links to it, so
    each backup is complete and costs only what changed. `verify` checks
    every file against the manifest: exit 1 naming the first that differs.
    """
    from .. import backup

    if args[0] == "verify" and len(args) == 2:
        return _verify_backup(backup, args[1], as_json)
    if len(args) != 1:
        raise click.UsageError("give one DEST (or: backup verify DEST)")
    ws = open_workspace(workspace_dir)  # verify needs none
    snapshot = backup.backup(ws, Path(args[0]))
    stats = snapshot.stats
    if as_json:
        return print_json({"snapshot": str(snapshot.path), **stats.__dict__})
    click.echo(f"Backed up {ws.root} into {snapshot.path}: {len(snapshot.manifest['files'])} files, "
               f"{stats.files_copied} copied ({stats.bytes_copied} bytes), {stats.files_linked} unchanged "
               f"(linked); bags: {stats.bags_copied} copied, {stats.bags_unchanged} unchanged")


def _verify_backup(backup, dest, as_json) -> None:
    snapshot, problems = backup.verify(Path(dest))
    if as_json:
        print_json({"snapshot": str(snapshot.path), "intact": not problems,
                    "problems": [{"path": p, "problem": why} for p, why in problems]})
    if problems:
        for rel, why in problems[1:]:
            click.echo(f"{snapshot.path / rel}: {why}", err=True)
        rel, why = problems[0]
        raise backup.BackupDamaged(snapshot.path, rel, why, len(problems))
    if not as_json:
        click.echo(f"backup intact: {snapshot.path} ({len(snapshot.manifest['files'])} files)")


@click.command("restore")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def restore_cmd(source, directory):
    """Rebuild a workspace in DIRECTORY (new or empty) from the backup SOURCE.

    SOURCE is a backup folder (its newest backup is used) or one backup in
    it. The backup is verified first; nothing is written when it differs.
    """
    from .. import backup

    snapshot, ws = backup.restore(source, directory)
    click.echo(f"Restored {ws.root} from {snapshot.path} "
               f"({len(snapshot.manifest['files'])} files, made {snapshot.manifest['created']})")
    click.echo("  check it with: sikro register verify, sikro archive audit "
               f"(--workspace {ws.root})")


def _database_shown(ws) -> str:
    """sikro.db's path, or the server URL without its password ($SIKRO_DATABASE_URL, [database] url)."""
    from sqlalchemy.engine import make_url

    url = make_url(ws.db_url)
    return str(ws.db_path) if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)


COMMANDS = [init_cmd, backup_cmd, restore_cmd]

