"""The applications in the JSON API: read one (NIK masked), perform a step through the same
orchestration as the page and the CLI (procedure.perform_step), the SOP's refusals by code."""

from __future__ import annotations

import pytest
from console_support import NOW, console, make_user, office
from sqlalchemy import select

from sikro_docs import accounts, clock, db
from sikro_docs.models import Application, Event
from sikro_docs.numbering import Document
from sikro_docs.workflow import history


@pytest.fixture
def staff(workspace):
    for username, roles in (("budi", ["back_office"]), ("kadis", ["kadis"])):
        make_user(workspace, username, *roles)
    the_office = office(workspace)
    with clock.frozen(NOW):
        yield workspace, the_office


def token_of(ws, username: str) -> dict:
    _view, text = accounts.create_token(ws, username, "tes", actor=username)
    return {"authorization": f"Bearer {text}"}


def test_an_application_reads_with_its_nik_masked_and_the_steps_offered(staff):
    ws, o = staff
    api, budi = console(ws), token_of(ws, "budi")
    answer = api.get(f"/api/v1/applications/{o.ids['at_step5']}", headers=budi)
    assert answer.status_code == 200
    data = answer.json()
    with db.session(ws) as session:
        app = session.get(Application, o.ids["at_step5"])
    assert data["registration_number"] == app.registration_number and data["sop"]["current_step"] == 4
    assert app.nik not in answer.text and app.nik[-4:] in answer.text  # masked, the last digits shown
    assert [offer["step"] for offer in data["offers"]] == [5]
    assert data["timeline"] and all(isinstance(row["at"], str) for row in data["timeline"])
    assert api.get("/api/v1/applications/999999", headers=budi).status_code == 404


def test_a_step_performed_through_the_api_makes_its_documents_and_records_the_user(staff):
    ws, o = staff
    api, budi, app_id = console(ws), token_of(ws, "budi"), o.ids["at_step5"]
    five = api.post(f"/api/v1/applications/{app_id}/steps", json={"step": 5, "note": "sesuai"}, headers=budi)
    assert five.status_code == 200 and five.json()["next_step"] == 6
    six = api.post(f"/api/v1/applications/{app_id}/steps", json={"step": 6}, headers=budi)
    assert six.status_code == 200, six.text
    [letter] = six.json()["documents"]
    assert letter["kind"] == "recommendation-request" and letter["status"] == "issued" and letter["number"]
    with db.session(ws) as session:
        records = history(session, app_id)
        actors = set(session.scalars(select(Event.actor).where(Event.application_id == app_id,
                                                               Event.action == "step.done")))
        issued = session.scalars(select(Document).where(Document.application_id == app_id,
                                                        Document.kind == "recommendation-request")).one()
    assert [(r.step, r.by) for r in records][-2:] == [(5, "budi"), (6, "budi")] and "budi" in actors
    assert issued.number == letter["number"]


def test_the_api_refuses_another_roles_step_and_words_the_sops_refusal_by_code(staff):
    ws, o = staff
    api, budi, kadis, app_id = console(ws), token_of(ws, "budi"), token_of(ws, "kadis"), o.ids["at_step5"]
    assert api.post(f"/api/v1/applications/{app_id}/steps", json={"step": 5}, headers=kadis).status_code == 403
    out_of_order = api.post(f"/api/v1/applications/{app_id}/steps", json={"step": 6}, headers=budi)
    assert out_of_order.status_code == 409
    refusal = out_of_order.json()
    assert refusal["error"] == "step.out-of-order" and refusal["values"]["step"] == 6
    assert refusal["values"]["current"] == 4
    for bad in ({"step": "5"}, {"step": True}, {}, {"step": 5, "note": 7}):
        assert api.post(f"/api/v1/applications/{app_id}/steps", json=bad, headers=budi).status_code == 422
    with db.session(ws) as session:
        assert [r.step for r in history(session, app_id)][-1] == 4  # nothing recorded by any of them
