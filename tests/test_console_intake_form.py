"""The intake area's single application: the form each permit type's data makes, checked by the same
rules as a workbook row and registered through the import's registry path; its correction; the API
(POST and PATCH /api/v1/applications); the role and CSRF limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from archive_support import make_permit
from conftest import needs_tool
from console_support import NOW, ConsoleServer, csrf_of, make_user, office, signed_in
from openpyxl import load_workbook
from sqlalchemy import select
from test_console_browser import OFFICE_PC, TABLET, _sign_in_with_the_keyboard
from test_intake_support import make_workbook
from test_intake_types import record
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright

from sikro_docs import accounts, clock, db, permit_types
from sikro_docs.console import intake_form
from sikro_docs.intake import json_schema
from sikro_docs.intake.columns import workbook_fields
from sikro_docs.models import Application, Event

NIK = "1211014503910002"  # a woman born 05-03-1991: the examples' birth date and sex


@pytest.fixture(autouse=True)
def office_hours(request):
    """Every test at NOW (sessions too: a session made at another time would have expired); the
    browser's test at the wall clock, as its server is."""
    if "browser" in request.node.name:
        yield
        return
    with clock.frozen(NOW):
        yield


def form_data(ptype, **changes) -> dict:
    """The form of `ptype` filled from its fields' examples (every paper ticked), as a browser posts it."""
    values = record(ptype, **changes)
    data = {}
    for fld in intake_form.form_fields(ptype):
        value = values.get(fld.name)
        if fld.kind == "yes_no":
            if value is not None:
                data[fld.name] = "Y"
        elif fld.kind == "date_or_lifetime" and value == "Seumur Hidup":
            data[fld.name + intake_form.LIFETIME_SUFFIX] = "Y"
        elif value is not None:
            data[fld.name] = str(value)
    return data


def applications(ws) -> list[Application]:
    with db.session(ws) as sess:
        return list(sess.scalars(select(Application).order_by(Application.id)))


def events_of(ws, app_id: int) -> list[Event]:
    with db.session(ws) as sess:
        return list(sess.scalars(select(Event).where(Event.application_id == app_id).order_by(Event.id)))


def post_new(client, code: str, data: dict):
    page = client.get(f"/intake/new/{code}")
    assert page.status_code == 200, page.text
    return client.post(f"/intake/new/{code}", data={"csrf": csrf_of(page.text), **data})


def field_block(html: str, name: str) -> str:
    """The HTML of one field's block (its input, hint and errors)."""
    found = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>\s*(?=<div class="field|</div>)', html,
                      re.S)
    assert found, f"no field {name} on the page"
    return found.group(1)


