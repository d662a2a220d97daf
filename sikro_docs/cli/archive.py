"""`sikro archive ...`: file scans, find berkas, record where paper sits, audit, rebuild,
carry out the retention schedule (move-inactive, dispose, hand-over).

Exit codes: 0 done / all intact; 1 something unmatched, failed or damaged,
or a retention action refused (then nothing was written); 2 unusable input
or a usage error (e.g. a required option missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import clock, db
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
@click.option("--move-to", "move_to", type=click.Path(file_okay=False, path_type=Path),
              help="Move each filed source into this folder instead of removing it "
                   "(default: [archive] move_ingested_to of sikro.toml, if set).")
@click.option("--no-ocr", is_flag=True, help="File only; make searchable text later (sikro archive ocr).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of every file as JSON.")
@workspace_option
def ingest_cmd(paths, keep, move_to, no_ocr, as_json, ws):
    """File scans (PDFs, images, folders) into the berkas their QR codes name.

    Only regular files outside the workspace are read: symbolic links are
    not followed, a hard link of an archived or issued file is skipped, and
    a folder of the workspace (archive/, out/...) is refused (exit 2). A
    file without a usable code is listed as unmatched and stays where it is;
    one beyond a limit of [limits.scan] is quarantined (listed with the
    limit) and stays too. A source is removed, or moved with --move-to, only
    once its filed copy is synced and re-hashed; unless --keep.
    """
    from ..archive import ingest

    report = ingest(ws, paths, keep=keep, move_to=move_to, do_ocr=not no_ocr)
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
    """Find berkas by name, number, workplace or any word of their documents (best first).

    Each hit names the documents whose number matched (kind and number) and
    any warning recorded when a file was filed (active content in a PDF).
    A query longer than [limits.search] query_chars is refused (exit 2).
    """
    from ..archive import recover, search
    from ..archive.index import MAX_QUERY_CHARS

    max_chars = int((ws.profile.get("limits", {}).get("search", {}) or {}).get("query_chars", MAX_QUERY_CHARS))
    text = " ".join(query)
    recover(ws)
    with db.session(ws) as session:
        hits = search(session, text, limit=limit, max_chars=max_chars)
        closed = _closed_lines(session, [h.berkas_number for h in hits])
    if as_json:
        print_json({"hits": [{**h.as_json(), "closed": closed.get(h.berkas_number)} for h in hits]})
        return
    if not hits:
        click.echo("nothing found")
        sys.exit(EXIT_PROBLEMS)
    for hit in hits:
        where = closed.get(hit.berkas_number) or hit.location
        click.echo(f"{hit.registration_number}  {hit.name}  [{hit.classification}, {hit.kurun}]  {where}")
        if hit.documents:
            click.echo("  matched: " + "; ".join(f"{d['kind']} {d['number']}" for d in hit.documents))
        for warning in hit.warnings:
            click.echo(f"  warning: {warning}")


@archive_group.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def show_cmd(ref, as_json, ws):
    """A berkas's details: metadata, stage, where the paper sits, its files and their warnings.

    REF: registration, document or berkas number.
    """
    from sqlalchemy import select

    from ..archive import locate, locate_line
    from ..archive.events import warnings_of
    from ..archive.tables import ArchiveFile

    berkas, location = locate(ws, ref)
    with db.session(ws) as session:
        files = session.scalars(select(ArchiveFile).where(ArchiveFile.berkas_id == berkas.id)
                                .order_by(ArchiveFile.id)).all()
        warnings = warnings_of(session, [berkas.berkas_number]).get(berkas.berkas_number, [])
        closed = _closed_lines(session, [berkas.berkas_number]).get(berkas.berkas_number)
    rows = [{"path": f.path, "role": f.role, "origin": f.origin, "kind": f.kind, "number": f.document_number,
             "sha256": f.sha256, "size": f.size} for f in files]
    if as_json:
        print_json({"berkas": berkas.berkas_number, "registration_number": berkas.registration_number,
                    "name": berkas.name, "classification": berkas.classification, "stage": berkas.stage,
                    "folder": berkas.path, "location": location, "closed": closed, "files": rows,
                    "warnings": warnings})
        return
    click.echo(f"{berkas.berkas_number}  {berkas.name}  [{berkas.classification}]  stage {berkas.stage}")
    click.echo(f"  {closed or locate_line(berkas, location)}")
    for row in rows:
        what = " ".join(x for x in (row["kind"], row["number"]) if x) or row["origin"]
        click.echo(f"  {row['path']}  ({what}; {row['role']}; sha256 {row['sha256'][:12]})")
    for warning in warnings:
        click.echo(f"  warning: {warning}")


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
    with db.session(ws) as session:
        closed = _closed_lines(session, [berkas.berkas_number]).get(berkas.berkas_number)
    if as_json:
        print_json({"berkas": berkas.berkas_number, "registration_number": berkas.registration_number,
                    "location": location, "folder": berkas.path, "stage": berkas.stage, "closed": closed})
        return
    if closed:  # disposed or handed over: where the paper went, not where it sits
        click.echo(f"{berkas.registration_number}: {closed}")
        return
    click.echo(locate_line(berkas, location))
    if location is None:
        sys.exit(EXIT_PROBLEMS)


def _closed_lines(session, berkas_numbers: list[str]) -> dict[str, str]:
    """For disposed / handed-over berkas: one line saying so (decision, date, where the paper was)."""
    from sqlalchemy import select

    from ..archive.berkas import location_line
    from ..archive.disposal import closing_detail
    from ..archive.retention import STAGE_DISPOSED, STAGE_HANDED_OVER
    from ..archive.tables import Berkas

    if not berkas_numbers:
        return {}
    rows = session.scalars(select(Berkas).where(Berkas.berkas_number.in_(berkas_numbers),
                                                Berkas.stage.in_((STAGE_DISPOSED, STAGE_HANDED_OVER)))).all()
    lines = {}
    for berkas in rows:
        detail = closing_detail(session, berkas) or {}
        when = str(detail.get("at", ""))[:10]
        if berkas.stage == STAGE_DISPOSED:
            text = f"musnah (disposed {when} under {detail.get('decision_number', '?')}"
            copy = detail.get("electronic_copy")
            text += "; electronic files deleted)" if copy == "deleted" else "; electronic files kept)"
        else:
            text = (f"diserahkan (handed over {when} to {detail.get('to', '?')} "
                    f"under {detail.get('decision_number', '?')})")
        if detail.get("location_before"):
            text += f"; paper was at {location_line(detail['location_before'])}"
        lines[berkas.berkas_number] = text
    return lines


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
@click.argument("which", type=click.Choice(["daftar-aktif", "daftar-inaktif", "daftar-musnah", "daftar-serah",
                                            "berita-acara"]))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="As of this date (default today; berita-acara: the day of the disposal or hand-over).")
@click.option("--decision-number", "decision_number", metavar="NOMOR",
              help="berita-acara: the decision number the berkas were disposed or handed over under.")
@workspace_option
def export_cmd(which, output, on, decision_number, ws):
    """Write a list of the archive as a printable workbook (Bahasa Indonesia).

    \b
    daftar-aktif    Daftar Arsip Aktif
    daftar-inaktif  Daftar Arsip Inaktif
    daftar-musnah   Daftar Arsip Usul Musnah: retention ended, final fate Musnah;
                    the office signs it before `sikro archive dispose`
    daftar-serah    Daftar Arsip Usul Serah: retention ended, final fate Permanen;
                    signed before `sikro archive hand-over`
    berita-acara    Berita Acara Pemusnahan / Penyerahan Arsip Statis of the berkas
                    one --decision-number disposed or handed over
    """
    from ..archive import export_list

    if decision_number and which != "berita-acara":
        raise SikroError("--decision-number is for berita-acara only")
    count = export_list(ws, which, output, on=on.date() if on else None, decision_number=decision_number)
    click.echo(f"Wrote {which} ({count} berkas) to {output}")


@archive_group.command("due")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), help="As of this date (default today).")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def due_cmd(on, as_json, ws):
    """Berkas due to move to inactive storage, to be destroyed, or handed over as permanent."""
    from ..archive import due_items

    items = due_items(ws, on.date() if on else clock.today(ws.profile))
    if as_json:
        print_json({"due": [{**i.__dict__, "since": i.since.isoformat()} for i in items]})
        return
    for item in items:
        click.echo(f"{item.registration_number}  {item.what}  (due since {item.since.isoformat()})")
    if not items:
        click.echo("nothing is due")


def _retention_options(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print the outcome of every berkas as JSON.")(func)
    func = click.option("--dry-run", is_flag=True, help="Check and say what would be done; write nothing.")(func)
    func = click.option("--force", "force", metavar="REASON",
                        help="Carry it out although retention is not yet due or the JRA final fate differs; "
                             "REASON is recorded in the berkas's event log.")(func)
    func = click.option("--by", "agent", metavar="NAME",
                        help="Who carries it out (recorded as the event's agent; default: your login name).")(func)
    return click.argument("refs", nargs=-1, required=True, metavar="BERKAS...")(func)


def _report_retention(outcomes, as_json: bool) -> None:
    from ..archive.disposal import NOT_DONE, REFUSED

    refused = [o for o in outcomes if o.status == REFUSED]
    if as_json:
        print_json({"ok": not refused, "berkas": [o.as_json() for o in outcomes]})
    elif refused:
        for outcome in refused:
            click.echo(f"sikro: refused {outcome.label}: {outcome.message}", err=True)
        others = sum(1 for o in outcomes if o.status == NOT_DONE)
        if others:
            click.echo(f"sikro: nothing was written, for the other {others} berkas either", err=True)
    else:
        for outcome in outcomes:
            click.echo(outcome.line())
    sys.exit(EXIT_PROBLEMS if refused else EXIT_OK)


@archive_group.command("move-inactive")
@_retention_options
@click.option("--decision-number", "decision_number", metavar="NOMOR",
              help="Number of the berita acara pemindahan, if there is one.")
@workspace_option
def move_inactive_cmd(refs, decision_number, agent, force, dry_run, as_json, ws):
    """Move berkas whose active period has ended to inactive storage (pemindahan arsip inaktif).

    BERKAS: registration, berkas or document numbers. Sets the stage
    "inaktif" and records a PREMIS "retention action" event in each bag; the
    paper's new place is then recorded with `sikro archive place`. A berkas
    still in its active period is refused unless --force REASON. If any
    berkas is refused, nothing is written (exit 1).
    """
    from ..archive.disposal import MOVE_INACTIVE, carry_out

    _report_retention(carry_out(ws, MOVE_INACTIVE, list(refs), decision_number=decision_number, agent=agent,
                                force=force, dry_run=dry_run), as_json)


class _DisposeGroup(click.Group):
    """`sikro archive dispose` with berkas numbers (the one-step form of before) says what to do now."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            raise click.UsageError(
                "pemusnahan needs a second person: propose it with `sikro archive dispose propose BERKAS... "
                "--reason ...`, then another person approves it with `sikro archive dispose approve ID`", ctx)
        return super().resolve_command(ctx, args)


