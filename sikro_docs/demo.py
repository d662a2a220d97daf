"""`sikro demo`: a workspace in which the office has worked for about a month, with every permit type.

The plan (printed as it goes, `PLAN`):

1. sample workbooks (`samples.py`): the default type's list with the mistakes
   clerks make, and one workbook with a `Jenis Izin` column holding new
   applications of every other type;
2. both imported; then the month at the office, through the SOP with
   realistic timestamps in working hours: most approved, the ones the
   workbook marks "Ditolak" rejected, files returned incomplete (one handed
   in again), a technical team that is late, the latest ones still in
   progress at the demo's "now";
3. mid-month, later applications: renewals (Perpanjangan) of permits issued
   earlier in the month, a change of workplace (Perubahan) and a revocation
   (Pencabutan, ending in an SK Pencabutan); the default type's sample adds a
   renewal of a permit the registry does not know, number and date typed in;
4. every document made as the SOP says (numbered, QR-signed, PDF/A, filed in
   the archive), deliveries in the Buku Ekspedisi;
5. the verification of the replaced permit (DIGANTI) and the revoked one
   (DICABUT); the registers, SLA report and SOP diagram written into the folder.

Every step is done; a step that fails stops the demo with one line naming it
(`DemoStepFailed`, exit code 1).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from . import clock, db, numbering, permit_types, registry, samples
from .accounts.demo import DemoUser, create_demo_users
from .errors import SikroError
from .models import Application, Event
from .procedure import document_facts
from .signing import enable_demo_signing
from .workflow import WorkingTime, history, record_step, sop_for
from .workflow.sop import Sop
from .workflow.steps import documents_plan
from .workspace import Workspace, init_workspace

SAMPLE_NAME = "permohonan-contoh.xlsx"  # the default type's sample (with its mistakes)
MIXED_NAME = "permohonan-jenis-izin.xlsx"  # new applications of the other types (Jenis Izin column)
LATER_NAME = "permohonan-lanjutan.xlsx"  # renewals, a change of workplace, a revocation
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
# Later applications come once this many permits of the default type are out (a renewal, a change,
# a revocation), and at the latest this many days before the last new application.
LATER_NEEDS_PERMITS = 3
LATER_AT_LATEST = dt.timedelta(days=14)
REVOCATION_REASON = "Atas permintaan pemegang izin: berhenti berpraktik dan pindah ke luar daerah"
STAFF = {"pemohon": "pemohon", "front_office": "Petugas Loket", "ksb_umum": "Ksb. Umum",
         "back_office": "Ka Seksi Pelayanan II", "tim_teknis": "Tim Teknis Dinkes", "kabid": "Kabid Pelayanan",
         "sekretaris": "Sekretaris", "kadis": "Kepala Dinas"}


# --------------------------------------------------------------------------- the plan


PLAN = [
    ("samples", "Sample workbooks: the default type's (with the usual mistakes), every other type's "
                "in one workbook with a Jenis Izin column"),
    ("import", "Import of the new applications"),
    ("others", "New applications of the other types"),
    ("month", "The month at the office: files checked and returned, decisions, permits issued"),
    ("later", "Renewals of this month's permits, a change of workplace, a revocation"),
    ("revocation", "The revocation's SK Pencabutan"),
    ("pdf", "PDF/A, QR-signed, filed in the archive"),
    ("verify", "Verification: the replaced permit (DIGANTI) and the revoked one (DICABUT)"),
    ("outputs", "Registers, SLA report, SOP diagram, archive"),
]

# What an application of an effect (common.toml's application kinds) gets where the SOP
# makes the permit; the others get what the SOP says.
FINAL_DOCUMENT_BY_EFFECT = {"revoke": "revocation-decree"}


class DemoProblem(SikroError):
    """What went wrong inside a step; `run_demo` names the step it happened in (`DemoStepFailed`)."""


class DemoStepFailed(SikroError):
    """A step of the demo did not come out as the demo needs (one line, exit code 1)."""

    code = "demo-step-failed"

    def __init__(self, number: int, title: str, why: str):
        self.number, self.title, self.why = number, title, why
        super().__init__(f"demo step {number}/{len(PLAN)} ({title}) failed: {why}")


class Plan:
    """Prints the plan and each step as it starts; a step that fails raises `DemoStepFailed`."""

    def __init__(self, progress):
        self.progress = progress
        self.current = PLAN[0][0]
        self.number = {key: i for i, (key, _title) in enumerate(PLAN, start=1)}
        progress("The plan:")
        for key, title in PLAN:
            progress(f"  {self.number[key]}. {title}")

    def start(self, key: str) -> None:
        self.current = key
        self.progress(f"[{self.number[key]}/{len(PLAN)}] {dict(PLAN)[key]}")

    def fail(self, why: str) -> DemoStepFailed:
        return DemoStepFailed(self.number[self.current], dict(PLAN)[self.current], why)


# --------------------------------------------------------------------------- the result


@dataclass
class DemoResult:
    workspace: Workspace
    workbook: Path
    report: registry.ImportReport | None
    already_built: bool = False
    now: dt.datetime | None = None
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    permit_pdf: Path | None = None
    checks: dict[str, dict] = field(default_factory=dict)  # "replaced" / "revoked" -> number, pdf, verdict
    users: list[DemoUser] = field(default_factory=list)  # the staff console's accounts, one per role

    def summary_lines(self) -> list[str]:
        root = self.workspace.root
        lines = [f"Demo workspace: {root}" + ("  (already built; nothing was changed)" if self.already_built else "")]
        if self.counts:
            lines.append("This month: " + ", ".join(f"{v} {k}" for k, v in self.counts.items()))
        for code, kinds in self.by_type.items():
            lines.append(f"  {code}: " + "; ".join(
                f"{kind} " + ", ".join(f"{n} {status}" for status, n in statuses.items())
                for kind, statuses in kinds.items()))
        lines.append("Where to look:")
        for label, path in self.files.items():
            lines.append(f"  {label:<22} {path}")
        lines.append("Try:")
        if self.permit_pdf:
            lines.append(f"  sikro verify {self.permit_pdf} --workspace {root}")
        for what, check in self.checks.items():
            if check.get("pdf"):
                lines.append(f"  sikro verify {check['pdf']} --workspace {root}   ({what}: {check.get('verdict')})")
        lines.append(f"  sikro serve --workspace {root}          (the verification page)")
        as_of = f' --as-of "{self.now:%Y-%m-%d %H:%M}"' if self.now else ""
        lines.append(f"  sikro status{as_of} --workspace {root}")
        lines.append(f"  sikro status --overdue{as_of} --workspace {root}")
        lines.append("  sikro sop show")
        lines += self.console_lines()
        return lines

    def console_lines(self) -> list[str]:
        """How to open the staff console, and the demo's accounts (one-time passwords printed once)."""
        root = self.workspace.root
        lines = ["The staff console (office network):", f"  sikro console --workspace {root}   "
                 "then open http://127.0.0.1:8080 and sign in as:"]
        for user in self.users:
            password = user.password or "(made before: sikro users passwd NAME --generate)"
            lines.append(f"  {user.username:<14} {user.display_name:<44} {password}")
        if any(u.password for u in self.users):
            lines.append("  (one-time passwords, shown only now: each is changed at its first sign-in)")
        return lines


