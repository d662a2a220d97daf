"""Workflow: the SOP's 23 steps as data, recording them, where each application stands, service time.

Public API:
    load_sop(root=None) / sop_for(ws) -> Sop         the SOP data (+ workspace override <ws>/sop.toml)
    WorkingTime.from_profile(profile)                 working-time arithmetic (add, between)
    plan_step(ws, ref, step, at=, decision=, reason=) -> PlannedStep   checks only (StepError when not now)
    record_step(ws, ref, step, by=, at=, decision=, reason=, note=, deliver=False) -> StepResult
                                                      records only; performing a step (its documents,
                                                      then its record) is sikro_docs/procedure.py
    step_for_kind(kind, draft=False) -> int           the step that makes a document kind
    issue_gate(sop, kind) -> Gate | None              where an application must stand before KIND is issued
    ready_to_issue_many(ws, {app_id: facts}, gate, by=)  None, or "menunggu langkah N (...)" per application
                                                      (records a row's decision), in one transaction
    application_status(ws, ref, as_of=None) -> dict   current/next step, role, due, overdue, due_soon
    list_status(ws, overdue_only=False, as_of=None) -> list[dict]
    write_sla_report(ws, output, date_from=None, date_to=None) -> dict
    write_diagram(ws, output) -> Path                 the swim-lane flowchart (.svg or .pdf)
"""

from .gates import Gate, issue_gate, position_allows, ready_to_issue_many, row_facts
from .records import StepRecord, history
from .sop import Sop, Step, load_sop, parse_standard_time, sop_for
from .steps import PlannedStep, StepResult, allowed_steps, following_step, plan_step, record_step, step_for_kind
from .worktime import WorkingTime, format_span

__all__ = [
    "Gate", "issue_gate", "position_allows", "ready_to_issue_many", "row_facts",
    "PlannedStep", "Sop", "Step", "StepRecord", "StepResult", "WorkingTime", "allowed_steps", "following_step",
    "format_span", "history", "load_sop", "parse_standard_time", "plan_step", "record_step", "sop_for", "step_for_kind",
]