@archive_group.group("dispose", cls=_DisposeGroup)
def dispose_group():
    """Disposal (pemusnahan) of berkas whose JRA final fate is Musnah, by two people.

    \b
    One person proposes:  sikro archive dispose propose BERKAS... --reason "..." [--decision-number NOMOR]
    another approves:     sikro archive dispose approve ID [--decision-number NOMOR]
    (or rejects:          sikro archive dispose reject ID --reason "...")
    and the open ones:    sikro archive dispose list

    Approving carries the disposal out. Each berkas gets a PREMIS
    "deaccession" event (decision number, reason, the proposer and the
    approver, where the paper was) and the stage "musnah"; its location is
    cleared (the paper no longer sits in its box). The proposer cannot
    approve their own proposal. A berkas is in at most one open proposal.

    \b
    The electronic copy: destroying the paper original is done by people,
    with the berita acara. Without --delete-files the bag KEEPS its files,
    marked musnah. With --delete-files (on the proposal) the same atomic bag
    change removes every payload file and its manifest line, and a PREMIS
    "deletion" event lists each path and SHA-256: the bag stays valid and
    `search`, `locate` and `audit` keep working. Proposing --delete-files
    again with the same decision number deletes the files of berkas
    disposed earlier without it.

    Print the Berita Acara with:
    sikro archive export berita-acara --decision-number NOMOR -o ba.xlsx
    """


