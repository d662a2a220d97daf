"""The console's archive area: search the berkas, open one, record where its paper sits.

Berkas are real bags (a signed permit's scan filed through the archive library, as
`sikro archive add` files it); every request is a real ASGI round trip through the
console's Guard (Starlette's TestClient); a place is checked in the index's rows
and in the berkas's PREMIS events with the signed-in user as the agent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from archive_support import make_permit, paper
from conftest import needs_tool
from console_support import PASSWORD, ConsoleServer, csrf_of, make_user, signed_in
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright

from sikro_docs import accounts, db
from sikro_docs.archive import file_by_ref, place
from sikro_docs.archive.events import LOCATION_CHANGE
from sikro_docs.archive.tables import ArchiveEvent, Berkas, Location
from sikro_docs.console import create_app
from sikro_docs.verification import read_qr_codes

NASTY = '<script>alert("x")</script> Tan & Sons'
SHELF = {"room": "Ruang Arsip 1", "cabinet": "2", "shelf": "3"}
NEW_PLACE = {"room": "Ruang Arsip 2", "cabinet": "5", "shelf": "1", "box": "31", "folder": "7"}


def _filed(ws, tmp_path, name: str, box: str | None, folder: str = "1"):
    permit = make_permit(ws, name=name)
    file_by_ref(ws, paper(tmp_path / f"{name[:8]}-{folder}.pdf", permit.url), permit.number)
    if box:
        place(ws, permit.registration_number, {**SHELF, "box": box, "folder": folder})
    return permit


def _berkas_row(ws, registration_number: str) -> tuple[int, int | None]:
    with db.session(ws) as session:
        row = session.scalars(select(Berkas).where(Berkas.registration_number == registration_number)).one()
        return row.id, row.application_id


@pytest.fixture
def archive(workspace, tmp_path):
    """Two placed berkas (one with markup in the name) and one not placed yet; an Arsiparis and a Kepala Dinas."""
    placed = _filed(workspace, tmp_path, "Dewi Lubis", "12", "4")
    nasty = _filed(workspace, tmp_path, NASTY, "12", "10")
    loose = _filed(workspace, tmp_path, "Sondang Hutapea", None)
    make_user(workspace, "arsip", "arsiparis", name="Petugas Arsip")
    make_user(workspace, "kadis", "kadis")
    return workspace, placed, nasty, loose


def _events(ws, berkas_id: int) -> list[ArchiveEvent]:
    with db.session(ws) as session:
        number = session.get(Berkas, berkas_id).berkas_number
        return list(session.scalars(select(ArchiveEvent).where(ArchiveEvent.berkas_number == number,
                                                               ArchiveEvent.type == LOCATION_CHANGE)
                                    .order_by(ArchiveEvent.id)))


def _location(ws, berkas_id: int) -> dict | None:
    with db.session(ws) as session:
        row = session.get(Location, berkas_id)
        return {p: getattr(row, p) for p in NEW_PLACE} if row else None


# --------------------------------------------------------------------------- search


def test_search_by_name_lists_the_berkas_with_its_place_and_links(archive):
    ws, placed, _nasty, _loose = archive
    berkas_id, app_id = _berkas_row(ws, placed.registration_number)
    client = signed_in(ws, "arsip")
    page = client.get("/archive", params={"q": "Lubis"})
    assert page.status_code == 200
    assert placed.registration_number in page.text and "Hutapea" not in page.text
    assert f'href="/archive/berkas/{berkas_id}"' in page.text
    assert f'href="/applications/{app_id}"' in page.text and 'href="/A/BOX/12"' in page.text
    assert "Ruang Arsip 1, Lemari 2, Rak 3, Boks 12, Map 4" in page.text
    assert "1 berkas ditemukan" in page.text
    english = client.get("/archive", params={"q": "Lubis", "lang": "en"})
    assert "1 berkas found" in english.text and "Where the paper sits" in english.text


def test_search_by_registration_and_by_permit_number(archive):
    ws, placed, _nasty, loose = archive
    client = signed_in(ws, "arsip")
    by_registration = client.get("/archive", params={"q": loose.registration_number})
    assert "Sondang Hutapea" in by_registration.text and "Lubis" not in by_registration.text
    assert "belum dicatat" in by_registration.text and "sikro archive place" not in by_registration.text
    by_number = client.get("/archive", params={"q": placed.number})
    assert "Dewi Lubis" in by_number.text and placed.number in by_number.text  # the matched document


def test_names_are_escaped_and_nothing_found_is_said(archive):
    ws, *_ = archive
    client = signed_in(ws, "arsip")
    page = client.get("/archive", params={"q": "Tan Sons"})
    assert "&lt;script&gt;" in page.text and '<script>alert("x")' not in page.text
    none = client.get("/archive", params={"q": "Simanjuntak"})
    assert none.status_code == 200 and "Tidak ada berkas yang cocok" in none.text
    long = client.get("/archive", params={"q": "x" * 500})
    assert long.status_code == 400 and "terlalu panjang" in long.text


def test_search_is_for_the_archive_and_who_sees_the_registers(archive):
    ws, *_ = archive
    assert signed_in(ws, "kadis").get("/archive", params={"q": "Lubis"}).status_code == 200  # registers.view
    client = TestClient(create_app(ws), raise_server_exceptions=False, follow_redirects=False)
    assert client.get("/archive").status_code == 303  # no session: the sign-in page


# --------------------------------------------------------------------------- one berkas, placing


def test_the_berkas_page_shows_its_data_masked_and_its_place(archive):
    ws, placed, _nasty, _loose = archive
    berkas_id, app_id = _berkas_row(ws, placed.registration_number)
    page = signed_in(ws, "arsip").get(f"/archive/berkas/{berkas_id}")
    assert page.status_code == 200
    assert "Dewi Lubis" in page.text and 'href="/A/BOX/12"' in page.text
    assert f'href="/applications/{app_id}"' in page.text
    assert "1211014503910002" not in page.text  # the NIK is only shown masked
    assert 'name="room"' in page.text and 'value="Ruang Arsip 1"' in page.text  # the form, filled in
    assert signed_in(ws, "arsip").get("/archive/berkas/99999").status_code == 404


def test_placing_through_the_form_records_the_place_with_the_user(archive):
    ws, _placed, _nasty, loose = archive
    berkas_id, _app = _berkas_row(ws, loose.registration_number)
    client = signed_in(ws, "arsip")
    page = client.get(f"/archive/berkas/{berkas_id}")
    assert "belum dicatat" in page.text
    answer = client.post(f"/archive/berkas/{berkas_id}/place", data={"csrf": csrf_of(page.text), **NEW_PLACE})
    assert answer.status_code == 303 and answer.headers["location"] == f"/archive/berkas/{berkas_id}?placed=1"
    assert _location(ws, berkas_id) == NEW_PLACE
    events = _events(ws, berkas_id)
    assert [e.agent for e in events] == ["arsip"] and events[-1].detail["location"] == NEW_PLACE
    shown = client.get(answer.headers["location"])
    assert "Lokasi dicatat: Ruang Arsip 2, Lemari 5, Rak 1, Boks 31, Map 7." in shown.text
    found = client.get("/archive", params={"q": "Hutapea"})
    assert "Boks 31, Map 7" in found.text and 'href="/A/BOX/31"' in found.text


def test_a_place_missing_a_part_is_refused_and_nothing_is_written(archive):
    ws, placed, _nasty, _loose = archive
    berkas_id, _app = _berkas_row(ws, placed.registration_number)
    client = signed_in(ws, "arsip")
    csrf = csrf_of(client.get(f"/archive/berkas/{berkas_id}").text)
    before = len(_events(ws, berkas_id))
    answer = client.post(f"/archive/berkas/{berkas_id}/place", data={"csrf": csrf, **NEW_PLACE, "shelf": "  "})
    assert answer.status_code == 400 and "Isi semua bagian lokasi" in answer.text
    assert 'value="Ruang Arsip 2"' in answer.text  # what was typed stays in the form
    too_long = client.post(f"/archive/berkas/{berkas_id}/place", data={"csrf": csrf, **NEW_PLACE, "box": "9" * 101})
    assert too_long.status_code == 400
    assert _location(ws, berkas_id)["box"] == "12" and len(_events(ws, berkas_id)) == before


def test_placing_needs_the_archivists_role_and_the_csrf_token(archive):
    ws, placed, _nasty, _loose = archive
    berkas_id, _app = _berkas_row(ws, placed.registration_number)
    kadis = signed_in(ws, "kadis")
    page = kadis.get(f"/archive/berkas/{berkas_id}")
    assert page.status_code == 200 and 'name="room"' not in page.text  # sees it, no form
    refused = kadis.post(f"/archive/berkas/{berkas_id}/place", data={"csrf": csrf_of(page.text), **NEW_PLACE})
    assert refused.status_code == 403
    arsip = signed_in(ws, "arsip")
    assert arsip.post(f"/archive/berkas/{berkas_id}/place", data=NEW_PLACE).status_code == 403
    assert _location(ws, berkas_id)["box"] == "12"
    assert all(e.agent != "arsip" for e in _events(ws, berkas_id))


# --------------------------------------------------------------------------- labels, due lists


def test_box_labels_download_as_the_library_makes_them(archive, tmp_path):
    ws, *_ = archive
    client = signed_in(ws, "arsip")
    assert 'action="/archive/labels"' in client.get("/archive").text
    answer = client.get("/archive/labels", params={"box": "12"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and "label-boks-12.pdf" in answer.headers["content-disposition"]
    (tmp_path / "label.pdf").write_bytes(answer.content)
    assert read_qr_codes(tmp_path / "label.pdf")[0].startswith("BOKS 12 ")
    empty = client.get("/archive/labels", params={"box": "99"})
    assert empty.status_code == 404 and "belum berisi berkas" in empty.text
    assert signed_in(ws, "kadis").get("/archive/labels", params={"box": "12"}).status_code == 403


def test_the_due_list_and_the_lists_the_library_writes(archive, tmp_path):
    ws, placed, _nasty, _loose = archive
    berkas_id, _app = _berkas_row(ws, placed.registration_number)
    client = signed_in(ws, "arsip")
    today = client.get("/archive/due", params={"on": "2027-08-02"})
    assert today.status_code == 200 and "Tidak ada berkas yang jatuh tempo" in today.text
    later = client.get("/archive/due", params={"on": "2030-01-15"})  # the active period (to 2029) has ended
    assert later.text.count("Pindah ke arsip inaktif") == 3 and f'href="/archive/berkas/{berkas_id}"' in later.text
    assert 'href="/archive/lists/daftar-aktif.xlsx?on=2030-01-15"' in later.text
    workbook = client.get("/archive/lists/daftar-aktif.xlsx", params={"on": "2027-08-02"})
    assert workbook.status_code == 200 and workbook.headers["content-type"].startswith("application/vnd.openxml")
    (tmp_path / "aktif.xlsx").write_bytes(workbook.content)
    cells = [c for row in load_workbook(tmp_path / "aktif.xlsx").active.iter_rows(values_only=True)
             for c in row if c]
    assert "DAFTAR ARSIP AKTIF" in cells and "Keadaan per 2027-08-02" in cells
    assert placed.registration_number.replace("/", "-") in " ".join(map(str, cells))  # its berkas number
    assert client.get("/archive/lists/berita-acara.xlsx").status_code == 404
    assert signed_in(ws, "kadis").get("/archive/due").status_code == 403
    due = _api(ws, "arsip").get("/api/v1/archive/due", params={"on": "2030-01-15"}).json()
    assert {(d["action"], d["since"]) for d in due["due"]} == {("move-inactive", "2030-01-01")}
    assert _api(ws, "arsip").get("/api/v1/archive/due", params={"on": "kemarin"}).status_code == 400


# --------------------------------------------------------------------------- the API


def _api(ws, username: str) -> TestClient:
    _view, token = accounts.create_token(ws, username, "tes", actor="tester")
    client = TestClient(create_app(ws), raise_server_exceptions=False, follow_redirects=False)
    client.headers["authorization"] = f"Bearer {token}"
    return client


def test_the_api_searches_and_places_with_the_tokens_user(archive):
    ws, placed, _nasty, loose = archive
    berkas_id, app_id = _berkas_row(ws, loose.registration_number)
    client = _api(ws, "arsip")
    found = client.get("/api/v1/archive", params={"q": "Hutapea"})
    assert found.status_code == 200
    hits = found.json()["hits"]
    assert [(h["id"], h["application_id"], h["box"], h["location"]) for h in hits] == [(berkas_id, app_id, None, None)]
    assert client.get("/api/v1/archive").status_code == 400
    shown = client.get(f"/api/v1/archive/berkas/{berkas_id}").json()
    assert shown["location"] is None and "nik" not in shown and shown["nik_masked"] != ""
    placed_now = client.post(f"/api/v1/archive/berkas/{berkas_id}/place", json=NEW_PLACE)
    assert placed_now.status_code == 200 and placed_now.json()["location"] == NEW_PLACE
    assert _location(ws, berkas_id) == NEW_PLACE and [e.agent for e in _events(ws, berkas_id)] == ["arsip"]
    missing = client.post(f"/api/v1/archive/berkas/{berkas_id}/place", json={"room": "R"})
    assert missing.status_code == 400 and missing.json()["error"] == "location-invalid"
    assert client.get("/api/v1/archive/berkas/99999").status_code == 404
    kadis = _api(ws, "kadis")
    assert kadis.post(f"/api/v1/archive/berkas/{berkas_id}/place", json=NEW_PLACE).status_code == 403
    assert len(_events(ws, berkas_id)) == 1


# --------------------------------------------------------------------------- in a real browser

OFFICE_PC = {"width": 1366, "height": 768}


@needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")
def test_an_archivist_finds_a_berkas_and_records_its_place_in_chromium(archive):
    ws, _placed, _nasty, loose = archive
    berkas_id, _app = _berkas_row(ws, loose.registration_number)
    server = ConsoleServer(ws.root)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chromium.new_page(viewport=OFFICE_PC)
            blocked = []
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{server.url}/login?next=%2Farchive")
            page.fill("#username", "arsip")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.inner_text("h1") == "Arsip berkas"
            page.fill("#q", "Hutapea")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.locator("table.archive-hits tbody tr").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            page.screenshot(path="/tmp/archive-search-1366.png", full_page=True)
            with page.expect_navigation():
                page.click(f"text={loose.registration_number}")
            for part, value in NEW_PLACE.items():
                page.fill(f"#place-{part}", value)
            page.screenshot(path="/tmp/archive-berkas-1366.png", full_page=True)
            with page.expect_navigation():
                page.click("text=Simpan lokasi")
            assert "Lokasi dicatat" in page.inner_text("p.notice")
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            page.screenshot(path="/tmp/archive-placed-1366.png", full_page=True)
            page.goto(f"{server.url}/archive/due?on=2030-01-15")
            assert page.locator("table.archive-due tbody tr").count() == 3
            assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
            page.screenshot(path="/tmp/archive-due-1366.png", full_page=True)
            page.goto(f"{server.url}/archive")
            page.screenshot(path="/tmp/archive-index-1366.png", full_page=True)
            chromium.close()
            assert not blocked, blocked
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err
    assert _location(ws, berkas_id) == NEW_PLACE and [e.agent for e in _events(ws, berkas_id)] == ["arsip"]