# --------------------------------------------------------------------------- the month's plan


@dataclass
class Planned:
    """One thing that happens in the demo month: a step done, or the applicant completing the file."""

    at: dt.datetime
    app_id: int
    step: int | None  # None: the applicant hands in what was missing
    decision: str | None = None
    reason: str | None = None
    returning: bool = False


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


def _decision_of(app: Application) -> tuple[str, str]:
    decision = "reject" if app.decision == "Ditolak" else "approve"
    return decision, app.rejection_reason or "Tidak memenuhi persyaratan teknis"


def plan_month(ws: Workspace, apps: list[Application]) -> tuple[list[Planned], dt.datetime]:
    sop, wt, rng = sop_for(ws), WorkingTime.from_profile(ws.profile), random.Random(SEED)
    events: list[Planned] = []
    complete = [a for a in apps if registry.is_complete(a, ws)]
    starts = {a.id: _arrival(wt, a.application_date, i) for i, a in enumerate(apps)}
    # A slow technical team: an early application finishes late, and the latest one is late "now".
    slow_ids = {complete[len(complete) // 3].id, max(complete, key=lambda a: starts[a.id]).id} if complete else set()
    returned = [a for a in apps if not registry.is_complete(a, ws)]
    for app in apps:
        decision, reason = _decision_of(app)
        if app in returned:
            walk = _returned_then_completed(sop, wt, rng, app.id, starts[app.id], app is returned[0], decision, reason)
        else:
            walk = _walk(sop, wt, rng, app.id, starts[app.id], _path_steps(sop, decision),
                         app.id in slow_ids, decision, reason)
        events += walk
    now = wt.add(max(starts.values()), NOW_AFTER_LAST_START)
    return sorted((e for e in events if e.at <= now), key=lambda e: (e.at, e.app_id)), now


def plan_later(ws: Workspace, apps: list[Application], day: dt.date, now: dt.datetime) -> list[Planned]:
    """The later applications, handed in on `day`, each through the SOP."""
    sop, wt, rng = sop_for(ws), WorkingTime.from_profile(ws.profile), random.Random(SEED + 1)
    events: list[Planned] = []
    for index, app in enumerate(apps):
        decision, reason = _decision_of(app)
        events += _walk(sop, wt, rng, app.id, _arrival(wt, day, index), _path_steps(sop, decision), False,
                        decision, reason)
    return [e for e in events if e.at <= now]


# --------------------------------------------------------------------------- per application kind


def effect_of(app: Application) -> str:
    return permit_types.common().kind(app.application_kind or "baru").effect


def permit_kind(sop: Sop) -> str:
    """The document kind the SOP numbers at the end of the approval path (the permit)."""
    return [s.numbers for s in sop.path("approve") if s.numbers][-1]


def final_kind(ws: Workspace, sop: Sop, app: Application) -> str:
    """What this application ends with: the permit, or what its kind's effect gives instead."""
    return FINAL_DOCUMENT_BY_EFFECT.get(effect_of(app), permit_kind(sop))


def _kinds_for(ws: Workspace, sop: Sop, app: Application, step, returning: bool) -> list[tuple[str, bool]]:
    """(kind, draft) of the documents `step` makes for `app`: the SOP's, its permit replaced by
    what the application's kind ends with."""
    permit, final = permit_kind(sop), final_kind(ws, sop, app)
    return [(final if kind == permit else kind, draft) for kind, draft in documents_plan(step, returning)]


# --------------------------------------------------------------------------- running it


def _complete_checklist(ws: Workspace, app_id: int, at: dt.datetime) -> None:
    """The applicant brings what was missing; the clerk ticks it off."""
    with db.session(ws, write=True) as session:
        app = session.get(Application, app_id)
        missing = registry.missing_items(app, ws)
        if not missing:
            return
        items = registry.permit_type_of(app, ws).checklist_fields
        app.checklist = {**app.checklist, **{item.name: True for item in items}}
        session.add(Event(application_id=app_id, actor=ACTOR, action="checklist.completed",
                          details={"completed": missing, "at": at.isoformat()}))


def _recommendation_number(ws: Workspace, app_id: int, at: dt.datetime) -> str | None:
    """The technical team's recommendation letter the permit cites (invented when the workbook has none)."""
    with db.session(ws) as session:
        app = session.get(Application, app_id)
        return None if app.recommendation_number else f"440/{300 + app_id:04d}/DINKES/{at:%m}/{at.year}"


def _applications(ws: Workspace, ids) -> dict[int, Application]:
    with db.session(ws) as session:
        apps = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(set(ids))))}
        session.expunge_all()
        return apps


