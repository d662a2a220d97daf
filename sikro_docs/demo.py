"""`sikro demo`: a workspace in which the office has worked for about a month.

The example applications (`samples.py`) are imported, then taken through the
SOP with realistic timestamps in working hours: most approved, the ones the
workbook marks "Ditolak" rejected, one file returned incomplete and handed in
again, one left with the applicant, one held up by the technical team, and
the latest ones still in progress at the demo's "now". Every document is
made as the SOP says (numbered, QR-signed, PDF/A, filed in the archive when
the archive is there), deliveries go into the Buku Ekspedisi, and the
registers, the SLA report and the SOP diagram are written into the folder.

Speed: documents are made per (day, kind) across applications as DOCX, then
converted to PDF in one converter pool per kind at the end, because starting
LibreOffice is what costs time. A second run on the same folder resumes where
the first stopped (steps already recorded are skipped) and, once finished,
only reports "already built".
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import db, numbering, registry
from .intake import CHECKLIST
from .models import Application, Event
from .samples import write_sample_workbook
from .signing import enable_demo_signing
from .workflow import WorkingTime, history, record_step, sop_for
from .workflow.sop import Sop
from .workflow.steps import document_facts, documents_plan
from .workspace import Workspace, init_workspace

SAMPLE_NAME = "permohonan-contoh.xlsx"
DONE_MARKER = "demo-selesai.json"
SEED = 2026
ACTOR = "demo"
# How much of a step's standard time the office usually needs (most steps are on time).
USUAL_PACE = (0.35, 0.9)
# The technical team of one application takes this many times its standard time (the SOP's warning 2).
SLOW_TEAM_PACE = 2.6
SLOW_ROLE = "tim_teknis"
# The applicant of the returned file comes back this many working days later.
COMPLETION_DELAY = dt.timedelta(hours=16)
# How far the demo's "now" lies after the last application was handed in (working time).
NOW_AFTER_LAST_START = dt.timedelta(hours=22)
STAFF = {"pemohon": "pemohon", "front_office": "Petugas Loket", "ksb_umum": "Ksb. Umum",
         "back_office": "Ka Seksi Pelayanan II", "tim_teknis": "Tim Teknis Dinkes", "kabid": "Kabid Pelayanan",
         "sekretaris": "Sekretaris", "kadis": "Kepala Dinas"}


@dataclass
class Planned:
    """One thing that happens in the demo month: a step done, or the applicant completing the file."""

    at: dt.datetime
    app_id: int
    step: int | None  # None: the applicant hands in what was missing
    decision: str | None = None
    reason: str | None = None
    returning: bool = False


@dataclass
class DemoResult:
    workspace: Workspace
    workbook: Path
    report: registry.ImportReport | None
    already_built: bool = False
    now: dt.datetime | None = None
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    permit_pdf: Path | None = None

    def summary_lines(self) -> list[str]:
        root = self.workspace.root
        lines = [f"Demo workspace: {root}" + ("  (already built; nothing was changed)" if self.already_built else "")]
        if self.counts:
            lines.append("This month: " + ", ".join(f"{v} {k}" for k, v in self.counts.items()))
        lines.append("Where to look:")
        for label, path in self.files.items():
            lines.append(f"  {label:<22} {path}")
        lines.append("Try:")
        if self.permit_pdf:
            lines.append(f"  sikro verify {self.permit_pdf} --workspace {root}")
        lines.append(f"  sikro serve --workspace {root}          (the verification page)")
        as_of = f' --as-of "{self.now:%Y-%m-%d %H:%M}"' if self.now else ""
        lines.append(f"  sikro status{as_of} --workspace {root}")
        lines.append(f"  sikro status --overdue{as_of} --workspace {root}")
        lines.append("  sikro sop show")
        return lines


# --------------------------------------------------------------------------- the month's plan


def _arrival(wt: WorkingTime, day: dt.date, index: int) -> dt.datetime:
    """Applicants come to the counter through the morning and early afternoon."""
    while not wt.is_working_day(day):
        day += dt.timedelta(days=1)
    minutes = 15 + (index * 47) % 330
    return dt.datetime.combine(day, wt.opens, tzinfo=wt.tz) + dt.timedelta(minutes=minutes)


def _path_steps(sop: Sop, decision: str) -> list[int]:
    return [s.number for s in sop.path(decision)]


def _walk(sop: Sop, wt: WorkingTime, rng, app_id: int, start: dt.datetime, steps: list[int],
          slow: bool, decision: str, reason: str | None) -> list[Planned]:
    out, at = [], start
    for number in steps:
        step = sop.step(number)
        if out:  # the first step is the arrival itself
            pace = SLOW_TEAM_PACE if slow and step.role == SLOW_ROLE else rng.uniform(*USUAL_PACE)
            at = wt.add(at, step.time.working(wt.day_length) * pace).replace(second=0, microsecond=0)
        out.append(Planned(at, app_id, number, decision if step.decision else None,
                           reason if step.decision and decision == "reject" else None))
    return out


def _returned_then_completed(sop: Sop, wt: WorkingTime, rng, app_id: int, start: dt.datetime,
                             comes_back: bool, decision: str, reason) -> list[Planned]:
    """Handed in, found incomplete and returned; (maybe) completed and handed in again."""
    intake = _walk(sop, wt, rng, app_id, start, [sop.start.number, sop.start.next], False, decision, reason)
    intake[-1].returning = True
    if not comes_back:
        return intake
    back = wt.add(intake[-1].at, COMPLETION_DELAY)
    completed = Planned(back - dt.timedelta(minutes=5), app_id, None)
    return intake + [completed] + _walk(sop, wt, rng, app_id, back, _path_steps(sop, decision), False, decision, reason)


def plan_month(ws: Workspace, apps: list[Application]) -> tuple[list[Planned], dt.datetime]:
    sop, wt, rng = sop_for(ws), WorkingTime.from_profile(ws.profile), random.Random(SEED)
    events: list[Planned] = []
    complete = [a for a in apps if registry.is_complete(a)]
    starts = {a.id: _arrival(wt, a.application_date, i) for i, a in enumerate(apps)}
    # A slow technical team: an early application finishes late, and the latest one is late "now".
    slow_ids = {complete[len(complete) // 3].id, max(complete, key=lambda a: starts[a.id]).id} if complete else set()
    returned = [a for a in apps if not registry.is_complete(a)]
    for app in apps:
        decision = "reject" if app.decision == "Ditolak" else "approve"
        reason = app.rejection_reason or "Tidak memenuhi persyaratan teknis"
        if app in returned:
            events += _returned_then_completed(sop, wt, rng, app.id, starts[app.id], app is returned[0], decision, reason)
        else:
            events += _walk(sop, wt, rng, app.id, starts[app.id], _path_steps(sop, decision),
                            app.id in slow_ids, decision, reason)
    now = wt.add(max(starts.values()), NOW_AFTER_LAST_START)
    return sorted((e for e in events if e.at <= now), key=lambda e: (e.at, e.app_id)), now


# --------------------------------------------------------------------------- running it


def _complete_checklist(ws: Workspace, app_id: int, at: dt.datetime) -> None:
    """The applicant brings what was missing; the clerk ticks it off."""
    with db.session(ws, write=True) as session:
        app = session.get(Application, app_id)
        missing = registry.missing_items(app)
        if not missing:
            return
        app.checklist = {**app.checklist, **{item.name: True for item in CHECKLIST}}
        session.add(Event(application_id=app_id, actor=ACTOR, action="checklist.completed",
                          details={"completed": missing, "at": at.isoformat()}))


def _recommendation_number(ws: Workspace, app_id: int, at: dt.datetime) -> str | None:
    """The technical team's recommendation letter the permit cites (invented when the workbook has none)."""
    with db.session(ws) as session:
        app = session.get(Application, app_id)
        return None if app.recommendation_number else f"440/{300 + app_id:04d}/DINKES/{at:%m}/{at.year}"


