"""Recording that a step of the SOP was done: checked against the SOP's order, then kept.

`record_step` refuses (a StepError with its code, nothing recorded) a step out
of order, a step of the other path, a decision step without a decision, a
rejection without a reason, and a time earlier than the previous step. When
it accepts, it appends a `StepRecord`, moves the application (`current_step`,
`status`), stores what it waits on next and writes an `Event`, in one
transaction. It makes no documents: performing a step — its documents, then
its record — is sikro_docs/procedure.py, above both this and the batch.

Where an application stands is (current_step, status): the step last done
and its outcome. What may follow comes from the SOP data only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from .. import clock, db, numbering, registry
from ..models import Application, Event, utcnow
from . import errors
from .errors import StepError
from .records import StepRecord, history
from .sop import DECISION_OUTCOME, DECISIONS, Sop, Step, sop_for
from .worktime import WorkingTime

# The intake vocabulary of Application.decision (the workbook's "Keputusan" column).
DECISION_WORDS = {"approve": "Disetujui", "reject": "Ditolak"}
RETURNED = "returned"
OPEN = "open"


@dataclass
class DocumentMade:
    kind: str
    status: str
    number: str | None = None
    pdf: str | None = None
    message: str = ""


@dataclass
class StepResult:
    registration_number: str
    step: int
    activity: str
    done_at: dt.datetime
    outcome: str
    next_step: int | None
    documents: list[DocumentMade] = field(default_factory=list)
    dispatch: str | None = None

    def as_json(self) -> dict:
        return {
            "registration_number": self.registration_number, "step": self.step,
            "activity": self.activity, "done_at": self.done_at.isoformat(), "outcome": self.outcome,
            "next_step": self.next_step, "dispatch": self.dispatch,
            "documents": [d.__dict__ for d in self.documents],
        }


# --------------------------------------------------------------------------- where an application stands


def following_step(sop: Sop, step_number: int, outcome: str) -> int | None:
    """The step that follows `step_number` done with `outcome` (None: the application is finished)."""
    step = sop.step(step_number)
    if outcome == RETURNED and step.returns_to is not None:
        return step.returns_to
    if step.decision:
        return {"approved": step.on_approve, "rejected": step.on_reject}.get(outcome)
    return step.next


def next_step_of(sop: Sop, app: Application) -> int | None:
    """The step an application waits on (None: finished); not yet at any step: the SOP's first."""
    return following_step(sop, app.current_step, app.status) if app.current_step else sop.start.number


def waiting_position(sop: Sop, wt: WorkingTime, app: Application,
                     waited_since: dt.datetime) -> tuple[int | None, dt.datetime | None]:
    """(next step, when it is due): due its standard working time after `waited_since` (the last
    step done, else the registration); nothing is due for a finished or a returned file (the SOP's
    clock starts again when the applicant hands it in)."""
    number = next_step_of(sop, app)
    if number is None or app.status == RETURNED:
        return number, None
    return number, wt.add(waited_since, sop.step(number).time.working(wt.day_length))


def store_waiting(sop: Sop, wt: WorkingTime, app: Application, waited_since: dt.datetime) -> None:
    """Keep where the application now waits on it (next_step, due_at in UTC) for the inbox."""
    number, due = waiting_position(sop, wt, app, waited_since)
    app.next_step, app.due_at = number, due


def allowed_steps(sop: Sop, app: Application, records: list[StepRecord]) -> list[int]:
    """The steps that may be recorded next.

    An imported application stands where the importer put it (received and
    checked) without records: its intake steps may still be recorded with
    their real times, starting again from the SOP's first step.
    """
    following = next_step_of(sop, app)
    allowed = [following] if following is not None else []
    if not records and sop.start.number not in allowed:
        allowed.append(sop.start.number)
    return allowed


def _branch_of(sop: Sop, number: int) -> str | None:
    """"approve" or "reject" when only one decision's path passes `number`."""
    on = {d for d in DECISIONS if any(s.number == number for s in sop.path(d))}
    return on.pop() if len(on) == 1 else None


# --------------------------------------------------------------------------- checks


def _expected(sop: Sop, allowed: list[int]) -> str:
    return " / ".join(f"{n} ({sop.step(n).activity})" for n in allowed)


def _refusal(sop: Sop, app: Application, records: list[StepRecord], number: int) -> StepError | None:
    """Why `number` cannot come next for `app` (None when it can)."""
    allowed = allowed_steps(sop, app, records)
    if number in allowed:
        return None
    ref = app.registration_number
    if not allowed:
        return errors.ApplicationFinished(ref=ref, status=app.status, current=app.current_step)
    expected = _expected(sop, allowed)
    if app.status == RETURNED:
        missing = ", ".join(registry.missing_items(app)) or "-"
        return errors.ApplicationReturned(ref=ref, missing=missing, expected=expected, step=number)
    branch, taken = _branch_of(sop, number), _decision_taken(app)
    if branch and taken and branch != taken:
        return errors.OtherPath(step=number, path=DECISION_OUTCOME[branch], ref=ref, status=app.status,
                                expected=expected)
    return errors.OutOfOrder(step=number, ref=ref, current=app.current_step, expected=expected)


