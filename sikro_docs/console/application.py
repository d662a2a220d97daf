"""An application's page: its data (the NIK masked), checklist, documents, history, and the steps
the signed-in user may record now (only those their roles record, SOP data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from .. import db, holdings, registry
from ..accounts import RoleBook, SignedIn, User
from ..accounts.roles import UPLOAD_APPLICATIONS
from ..archive.berkas import mask_nik
from ..models import Application
from ..numbering import Document, document_kind, document_kinds
from ..timestamps import parse_utc
from ..workflow.records import history
from ..workflow.sop import Step
from ..workflow.status import Clock, describe_status
from ..workflow.steps import allowed_steps, documents_plan

DATE_KINDS = ("date", "date_or_lifetime")


@dataclass(frozen=True)
class StepOffer:
    """A step the user may record now, and what its form asks."""

    step: Step
    documents: tuple[str, ...]  # titles of the documents it makes


@dataclass(frozen=True)
class Waiting:
    step: Step
    role: str  # the role that records it


def _value(fld, raw, fmt) -> str | None:
    value = holdings.from_stored(fld, raw)
    if fld.kind in DATE_KINDS:
        return fmt.lifetime() if value is None and fld.kind == "date_or_lifetime" else fmt.date(value)
    return None if value in (None, "") else str(value)


def applicant_rows(app: Application, ptype, fmt) -> list[tuple[str, str]]:
    """(label, value) of the application's data; the NIK masked (its birth date digits hidden)."""
    t = fmt.t
    kind = holdings.kind_of(app.application_kind)
    rows = [
        (t["field_permit_type"], f"{ptype.title} ({ptype.short_name})"),
        (t["field_application_kind"], kind.title),
        (t["field_previous"], " · ".join(x for x in (app.previous_number, fmt.date(app.previous_date)) if x)),
        (t["field_application_date"], fmt.date(app.application_date)),
        (t["field_name"], app.name),
        (t["field_nik"], mask_nik(app.nik)),
        (t["field_birth"], f"{app.birth_place}, {fmt.date(app.birth_date)}"),
        (t["field_sex"], t.get(f"sex_{app.sex}", app.sex)),
        (t["field_address"], app.address),
        (t["field_phone"], app.phone),
        (t["field_email"], app.email),
        (t["field_education"], app.education),
    ]
    for fld in ptype.own_fields:
        rows.append((fld.shown_label, _value(fld, (app.facts or {}).get(fld.storage_key), fmt)))
    rows.append((t["field_recommendation"], app.recommendation_number))
    return [(label, value) for label, value in rows if value]


def checklist_rows(app: Application, ptype) -> list[dict]:
    values = registry.field_values(app, ptype)
    handed_in = app.checklist or {}
    return [{"item": item.field.shown_label, "required": item.required_for(values),
             "handed_in": bool(handed_in.get(item.name, False))}
            for item in ptype.checklist(app.application_kind)]


def document_rows(ws, session, app: Application) -> list[dict]:
    known = document_kinds()
    rows = []
    for doc in session.scalars(select(Document).where(Document.application_id == app.id).order_by(Document.id)):
        if doc.kind == "registration":
            continue  # the registration number is the application's own, shown in its heading
        pdf = next((f for f in (doc.files or []) if str(f).lower().endswith(".pdf")), None)
        rows.append({"id": doc.id, "kind": known[doc.kind].title if doc.kind in known else doc.kind,
                     "number": doc.number, "date": doc.date, "status": doc.status,
                     "pdf": bool(pdf and _inside(ws, pdf).is_file())})
    return rows


def _inside(ws, relative) -> Path:
    """A document's file, resolved under the workspace (a path that leaves it is no file of ours)."""
    path = (ws.root / str(relative)).resolve()
    return path if path.is_relative_to(ws.root.resolve()) else ws.root / ".nothing"


def document_pdf(ws, app_id: int, doc_id: int) -> Path | None:
    """The PDF of document `doc_id` of application `app_id`, when it exists under the workspace."""
    with db.session(ws) as session:
        doc = session.get(Document, doc_id)
        if doc is None or doc.application_id != app_id:
            return None
        pdf = next((f for f in (doc.files or []) if str(f).lower().endswith(".pdf")), None)
    path = _inside(ws, pdf) if pdf else None
    return path if path is not None and path.is_file() else None


def timeline_rows(session, app: Application, book: RoleBook) -> list[dict]:
    names = {u.username: u.display_name for u in session.scalars(select(User))}
    rows = []
    for event in registry.history(session, app):
        details = event["details"] or {}
        step = details.get("step") if event["action"] == "step.done" else None
        # a step is shown at the time it was done (the CLI's --at may give an earlier one than its recording)
        at = details.get("done_at") if step and details.get("done_at") else event["at"]
        rows.append({"at": parse_utc(at), "actor": names.get(event["actor"], event["actor"]),
                     "action": event["action"], "step": step,
                     "activity": details.get("activity") if step else None,
                     "decision": details.get("decision"), "reason": details.get("reason"),
                     "note": details.get("note"), "number": details.get("number"),
                     "source_file": Path(event["source_file"]).name if event["source_file"] else None,
                     "source_row": event["source_row"]})
    return sorted(rows, key=lambda row: row["at"])  # by when it happened (stable: recording order on a tie)




def offers(book: RoleBook, app: Application, records, who: SignedIn) -> tuple[list[StepOffer], list[Waiting]]:
    """The steps that may come next: those the user's roles record (offered), the others (waiting)."""
    offered, waiting = [], []
    for number in allowed_steps(book.sop, app, records):
        step = book.sop.step(number)
        if book.may_record(who.roles, number):
            kinds = documents_plan(step, False, app.application_kind)
            offered.append(StepOffer(step, tuple(document_kind(k).title for k, _draft in kinds)))
        else:
            waiting.append(Waiting(step, step.recorder))
    return offered, waiting


def application_page(ws, book: RoleBook, who: SignedIn, app_id: int, fmt) -> dict | None:
    """Everything the page shows, or None when there is no such application."""
    clock = Clock(ws)
    with db.session(ws) as session:
        app = session.get(Application, app_id)
        if app is None:
            return None
        ptype = registry.permit_type_of(app, ws)
        records = history(session, app.id)
        offered, waiting = offers(book, app, records, who)
        return {
            "app": {"id": app.id, "registration_number": app.registration_number, "name": app.name,
                    "status": app.status, "current_step": app.current_step},
            "status": describe_status(clock, app, records),
            "applicant": applicant_rows(app, ptype, fmt),
            "checklist": checklist_rows(app, ptype),
            "missing": registry.missing_items(app, ws),
            "documents": document_rows(ws, session, app),
            "timeline": timeline_rows(session, app, book),
            "offers": offered,
            "waiting": waiting,
            "may_edit": book.may(who.roles, UPLOAD_APPLICATIONS),  # the intake form's correction
        }
