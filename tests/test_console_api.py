"""The console's JSON API and its description, one's own API tokens, and the jobs pages: a job is
followed, shown only to its owner, and cancelled through the pages as through the API."""

from __future__ import annotations

import re

import pytest
from console_support import NOW, console, csrf_of, make_user, post_form, signed_in
from test_intake_support import make_workbook, valid_record

from sikro_docs import accounts, clock, jobs
from sikro_docs.console import create_app
from sikro_docs.console.api import OPENAPI_PATH
from sikro_docs.jobs import runner


@pytest.fixture
def staff(workspace):
    for username, roles in (("rina", ["front_office"]), ("budi", ["back_office"]), ("arsip", ["arsiparis"]),
                            ("admin1", ["admin"])):
        make_user(workspace, username, *roles)
    with clock.frozen(NOW):
        yield workspace


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def test_the_description_lists_every_api_route_with_its_permission(staff):
    app = create_app(staff)
    described = console(staff).get(OPENAPI_PATH).json()
    assert described["openapi"].startswith("3.1")
    api_paths = {r.path for r in app.app.routes if getattr(r, "path", "").startswith("/api/v1/")} - {OPENAPI_PATH}
    untyped = {re.sub(r"\{(\w+):\w+\}", r"{\1}", p) for p in api_paths}
    assert untyped == set(described["paths"])
    users = described["paths"]["/api/v1/users"]["get"]
    assert users["x-permission"] == "users.manage" and users["security"] == [{"token": []}]
    cancel = described["paths"]["/api/v1/jobs/{job_id}/cancel"]["post"]
    assert "requestBody" in cancel and cancel["parameters"][0]["name"] == "job_id"


def test_a_token_made_on_the_page_is_shown_once_works_and_stops_when_revoked(staff):
    rina = signed_in(staff, "rina")
    made = post_form(rina, "/account/tokens", "/account/tokens", {"name": "Layar antrian", "days": "30"})
    assert made.status_code == 200
    text = made.text.split('id="token-text">')[1].split("<")[0]
    assert text.startswith("sikro_")
    listing = rina.get("/account/tokens").text
    assert "Layar antrian" in listing and text not in listing  # shown once, never again
    api = console(staff)
    assert api.get("/api/v1/me", headers=bearer(text)).json()["username"] == "rina"
    [token] = accounts.list_tokens(staff, "rina")
    assert token.expires_at is not None
    revoked = rina.post(f"/account/tokens/{token.id}/revoke", data={"csrf": csrf_of(listing)})
    assert revoked.status_code == 303
    assert api.get("/api/v1/me", headers=bearer(text)).status_code == 401


def test_tokens_are_ones_own_and_need_their_permission(staff):
    _view, budis = accounts.create_token(staff, "budi", "x", actor="budi")
    [budi_token] = accounts.list_tokens(staff, "budi")
    rina = signed_in(staff, "rina")
    page = rina.get("/account/tokens").text
    assert rina.post(f"/account/tokens/{budi_token.id}/revoke", data={"csrf": csrf_of(page)}).status_code == 404
    assert not accounts.list_tokens(staff, "budi")[0].revoked
    bad = rina.post("/account/tokens", data={"csrf": csrf_of(page), "name": "x", "days": "-3"})
    assert bad.status_code == 400 and "1 sampai 3650" in bad.text
    assert rina.post("/account/tokens", data={"name": "x"}).status_code == 403  # no CSRF token
    assert [t.username for t in accounts.list_tokens(staff)] == ["budi"]
    arsip = signed_in(staff, "arsip")  # the archivist integrates nothing: no api.tokens
    assert arsip.get("/account/tokens").status_code == 403
    assert "/account/tokens" not in arsip.get("/jobs").text


def _import_job(ws, tmp_path, actor: str) -> jobs.JobView:
    book = make_workbook(tmp_path / "book.xlsx", [valid_record(no_registrasi=f"REG-{i}", nik=f"12110{i:011d}")
                                                  for i in range(1, 4)])
    return jobs.submit(ws, "import", {"path": str(book)}, actor=actor)


def test_a_job_is_followed_on_its_page_and_seen_by_its_owner_only(staff, tmp_path):
    job = _import_job(staff, tmp_path, "rina")
    rina, budi = signed_in(staff, "rina"), signed_in(staff, "budi")
    queued = rina.get(f"/jobs/{job.id}")
    assert queued.status_code == 200 and "Menunggu" in queued.text
    assert f'hx-get="/jobs/{job.id}/progress"' in queued.text and 'hx-trigger="every 1s"' in queued.text
    assert budi.get(f"/jobs/{job.id}").status_code == 404  # another person's job is not there for budi
    assert job.id not in budi.get("/jobs").text and job.id in rina.get("/jobs").text
    runner.run_job(str(staff.root), job.id)  # what the worker does
    done = rina.get(f"/jobs/{job.id}/progress")
    assert done.status_code == 200 and "Selesai" in done.text
    assert "hx-trigger" not in done.text  # a finished job's page stops polling
    assert "<html" not in done.text  # a fragment, for htmx to swap in
    assert signed_in(staff, "admin1").get(f"/jobs/{job.id}").status_code == 200  # the admin sees every job


def test_cancelling_through_the_page_and_the_api(staff, tmp_path):
    first, second = _import_job(staff, tmp_path, "rina"), _import_job(staff, tmp_path, "rina")
    rina = signed_in(staff, "rina")
    page = rina.get(f"/jobs/{first.id}").text
    assert rina.post(f"/jobs/{first.id}/cancel", data={}).status_code == 403  # no CSRF token
    assert jobs.status(staff, first.id).status == jobs.QUEUED
    assert rina.post(f"/jobs/{first.id}/cancel", data={"csrf": csrf_of(page)}).status_code == 303
    assert jobs.status(staff, first.id).status == jobs.CANCELLED
    _view, token = accounts.create_token(staff, "rina", "bridge", actor="rina")
    _view, budis = accounts.create_token(staff, "budi", "bridge", actor="budi")
    api = console(staff)
    assert api.post(f"/api/v1/jobs/{second.id}/cancel", json={}, headers=bearer(budis)).status_code == 404
    answer = api.post(f"/api/v1/jobs/{second.id}/cancel", json={}, headers=bearer(token))
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert api.post(f"/api/v1/jobs/{second.id}/cancel", content=b"[1]", headers=bearer(token)).status_code == 400
    assert api.get(f"/api/v1/jobs/{'f' * 40}", headers=bearer(token)).json()["error"] == "job-not-found"
    listed = api.get("/api/v1/jobs", headers=bearer(token)).json()
    assert {j["id"] for j in listed} == {first.id, second.id}
