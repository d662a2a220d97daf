"""Commands that create and describe a workspace."""

from __future__ import annotations

import click

from ..workspace import init_workspace


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@click.option("--demo-certificate", is_flag=True,
              help="Also make a clearly labelled TEST CA and signing certificate, so that "
                   "`sikro sign` and `batch --sign` work out of the box (never for production).")
def init_cmd(directory, demo_certificate):
    """Create a workspace in DIRECTORY (profile, database, keys, archive, templates)."""
    ws, created = init_workspace(directory)
    if created:
        click.echo(f"Created workspace {ws.root}")
        click.echo(f"  office profile: {ws.profile_path}  (edit names, officials, numbering)")
        click.echo(f"  database:       {ws.db_path}")
        click.echo(f"  archive:        {ws.archive_dir}")
        click.echo(f"  signing key:    {ws.keys_dir}/ (owner-only)")
    elif not demo_certificate:
        click.echo(f"{ws.root} is already a sikro workspace; nothing was changed.")
    if demo_certificate:
        _enable_demo_signing(ws)


def _enable_demo_signing(ws) -> None:
    from ..signing import enable_demo_signing

    ws, p12, added = enable_demo_signing(ws)
    if added:
        click.echo(f"Demo certificate (TEST ONLY, not for production): {p12}; [signing] added to {ws.profile_path}")
    else:
        click.echo(f"Demo certificate: {p12} (the profile's [signing] section was left as it is)")


COMMANDS = [init_cmd]