def _decision_taken(app: Application) -> str | None:
    return {outcome: d for d, outcome in DECISION_OUTCOME.items()}.get(app.status)


def _decision_problem(step: Step, decision: str | None, reason: str | None) -> StepError | None:
    if step.decision and decision is None:
        return errors.DecisionNeeded(step=step.number, activity=step.activity)
    if not step.decision and decision is not None:
        return errors.NoDecisionTaken(step=step.number, activity=step.activity)
    if decision is not None and decision not in DECISIONS:
        return errors.UnknownDecision(decision=decision)
    if decision == "reject" and not (reason or "").strip():
        return errors.ReasonNeeded(step=step.number)
    return None


def _time_problem(sop: Sop, records: list[StepRecord], number: int, at: dt.datetime) -> StepError | None:
    if not records or at >= records[-1].done_at:
        return None
    last = records[-1]
    return errors.EarlierThanLast(step=number, at=at.isoformat(), last=last.step,
                                  last_at=last.done_at.astimezone(at.tzinfo).isoformat())


def check_step(sop: Sop, app: Application, records: list[StepRecord], number: int,
               at: dt.datetime, decision: str | None, reason: str | None) -> None:
    """Raise a StepError (workflow/errors.py) when `number` may not be recorded now."""
    step = sop.step(number)
    problem = (_refusal(sop, app, records, number) or _decision_problem(step, decision, reason)
               or _time_problem(sop, records, number, at))
    if problem:
        raise problem


def outcome_of(step: Step, app: Application, decision: str | None) -> str:
    """The application's status once `step` is done."""
    if step.ends:
        return step.ends
    if step.decision:
        return DECISION_OUTCOME[decision]
    if step.check == "complete":
        return OPEN if registry.is_complete(app) else RETURNED
    if step.start:
        return OPEN  # a returned file handed in again
    return app.status


# --------------------------------------------------------------------------- recording


def _resolve(session: Session, ref) -> Application:
    if isinstance(ref, int):
        app = session.get(Application, ref)
        if app is None:
            raise errors.UnknownApplication(ref=ref)
        return app
    return registry.find_application(session, str(ref))


def _moment(ws, at) -> dt.datetime:
    tz = clock.office_timezone(ws.profile)
    if at is None:
        return clock.now(ws.profile)
    if isinstance(at, str):
        at = clock.parse_time(at, tz)
    return at if at.tzinfo else at.replace(tzinfo=tz)  # a time without a zone is office time (WIB)


@dataclass(frozen=True)
class PlannedStep:
    """A step checked for an application, before anything is made or recorded: what the
    orchestration (sikro_docs/procedure.py) needs to make the step's documents first."""

    app_id: int
    step: Step
    moment: dt.datetime
    returning: bool  # the step returns an incomplete file (its documents are the return letter)
    reason: str | None  # why, for the documents that say why (a rejection letter)
    application_kind: str | None


def plan_step(ws, application_id_or_ref, step: int, *, at=None, decision: str | None = None,
              reason: str | None = None) -> PlannedStep:
    """Check that `step` may be recorded now (StepError when not); nothing is written."""
    sop, moment = sop_for(ws), _moment(ws, at)
    with db.session(ws) as session:
        app = _resolve(session, application_id_or_ref)
        check_step(sop, app, history(session, app.id), step, moment, decision, reason)
        plan = sop.step(step)
        return PlannedStep(app.id, plan, moment, outcome_of(plan, app, decision) == RETURNED,
                           reason or app.rejection_reason, app.application_kind)


def record_step(ws, application_id_or_ref, step: int, *, by: str, at=None, decision: str | None = None,
                reason: str | None = None, note: str | None = None, deliver: bool = False,
                documents: list[DocumentMade] | None = None,
                recommendation: str | None = None, recommendation_date: dt.date | None = None,
                source_file: str | None = None, source_row: int | None = None) -> StepResult:
    """Record that `step` was done for an application; StepError (nothing recorded) when illegal.

    This records only: the step's documents are made by whoever performs the step
    (procedure.perform_step, or a batch for many at once) and passed in `documents` to be
    reported. deliver=True writes the Buku Ekspedisi line of a step that delivers a document,
    in the same transaction (refused when that document has no number yet).

    recommendation: at the decision step, the number of the technical team's
    recommendation letter (the permit cites it), dated `recommendation_date`
    (default: the day of the decision).
    source_file, source_row: where the step's facts were read (a batch's workbook row).
    """
    sop, moment = sop_for(ws), _moment(ws, at)
    by = (by or "").strip() or "sikro"
    with db.session(ws, write=True) as session:
        app = _resolve(session, application_id_or_ref)
        check_step(sop, app, history(session, app.id), step, moment, decision, reason)
        plan = sop.step(step)
        dispatch = _dispatch(session, ws, plan, app, moment, by) if deliver else None
        outcome = _save(session, plan, app, moment, by, decision, reason, note,
                        {"source_file": source_file, "source_row": source_row})
        store_waiting(sop, WorkingTime.from_profile(ws.profile), app, moment)
        if recommendation and plan.decision:
            app.recommendation_number = recommendation.strip()
            app.recommendation_date = recommendation_date or moment.date()
        return StepResult(app.registration_number, step, plan.activity, moment, outcome,
                          following_step(sop, step, outcome), list(documents or []), dispatch)


