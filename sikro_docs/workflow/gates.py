"""The SOP gates what is issued: a decision's document only once the application stands there.

A workbook may say "Disetujui" for an application the office has only just
received (SOP step 2): its permit must not be issued for that. A kind that is
numbered at a step after a decision (the permit at step 21, the rejection
letter at step 13) is gated: it is issued only when the application's
*recorded* position is on that decision's path, at or past the gate step —
everything the SOP puts between the decision and the document's first
draft (the permit: step 16, the recommendation received; the rejection: the
decision itself). All of it is read from the SOP data.

A batch row that carries the decision's facts (Keputusan; for an approval
the recommendation's number and date, for a rejection its reason) records
the decision step and the steps up to the gate through `record_step_in`, so the
order rules still apply: an application that has not reached the decision
step gets nothing and is told "menunggu langkah N (activity)".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from .. import db
from ..errors import SikroError
from ..models import Application
from .records import histories
from .sop import DECISION_OUTCOME, DECISIONS, Sop, sop_for
from .steps import allowed_steps, record_step_in


@dataclass(frozen=True)
class Gate:
    kind: str
    decision: str  # approve | reject: the path the kind is on
    decision_step: int  # the step that takes the decision (8)
    requires: int  # the application must have reached this step (permit 16, rejection 8)
    path: tuple[int, ...]  # the steps of that path, in order
    statuses: tuple[str, ...]  # the application's status on that path after the decision

    def covered(self) -> tuple[int, ...]:
        """The steps a workbook row's decision facts stand for: the decision up to the gate."""
        return self.path[self.path.index(self.decision_step): self.path.index(self.requires) + 1]


def _about(kind: str, step) -> bool:
    return kind in step.drafts or kind in step.makes or step.numbers == kind


def issue_gate(sop: Sop, kind: str) -> Gate | None:
    """The gate of `kind`, or None when it does not follow a decision (a receipt, a disposition).
    A kind standing in for another (a revocation decree for a permit) has that kind's gate."""
    from ..numbering import document_kind

    stands_for = document_kind(kind).in_place_of
    if stands_for:
        gate = issue_gate(sop, stands_for)
        return None if gate is None else dataclasses.replace(gate, kind=kind)
    for decision in DECISIONS:
        path = sop.path(decision)
        numbered = next((i for i, s in enumerate(path) if s.numbers == kind), None)
        decided = [i for i, s in enumerate(path[:numbered or 0]) if s.decision]
        if numbered is None or not decided:
            continue
        # the gate: the step just before the kind's first draft (or its numbering) after the decision
        first = next(i for i in range(decided[-1] + 1, numbered + 1) if _about(kind, path[i]))
        statuses = (DECISION_OUTCOME[decision],) + ((path[-1].ends,) if path[-1].ends else ())
        return Gate(kind, decision, path[decided[-1]].number, path[first - 1].number,
                    tuple(s.number for s in path), statuses)
    return None


def position_allows(gate: Gate, app: Application) -> bool:
    """True when the application's recorded position is on the gate's path, at or past its gate step."""
    if app.status not in gate.statuses or app.current_step not in gate.path:
        return False
    return gate.path.index(app.current_step) >= gate.path.index(gate.requires)


DECIDED = ("approved", "rejected", "issued")


def waiting_message(sop: Sop, app: Application, records, gate: Gate) -> str:
    """Why the application gets no document of the gate's kind yet ("menunggu langkah N (...)")."""
    if app.status in DECIDED and app.status not in gate.statuses:
        return (f"{app.registration_number} sudah diputuskan lain ({app.status}, langkah {app.current_step}): "
                f"tidak ada {gate.kind}")
    allowed = allowed_steps(sop, app, records)
    if not allowed:
        return f"{app.registration_number} sudah selesai ({app.status})"
    return f"menunggu langkah {allowed[0]} ({sop.step(allowed[0]).activity})"


@dataclass(frozen=True)
class RowFacts:
    """What a workbook row says about the decision, and where it says it."""

    decision: str | None  # approve | reject | None
    recommendation_number: str | None
    recommendation_date: dt.date | None
    reason: str | None
    source_file: str | None
    source_row: int | None

    def supports(self, gate: Gate) -> bool:
        if self.decision != gate.decision:
            return False
        if gate.decision == "approve":
            return bool((self.recommendation_number or "").strip()) and self.recommendation_date is not None
        return bool((self.reason or "").strip())


def row_facts(app: Application, source_file: str | None, source_row: int | None) -> RowFacts:
    decision = {"Disetujui": "approve", "Ditolak": "reject"}.get(app.decision or "")
    return RowFacts(decision, app.recommendation_number, app.recommendation_date, app.rejection_reason,
                    source_file, source_row)


def ready_to_issue_many(ws, facts_by_id: dict[int, RowFacts | None], gate: Gate, *, by: str) -> dict[int, str | None]:
    """None for each application (a batch's chunk, by id) that may get the gate's document now; else
    why not. With a row's facts, first records the steps they stand for (the decision, then up to
    the gate), each through the order rules, in one write transaction for all of them. A crash
    before it commits records none of them: the next run records them again."""
    if not facts_by_id:
        return {}
    sop, ids = sop_for(ws), list(facts_by_id)
    with db.session(ws, write=True) as session:
        apps = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}
        records = histories(session, ids)
        waiting: dict[int, str | None] = {}
        for app_id, facts in facts_by_id.items():
            try:
                waiting[app_id] = _advance(session, ws, sop, apps[app_id], records.setdefault(app_id, []),
                                           gate, facts, by)
            except SikroError as err:
                waiting[app_id] = str(err)
        return waiting


def _advance(session, ws, sop: Sop, app: Application, records: list, gate: Gate, facts: RowFacts | None,
             by: str) -> str | None:
    """One application of `ready_to_issue_many`: each round records one step forward, or returns."""
    for _ in range(len(gate.path) + 1):
        if position_allows(gate, app):
            return None
        allowed = allowed_steps(sop, app, records)
        step = allowed[0] if allowed else None
        if facts is None or step not in gate.covered() or not facts.supports(gate):
            return waiting_message(sop, app, records, gate)
        source = f"{facts.source_file}, baris {facts.source_row}" if facts.source_file else None
        deciding = sop.step(step).decision
        try:
            record_step_in(
                session, ws, sop, app, records, step, by=by, decision=gate.decision if deciding else None,
                reason=facts.reason if gate.decision == "reject" and deciding else None,
                note=f"dicatat dari {source}" if source else None,
                recommendation=facts.recommendation_number if deciding else None,
                recommendation_date=facts.recommendation_date,
                source_file=facts.source_file, source_row=facts.source_row)
        except SikroError as err:
            return f"menunggu langkah {step} ({sop.step(step).activity}): {err}"
    raise SikroError(f"internal: the SOP path of {gate.kind} does not reach step {gate.requires}")