def _documents_of_day(ws: Workspace, sop: Sop, day_events: list[Planned]) -> dict[str, set]:
    """Make the day's documents, grouped per kind across applications (DOCX now, PDF at the end)."""
    from .batch import generate_documents

    apps = _applications(ws, [e.app_id for e in day_events])
    groups: dict[tuple[int, int, str, bool], list[Planned]] = defaultdict(list)
    for event in day_events:
        if event.step is None:
            continue
        plan = _kinds_for(ws, sop, apps[event.app_id], sop.step(event.step), event.returning)
        for order, (kind, draft) in enumerate(plan):
            groups[(event.step, order, kind, draft)].append(event)
    made: dict[str, set] = defaultdict(set)
    for (_step, _order, kind, draft), events in sorted(groups.items()):
        facts = {e.app_id: document_facts(ws, kind, e.app_id, e.at, e.reason or _revocation_reason(apps[e.app_id]))
                 for e in events}
        with clock.frozen(events[0].at):  # what issuing records (a DIGANTI, a DICABUT) happens that day
            report = generate_documents(ws, kind, [e.app_id for e in events], pdf=False, draft=draft,
                                        on=events[0].at.date(), facts=facts, actor=ACTOR)
        failed = [d for d in report.documents if d.status == "failed"]
        if failed:
            raise DemoProblem(f"{kind} for {failed[0].application} failed: {failed[0].message}")
        if not draft:
            made[kind] |= {e.app_id for e in events}
    return made


