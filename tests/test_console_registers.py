"""The registers area of the staff console: the registers and their entries (newest first, searched,
paginated), voiding a number with its reason through the numbering library, and the JSON API."""

from __future__ import annotations

import io
import re

import pytest
from console_support import NOW, csrf_of, make_user, signed_in
from openpyxl import load_workbook
from registers_support import drop_append_only_triggers, entries, make_applications, sql

from sikro_docs import clock, db, numbering
from sikro_docs.console.area_registers import PAGE_SIZE

NUMBER_CELL = re.compile(r'<th scope="row">([^<]+)</th>')


@pytest.fixture
def office(workspace):
    make_user(workspace, "admin1", "admin")  # registers.view and registers.void
    make_user(workspace, "arsip", "arsiparis")  # registers.view only
    make_applications(workspace, 3, name="Pemohon")
    make_applications(workspace, 1, name="Siti Rahmawati")
    with clock.frozen(NOW):
        yield workspace


def numbers_on(html: str) -> list[str]:
    return NUMBER_CELL.findall(html)


def verify(ws) -> list[str]:
    with db.session(ws, write=True) as session:
        return numbering.verify_registers(session, ws)


def test_the_registers_page_lists_the_registers_with_counts(office):
    page = signed_in(office, "arsip").get("/registers")
    assert page.status_code == 200
    assert 'href="/registers/registrasi"' in page.text
    row = re.search(r'href="/registers/registrasi">registrasi</a></td>\s*<td>[^<]*</td>\s*<td class="num">(\d+)',
                    page.text)
    assert row and row.group(1) == "4"


def test_the_register_page_lists_the_issued_numbers_newest_first(office):
    page = signed_in(office, "arsip").get("/registers/registrasi")
    assert page.status_code == 200
    issued = [r[2] for r in entries(office, "registrasi")]
    assert numbers_on(page.text) == list(reversed(issued))
    assert "Terbit" in page.text
    assert "Batalkan nomor" not in page.text  # arsip may not void


def test_search_by_a_partial_number_and_by_name(office):
    client = signed_in(office, "arsip")
    issued = [r[2] for r in entries(office, "registrasi")]
    by_name = client.get("/registers/registrasi", params={"q": "siti"})
    assert numbers_on(by_name.text) == [issued[3]]
    part = re.search(r"0*2\b", issued[1]).group(0)  # the digits of the second number: "00002"
    assert numbers_on(client.get("/registers/registrasi", params={"q": part}).text) == [issued[1]]
    assert numbers_on(client.get("/registers/registrasi", params={"q": "nobody-like-this"}).text) == []
    assert numbers_on(client.get("/registers/registrasi", params={"year": "1999"}).text) == []


def test_pagination(office):
    make_applications(office, PAGE_SIZE + 3, name="Banyak")
    client = signed_in(office, "arsip")
    issued = [r[2] for r in entries(office, "registrasi")]
    first = numbers_on(client.get("/registers/registrasi").text)
    second = numbers_on(client.get("/registers/registrasi", params={"page": "2"}).text)
    assert len(first) == PAGE_SIZE and first[0] == issued[-1]
    assert first + second == list(reversed(issued))
    api = client.get("/registers/registrasi", params={"page": "999"})
    assert api.status_code == 200 and numbers_on(api.text) == []


def entry_id(ws, number: str) -> int:
    with db.session(ws) as session:
        return session.query(numbering.RegisterEntry).filter_by(register="registrasi", number=number).one().id


def test_void_with_a_reason_keeps_the_entry_and_the_register_verifies(office):
    client = signed_in(office, "admin1")
    number = entries(office, "registrasi")[1][2]
    token = csrf_of(client.get("/registers/registrasi").text)
    answer = client.post(f"/registers/registrasi/{entry_id(office, number)}/void",
                         data={"csrf": token, "reason": "Salah ketik nama"})
    assert answer.status_code == 303
    row = [r for r in entries(office, "registrasi") if r[2] == number][0]
    assert (row[3], row[4]) == ("void", "Salah ketik nama")
    page = client.get("/registers/registrasi").text
    assert "BATAL" in page and "Salah ketik nama" in page
    assert verify(office) == []
    with db.session(office) as session:
        last = session.query(numbering.RegisterLogRow).order_by(numbering.RegisterLogRow.id.desc()).first()
        assert last.action == "void" and "admin1" in last.content


