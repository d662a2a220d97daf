"""`sikro templates ...`: the document kinds, their variables, and checking a template.

    sikro templates list [--json] [--workspace DIR]
    sikro templates check FILE.docx [--kind KIND] [--type CODE] [--workspace DIR]
    sikro templates check --type CODE [--workspace DIR]

`check` exits 0 when the template is sound, 1 naming each problem with the
template, the part (body, header, footer; table cell) and the paragraph: a
Jinja syntax error; a variable the kind does not provide; anything the
rendering sandbox refuses (underscore attributes, names, filters and tests
the kind does not provide, calls, `format`, `%` on text ...), with the tag;
2 when the file is not a DOCX or the kind is unknown. Variables are those of the
permit type (`--type`; else the type whose folder holds the file; else the
profile's default type): `data.<field>` of its fields and its own
`[documents.variables]`.
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


def _type_of_file(file: Path, ws):
    """The permit type whose folder holds `file` (<type>/templates/<file>), if any."""
    from .. import permit_types

    folder = file.resolve().parent
    if folder.name != "templates":
        return None
    return permit_types.catalogue(ws).find(folder.parent.name)


def _kind_of(file: Path, kind: str | None, kinds) -> str:
    if kind is None:
        stem = file.name[: -len(".docx")] if file.name.lower().endswith(".docx") else file.stem
        if stem in kinds:
            return stem
        raise UnusableInput(f"{file}: cannot tell the kind from the file name; give --kind ({', '.join(kinds)})")
    if kind not in kinds:
        raise UnusableInput(f"unknown kind {kind!r} (known: {', '.join(kinds)})")
    return kind


def _type_templates(ptype, ws) -> list[tuple[Path, str]]:
    """(template, kind) of every kind as a document of `ptype` is made: the office's own, the
    type's own, else the built-in one."""
    from ..documents import KINDS
    from ..documents.render import builtin_templates_dir, template_file, type_template

    out = []
    for kind in KINDS:
        own = ws.templates_dir / template_file(kind, ptype) if ws is not None else None
        path = own if own is not None and own.is_file() else (
            type_template(kind, ptype) or builtin_templates_dir() / KINDS[kind].template)
        out.append((path, kind))
    return out


@templates_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--kind", help="The kind the template is for (default: from the file name).")
@click.option("--type", "type_code", metavar="CODE",
              help="The permit type whose variables (data.*, its own) the template may use; without "
                   "FILE: check every template a document of that type is made from.")
@click.option("--workspace", "workspace_dir", metavar="DIR", help="Workspace folder (optional).")
def check_cmd(file, kind, type_code, workspace_dir):
    """Check FILE.docx: Jinja syntax, variables its kind (for the permit type) does not provide,
    and what the sandbox refuses (underscore attributes, unknown names, filters, calls, format, %)."""
    from .. import permit_types
    from ..documents import KINDS, check_template

    ws = open_workspace(workspace_dir) if workspace_dir else _optional_workspace(None)
    ptype = permit_types.get(ws, type_code) if type_code else None
    if file is None:
        if ptype is None:
            raise click.UsageError("give FILE.docx, or --type CODE to check every template of a permit type")
        targets = _type_templates(ptype, ws)
    else:
        ptype = ptype or _type_of_file(file, ws) or permit_types.default(ws)
        targets = [(file, _kind_of(file, kind, KINDS))]
    bad = 0
    for path, each in targets:
        problems = check_template(path, each, ptype)
        for problem in problems:
            click.echo(f"{path}: {problem}" if file is None else problem)
        if problems:
            bad += 1
            click.echo(f"{path}: {len(problems)} problem(s) (kind {each}, type {ptype.code})", err=True)
        else:
            click.echo(f"{path}: sound (kind {each}, type {ptype.code})")
    if bad:
        click.get_current_context().exit(EXIT_PROBLEMS)


COMMANDS = [templates_group]