def _revocation_reason(app: Application) -> str | None:
    return app.rejection_reason if effect_of(app) == "revoke" else None


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


def run_month(ws: Workspace, events: list[Planned], progress,
              arrivals: Callable[[dt.date], list[Planned]] = lambda day: []) -> dict[str, set]:
    """The month, day by day; `arrivals(day)` may bring more events (from that day on) before a day starts."""
    sop = sop_for(ws)
    made: dict[str, set] = defaultdict(set)
    by_day: dict[dt.date, list[Planned]] = defaultdict(list)
    for event in events:
        by_day[event.at.date()].append(event)
    done: set[dt.date] = set()
    while pending := sorted(set(by_day) - done):
        day = pending[0]
        for event in arrivals(day):
            by_day[event.at.date()].append(event)
        day = min(set(by_day) - done)
        done.add(day)
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
    # Documents were made for the whole day already; a delivery is recorded here, of the
    # document this application ends with (a permit, or an SK Pencabutan).
    by = STAFF.get(step.role, ACTOR)
    record_step(ws, event.app_id, event.step, by=by, at=event.at, decision=event.decision, reason=event.reason,
                recommendation=_recommendation_number(ws, event.app_id, event.at) if step.decision else None)
    if step.dispatch:
        _deliver(ws, sop, event, step.dispatch, by)


def _deliver(ws: Workspace, sop: Sop, event: Planned, kind: str, by: str) -> None:
    with db.session(ws, write=True) as session:
        app = session.get(Application, event.app_id)
        if kind == permit_kind(sop):
            kind = final_kind(ws, sop, app)
        document = numbering.find_issued(session, app.id, kind)
        if document is None or not document.number:
            raise DemoProblem(f"{app.registration_number} has no numbered {kind} to deliver")
        numbering.record_dispatch(session, ws, document.number, to=app.name, received_by=app.name,
                                  at=event.at, actor=by)


def convert_all(ws: Workspace, made: dict[str, set], progress) -> None:
    """One converter pool per kind: PDF/A of every document made, filed into the archive."""
    from .batch import generate_documents

    for kind, ids in made.items():
        final = numbering.document_kind(kind).final  # permits and rejections are signed
        report = generate_documents(ws, kind, sorted(ids), pdf=True, sign=final, actor=ACTOR)
        failed = [d for d in report.documents if d.status == "failed"]
        if failed:
            raise DemoProblem(f"PDF of {kind} for {failed[0].application} failed: {failed[0].message}")
        progress(f"  {kind}: {len(ids)} PDF")


# --------------------------------------------------------------------------- the later applications


@dataclass(frozen=True)
class LaterApplication:
    """A later application of this month: its kind, and the permit it is about."""

    kind: str  # application kind code
    document_id: int
    reason: str | None = None
    new_place: bool = False


def issued_permits(ws: Workspace, sop: Sop, before: dt.date | None = None) -> dict[str, list]:
    """Permits issued (before `before`) per permit type, oldest first: (document, application)."""
    from .numbering import Document

    with db.session(ws) as session:
        query = (select(Document, Application).join(Application, Document.application_id == Application.id)
                 .where(Document.kind == permit_kind(sop), Document.status == "issued")
                 .order_by(Document.date, Document.id))
        out: dict[str, list] = defaultdict(list)
        for document, app in session.execute(query):
            if before is None or document.date < before:
                out[app.permit_type].append((document, app))
        session.expunge_all()
        return out


def later_applications(ws: Workspace, permits: dict[str, list], types: list[str]) -> list[LaterApplication]:
    """A renewal of the first permit of each type; the default type's next ones changed and revoked."""
    default = permit_types.default(ws).code
    later = [LaterApplication("perpanjangan", permits[code][0][0].id) for code in types if permits.get(code)]
    mine = permits.get(default, [])
    if len(mine) > 1:
        later.append(LaterApplication("perubahan", mine[1][0].id, new_place=True))
    if len(mine) > 2:
        later.append(LaterApplication("pencabutan", mine[2][0].id, reason=REVOCATION_REASON))
    return later


