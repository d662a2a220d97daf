"""`sikro archive ...`: file scans, find berkas, record where paper sits, audit, rebuild.

Exit codes: 0 done / all intact; 1 something unmatched, failed or damaged;
2 unusable input.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .. import db
from ..errors import EXIT_OK, EXIT_PROBLEMS, SikroError
from . import print_json, workspace_option


@click.group("archive")
def archive_group():
    """The archive: berkas folders (BagIt), scans, search, locations, retention, audits."""


def _print_outcomes(files) -> None:
    for f in files:
        where = f" → {f.berkas}" if f.berkas and f.status in ("filed", "duplicate") else ""
        click.echo(f"{f.status:<10} {f.path}{where}: {f.message}")


@archive_group.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--keep", is_flag=True, help="Leave the source files in place after filing.")
@click.option("--no-ocr", is_flag=True, help="File only; make searchable text later (sikro archive ocr).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of every file as JSON.")
@workspace_option
def ingest_cmd(paths, keep, no_ocr, as_json, ws):
    """File scans (PDFs, images, folders) into the berkas their QR codes name.

    A file without a usable code is listed as unmatched and stays where it
    is. Sources are removed once safely filed, unless --keep.
    """
    from ..archive import ingest

    report = ingest(ws, paths, keep=keep, do_ocr=not no_ocr)
    if as_json:
        print_json(report.as_json())
    else:
        _print_outcomes(report.files)
        for note in report.notes:
            click.echo(note)
        if not report.files:
            click.echo(f"nothing to file: no PDF or image in {', '.join(str(p) for p in paths)}")
    sys.exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


@archive_group.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--ref", required=True, help="Registration, permit or letter number, or berkas number.")
@click.option("--kind", help="What the file is (e.g. permit, lampiran); default: the document's kind.")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def add_cmd(file, ref, kind, as_json, ws):
    """File FILE by hand into the berkas REF names."""
    from ..archive import file_by_ref
    from ..archive.ingest import run_pending_ocr

    result = file_by_ref(ws, file, ref, kind=kind)
    notes = run_pending_ocr(ws) if result.ok else []
    if as_json:
        print_json({"files": [f.as_json() for f in result.files], "notes": notes})
    else:
        _print_outcomes(result.files)
        for note in notes:
            click.echo(note)
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@archive_group.command("ocr")
@click.option("--limit", type=int, help="At most this many files.")
@workspace_option
def ocr_cmd(limit, ws):
    """Make searchable text (Tesseract, Indonesian) for archived scans that have none yet."""
    from ..archive.ingest import run_pending_ocr

    notes = run_pending_ocr(ws, limit=limit)
    click.echo("\n".join(notes) if notes else "every archived file already has its text")


@archive_group.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def search_cmd(query, limit, as_json, ws):
    """Find berkas by name, number, workplace or any word of their documents (best first)."""
    from ..archive import recover, search

    recover(ws)
    with db.session(ws) as session:
        hits = search(session, " ".join(query), limit=limit)
    if as_json:
        print_json({"hits": [h.as_json() for h in hits]})
        return
    if not hits:
        click.echo("nothing found")
        sys.exit(EXIT_PROBLEMS)
    for hit in hits:
        click.echo(f"{hit.registration_number}  {hit.name}  [{hit.classification}, {hit.kurun}]  {hit.location}")


@archive_group.command("place")
@click.argument("ref")
@click.option("--room", required=True, help='e.g. "Ruang Arsip 1"')
@click.option("--cabinet", required=True, help="cabinet or rack (lemari)")
@click.option("--shelf", required=True, help="shelf (rak)")
@click.option("--box", required=True, help="box number (boks)")
@click.option("--folder", required=True, help="folder number (map)")
@workspace_option
def place_cmd(ref, room, cabinet, shelf, box, folder, ws):
    """Record where the paper original of berkas REF sits."""
    from ..archive import place
    from ..archive.berkas import location_line

    meta = place(ws, ref, {"room": room, "cabinet": cabinet, "shelf": shelf, "box": box, "folder": folder})
    click.echo(f"{meta.registration_number}: {location_line(meta.location)}")


@archive_group.command("locate")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def locate_cmd(ref, as_json, ws):
    """Where the paper original of berkas REF sits, in one line."""
    from ..archive import locate, locate_line

    berkas, location = locate(ws, ref)
    if as_json:
        print_json({"berkas": berkas.berkas_number, "registration_number": berkas.registration_number,
                    "location": location, "folder": berkas.path})
        return
    click.echo(locate_line(berkas, location))
    if location is None:
        sys.exit(EXIT_PROBLEMS)


@archive_group.command("labels")
@click.option("--box", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@workspace_option
def labels_cmd(box, output, ws):
    """Print the label of box B and of its folders (PDF), with a QR code of the box's contents list."""
    from ..archive import write_labels

    count = write_labels(ws, box, output)
    click.echo(f"Wrote the label of box {box} and {count} folder label(s) to {output}")


@archive_group.command("export")
@click.argument("which", type=click.Choice(["daftar-aktif", "daftar-inaktif"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="As of this date (default today).")
@workspace_option
def export_cmd(which, output, on, ws):
    """Write the Daftar Arsip Aktif or Inaktif as a printable workbook."""
    from ..archive import export_list

    count = export_list(ws, which, output, on=on.date() if on else None)
    click.echo(f"Wrote {which} ({count} berkas) to {output}")


@archive_group.command("due")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="As of this date (default today).")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def due_cmd(on, as_json, ws):
    """Berkas due to move to inactive storage, to be destroyed, or handed over as permanent."""
    from ..archive import due_items

    items = due_items(ws, on.date() if on else dt.date.today())
    if as_json:
        print_json({"due": [{**i.__dict__, "since": i.since.isoformat()} for i in items]})
        return
    for item in items:
        click.echo(f"{item.registration_number}  {item.what}  (due since {item.since.isoformat()})")
    if not items:
        click.echo("nothing is due")


@archive_group.command("audit")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def audit_cmd(as_json, ws):
    """Re-hash every archived file; report changed, missing and unexpected files. Exit 1 if any."""
    from ..archive import audit

    report = audit(ws)
    if as_json:
        print_json(report.as_json())
    else:
        _print_audit(report)
    sys.exit(EXIT_OK if report.intact else EXIT_PROBLEMS)


def _print_audit(report) -> None:
    for bag in report.bags:
        if bag.intact:
            continue
        for label, paths in (("changed", bag.changed), ("missing", bag.missing),
                             ("unexpected", bag.unexpected), ("invalid", bag.invalid)):
            for path in paths:
                click.echo(f"{label:<10} {bag.berkas}: {path}")
    for path in report.missing_bags:
        click.echo(f"missing    berkas folder {path} (in the index, not on disk)")
    files = sum(b.files for b in report.bags)
    verdict = "all intact" if report.intact else "PROBLEMS FOUND"
    click.echo(f"{len(report.bags)} berkas, {files} files checked: {verdict}")


@archive_group.command("reindex")
@workspace_option
def reindex_cmd(ws):
    """Rebuild the archive index and locations from the berkas folders alone."""
    from ..archive import reindex

    report = reindex(ws)
    for problem in report.problems:
        click.echo(problem, err=True)
    click.echo(f"reindexed {report.bags} berkas" + (f"; dropped {len(report.removed)} gone from disk"
                                                    if report.removed else ""))
    if report.problems:
        raise SikroError(f"{len(report.problems)} berkas folder(s) could not be read")


COMMANDS = [archive_group]
