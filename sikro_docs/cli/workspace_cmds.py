"""Commands that create and describe a workspace."""

from __future__ import annotations

import click

from ..workspace import init_workspace, tighten_modes, workspace_before_command

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
        click.echo(f"  database:       {ws.db_path}")
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


COMMANDS = [init_cmd]