def test_void_without_a_reason_is_400_and_changes_nothing(office):
    client = signed_in(office, "admin1")
    before = entries(office, "registrasi")
    token = csrf_of(client.get("/registers/registrasi").text)
    answer = client.post(f"/registers/registrasi/{entry_id(office, before[0][2])}/void",
                         data={"csrf": token, "reason": "  "})
    assert answer.status_code == 400
    assert "Alasan pembatalan wajib diisi" in answer.text
    assert entries(office, "registrasi") == before


def test_void_needs_the_permission_and_the_csrf_token(office):
    before = entries(office, "registrasi")
    target = f"/registers/registrasi/{entry_id(office, before[0][2])}/void"
    arsip = signed_in(office, "arsip")
    token = csrf_of(arsip.get("/registers/registrasi").text)
    assert arsip.post(target, data={"csrf": token, "reason": "x"}).status_code == 403
    admin = signed_in(office, "admin1")
    assert admin.post(target, data={"reason": "x"}).status_code == 403
    assert entries(office, "registrasi") == before


def test_an_unknown_register_or_entry_is_404(office):
    client = signed_in(office, "admin1")
    assert client.get("/registers/no-such-book").status_code == 404
    token = csrf_of(client.get("/registers/registrasi").text)
    assert client.post("/registers/registrasi/999999/void", data={"csrf": token, "reason": "x"}).status_code == 404


def test_the_export_opens_in_openpyxl_and_holds_no_formula(office):
    make_applications(office, 1, name="=HYPERLINK(\"http://evil\",\"x\")")
    answer = signed_in(office, "arsip").get("/registers/registrasi/export.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[2].value for r in rows] == [r[2] for r in entries(office, "registrasi")]
    evil = [r[7] for r in rows if str(r[7].value).startswith("=")]
    assert evil and all(cell.data_type == "s" for cell in evil)


def test_the_verify_page_says_verified_then_the_first_broken_entry(office):
    client = signed_in(office, "arsip")
    assert "Terverifikasi" in client.get("/registers/registrasi/verify").text
    drop_append_only_triggers(office, "register_log")  # as someone with sqlite3 or psql could
    sql(office, "update register_log set content = replace(content, 'Pemohon', 'Pemalsu') where position = 2 "
                "and register = 'registrasi'")
    page = client.get("/registers/registrasi/verify").text
    assert "Rantai rusak" in page and "registrasi" in page


def test_the_api_lists_searches_and_voids(office):
    from console_support import console

    from sikro_docs import accounts

    _view, token = accounts.create_token(office, "admin1", "skrip", actor="admin1")
    client, auth = console(office), {"authorization": f"Bearer {token}"}
    registers = {r["name"]: r for r in client.get("/api/v1/registers", headers=auth).json()}
    assert registers["registrasi"]["count"] == 4
    found = client.get("/api/v1/registers/registrasi", params={"q": "siti"}, headers=auth).json()
    assert [e["applicant"] for e in found["entries"]] == ["Siti Rahmawati"]
    target = f"/api/v1/registers/registrasi/{found['entries'][0]['id']}/void"
    assert client.post(target, json={}, headers=auth).status_code == 400
    voided = client.post(target, json={"reason": "Ganda"}, headers=auth)
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    assert client.post(target, json={"reason": "lagi"}, headers=auth).status_code == 409  # already void
    assert verify(office) == []


def nothing(_document):
    return []


def test_a_hand_over_with_the_receivers_name_appears_in_the_buku_ekspedisi(office):
    import datetime as dt

    make_user(office, "loket", "front_office")  # registers.dispatch
    [app_id] = make_applications(office, 1, name="Rudi Hartono")
    permit = numbering.issue_document(office, kind="permit", application_id=app_id, on=dt.date(2025, 3, 7),
                                      produce=nothing)
    client = signed_in(office, "loket")
    token = csrf_of(client.get("/dispatch").text)
    assert client.post("/dispatch", data={"csrf": token, "ref": permit.number, "to": "Rudi Hartono",
                                          "received_by": ""}).status_code == 400
    answer = client.post("/dispatch", data={"csrf": token, "ref": permit.number, "to": "Rudi Hartono",
                                            "received_by": "Ani (istri pemohon)"})
    assert answer.status_code == 303
    with db.session(office) as session:
        [line] = numbering.list_dispatches(session)
    assert (line["number"], line["received_by"], line["actor"]) == (permit.number, "Ani (istri pemohon)", "loket")
    page = signed_in(office, "arsip").get("/dispatch").text
    assert "Ani (istri pemohon)" in page and permit.number in page
    assert "+07:00" not in page and " WIB</td>" in page  # the delivery's time as a person reads it
    assert "Catat serah terima" not in page  # arsip sees the book, records nothing
    assert verify(office) == []
