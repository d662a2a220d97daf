"""Performing a step of the SOP: the one orchestration above `workflow` and `batch`.

The CLI (`sikro sop record`), the staff console and its JSON API all perform a step
through `perform_step`, so the three cannot differ. Performing step N for an application is:

1. plan   — workflow.plan_step checks the step may be done now (StepError, nothing written);
2. make   — the documents the SOP data says the step makes, drafts or numbers, through the
            batch machinery (numbered from the registers, converted by LibreOffice), outside
            any write transaction: a conversion takes seconds and must not hold the registry;
3. record — workflow.record_step checks again in its write transaction (another desk may have
            moved the file meanwhile), writes the record, the event and, for a step that
            delivers, the Buku Ekspedisi line.

A crash between 2 and 3 leaves issued documents and an unrecorded step: performing the step
again finds the documents issued (the registers issue nothing twice) and records it.

`workflow` never imports `batch`; `batch` records the steps of the documents it makes itself,
many applications in one transaction (batch._record_steps).
"""

from __future__ import annotations

import datetime as dt

from . import db, numbering
from .workflow.errors import DocumentFailed
from .workflow.steps import DocumentMade, PlannedStep, StepResult, documents_plan, plan_step, record_step

# A document that cites another made before it: kind -> (cited kind, fact of its number, fact of its date).
CITES = {"inspection-report": ("task-order", "task_order_number", "task_order_date")}


def perform_step(ws, application_id_or_ref, step: int, *, by: str, at=None, decision: str | None = None,
                 reason: str | None = None, note: str | None = None, make_documents: bool = True,
                 recommendation: str | None = None, recommendation_date: dt.date | None = None,
                 source_file: str | None = None, source_row: int | None = None) -> StepResult:
    """Do SOP step `step` for an application: its documents, then its record (see the module).

    make_documents=False records the step alone, as an office does for a step whose papers were
    made outside the toolkit (`sikro sop record --no-documents`); nothing is delivered then.
    """
    planned = plan_step(ws, application_id_or_ref, step, at=at, decision=decision, reason=reason)
    made = make_step_documents(ws, planned, by=by) if make_documents else []
    return record_step(ws, planned.app_id, step, by=by, at=planned.moment, decision=decision, reason=reason,
                       note=note, deliver=make_documents, documents=made, recommendation=recommendation,
                       recommendation_date=recommendation_date, source_file=source_file, source_row=source_row)


def document_facts(ws, kind: str, app_id: int, at: dt.datetime, reason: str | None) -> dict:
    """The facts a step knows for its documents: when, why, and what they cite."""
    facts = {"time": at, "inspection_date": at.date()}
    if reason:
        facts["reason"] = reason
    if kind in CITES:
        cited, number_key, date_key = CITES[kind]
        with db.session(ws) as session:
            document = numbering.find_issued(session, app_id, cited)
            if document is not None:
                facts[number_key], facts[date_key] = document.number, document.date
    return facts


def make_step_documents(ws, planned: PlannedStep, *, by: str = "sikro step") -> list[DocumentMade]:
    """The documents `planned` makes (DocumentFailed when one cannot be made: the step is then not
    recorded, and the documents made before it stay issued for the next attempt)."""
    from .batch import generate_documents  # late: the documents machinery is heavy to import

    made = []
    for kind, draft in documents_plan(planned.step, planned.returning, planned.application_kind):
        facts = {planned.app_id: document_facts(ws, kind, planned.app_id, planned.moment, planned.reason)}
        report = generate_documents(ws, kind, [planned.app_id], draft=draft, on=planned.moment.date(),
                                    facts=facts, actor=by)
        for doc in report.documents:
            if doc.status == "failed":
                raise DocumentFailed(step=planned.step.number, kind=kind, detail=doc.message)
            made.append(DocumentMade(kind, doc.status, doc.number, str(doc.pdf) if doc.pdf else None, doc.message))
    return made
