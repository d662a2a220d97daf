"""The applications in the JSON API: read one, perform a step of it — what the application page does.

    GET  /api/v1/applications/{id}        its data as `sikro show --json` (NIK masked), where it stands
                                          in the SOP, checklist, documents, timeline and the steps the
                                          caller's roles may perform now
    POST /api/v1/applications/{id}/steps  perform a step: {"step": N, "decision", "reason", "note",
                                          "recommendation", "confirm"} through procedure.perform_step,
                                          as the page and `sikro step` do; a step another role records
                                          is 403, one the SOP refuses now 409 with its code and values

The pages themselves are the console's own (app.py: /applications/{id}); registering and
correcting one is the intake form's (area_intake_form.py: POST/PATCH /api/v1/applications).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, is_dataclass

from .. import db, registry
from ..accounts import VIEW_APPLICATIONS
from ..archive.berkas import mask_nik
from ..models import Application
from ..procedure import perform_step
from .application import application_page
from .area import ApiCall, ApiRefusal, Area, Endpoint

MAX_ID = 2**31 - 1
_TEXT_LIMIT = 2000  # a reason or a note longer than this is no reason a person typed

STEP_BODY = {
    "type": "object", "required": ["step"], "additionalProperties": False,
    "properties": {
        "step": {"type": "integer", "minimum": 1, "maximum": 9999},
        "decision": {"enum": ["approve", "reject"]},
        "reason": {"type": "string", "maxLength": _TEXT_LIMIT},
        "note": {"type": "string", "maxLength": _TEXT_LIMIT},
        "recommendation": {"type": "string", "maxLength": 200},
        "confirm": {"type": "boolean", "description": "A paraf step's statement (the page's tick box)"},
    },
}


class ApplicationsArea(Area):
    name = "applications"

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("GET", "/api/v1/applications/{app_id:int}", self.api_show, VIEW_APPLICATIONS,
                         "An application: data (NIK masked), status, documents, timeline, the steps offered",
                         refusals=((404, "no such application"),)),
                Endpoint("POST", "/api/v1/applications/{app_id:int}/steps", self.api_step, VIEW_APPLICATIONS,
                         "Perform a step of the SOP (its documents, then its record)", body=STEP_BODY,
                         refusals=((403, "a step another role records"), (404, "no such application"),
                                   (409, "the SOP refuses the step now: `error` is its code, `values` its facts"),
                                   (422, "the body is not a step")))]

    def api_show(self, call: ApiCall) -> dict:
        """The application as `sikro show --json` describes it (NIK masked), with what its page
        shows beside: where it stands in the SOP, checklist, documents, timeline, steps offered."""
        app_id = call.path["app_id"]
        page = application_page(self.ws, self.book, call.who, app_id, self.console.pages.formatter("en")) \
            if app_id <= MAX_ID else None
        if page is None:
            raise ApiRefusal(404, "application-not-found")
        with db.session(self.ws) as session:
            data = registry.describe(session.get(Application, app_id), self.ws)
        return _plain({
            "id": app_id, **data, "nik": mask_nik(data["nik"]), "sop": page["status"],
            "checklist": page["checklist"], "documents": page["documents"], "timeline": page["timeline"],
            "offers": [{"step": o.step.number, "activity": o.step.activity, "documents": list(o.documents)}
                       for o in page["offers"]],
            "waiting": [{"step": w.step.number, "activity": w.step.activity} for w in page["waiting"]],
        })

    def api_step(self, call: ApiCall) -> dict:
        app_id, body = call.path["app_id"], call.body or {}
        number = body.get("step")
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 10000:
            raise ApiRefusal(422, "step-not-a-number")
        texts = {k: body.get(k) for k in ("decision", "reason", "note", "recommendation")}
        if any(v is not None and (not isinstance(v, str) or len(v) > _TEXT_LIMIT) for v in texts.values()):
            raise ApiRefusal(422, "field-not-text")
        if app_id > MAX_ID or not _exists(self.ws, app_id):
            raise ApiRefusal(404, "application-not-found")
        if number not in self.book.sop.steps or not self.book.may_record(call.who.roles, number):
            raise ApiRefusal(403, "step-of-another-role", step=number)
        step = self.book.sop.step(number)
        if step.task and body.get("confirm") is not True:
            raise ApiRefusal(422, "confirm-needed", step=number)
        result = perform_step(self.ws, app_id, number, by=call.who.username, decision=texts["decision"],
                              reason=texts["reason"], note=texts["note"], recommendation=texts["recommendation"])
        return result.as_json()


def _exists(ws, app_id: int) -> bool:
    with db.session(ws) as session:
        return session.get(Application, app_id) is not None


def _plain(value):
    """`value` as JSON can carry it: dates and times in ISO 8601, dataclasses as objects."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    return value