def _documents_of_day(ws: Workspace, sop: Sop, day_events: list[Planned]) -> dict[str, set]:
    """Make the day's documents, grouped per kind across applications (DOCX now, PDF at the end)."""
    from .batch import generate_documents

    groups: dict[tuple[int, int, str, bool], list[Planned]] = defaultdict(list)
    for event in day_events:
        if event.step is None:
            continue
        plan = documents_plan(sop.step(event.step), event.returning)
        for order, (kind, draft) in enumerate(plan):
            groups[(event.step, order, kind, draft)].append(event)
    made: dict[str, set] = defaultdict(set)
    for (_step, _order, kind, draft), events in sorted(groups.items()):
        facts = {e.app_id: document_facts(ws, kind, e.app_id, e.at, e.reason) for e in events}
        report = generate_documents(ws, kind, [e.app_id for e in events], pdf=False, draft=draft,
                                    on=events[0].at.date(), facts=facts, actor=ACTOR)
        failed = [d for d in report.documents if d.status == "failed"]
        if failed:
            raise RuntimeError(f"demo: {kind} for {failed[0].application} failed: {failed[0].message}")
        if not draft:
            made[kind] |= {e.app_id for e in events}
    return made


def _already_done(ws: Workspace) -> dict[int, int]:
    with db.session(ws) as session:
        return {a.id: len(history(session, a.id)) for a in registry.list_applications(session)}


