"""The registers as rows (for `sikro registers list`, the books and the console)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import SikroError
from ..models import Application
from ..workspace import Workspace
from .placeholders import place_fields
from .registers import register_settings
from .tables import RegisterEntry


def _applications(session: Session, ids) -> dict[int, Application]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}


def list_entries(session: Session, ws: Workspace, register: str, year: int | None = None) -> list[dict]:
    """The register's entries as plain dicts (what `register list` and the books show)."""
    register_settings(ws, register)
    query = select(RegisterEntry).where(RegisterEntry.register == register)
    if year is not None:
        query = query.where(RegisterEntry.year == year)
    entries = session.scalars(query.order_by(RegisterEntry.year, RegisterEntry.seq)).all()
    apps = _applications(session, (e.application_id for e in entries))
    return [_entry_row(e, apps.get(e.application_id), ws) for e in entries]


def _entry_row(entry: RegisterEntry, app: Application | None, ws=None) -> dict:
    return {
        "year": entry.year,
        "seq": entry.seq,
        "number": entry.number,
        "status": entry.status,
        "document": {"kind": entry.kind, "application": app.registration_number if app else None},
        "date": entry.date.isoformat(),
        "subject": entry.subject,
        "addressee": entry.addressee,
        "reason": entry.reason,
        "applicant_name": app.name if app else "",
        **_permit_facts(app, ws),
    }


def _permit_facts(app: Application | None, ws) -> dict:
    """What a register line says of the permit: its type, its place, and the type's permit rows."""
    from .. import permit_types

    if app is None:
        return {"permit_type": "", "tempat": "", "rincian": ""}
    try:
        ptype = permit_types.get(ws, app.permit_type)
    except SikroError:  # a type the workspace no longer has: the line still lists
        return {"permit_type": app.permit_type or "", "tempat": "", "rincian": ""}
    facts = app.facts or {}
    name, address = place_fields(ptype)
    place = ", ".join(str(facts[k]) for k in (name, address) if k and facts.get(k))
    by_name = ptype.by_name
    rows = [f"{label}: {facts.get(by_name[field].storage_key)}" for label, field in ptype.permit_rows
            if by_name[field].storage_key not in (name, address) and facts.get(by_name[field].storage_key)]
    return {"permit_type": ptype.short_name, "tempat": place, "rincian": "; ".join(rows)}
