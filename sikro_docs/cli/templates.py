"""`sikro templates ...`: the document kinds, their variables, and checking a template.

    sikro templates list [--json] [--workspace DIR]
    sikro templates check FILE.docx [--kind KIND] [--workspace DIR]

`check` exits 0 when the template is sound, 1 naming each problem with the
template, the part (body, header, footer; table cell) and the paragraph: a
Jinja syntax error; a variable the kind does not provide; anything the
rendering sandbox refuses (underscore attributes, names, filters and tests
the kind does not provide, calls, `format`, `%` on text ...), with the tag;
2 when the file is not a DOCX or the kind is unknown.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_PROBLEMS, NoWorkspace, UnusableInput
from ..workspace import open_workspace
from . import print_json


@click.group("templates")
def templates_group():
    """Document templates (DOCX): list the kinds and their variables, check a template."""


def _where(kind_spec, ws) -> tuple[str, str]:
    from ..documents import builtin_templates_dir

    if ws is not None:
        own = ws.templates_dir / kind_spec.template
        if own.is_file():
            return "workspace", str(own)
    return "built-in", str(builtin_templates_dir() / kind_spec.template)


def _optional_workspace(workspace_dir):
    """--workspace when given (or $SIKRO_WORKSPACE / the current folder when it is one)."""
    try:
        return open_workspace(workspace_dir)
    except NoWorkspace:
        if workspace_dir:
            raise
        return None


@templates_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the kinds as JSON.")
@click.option("--workspace", "workspace_dir", metavar="DIR",
              help="Workspace folder (shows which templates the office has overridden).")
def list_cmd(as_json, workspace_dir):
    """List the document kinds, their template and the variables each provides."""
    from ..documents import KINDS

    ws = _optional_workspace(workspace_dir)
    rows = []
    for spec in KINDS.values():
        source, path = _where(spec, ws)
        rows.append({**spec.as_json(), "source": source, "path": path})
    if as_json:
        print_json(rows)
        return
    from ..documents.context import common_variables

    click.echo(f"every kind provides: {', '.join(common_variables())}")
    click.echo("")
    for row in rows:
        click.echo(f"{row['kind']}  ({row['title']}, SOP step {row['step']})")
        click.echo(f"  template: {row['path']} [{row['source']}]")
        signer = row["signer"] or "-"
        paraf = ", ".join(row["paraf"]) or "-"
        click.echo(f"  signs: {signer}; paraf: {paraf}; letter: {'yes' if row['letter'] else 'no'}")
        click.echo(f"  and: {', '.join(row['own_variables']) or '-'}")


@templates_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", help="The kind the template is for (default: from the file name).")
@click.option("--workspace", "workspace_dir", metavar="DIR", help="Workspace folder (optional).")
def check_cmd(file, kind, workspace_dir):
    """Check FILE.docx: Jinja syntax, variables its kind does not provide, and what the
    sandbox refuses (underscore attributes, unknown names, filters, calls, format, %)."""
    from ..documents import KINDS, check_template

    if workspace_dir:
        open_workspace(workspace_dir)  # an explicit workspace must exist
    if kind is None:
        stem = file.name[: -len(".docx")] if file.name.lower().endswith(".docx") else file.stem
        if stem in KINDS:
            kind = stem
        else:
            raise UnusableInput(
                f"{file}: cannot tell the kind from the file name; give --kind "
                f"({', '.join(KINDS)})")
    elif kind not in KINDS:
        raise UnusableInput(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    problems = check_template(file, kind)
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{file}: {len(problems)} problem(s) (kind {kind})", err=True)
        click.get_current_context().exit(EXIT_PROBLEMS)
    click.echo(f"{file}: sound (kind {kind})")


COMMANDS = [templates_group]
