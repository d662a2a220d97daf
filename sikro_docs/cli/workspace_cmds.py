"""Commands that create and describe a workspace."""

from __future__ import annotations

from pathlib import Path

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


@click.command("demo")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="demo")
def demo_cmd(directory):
    """Build a demo workspace in DIRECTORY (default ./demo) from the example workbook."""
    from ..demo import run_demo

    result = run_demo(directory)
    ws, report = result.workspace, result.report
    click.echo(f"Demo workspace: {ws.root}")
    click.echo(
        f"Imported {result.workbook.name}: {report.imported} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len({p.row for p in report.invalid})} rows with mistakes "
        "(the example has a few on purpose)"
    )
    for problem in report.invalid:
        click.echo(f"  row {problem.row}, {problem.column}: {problem.message}")
    if report.errors_file:
        click.echo(f"The rows to fix are in {report.errors_file}")
    click.echo("\nTry:")
    click.echo(f"  sikro list --workspace {ws.root}")
    click.echo(f"  sikro show <registration number> --workspace {ws.root}")
    click.echo("  sikro workbook -o permohonan.xlsx     (a blank input workbook)")


COMMANDS.append(demo_cmd)