def _skip_recorded(events: list[Planned], done: dict[int, int]) -> list[Planned]:
    """Drop what an interrupted earlier run already recorded (the first N steps of each application)."""
    seen: dict[int, int] = defaultdict(int)
    todo = []
    for event in events:
        if event.step is not None:
            seen[event.app_id] += 1
            if seen[event.app_id] <= done.get(event.app_id, 0):
                continue
        todo.append(event)
    return todo


def run_month(ws: Workspace, events: list[Planned], progress) -> dict[str, set]:
    sop = sop_for(ws)
    made: dict[str, set] = defaultdict(set)
    by_day: dict[dt.date, list[Planned]] = defaultdict(list)
    for event in events:
        by_day[event.at.date()].append(event)
    for day in sorted(by_day):
        day_events = by_day[day]
        for wave in _waves(day_events):
            for kind, ids in _documents_of_day(ws, sop, wave).items():
                made[kind] |= ids
            for event in wave:
                _happen(ws, sop, event)
        progress(f"  {day:%a %d-%m-%Y}: {sum(e.step is not None for e in day_events)} steps")
    return made


def _waves(day_events: list[Planned]) -> list[list[Planned]]:
    """The day's events in rounds of at most one event per application, in time order.

    A step's documents are made while the application stands at the step
    before it (the SOP gates a permit on the recommendation, step 16), so an
    application's next step waits for the round after; documents are still
    made per kind across the applications of a round.
    """
    rounds: list[list[Planned]] = []
    depth: dict[int, int] = defaultdict(int)
    for event in sorted(day_events, key=lambda e: e.at):
        index = depth[event.app_id]
        depth[event.app_id] += 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(event)
    return [sorted(r, key=lambda e: e.at) for r in rounds]


def _happen(ws: Workspace, sop: Sop, event: Planned) -> None:
    if event.step is None:
        _complete_checklist(ws, event.app_id, event.at)
        return
    step = sop.step(event.step)
    # Documents were made for the whole day already; only a delivery needs the step itself to act.
    record_step(ws, event.app_id, event.step, by=STAFF.get(step.role, ACTOR), at=event.at,
                decision=event.decision, reason=event.reason, make_documents=bool(step.dispatch),
                recommendation=_recommendation_number(ws, event.app_id, event.at) if step.decision else None)


def convert_all(ws: Workspace, made: dict[str, set], progress) -> None:
    """One converter pool per kind: PDF/A of every document made, filed into the archive."""
    from .batch import generate_documents

    for kind, ids in made.items():
        final = numbering.document_kind(kind).final  # permits and rejections are signed
        report = generate_documents(ws, kind, sorted(ids), pdf=True, sign=final, actor=ACTOR)
        failed = [d for d in report.documents if d.status == "failed"]
        if failed:
            raise RuntimeError(f"demo: PDF of {kind} for {failed[0].application} failed: {failed[0].message}")
        progress(f"  {kind}: {len(ids)} PDF")