def _row_of(ws: Workspace, app: Application) -> dict:
    """The application's values by field name, as its row said (holder, the type's facts, checklist Y)."""
    ptype = registry.permit_type_of(app, ws)
    row = {name: getattr(app, column) for name, column in registry.FIELD_COLUMNS.items() if name != "berkas"}
    row.update(registry.field_values(app, ptype))
    for fld in ptype.fields:
        if fld.kind == permit_types.model.PERMIT_TYPE:
            row[fld.name] = ptype.short_name
        elif fld.kind == permit_types.model.DATE_OR_LIFETIME and fld.required and row.get(fld.name) is None:
            row[fld.name] = "Seumur Hidup"  # stored as null
    return row


def write_later_workbook(ws: Workspace, dest: Path, later: list[LaterApplication], day: dt.date) -> Path:
    """The later applications as a clerk types them: one row each, naming the earlier permit."""
    from .numbering import Document

    rows, types = [], {}
    with db.session(ws) as session:
        for index, item in enumerate(later):
            document = session.get(Document, item.document_id)
            app = session.get(Application, document.application_id)
            ptype = registry.permit_type_of(app, ws)
            types[ptype.code] = ptype
            base = {**_row_of(ws, app), "tanggal_permohonan": day}
            spec = (app.name.split(",")[0], app.sex, app.birth_place, app.birth_date.isoformat(), app.nik[:6],
                    "Sidikalang")
            person = samples.Person.of(spec)
            rows.append(samples.later_row(
                ptype, base, samples.Later(item.kind, document.number, document.date, item.reason, item.new_place),
                samples.hints_for(ptype), random.Random(SEED + index), index, person))
    return samples.write_records(dest, samples.mixed_fields(list(types.values())), rows,
                                 "DAFTAR PERMOHONAN PERPANJANGAN, PERUBAHAN DAN PENCABUTAN IZIN")


# --------------------------------------------------------------------------- checks at the end


def _pdf_of(ws: Workspace, document) -> Path | None:
    for name in document.files or []:
        pdf = (ws.root / name).with_suffix(".pdf")
        if pdf.is_file():
            return pdf
    return None


def check_kinds(ws: Workspace, plan: Plan | None) -> dict[str, dict]:
    """Verify the permits this month's later applications replaced and revoked (the effects of
    sikro_docs/application_kinds.py made them DIGANTI and DICABUT when the successor was issued)."""
    from .cli.verify import headline
    from .numbering import Document
    from .verification import verify_uid

    wanted = {"replace": "replaced", "revoke": "revoked"}
    checks: dict[str, dict] = {}
    with db.session(ws) as session:
        later = session.scalars(select(Application).where(Application.previous_number.is_not(None))
                                .order_by(Application.id)).all()
        for app in later:
            label = wanted.get(effect_of(app))
            if label is None or label in checks or app.status != "issued":
                continue
            previous = session.scalar(select(Document).where(Document.number == app.previous_number,
                                                             Document.kind == permit_kind(sop_for(ws))))
            if previous is None:
                continue  # a permit from before the toolkit: nothing here to verify
            verdict = verify_uid(ws, previous.uid, session=session)
            pdf = _pdf_of(ws, previous)
            checks[label] = {"number": previous.number, "status": verdict.status, "verdict": headline(verdict),
                             "pdf": str(pdf) if pdf else None, "by": app.registration_number,
                             "successor": _final_number(session, ws, app)}
    missing = [label for label in wanted.values() if label not in checks]
    if missing:
        raise DemoProblem(f"no {' and no '.join(missing)} permit of this month to verify")
    if plan is not None:
        for label, check in checks.items():
            plan.progress(f"  {check['number']} ({label} by {check['by']}): {check['verdict']}")
    return checks


def _final_number(session, ws: Workspace, app: Application) -> str | None:
    """The number of what the application ended with: the new permit, or the SK Pencabutan."""
    document = numbering.find_issued(session, app.id, final_kind(ws, sop_for(ws), app))
    return document.number if document is not None else None


# --------------------------------------------------------------------------- outputs