def test_a_valid_form_registers_an_application_with_the_user_in_the_event_log(workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    sipb = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        answer = post_new(client, "sipb", form_data(sipb))
    assert answer.status_code == 303, answer.text
    [app] = applications(workspace)
    assert answer.headers["location"] == f"/applications/{app.id}"
    assert (app.permit_type, app.nik, app.status, app.current_step) == ("sipb", NIK, "open", 2)
    assert app.registration_number.startswith("REG/") or app.registration_number
    [registered] = [e for e in events_of(workspace, app.id) if e.action == "registered"]
    assert registered.actor == "rina" and registered.source_file == "console form"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200 and NIK not in page.text and "Rina Sitanggang" in page.text
    assert f'href="/applications/{app.id}/edit"' in page.text  # front office may correct it


def test_a_15_digit_nik_is_told_at_the_nik_field_the_values_kept_and_nothing_registered(workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    sipb = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        answer = post_new(client, "sipb", form_data(sipb, nik="121101450391000"))
    assert answer.status_code == 400
    assert applications(workspace) == []
    nik = field_block(answer.text, "nik")
    assert 'class="field-error"' in nik and "121101450391000" in nik and 'aria-invalid="true"' in nik
    assert 'class="field-error"' not in field_block(answer.text, "nama")
    assert 'value="Rina Sitanggang, A.Md.Keb"' in answer.text  # what was typed stays
    assert "121101450391000" not in answer.headers.get("location", "")


def test_a_renewal_without_the_previous_permit_is_told_at_that_field_in_either_language(workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    sikro = permit_types.catalogue(workspace).get(permit_types.catalogue(workspace).codes()[0])
    renewal = next(k for k in permit_types.common().kinds if k.needs_previous)
    answer = post_new(client, sikro.code, form_data(sikro, jenis_permohonan=renewal.title))
    assert answer.status_code == 400 and applications(workspace) == []
    assert 'class="field-error"' in field_block(answer.text, "nomor_izin_sebelumnya")
    assert f'<option value="{renewal.title}" selected>' in answer.text
    english = client.get(f"/intake/new/{sikro.code}?lang=en")
    assert f"New {sikro.short_name} application" in english.text and "Papers handed in" in english.text
    assert "Permohonan baru" in client.get("/intake/new?lang=id").text


def test_each_permit_types_form_has_its_own_fields(workspace):
    make_user(workspace, "rina", "front_office")
    client = signed_in(workspace, "rina")
    catalogue = permit_types.catalogue(workspace)
    choose = client.get("/intake/new")
    assert choose.status_code == 200
    for code in catalogue.codes():
        ptype = catalogue.get(code)
        assert f'href="/intake/new/{code}"' in choose.text
        page = client.get(f"/intake/new/{code}")
        assert page.status_code == 200, code
        for fld in ptype.own_fields + ptype.checklist_fields:
            assert f'name="{fld.name}"' in page.text, (code, fld.name)
        for other in catalogue.codes():
            theirs = {f.name for f in catalogue.get(other).own_fields} - {f.name for f in ptype.fields}
            assert not [n for n in theirs if f'name="{n}"' in page.text], (code, other)
        for fld in ptype.own_fields:  # each kind its own control
            if fld.kind == "choice":
                assert re.search(rf'<select id="in-{fld.name}"', page.text), fld.name
                assert all(f'value="{choice}"' in page.text for choice in fld.choices)
            elif fld.kind == "date_or_lifetime":
                assert f'name="{fld.name}__seumur_hidup"' in page.text
            elif fld.kind == "number":
                assert f'type="number" id="in-{fld.name}"' in page.text
        for kind in permit_types.common().kinds:
            assert f'<option value="{kind.title}"' in page.text
    assert client.get("/intake/new/nothing").status_code == 404
    assert client.get("/intake/new/" + "x" * 500).status_code == 404


def test_a_correction_changes_the_stored_value_and_is_recorded_with_the_user(workspace):
    make_user(workspace, "rina", "front_office")
    make_user(workspace, "budi", "back_office")
    client = signed_in(workspace, "rina")
    sipb = permit_types.get(workspace, "sipb")
    with clock.frozen(NOW):
        post_new(client, "sipb", form_data(sipb))
        [app] = applications(workspace)
        budi = signed_in(workspace, "budi")
        form = budi.get(f"/applications/{app.id}/edit")
        assert form.status_code == 200 and NIK not in form.text and "121101******0002" in form.text
        assert 'value="Puskesmas Sidikalang"' in form.text or "Sidikalang" in form.text
        data = form_data(sipb, alamat="Jl. Sudirman No. 7, Sidikalang")
        data["nik"] = ""  # blank keeps the stored NIK
        answer = budi.post(f"/applications/{app.id}/edit", data={"csrf": csrf_of(form.text), **data})
        assert answer.status_code == 303 and answer.headers["location"] == f"/applications/{app.id}"
    [after] = applications(workspace)
    assert (after.address, after.nik, after.registration_number) == ("Jl. Sudirman No. 7, Sidikalang", NIK,
                                                                     app.registration_number)
    [updated] = [e for e in events_of(workspace, app.id) if e.action == "updated"]
    assert updated.actor == "budi" and updated.details["changes"]["address"][1] == "Jl. Sudirman No. 7, Sidikalang"
    bad = budi.post(f"/applications/{app.id}/edit", data={"csrf": csrf_of(form.text), **data, "tanggal_lahir": "2020-01-01"})
    assert bad.status_code == 400 and 'class="field-error"' in field_block(bad.text, "tanggal_lahir")
    assert NIK not in bad.text
    assert applications(workspace)[0].birth_date == after.birth_date
    assert budi.get(f"/applications/{'9' * 30}/edit").status_code == 404
    assert budi.get("/applications/424242/edit").status_code == 404


def test_an_application_with_an_issued_permit_cannot_be_corrected(workspace):
    make_user(workspace, "rina", "front_office")
    issued = make_permit(workspace)
    the_office = office(workspace)
    with db.session(workspace) as sess:
        app_id = sess.scalar(select(Application.id).where(Application.registration_number == issued.registration_number))
    client = signed_in(workspace, "rina")
    page = client.get(f"/applications/{app_id}/edit")
    assert page.status_code == 409 and "Perubahan" in page.text and issued.number in page.text
    token = csrf_of(client.get("/intake").text)
    before = [(e.id, e.action) for e in events_of(workspace, app_id)]
    assert client.post(f"/applications/{app_id}/edit", data={"csrf": token}).status_code == 409
    assert [(e.id, e.action) for e in events_of(workspace, app_id)] == before
    _view, api_token = accounts.create_token(workspace, "rina", "portal", actor="tester")
    refused = client.patch(f"/api/v1/applications/{app_id}", json={"alamat": "Jl. Lain 1"},
                           headers={"authorization": f"Bearer {api_token}"})
    assert refused.status_code == 409 and refused.json()["error"] == "permit-issued"
    # before its permit an application in the SOP's later steps is still corrected
    assert client.get(f"/applications/{the_office.ids['at_step18']}/edit").status_code == 200


def _api_record(ptype, **changes) -> dict:
    values = record(ptype, **changes)
    out = {"jenis_izin": ptype.code, "berkas": {}}
    for fld in intake_form.form_fields(ptype):
        value = values.get(fld.name)
        if fld.kind == "yes_no":
            out["berkas"][fld.name] = True
        elif value is not None:
            out[fld.name] = int(value) if fld.kind == "number" else value
    return out


def test_the_api_creates_corrects_and_refuses_with_the_problems(workspace):
    make_user(workspace, "rina", "front_office")
    make_user(workspace, "arsip", "arsiparis")
    _view, token = accounts.create_token(workspace, "rina", "portal", actor="tester")
    _view, other = accounts.create_token(workspace, "arsip", "arsip", actor="tester")
    auth = {"authorization": f"Bearer {token}"}
    client = signed_in(workspace, "rina")
    sipa = permit_types.get(workspace, "sipa")
    assert json_schema(sipa, workspace)["items"]["properties"].keys() >= {f.name for f in sipa.own_fields}
    with clock.frozen(NOW):
        made = client.post("/api/v1/applications", json=_api_record(sipa), headers=auth)
        assert made.status_code == 201, made.text
        body = made.json()
        [app] = applications(workspace)
        assert body == {"id": app.id, "registration_number": app.registration_number, "outcome": "imported"}
        assert app.permit_type == "sipa"
        [event] = [e for e in events_of(workspace, app.id) if e.action == "registered"]
        assert (event.actor, event.source_file) == ("rina", "console API")

        bad = client.post("/api/v1/applications", json=_api_record(sipa, nik="121101450391000", nama="Lain"),
                          headers=auth)
        assert bad.status_code == 422
        assert bad.json()["error"] == "application-invalid"
        assert [p["field"] for p in bad.json()["errors"]] == ["nik"]
        again = client.post("/api/v1/applications", json=_api_record(sipa), headers=auth)
        assert again.status_code == 409 and again.json()["registration_number"] == app.registration_number

        fixed = client.patch(f"/api/v1/applications/{app.id}", json={"alamat": "Jl. Merdeka 3, Sidikalang"},
                             headers=auth)
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["outcome"] == "updated"
        wrong = client.patch(f"/api/v1/applications/{app.id}", json={"tanggal_lahir": "31-02-1991"}, headers=auth)
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "tanggal_lahir"
        assert client.patch("/api/v1/applications/999", json={}, headers=auth).status_code == 404
        shown = client.get(f"/api/v1/applications/{app.id}", headers=auth).json()
        assert shown["address"] == "Jl. Merdeka 3, Sidikalang" and shown["nik"] != app.nik
        assert client.post("/api/v1/applications", json=_api_record(sipa),
                           headers={"authorization": f"Bearer {other}"}).status_code == 403
    assert applications(workspace)[0].address == "Jl. Merdeka 3, Sidikalang"
    assert len(applications(workspace)) == 1
    described = client.get("/api/v1/openapi.json").json()["paths"]
    assert "201" in described["/api/v1/applications"]["post"]["responses"]
    assert "requestBody" in described["/api/v1/applications/{app_id}"]["patch"]


def test_a_wrong_role_is_refused_and_a_post_without_csrf_too(workspace):
    make_user(workspace, "arsip", "arsiparis")
    make_user(workspace, "rina", "front_office")
    arsip = signed_in(workspace, "arsip")
    for url in ("/intake/new", "/intake/new/sipb", "/applications/1/edit"):
        assert arsip.get(url).status_code == 403, url
    token = csrf_of(arsip.get("/account/password").text)
    sipb = permit_types.get(workspace, "sipb")
    assert arsip.post("/intake/new/sipb", data={"csrf": token, **form_data(sipb)}).status_code == 403
    client = signed_in(workspace, "rina")
    with clock.frozen(NOW):
        assert client.post("/intake/new/sipb", data=form_data(sipb)).status_code == 403
    assert applications(workspace) == []


# --------------------------------------------------------------------------- in a real browser


def _browser_office(tmp_path, new_workspace):
    ws = new_workspace(tmp_path / "ws")
    make_user(ws, "rina", "front_office", name="Rina Loket")
    return ws


def _fill_the_form(page, ptype, values: dict) -> None:
    """Fill every input of the form as a person does: type, pick, tick."""
    for fld in intake_form.form_fields(ptype):
        value = values.get(fld.name)
        control = intake_form.CONTROLS.get(fld.kind, "text")
        if control == "checkbox":
            page.check(f"#in-{fld.name}")
        elif value is None:
            continue
        elif control == "lifetime" and value == "Seumur Hidup":
            page.check(f"#in-{fld.name}__seumur_hidup")
        elif control in ("date", "lifetime"):
            day, month, year = str(value).split("-")
            page.fill(f"#in-{fld.name}", f"{year}-{month}-{day}")
        elif control == "select":
            page.select_option(f"#in-{fld.name}", str(value))
        else:
            page.fill(f"#in-{fld.name}", str(value))


def _upload_and_open_the_result(page, url: str, book: Path) -> None:
    page.goto(f"{url}/intake")
    page.set_input_files("#intake-file", str(book))  # what a file dropped on the zone lands in
    page.select_option("#intake-type", "sipb")
    with page.expect_navigation():
        page.click("button:has-text('Unggah dan impor')")
    page.wait_for_selector("a:has-text('Hasil impor')", timeout=60_000)  # the job page, as the worker finishes
    with page.expect_navigation():
        page.click("a:has-text('Hasil impor')")


def _fix_the_nik(errors_book: Path, wrong: str, right: str) -> Path:
    """The downloaded errors workbook with the refused NIK typed again, as the clerk does in Excel."""
    workbook = load_workbook(errors_book)
    [cell] = [c for row in workbook.active.iter_rows() for c in row if c.value == wrong]
    cell.value = right
    fixed = errors_book.with_name("bidan-diperbaiki.xlsx")
    workbook.save(fixed)
    return fixed


@needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")
def test_the_intake_path_in_the_browser(tmp_path, new_workspace):
    """A front office clerk uploads a workbook with one bad row, reads the error at its sheet row and
    column, downloads the errors workbook, fixes it and uploads it again; then enters one application
    in the form, with a mistake first. Real Chromium against `sikro console` (its worker imports)."""
    ws = _browser_office(tmp_path, new_workspace)
    sipb, sipa = permit_types.get(ws, "sipb"), permit_types.get(ws, "sipa")
    fields = workbook_fields(sipb)
    wrong = "121101450391000"
    rows = [record(sipb), record(sipb, nama="Dewi Lubis, A.Md.Keb", nik=wrong)]
    book = make_workbook(tmp_path / "bidan.xlsx", headers=[f.header for f in fields],
                         rows=[[r.get(f.name) for f in fields] for r in rows])
    server = ConsoleServer(ws.root)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chromium.new_context(viewport=OFFICE_PC, accept_downloads=True).new_page()
            csp = []
            page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)

            def shoot(name):
                page.screenshot(path=f"/tmp/intake-{name}.png", full_page=True)

            _sign_in_with_the_keyboard(page, f"{server.url}/intake", "rina")
            _upload_and_open_the_result(page, server.url, book)
            refused = page.locator("table.intake-errors tbody tr")
            assert refused.count() == 1
            assert refused.locator("th").inner_text() == "3"  # the sheet's row: header 1, rows 2 and 3
            assert refused.locator("td").nth(0).inner_text() == "NIK"
            assert wrong in refused.locator("td").nth(1).inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            shoot("result-errors")
            with page.expect_download() as download:
                page.click("a:has-text('Unduh buku kerja kesalahan')")
            errors_book = tmp_path / download.value.suggested_filename
            download.value.save_as(errors_book)

            _upload_and_open_the_result(page, server.url, _fix_the_nik(errors_book, wrong, "1211014503910003"))
            assert page.locator("table.intake-errors").count() == 0
            assert "Semua baris benar." in page.inner_text("main")
            shoot("result-fixed")

            page.goto(f"{server.url}/intake")
            shoot("upload")
            with page.expect_navigation():
                page.click("a:has-text('Isi formulir satu permohonan')")
            shoot("choose")
            with page.expect_navigation():
                page.click(f"a[href='/intake/new/{sipa.code}']")
            values = record(sipa, nama="Sondang Hutapea, S.Farm., Apt.", nik="1211014503910004")
            _fill_the_form(page, sipa, {**values, "nik": "12110145039100"})
            shoot("form")
            with page.expect_navigation():
                page.click("button:has-text('Daftarkan permohonan')")
            assert page.locator("#form-problems a[href='#in-nik']").count() == 1
            assert page.locator("#field-nik .field-error").count() == 1
            assert page.input_value("#in-nama") == "Sondang Hutapea, S.Farm., Apt."  # the values kept
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            shoot("form-error")
            page.fill("#in-nik", "1211014503910004")
            with page.expect_navigation():
                page.click("button:has-text('Daftarkan permohonan')")
            assert "/applications/" in page.url and "1211014503910004" not in page.url
            assert "Sondang Hutapea" in page.inner_text(".subtitle") and "******" in page.inner_text("main")
            shoot("application")
            with page.expect_navigation():
                page.click("a:has-text('Ubah data permohonan')")
            assert page.input_value("#in-nik") == ""  # never shown; blank keeps it
            shoot("edit")
            page.set_viewport_size(TABLET)
            assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
            shoot("edit-tablet")
            assert not csp, csp
            chromium.close()
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err
    with db.session(ws) as sess:
        apps = list(sess.scalars(select(Application).order_by(Application.id)))
        assert [(a.permit_type, a.nik) for a in apps] == [("sipb", NIK), ("sipb", "1211014503910003"),
                                                          ("sipa", "1211014503910004")]
        assert {e.actor for e in sess.scalars(select(Event).where(Event.action == "registered"))} == {"rina"}
