"""Commands of the registers (`sikro register ...`) and the Buku Ekspedisi (`sikro dispatch ...`).

Every command that touches a register first voids the numbers left
pending by a process that died ("interrupted"), so what it shows or
checks is never a half-finished state.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock, db, numbering
from ..books import DISPATCH_BOOK, export_book, indonesian_datetime
from ..errors import SikroError
from . import print_json, workspace_option

LIST_COLUMNS = (("No", "seq"), ("Nomor", "number"), ("Tanggal", "date"), ("Status", "status"),
                ("Jenis", "kind"), ("Registrasi", "application"), ("Keterangan", "reason"))
DISPATCH_LIST_COLUMNS = (("No", "seq"), ("Dikirim", "delivered_at"), ("Nomor", "number"),
                         ("Kepada", "addressee"), ("Diterima oleh", "received_by"))


@click.group("register")
def register_group():
    """Numbering registers: registrasi, surat-keluar (Buku Agenda), keputusan, each permit type's; and the ekspedisi book."""


def _recovered(session, ws) -> None:
    for entry in numbering.recover_interrupted(session, ws):
        click.echo(f"voided {entry.register} {entry.number}: interrupted", err=True)


def _table(rows: list[dict], columns) -> list[str]:
    cells = [[str(row.get(key) if row.get(key) is not None else "") for _, key in columns] for row in rows]
    headers = [title for title, _ in columns]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]


def _flat(row: dict) -> dict:
    return {**row, "kind": row["document"]["kind"], "application": row["document"]["application"]}


@register_group.command("list")
@click.argument("register", required=False)
@click.option("--year", type=int, help="Only this year's series.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@workspace_option
def list_cmd(register, year, as_json, ws):
    """List the numbers of REGISTER (or the ekspedisi book); without REGISTER, the registers
    (the profile's and those the permit types define)."""
    if register is None:
        rows = [{"register": name, "title": r.get("title", name), "pattern": r.get("pattern", ""),
                 "permit_type": r.get("permit_type", "")} for name, r in numbering.all_registers(ws).items()]
        if as_json:
            print_json(rows)
            return
        for line in _table(rows, (("Register", "register"), ("Judul", "title"), ("Pola nomor", "pattern"),
                                  ("Jenis izin", "permit_type"))):
            click.echo(line)
        return
    with db.session(ws, write=True) as session:
        _recovered(session, ws)
        if register == DISPATCH_BOOK:
            rows, columns = numbering.list_dispatches(session, year), DISPATCH_LIST_COLUMNS
        else:
            rows, columns = [_flat(r) for r in numbering.list_entries(session, ws, register, year)], LIST_COLUMNS
    if as_json:
        print_json(rows)
        return
    for line in _table(rows, columns):
        click.echo(line)


@register_group.command("void")
@click.argument("register")
@click.argument("number")
@click.option("--reason", required=True, help="Why the number is void (kept in the register).")
@click.option("--by", "actor", default="sikro", show_default=True, help="Who voids it (for the log).")
@workspace_option
def void_cmd(register, number, reason, actor, ws):
    """Void NUMBER of REGISTER (and its document). A void number is never given again."""
    with db.session(ws, write=True) as session:
        entry = numbering.void(session, ws, register, number, reason, actor=actor)
    click.echo(f"voided {entry.register} {entry.number}: {entry.reason}")


@register_group.command("verify")
@workspace_option
def verify_cmd(ws):
    """Check every register's hash chain, its replay, its series, and the ekspedisi book; replay the
    evidence chain (documents' status and what they were issued with, applicants' facts) against the
    tables; and compare every chain with its head outside the database (keys/chain.head)."""
    with db.session(ws, write=True) as session:
        _recovered(session, ws)
        problems = numbering.verify_registers(session, ws)
        entries = session.query(numbering.RegisterEntry).count()
        dispatches = session.query(numbering.Dispatch).count()
    if problems:
        for problem in problems:
            click.echo(problem)
        raise SikroError(f"registers NOT intact ({len(problems)} problem(s)); first: {problems[0]}")
    click.echo(f"all registers intact: {entries} entries, {dispatches} dispatches")


@register_group.command("export")
@click.argument("register")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx file to write.")
@click.option("--year", type=int, help="Only this year (default: one sheet per year).")
@workspace_option
def export_cmd(register, output, year, ws):
    """Write REGISTER (or ekspedisi) as a printable book (.xlsx)."""
    if output.suffix.lower() != ".xlsx":
        raise SikroError(f"{output}: the book is written as .xlsx")
    with db.session(ws, write=True) as session:
        _recovered(session, ws)
        counts = export_book(session, ws, register, output, year)
    summary = ", ".join(f"{y}: {n} lines" for y, n in counts.items())
    click.echo(f"Wrote {output} ({summary})")


@click.group("dispatch")
def dispatch_group():
    """Buku Ekspedisi: deliveries of documents (SOP steps 14-15, 22-23)."""


@dispatch_group.command("record")
@click.argument("ref")
@click.option("--to", "to", required=True, help="Who the document is addressed to.")
@click.option("--received-by", required=True, help="Who signed for it.")
@click.option("--at", "at_text", help="When (ISO, or dd-mm-yyyy HH:MM; no zone = office time, WIB). Default: now.")
@click.option("--by", "actor", default="sikro", show_default=True, help="Who records it (for the log).")
@workspace_option
def record_cmd(ref, to, received_by, at_text, actor, ws):
    """Record that document REF (a document number, or a registration number: its permit or
    rejection letter) was delivered."""
    tz = clock.office_timezone(ws.profile)
    at = clock.parse_time(at_text, tz) if at_text else None
    with db.session(ws, write=True) as session:
        row = numbering.record_dispatch(session, ws, ref, to=to, received_by=received_by, at=at, actor=actor)
        data = row.data
    click.echo(
        f"ekspedisi no. {data['seq']}/{data['year']}: {data['number']} delivered to {data['addressee']}, "
        f"received by {data['received_by']} on {indonesian_datetime(data['delivered_at'], tz)}"
    )


COMMANDS = [register_group, dispatch_group]
