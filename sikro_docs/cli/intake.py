"""Commands of the intake: the input workbook, its schema, import, list, show."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from .. import db, permit_types, registry
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..intake import json_schema, write_blank_workbook
from ..workspace import PROFILE_NAME, open_workspace, resolve_root
from . import WORKSPACE_HELP, print_json, workspace_option

ALL_TYPES = "all"
TYPE_HELP = "Permit type: code, short name or title (default: the profile's default type)."


def type_option(func):
    """--type CODE: the permit type of every row of the file (else a Jenis Izin column, else the default)."""
    return click.option("--type", "permit_type", metavar="CODE", help=TYPE_HELP)(func)


def chosen_type(ws, permit_type: str | None):
    """The permit type --type names (UnknownPermitType, exit 2, lists the known ones), or None."""
    if permit_type is None:
        return None
    return permit_types.get(ws, permit_type)


def _workspace_if_any(explicit: str | None):
    """The workspace if there is one (its own permit types count); these commands also work without."""
    if explicit or (resolve_root(None) / PROFILE_NAME).is_file():
        return open_workspace(explicit)
    return None


@click.command("workbook")
@click.argument("dest", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the blank input workbook (.xlsx); the same as DEST.")
@click.option("--type", "permit_type", metavar="CODE",
              help=f"{TYPE_HELP} '{ALL_TYPES}': one workbook for every type, with a Jenis Izin column.")
@click.option("--workspace", "workspace_dir", metavar="DIR", help=WORKSPACE_HELP)
def workbook_cmd(dest, output, permit_type, workspace_dir):
    """Write a permit type's official input workbook (sheet Permohonan, with a Petunjuk sheet).

    DEST defaults to permohonan-CODE.xlsx in the current folder.
    """
    ws = _workspace_if_any(workspace_dir)
    if permit_type and permit_type.strip().casefold() == ALL_TYPES:
        types = list(permit_types.catalogue(ws).types.values())
        name = ALL_TYPES
    else:
        types = [chosen_type(ws, permit_type) or permit_types.default(ws)]
        name = types[0].code
    target = output or dest or Path(f"permohonan-{name}.xlsx")
    write_blank_workbook(target, types=types, ws=ws)
    click.echo(f"Wrote {target}")


@click.command("schema")
@click.option("--type", "permit_type", metavar="CODE", help=TYPE_HELP)
@click.option("--workspace", "workspace_dir", metavar="DIR", help=WORKSPACE_HELP)
def schema_cmd(permit_type, workspace_dir):
    """Print the JSON Schema (draft 2020-12) of a permit type's JSON input."""
    ws = _workspace_if_any(workspace_dir)
    chosen = chosen_type(ws, permit_type) or permit_types.default(ws)
    click.echo(json.dumps(json_schema(chosen, ws), ensure_ascii=False, indent=2))


# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(value) -> str:
    """`value` as text safe for a terminal: control characters escaped ("\\x1b", "\\n"), never sent raw.

    Only for what is printed as text; the stored data and --json keep the value as it is.
    """
    return _CONTROLS.sub(_escape, str(value))


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class RowCounter:
    """A one-line progress counter on stderr, only when stderr is a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.count = 0
        self.live = sys.stderr.isatty()

    def __call__(self, _row) -> None:
        self.count += 1
        if self.live and self.count % 50 == 0:
            click.echo(f"\r{self.label}: {self.count} rows", nl=False, err=True)

    def close(self) -> None:
        if self.live and self.count >= 50:
            click.echo(f"\r{self.label}: {self.count} rows", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--by", "actor", default="sikro", show_default=True, help="Who imports (for the event log).")
@type_option
@workspace_option
def import_cmd(file, as_json, actor, permit_type, ws):
    """Register the applications in FILE (.xlsx workbook or .json).

    Every row is of the --type given; without it a Jenis Izin column names
    each row's type (blank: the profile's default type); without either, the
    default type. Invalid rows are not imported: they go to
    FILE-kesalahan.xlsx beside the input with a Kesalahan column. Exit 0 all
    rows valid, 1 some rows invalid (the valid ones are saved), 2 the file is
    unusable or the type unknown (nothing saved).
    """
    chosen = chosen_type(ws, permit_type)
    counter = RowCounter(f"Importing {file.name}")
    report = registry.import_file(ws, file, actor=actor, progress=counter, permit_type=chosen)
    counter.close()
    if as_json:
        print_json(report.as_json())
    else:
        print_import_report(report)
    sys.exit(EXIT_PROBLEMS if report.invalid else EXIT_OK)


def print_import_report(report) -> None:
    click.echo(
        f"{report.source.name}: {report.imported} imported, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len({p.row for p in report.invalid})} rows invalid"
    )
    for problem in report.invalid:
        where = f"row {problem.row}" + (f", column {problem.column}" if problem.column else "")
        click.echo(f"  {report.source.name}: {where}: {problem.message}")
    if report.errors_file:
        click.echo(f"Fix the rows in {report.errors_file} and import that file again.")


@click.command("list")
@click.option("--type", "type_code", metavar="CODE", help="Only applications of this permit type (code or title).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@workspace_option
def list_cmd(type_code, as_json, ws):
    """List the registered applications (permit type, kind, step, completeness)."""
    wanted = permit_types.get(ws, type_code).code if type_code else None
    with db.session(ws) as sess:
        rows = [registry.describe(app, ws) for app in registry.list_applications(sess)
                if wanted is None or app.permit_type == wanted]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("No applications yet: import a workbook with `sikro import FILE.xlsx`."
                   if wanted is None else f"No applications of {type_code} yet.")
        return
    for r in rows:
        state = "lengkap" if r["complete"] else "tidak lengkap: " + ", ".join(r["missing"])
        click.echo(f"{shown(r['registration_number']):<28} {shown(r['permit_type_short_name']):<8} "
                   f"{shown(r['application_kind_title']):<12} {shown(r['name']):<40} step {r['current_step']:>2}  "
                   f"{shown(r['status']):<9} {shown(state)}")


# What `show` prints first, in order: key of describe() -> label.
SHOWN_FIRST = {
    "registration_number": "registration_number", "permit_type": "permit type", "application_kind": "kind",
    "previous_number": "previous permit", "name": "name", "nik": "nik", "status": "status",
    "current_step": "current_step", "complete": "complete", "missing": "missing",
}


@click.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@workspace_option
def show_cmd(ref, as_json, ws):
    """Show one application (REF: registration number or NIK) and its history."""
    with db.session(ws) as sess:
        app = registry.find_application(sess, ref)
        data = registry.describe(app, ws)
        data["history"] = registry.history(sess, app)
    if as_json:
        print_json(data)
        return
    for line in show_lines(data):
        click.echo(shown(line))
    click.echo("history:")
    for event in data["history"]:
        origin = f" ({Path(event['source_file']).name} row {event['source_row']})" if event["source_file"] else ""
        click.echo(shown(f"  {event['at']}  {event['actor']}: {event['action']}{origin}"))


def show_lines(data: dict) -> list[str]:
    """The application as `show` prints it: type (code and title), kind, previous permit, the
    type's facts labelled as the type labels them, then the rest of the record."""
    texts = {
        "permit_type": f"{data['permit_type']} ({data['permit_type_title']})",
        "application_kind": data["application_kind_title"],
        "previous_number": _previous_text(data),
    }
    lines = [f"{label:<22} {texts.get(key, data.get(key))}" for key, label in SHOWN_FIRST.items()
             if key != "previous_number" or data.get("previous_number")]
    lines += [f"{fld['label']:<22} {_value_text(fld)}" for fld in data["fields"]]
    lines += [f"{column:<22} {data.get(column)}" for column in registry.FIELD_COLUMNS.values()
              if column not in SHOWN_FIRST]
    return lines


def _previous_text(data: dict) -> str:
    number = data.get("previous_number")
    if not number:
        return ""
    date = f" tanggal {data['previous_date']}" if data.get("previous_date") else ""
    known = "" if data.get("previous_known") else " (tidak tercatat di registri)"
    return f"{number}{date}{known}"


def _value_text(fld: dict) -> str:
    if fld["value"] is None:
        return "Seumur Hidup" if fld.get("kind") == "date_or_lifetime" else "-"
    return str(fld["value"])


COMMANDS = [workbook_cmd, schema_cmd, import_cmd, list_cmd, show_cmd]