def _by(agent: str | None) -> str:
    from ..archive.disposal import default_agent

    return " ".join((agent or "").split()) or default_agent()


@dispose_group.command("propose")
@click.argument("refs", nargs=-1, required=True, metavar="BERKAS...")
@click.option("--reason", required=True, help='Why, e.g. "retensi habis sesuai JRA".')
@click.option("--decision-number", "decision_number", metavar="NOMOR",
              help="Number of the approval / berita acara pemusnahan, if known now (else given on approval).")
@click.option("--delete-files", is_flag=True,
              help="Also delete the electronic copy (every payload file of the bag) when approved.")
@click.option("--force", "force", metavar="REASON",
              help="Propose it although retention is not yet due or the JRA final fate differs; "
                   "REASON is recorded in the berkas's event log.")
@click.option("--dry-run", is_flag=True, help="Check and say what the disposal would do; record nothing.")
@click.option("--by", "agent", metavar="NAME", help="Who proposes it (default: your login name).")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def dispose_propose_cmd(refs, reason, decision_number, delete_files, force, dry_run, agent, as_json, ws):
    """Propose the disposal of BERKAS (registration, berkas or document numbers).

    Refused (exit 1, nothing recorded) when retention is not yet due, when
    the final fate is not Musnah (unless --force REASON), when a berkas is
    already closed, or when it is in another open proposal.
    """
    from ..archive import proposals
    from ..archive.disposal import DISPOSE, carry_out

    if dry_run:
        _report_retention(carry_out(ws, DISPOSE, list(refs), decision_number=decision_number or proposals.UNDECIDED,
                                    reason=reason, agent=_by(agent), force=force, delete_files=delete_files,
                                    dry_run=True), as_json)
    proposal_id = proposals.propose(ws, list(refs), reason, decision_number, by=_by(agent),
                                    delete_files=delete_files, force=force)
    found = proposals.proposal(ws, proposal_id)
    if as_json:
        print_json(found.as_json())
        return
    click.echo(f"proposed disposal {proposal_id}: {len(found.berkas)} berkas, by {found.proposed_by}")
    for item in found.berkas:
        click.echo(f"  {item['registration_number']}")
    click.echo(f"another person approves it with: sikro archive dispose approve {proposal_id}")


