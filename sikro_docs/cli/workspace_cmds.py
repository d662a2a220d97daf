"""Commands that create and describe a workspace."""

from __future__ import annotations

import click

from ..workspace import init_workspace


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False), default=".")
def init_cmd(directory):
    """Create a workspace in DIRECTORY (profile, database, keys, archive, templates)."""
    ws, created = init_workspace(directory)
    if not created:
        click.echo(f"{ws.root} is already a sikro workspace; nothing was changed.")
        return
    click.echo(f"Created workspace {ws.root}")
    click.echo(f"  office profile: {ws.profile_path}  (edit names, officials, numbering)")
    click.echo(f"  database:       {ws.db_path}")
    click.echo(f"  archive:        {ws.archive_dir}")
    click.echo(f"  signing key:    {ws.keys_dir}/ (owner-only)")


COMMANDS = [init_cmd]