def write_outputs(ws: Workspace, now: dt.datetime) -> dict[str, Path]:
    from .books import export_book
    from .workflow.diagram import write_diagram
    from .workflow.sla import write_sla_report

    folder = ws.root / "demo-hasil"
    files = {"registers": folder / "buku"}
    books = ["registrasi", "surat-keluar", "izin", "ekspedisi"]
    books += sorted({t.register for t in permit_types.catalogue(ws).types.values()} - set(books))
    with db.session(ws) as session:
        for book in books:
            export_book(session, ws, book, folder / "buku" / f"{book}.xlsx")
    files["SLA report"] = write_sla_report(ws, folder / "laporan-sla.xlsx")["path"]
    files["SOP diagram"] = write_diagram(sop_for(ws), folder / "sop-diagram.svg")
    files["documents (PDF)"] = ws.out_dir
    files["archive"] = ws.archive_dir
    return files


def _first_permit_pdf(ws: Workspace) -> Path | None:
    """A permit that still verifies as valid: not replaced, not revoked."""
    from .numbering import Document

    sop = sop_for(ws)
    with db.session(ws) as session:
        named = set(session.scalars(select(Application.previous_number).where(Application.previous_number.is_not(None))))
        for document in session.scalars(select(Document).where(Document.kind == permit_kind(sop),
                                                               Document.status == "issued").order_by(Document.id)):
            pdf = _pdf_of(ws, document)
            if document.number not in named and pdf is not None:
                return pdf
    pdfs = sorted((ws.out_dir / permit_kind(sop)).glob("*.pdf"))
    return pdfs[0] if pdfs else None


def _counts(ws: Workspace) -> dict[str, int]:
    with db.session(ws) as session:
        statuses = [a.status for a in registry.list_applications(session)]
    return {word: statuses.count(status) for word, status in
            (("permits issued", "issued"), ("rejected", "rejected"), ("in progress", "open"),
             ("approved, not yet issued", "approved"), ("with the applicant", "returned")) if statuses.count(status)}


def counts_by_type(ws: Workspace) -> dict[str, dict[str, dict[str, int]]]:
    """permit type -> application kind -> status -> how many."""
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    with db.session(ws) as session:
        for app in registry.list_applications(session):
            out[app.permit_type][app.application_kind or "baru"][app.status] += 1
    return json.loads(json.dumps(out))


# --------------------------------------------------------------------------- the whole demo