# --------------------------------------------------------------------------- outputs


def write_outputs(ws: Workspace, now: dt.datetime) -> dict[str, Path]:
    from .books import export_book
    from .workflow.diagram import write_diagram
    from .workflow.sla import write_sla_report

    folder = ws.root / "demo-hasil"
    files = {"registers": folder / "buku"}
    with db.session(ws) as session:
        for book in ("registrasi", "surat-keluar", "izin", "ekspedisi"):
            export_book(session, ws, book, folder / "buku" / f"{book}.xlsx")
    files["SLA report"] = write_sla_report(ws, folder / "laporan-sla.xlsx")["path"]
    files["SOP diagram"] = write_diagram(sop_for(ws), folder / "sop-diagram.svg")
    files["documents (PDF)"] = ws.out_dir
    files["archive"] = ws.archive_dir
    return files


def _first_permit_pdf(ws: Workspace) -> Path | None:
    pdfs = sorted((ws.out_dir / "permit").glob("*.pdf"))
    return pdfs[0] if pdfs else None


def _counts(ws: Workspace) -> dict[str, int]:
    with db.session(ws) as session:
        statuses = [a.status for a in registry.list_applications(session)]
    return {word: statuses.count(status) for word, status in
            (("permits issued", "issued"), ("rejected", "rejected"), ("in progress", "open"),
             ("approved, not yet issued", "approved"), ("with the applicant", "returned")) if statuses.count(status)}


def run_demo(root: Path, progress=lambda line: None) -> DemoResult:
    """Build (or resume, or just describe) the demo workspace at `root`."""
    ws, _created = init_workspace(root)
    ws, _p12, _added = enable_demo_signing(ws)  # the demo's permits carry a (test) e-signature
    workbook = ws.root / SAMPLE_NAME
    marker = ws.root / DONE_MARKER
    if marker.is_file():
        return _described(ws, workbook, json.loads(marker.read_text("utf-8")))
    if not workbook.exists():
        write_sample_workbook(workbook)
    report = registry.import_file(ws, workbook, actor=ACTOR)
    progress(f"Imported {report.imported} applications from {workbook.name} "
             f"({len({p.row for p in report.invalid})} rows with mistakes, on purpose)")
    with db.session(ws) as session:
        apps = registry.list_applications(session)
    events, now = plan_month(ws, apps)
    progress("The month at the office:")
    made = run_month(ws, _skip_recorded(events, _already_done(ws)), progress)
    progress("PDF/A, QR-signed, filed:")
    for kind, ids in _issued_kinds(ws).items():
        made[kind] |= ids
    convert_all(ws, made, progress)
    files = write_outputs(ws, now)
    result = DemoResult(ws, workbook, report, now=now, files=files, counts=_counts(ws),
                        permit_pdf=_first_permit_pdf(ws))
    marker.write_text(json.dumps({"now": now.isoformat(), "files": {k: str(v) for k, v in files.items()}},
                                 ensure_ascii=False, indent=2), "utf-8")
    return result


def _issued_kinds(ws: Workspace) -> dict[str, set]:
    """Documents issued by an earlier, interrupted run (their PDFs may be missing)."""
    from .numbering import Document

    with db.session(ws) as session:
        out: dict[str, set] = defaultdict(set)
        for doc in session.query(Document).filter(Document.status == "issued"):
            if doc.kind != "registration":
                out[doc.kind].add(doc.application_id)
        return out


def _described(ws: Workspace, workbook: Path, saved: dict) -> DemoResult:
    now = dt.datetime.fromisoformat(saved["now"]) if saved.get("now") else None
    files = {k: Path(v) for k, v in saved.get("files", {}).items()}
    return DemoResult(ws, workbook, None, already_built=True, now=now, files=files, counts=_counts(ws),
                      permit_pdf=_first_permit_pdf(ws))