def record_step_in(session: Session, ws, sop: Sop, app: Application, records: list[StepRecord], step: int, *,
                   by: str, decision: str | None = None, reason: str | None = None, note: str | None = None,
                   recommendation: str | None = None, recommendation_date: dt.date | None = None,
                   source_file: str | None = None, source_row: int | None = None) -> str:
    """`record_step` inside the caller's write transaction, for an
    application whose `records` the caller read in it: the same checks and rows, no session of its
    own (a batch records a chunk's steps in one transaction). Appends the new record to `records`;
    returns the outcome. StepError (nothing recorded) when the step may not be recorded now."""
    moment, by = _moment(ws, None), (by or "").strip() or "sikro"
    check_step(sop, app, records, step, moment, decision, reason)
    plan = sop.step(step)
    outcome = _save(session, plan, app, moment, by, decision, reason, note,
                    {"source_file": source_file, "source_row": source_row}, records)
    store_waiting(sop, WorkingTime.from_profile(ws.profile), app, moment)
    if recommendation and plan.decision:
        app.recommendation_number = recommendation.strip()
        app.recommendation_date = recommendation_date or moment.date()
    return outcome


def _save(session: Session, step: Step, app: Application, at: dt.datetime, by: str,
          decision: str | None, reason: str | None, note: str | None, source: dict | None = None,
          records: list[StepRecord] | None = None) -> str:
    outcome = outcome_of(step, app, decision)
    record = StepRecord(application_id=app.id, step=step.number, done_at=at.astimezone(dt.UTC), by=by,
                        decision=decision, reason=reason, note=note, outcome=outcome, recorded_at=utcnow())
    session.add(record)
    if records is not None:
        records.append(record)
    before = (app.current_step, app.status)
    app.current_step, app.status, app.updated_at = step.number, outcome, utcnow()
    if decision:
        app.decision = DECISION_WORDS[decision]
        app.rejection_reason = reason if decision == "reject" else app.rejection_reason
    details = {"step": step.number, "activity": step.activity, "done_at": at.isoformat(), "by": by,
               "from": list(before), "status": outcome, "decision": decision, "reason": reason, "note": note}
    if outcome == RETURNED:
        details["missing"] = registry.missing_items(app)
    session.add(Event(application_id=app.id, actor=by, action="step.done", details=details, **(source or {})))
    return outcome


# --------------------------------------------------------------------------- documents at a step


def documents_plan(step: Step, returning: bool, application_kind: str | None = None) -> list[tuple[str, bool]]:
    """(kind, draft) of the documents the step makes for an application of `application_kind`: a
    kind not made for it gives way to the kind standing in for it (a pencabutan's revocation
    decree for the permit), or to nothing."""
    if returning:
        plan = [(kind, False) for kind in step.returns_with]
    else:
        plan = [(kind, False) for kind in step.makes] + [(kind, True) for kind in step.drafts]
        if step.numbers:
            plan.append((step.numbers, False))
    chosen = [(numbering.kind_for_application(kind, application_kind), draft) for kind, draft in plan]
    return [(kind, draft) for kind, draft in chosen if kind is not None]


def _dispatch(session: Session, ws, step: Step, app: Application, at: dt.datetime, by: str) -> str | None:
    """A line of the Buku Ekspedisi for the document the step delivers."""
    kind = numbering.kind_for_application(step.dispatch, app.application_kind) if step.dispatch else None
    if not kind:
        return None
    document = numbering.find_issued(session, app.id, kind)
    if document is None or not document.number:
        raise errors.NothingToDeliver(step=step.number, ref=app.registration_number,
                                      title=numbering.document_kind(kind).title)
    row = numbering.record_dispatch(session, ws, document.number, to=app.name, received_by=app.name,
                                    at=at, actor=by)
    return f"{row.seq}/{row.year}"


def step_for_kind(kind: str, *, draft: bool = False, ws=None) -> int:
    """The SOP step that makes `kind` (its draft with draft=True; else its final, numbered version)."""
    return sop_for(ws).step_for_kind(kind, draft=draft)