@dispose_group.command("approve")
@click.argument("proposal_id", type=int, metavar="ID")
@click.option("--decision-number", "decision_number", metavar="NOMOR",
              help="Number of the approval / berita acara pemusnahan, when the proposal has none.")
@click.option("--by", "agent", metavar="NAME", help="Who approves it (default: your login name); "
                                                    "not the proposer.")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def dispose_approve_cmd(proposal_id, decision_number, agent, as_json, ws):
    """Approve disposal proposal ID and carry it out (a second person: not its proposer)."""
    from ..archive import proposals

    _report_retention(proposals.approve(ws, proposal_id, by=_by(agent), decision_number=decision_number), as_json)


@dispose_group.command("reject")
@click.argument("proposal_id", type=int, metavar="ID")
@click.option("--reason", required=True, help="Why the disposal is not approved.")
@click.option("--by", "agent", metavar="NAME", help="Who rejects it (default: your login name).")
@workspace_option
def dispose_reject_cmd(proposal_id, reason, agent, ws):
    """Reject disposal proposal ID (its berkas may be proposed again)."""
    from ..archive import proposals

    found = proposals.reject(ws, proposal_id, by=_by(agent), reason=reason)
    click.echo(f"rejected disposal proposal {found.id} by {found.decided_by}: {found.decision_reason}")


@dispose_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the approved and rejected proposals.")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def dispose_list_cmd(show_all, as_json, ws):
    """The open disposal proposals (with --all: every proposal and its decision)."""
    from ..archive import proposals

    found = proposals.list_proposals(ws, only_open=not show_all)
    if as_json:
        print_json({"proposals": [p.as_json() for p in found]})
        return
    for p in found:
        decided = f" by {p.decided_by}" if p.decided_by else ""
        click.echo(f"{p.id:>4}  {p.status}{decided}  proposed by {p.proposed_by} {p.proposed_at:%Y-%m-%d}  "
                   f"{len(p.berkas)} berkas  decision {p.decision_number or '-'}  reason: {p.reason}")
        for item in p.berkas:
            click.echo(f"      {item['registration_number']}")
    if not found:
        click.echo("no open disposal proposal" if not show_all else "no disposal proposal")


@archive_group.command("hand-over")
@_retention_options
@click.option("--to", "to", metavar="INSTITUTION",
              help='Receiving institution, e.g. "Dinas Perpustakaan dan Kearsipan Kabupaten Dairi" '
                   "(default: [archive] institution in sikro.toml).")
@click.option("--decision-number", "decision_number", required=True, metavar="NOMOR",
              help="Number of the berita acara penyerahan arsip statis.")
@workspace_option
def hand_over_cmd(refs, to, decision_number, agent, force, dry_run, as_json, ws):
    """Record the hand-over (penyerahan arsip statis) of berkas whose JRA final fate is Permanen.

    BERKAS: registration, berkas or document numbers. Refused (exit 1,
    nothing written for any berkas) when retention is not yet due, when the
    final fate is not Permanen (unless --force REASON), or when a berkas is
    already closed. Each berkas gets a PREMIS "transfer" event and the stage
    "diserahkan"; its location is cleared. The bag keeps its files: the
    office's electronic copy of what it handed over.
    """
    from ..archive.disposal import HAND_OVER, carry_out

    to = to or ws.profile.get("archive", {}).get("institution")
    _report_retention(carry_out(ws, HAND_OVER, list(refs), decision_number=decision_number, to=to,
                                agent=agent, force=force, dry_run=dry_run), as_json)


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
