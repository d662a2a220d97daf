"""Commands of the workflow: `sop show|diagram`, `step`, `status`, `report sla`, `demo`, `sample`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..clock import office_timezone, parse_time
from ..errors import SikroError
from . import print_json, workspace_option


def _sop_of(workspace_dir):
    """The workspace's SOP when a workspace is there, else the built-in one (showing needs none)."""
    from ..workflow import load_sop
    from ..workspace import open_workspace

    try:
        return load_sop(open_workspace(workspace_dir).root)
    except SikroError:
        if workspace_dir:
            raise
        return load_sop()


# --------------------------------------------------------------------------- sop


@click.group("sop")
def sop_group():
    """The SOP: its 23 steps, roles and paths."""


@sop_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON.")
@click.option("--workspace", "workspace_dir", metavar="DIR", help="Workspace (its sop.toml overrides apply).")
def sop_show(as_json, workspace_dir):
    """Print the SOP as a table (with the workspace's overrides, if any)."""
    from ..workflow.table import sop_rows, sop_table

    sop = _sop_of(workspace_dir)
    if as_json:
        print_json(sop_rows(sop))
        return
    for line in sop_table(sop):
        click.echo(line)


@sop_group.command("diagram")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.svg or FILE.pdf")
@click.option("--workspace", "workspace_dir", metavar="DIR", help="Workspace (its sop.toml overrides apply).")
def sop_diagram(output, workspace_dir):
    """Draw the SOP as the swim-lane flowchart of the original (roles as lanes)."""
    from ..workflow.diagram import write_diagram

    path = write_diagram(_sop_of(workspace_dir), output)
    click.echo(f"Wrote {path}")


@sop_group.command("reschedule")
@workspace_option
def sop_reschedule(ws):
    """Work every waiting application's due time out again, after the office's holidays or the
    SOP's standard times changed (a due time is kept as it was worked out, for the inbox)."""
    from ..workflow.schedule import reschedule

    click.echo(f"{reschedule(ws)} application(s) rescheduled.")


# --------------------------------------------------------------------------- step


@click.command("step")
@click.argument("ref")
@click.argument("step", type=int)
@click.option("--by", default="", help="Who did it (default: your user name).")
@click.option("--at", "at_text", help="When it was done (default now); without a zone: office time (WIB).")
@click.option("--decision", type=click.Choice(["approve", "reject"]), help="At the decision step.")
@click.option("--reason", help="Why (required for a rejection).")
@click.option("--note", help="A remark kept with the step.")
@click.option("--recommendation", help="At the decision step: the number of the technical team's recommendation letter.")
@click.option("--no-documents", is_flag=True, help="Do not make the step's documents (made elsewhere).")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def step_cmd(ref, step, by, at_text, decision, reason, note, recommendation, no_documents, as_json, ws):
    """Record that STEP of the SOP was done for application REF (registration number or NIK)."""
    import getpass

    from ..procedure import perform_step

    at = parse_time(at_text, office_timezone(ws.profile)) if at_text else None
    result = perform_step(ws, ref, step, by=by or getpass.getuser(), at=at, decision=decision,
                          reason=reason, note=note, make_documents=not no_documents,
                          recommendation=recommendation)
    if as_json:
        print_json(result.as_json())
        return
    click.echo(f"{result.registration_number}: step {result.step} ({result.activity}) done at "
               f"{result.done_at.isoformat()}; status {result.outcome}")
    for doc in result.documents:
        where = f" {doc.pdf}" if doc.pdf else ""
        click.echo(f"  {doc.kind}: {doc.status} {doc.number or ''}{where}".rstrip())
    if result.dispatch:
        click.echo(f"  Buku Ekspedisi: line {result.dispatch}")
    click.echo(f"  next: step {result.next_step}" if result.next_step else "  finished")


# --------------------------------------------------------------------------- status


@click.command("status")
@click.argument("ref", required=False)
@click.option("--overdue", is_flag=True, help="Only the applications whose next step is late.")
@click.option("--as-of", "as_of_text", help="Judge lateness at this time (default now).")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def status_cmd(ref, overdue, as_of_text, as_json, ws):
    """Where application REF stands; without REF, every open application."""
    from ..backup import backup_warning
    from ..workflow.status import application_status, list_status
    from ..workflow.table import status_lines, status_table

    if warning := backup_warning(ws):  # an office that loses its disk loses its registers
        click.echo(warning, err=True)
    as_of = parse_time(as_of_text, office_timezone(ws.profile)) if as_of_text else None
    if ref:
        data = application_status(ws, ref, as_of)
        print_json(data) if as_json else [click.echo(line) for line in status_lines(data)]
        return
    rows = list_status(ws, overdue_only=overdue, as_of=as_of)
    if as_json:
        print_json(rows)
        return
    for line in status_table(rows, overdue):
        click.echo(line)


# --------------------------------------------------------------------------- report


@click.group("report")
def report_group():
    """Reports of the office's work."""


@report_group.command("sla")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Applications handed in from this date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="... up to this date.")
@workspace_option
def report_sla(output, date_from, date_to, ws):
    """Service time per application and step against the SOP's standard (Excel)."""
    from ..workflow.sla import write_sla_report

    summary = write_sla_report(ws, output, date_from.date() if date_from else None,
                               date_to.date() if date_to else None)
    click.echo(f"Wrote {summary['path']}: {summary['applications']} applications, "
               f"{summary['late_steps']} late steps")


# --------------------------------------------------------------------------- demo


@click.command("demo")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default="demo")
def demo_cmd(directory):
    """Build a demo workspace in DIRECTORY (default ./demo): a month of the office with every permit type."""
    from ..demo import run_demo

    started = time.monotonic()
    result = run_demo(directory, progress=lambda line: click.echo(line))
    click.echo("")
    for line in result.summary_lines():
        click.echo(line)
    click.echo(f"\n(done in {time.monotonic() - started:.0f} s)")


@click.command("sample")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the sample workbook (.xlsx).")
@click.option("--type", "type_code", metavar="CODE", help="The permit type (default: the workspace's default type).")
@click.option("--mixed", is_flag=True, help="A few applications of every type, with a Jenis Izin column.")
@click.option("--workspace", "workspace_dir", metavar="DIR",
              help="Workspace whose own permit types count (default: as for every command, if there is one).")
def sample_cmd(output, type_code, mixed, workspace_dir):
    """Write a sample workbook of invented applications (with the mistakes clerks make, on purpose)."""
    from ..samples import write_mixed_workbook, write_sample_workbook
    from ..workspace import open_workspace

    try:
        ws = open_workspace(workspace_dir)
    except SikroError:
        if workspace_dir:
            raise
        ws = None  # the built-in types only
    if mixed:
        write_mixed_workbook(output, ws, [type_code] if type_code else None)
    else:
        write_sample_workbook(output, type_code, ws)
    click.echo(f"Wrote {output}")


COMMANDS = [sop_group, step_cmd, status_cmd, report_group, demo_cmd, sample_cmd]