class LaterArrivals:
    """Brings the later applications on the first day enough permits are out (see LATER_NEEDS_PERMITS)."""

    def __init__(self, ws: Workspace, plan: Plan, types: list[str], latest: dt.date, now: dt.datetime):
        self.ws, self.plan, self.types, self.latest, self.now = ws, plan, types, latest, now
        self.done = False

    def __call__(self, day: dt.date) -> list[Planned]:
        if self.done:
            return []
        sop = sop_for(self.ws)
        permits = issued_permits(self.ws, sop, before=day)
        enough = len(permits.get(permit_types.default(self.ws).code, [])) >= LATER_NEEDS_PERMITS
        if not enough and day < self.latest:
            return []
        self.done = True
        self.plan.start("later")
        later = later_applications(self.ws, permits, self.types)
        kinds = {item.kind for item in later}
        if not {"perpanjangan", "perubahan", "pencabutan"} <= kinds:
            raise DemoProblem(f"by {day:%d-%m-%Y} too few permits were issued to be renewed, changed and "
                              f"revoked ({len(permits.get(permit_types.default(self.ws).code, []))} of the "
                              f"default type, {LATER_NEEDS_PERMITS} needed)")
        _pdf_before_replaced(self.ws, later, self.plan.progress)
        apps = self._import(later, day)
        self.plan.start("revocation")
        return _skip_recorded(plan_later(self.ws, apps, day, self.now), _already_done(self.ws))

    def _import(self, later: list[LaterApplication], day: dt.date) -> list[Application]:
        path = self.ws.root / LATER_NAME
        if not path.exists():
            write_later_workbook(self.ws, path, later, day)
        report = registry.import_file(self.ws, path, actor=ACTOR)
        if report.invalid:
            raise DemoProblem(f"{path.name}: {report.invalid[0]}")
        ids = [app_id for _row, app_id in report.applications]
        apps = list(_applications(self.ws, ids).values())
        kinds = defaultdict(int)
        for app in apps:
            kinds[app.application_kind] += 1
        self.plan.progress(f"  {len(apps)} later applications from {path.name}: "
                           + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
        unlinked = [a.registration_number for a in apps if a.previous_document_id is None]
        if unlinked:
            raise DemoProblem("the registry did not link the earlier permit of " + ", ".join(unlinked))
        return apps


def _pdf_before_replaced(ws: Workspace, later: list[LaterApplication], progress) -> None:
    """The permits the later applications name get their PDF now, as their holders have it: once
    DIGANTI or DICABUT the batch makes no PDF of them, and the end of the demo verifies those PDFs."""
    from .numbering import Document

    with db.session(ws) as session:
        ids = {session.get(Document, item.document_id).application_id for item in later}
    convert_all(ws, {permit_kind(sop_for(ws)): ids}, progress)


def _import_new(ws: Workspace, plan: Plan) -> tuple[registry.ImportReport, list[str]]:
    """The default type's sample, and the other types' (a workbook with a Jenis Izin column)."""
    default = permit_types.default(ws)
    workbook = ws.root / SAMPLE_NAME
    plan.start("samples")
    if not workbook.exists():
        samples.write_sample_workbook(workbook, default, ws)
    others = [code for code in permit_types.catalogue(ws).codes() if code != default.code]
    report = registry.import_file(ws, workbook, actor=ACTOR)
    plan.start("import")
    plan.progress(f"  imported {report.imported} applications from {workbook.name} "
                  f"({len({p.row for p in report.invalid})} rows with mistakes, on purpose)")
    plan.start("others")
    mixed = ws.root / MIXED_NAME
    if not mixed.exists():
        samples.write_mixed_workbook(mixed, ws, others, seed=SEED)
    extra = registry.import_file(ws, mixed, actor=ACTOR)
    if extra.invalid:
        raise DemoProblem(f"{mixed.name}: {extra.invalid[0]}")
    plan.progress(f"  imported {extra.imported} applications from {mixed.name} ({', '.join(others)})")
    return report, [default.code, *others]


def run_demo(root: Path, progress=lambda line: None) -> DemoResult:
    """Build (or resume, or just describe) the demo workspace at `root`."""
    ws, _created = init_workspace(root)
    ws, _p12, _added = enable_demo_signing(ws)  # the demo's permits carry a (test) e-signature
    workbook = ws.root / SAMPLE_NAME
    marker = ws.root / DONE_MARKER
    if marker.is_file():
        return _described(ws, workbook, json.loads(marker.read_text("utf-8")))
    plan = Plan(progress)
    try:
        return _build(ws, workbook, marker, plan)
    except DemoProblem as err:
        raise plan.fail(str(err)) from None


def _build(ws: Workspace, workbook: Path, marker: Path, plan: Plan) -> DemoResult:
    progress = plan.progress
    report, types = _import_new(ws, plan)
    later_ids = _later_ids(ws)
    with db.session(ws) as session:
        apps = [a for a in registry.list_applications(session) if a.id not in later_ids]
    events, now = plan_month(ws, apps)
    plan.start("month")
    latest = max(a.application_date for a in apps) - LATER_AT_LATEST
    arrivals = LaterArrivals(ws, plan, types, latest, now)
    made = run_month(ws, _skip_recorded(events, _already_done(ws)), progress, arrivals)
    if not arrivals.done:
        arrivals(now.date() + dt.timedelta(days=1))
    plan.start("pdf")
    for kind, ids in _issued_kinds(ws).items():
        made[kind] |= ids
    convert_all(ws, made, progress)
    plan.start("verify")
    checks = check_kinds(ws, plan)
    plan.start("outputs")
    files = write_outputs(ws, now)
    result = DemoResult(ws, workbook, report, now=now, files=files, counts=_counts(ws), by_type=counts_by_type(ws),
                        permit_pdf=_first_permit_pdf(ws), checks=checks, users=create_demo_users(ws))
    marker.write_text(json.dumps({"now": now.isoformat(), "files": {k: str(v) for k, v in files.items()},
                                  "checks": checks}, ensure_ascii=False, indent=2), "utf-8")
    return result


def _later_ids(ws: Workspace) -> set[int]:
    """The applications an earlier, interrupted run imported from the later workbook."""
    with db.session(ws) as session:
        return set(session.scalars(select(Event.application_id).where(
            Event.action == "registered", Event.source_file.like(f"%{LATER_NAME}"))))


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
                      by_type=counts_by_type(ws), permit_pdf=_first_permit_pdf(ws), checks=saved.get("checks", {}),
                      users=create_demo_users(ws))
