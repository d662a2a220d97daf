"""Commands that make documents: `batch` (from a workbook) and `generate` (registered applications)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import sys
from pathlib import Path

import click

from .. import batch
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..numbering import document_kinds
from . import print_json, workspace_option
from .intake import chosen_type, print_import_report, type_option

DOCUMENT_KINDS = [k for k in document_kinds() if k != "registration"]


class Progress:
    """A count of finished documents on stderr, only when stderr is a terminal."""

    def __init__(self, label: str):
        self.label, self.done = label, 0
        self.live = sys.stderr.isatty()

    def __call__(self, result) -> None:
        self.done += 1
        if self.live:
            click.echo(f"\r{self.label}: {self.done} documents ({result.application} {result.status})\033[K",
                       nl=False, err=True)

    def close(self) -> None:
        if self.live and self.done:
            click.echo("", err=True)


def document_options(func):
    options = [
        click.option("--pdf", is_flag=True, help="Also make PDF/A files (LibreOffice)."),
        click.option("--draft", is_flag=True, help="Watermarked DRAF, no number; records nothing."),
        click.option("--reissue", is_flag=True,
                     help="Make issued documents again: the old number is voided with a reason."),
        click.option("--date", "on", type=click.DateTime(["%Y-%m-%d", "%d-%m-%Y"]),
                     help="Date of the documents (default: today, office time)."),
        click.option("--by", "actor", help="The clerk who runs it (event log, SOP steps a row records); "
                                          "default: the logged-in user."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _options(pdf, draft, reissue, on, actor, merge=False, sign=False) -> batch.Options:
    day = on.date() if isinstance(on, dt.datetime) else None
    return batch.Options(pdf=pdf or merge or sign, draft=draft, merge=merge, reissue=reissue, sign=sign,
                         on=day, actor=(actor or "").strip() or _os_user())


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "sikro"


@click.command("batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--doc", "kind", type=click.Choice(DOCUMENT_KINDS), required=True,
              help="The kind of document to make for each row it applies to.")
@click.option("--merge", is_flag=True, help="Also write one PDF of the whole batch for printing.")
@click.option("--sign", is_flag=True,
              help="PAdES-sign each PDF with the certificate of the profile's [signing] section.")
@type_option
@document_options
@workspace_option
def batch_cmd(file, kind, merge, sign, permit_type, pdf, draft, reissue, on, actor, as_json, ws):
    """Import FILE and make a KIND document for every row it applies to.

    Receipts go to complete files, checklist-returns to incomplete ones,
    rejections to rows with Keputusan Ditolak, permits to Disetujui. Running
    the same batch again issues nothing new. Output goes under the
    workspace's out/ folder, with a results workbook in out/hasil/.
    Exit 0 every applicable row done; 1 some rows invalid or some documents
    failed (the rest done); 2 the file is unusable.
    """
    options = dataclasses.replace(_options(pdf, draft, reissue, on, actor, merge, sign),
                                  permit_type=chosen_type(ws, permit_type))
    progress = Progress(f"{file.name} -> {kind}")
    report = batch.run_batch(ws, file, kind, options, progress)
    progress.close()
    _finish(report, as_json)


@click.command("generate")
@click.argument("kind", type=click.Choice(DOCUMENT_KINDS))
@click.argument("refs", nargs=-1, required=True)
@document_options
@workspace_option
def generate_cmd(kind, refs, pdf, draft, reissue, on, actor, as_json, ws):
    """Make a KIND document for registered applications (REFS: registration numbers or NIKs)."""
    progress = Progress(kind)
    report = batch.generate(ws, kind, list(refs), _options(pdf, draft, reissue, on, actor), progress)
    progress.close()
    _finish(report, as_json)


def _finish(report: batch.BatchReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
    sys.exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


def _print_report(report: batch.BatchReport) -> None:
    if report.import_report is not None:
        print_import_report(report.import_report)
    counts: dict[str, int] = {}
    for doc in report.documents:
        counts[doc.status] = counts.get(doc.status, 0) + 1
        if doc.status in ("failed", "skipped", "waiting", "revoked"):
            where = f"row {doc.row}, " if doc.row else ""
            click.echo(f"  {where}{doc.application}: {doc.status}: {doc.message}")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no documents"
    click.echo(f"{report.kind}: {summary}")
    for note in report.notes:
        click.echo(f"note: {note}")
    click.echo(f"Results: {report.results_file}")
    if report.merged_pdf:
        click.echo(f"For printing: {report.merged_pdf}")


COMMANDS = [batch_cmd, generate_cmd]
