"""The dashboard area: the office of console_support.office() (six applications at known SOP steps,
each step a minute after the last) gives known counts, service times and overdue applications on
the page, in its inline SVG charts, in the JSON API and in the SLA workbook; other roles get 403."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from conftest import needs_tool
from console_support import NOW, PASSWORD, ConsoleServer, console, make_user, office, signed_in
from openpyxl import load_workbook

from sikro_docs import accounts, clock

# office(): five applications walked from step 3 a minute apart (the front office's step 4 done
# five times: 5 minutes, 0.08 working hours), three past the Kepala Dinas's paraf; one returned.
TYPES = {"sikro": {"approved": 3, "open": 2, "returned": 1}}


@pytest.fixture
def staff(workspace):
    ws = workspace
    make_user(ws, "admin1", "admin", name="Admin Satu")
    make_user(ws, "budi", "back_office", name="Budi")
    return ws, office(ws)


def by_step(rows):
    return {r["step"]: r for r in rows}


def test_the_api_gives_the_months_counts_service_times_and_overdue(staff):
    ws, known = staff
    _view, token = accounts.create_token(ws, "admin1", "dasbor", actor="admin1")
    client = console(ws)
    with clock.frozen(NOW):
        data = client.get("/api/v1/dashboard?month=2027-08", headers={"authorization": f"Bearer {token}"}).json()
        this_month = client.get("/api/v1/dashboard", headers={"authorization": f"Bearer {token}"}).json()
        july = client.get("/api/v1/dashboard?month=2027-07", headers={"authorization": f"Bearer {token}"}).json()
        bad = client.get("/api/v1/dashboard?month=2027-13", headers={"authorization": f"Bearer {token}"})
    assert this_month == data and data["month"] == "2027-08"
    assert {r["permit_type"]: r["statuses"] for r in data["by_type"]} == TYPES
    steps = by_step(data["steps"])
    assert (steps[4]["count"], steps[4]["standard_hours"], steps[4]["actual_hours"]) == (5, 15.0, 0.08)
    assert (steps[20]["count"], steps[20]["standard_hours"], steps[20]["actual_hours"]) == (1, 8.0, 0.02)
    roles = {r["role"]: r for r in data["roles"]}
    assert (roles["kadis"]["count"], roles["tim_teknis"]["count"], roles["back_office"]["count"]) == (1, 6, 14)
    assert {o["id"] for o in data["overdue"]} == {known.ids["at_step18"], known.ids["at_step22"]}
    assert july["by_type"] == [] and july["steps"] == [] and july["applications"] == 0
    assert bad.status_code == 400


def test_the_page_shows_tables_and_charts_with_the_same_figures(staff):
    ws, known = staff
    with clock.frozen(NOW):
        client = signed_in(ws, "admin1")
        page = client.get("/dashboard?month=2027-08")
        empty = client.get("/dashboard?month=2027-07")
        wrong = client.get("/dashboard?month=agustus")
        english = client.get("/dashboard?month=2027-08&lang=en")  # the language sticks (a cookie): last
    assert page.status_code == 200, page.text
    html = page.text
    assert "Dasbor bulan 2027-08" in html and "Dashboard for 2027-08" in english.text
    assert '<th scope="row">SIKRO</th><td>3</td><td>2</td><td>1</td><td>6</td>' in html
    assert "4. Mengentri berkas" in html and "<td>5</td><td>15.0</td><td>0.08</td>" in html
    # the charts: inline SVG, described for a screen reader, the figures as in the table
    assert html.count("<svg") == 2 and '<title id="dash-steps-title">' in html and "<desc" in html
    assert "15.0 / 0.08" in html and "8.0 / 0.02" in html
    for key in ("at_step18", "at_step22"):
        assert f'href="/applications/{known.ids[key]}"' in html
    assert f'href="/applications/{known.ids["at_step5"]}"' not in html  # not late yet
    assert "Tidak ada data untuk bulan ini." in empty.text
    assert wrong.status_code == 400


def test_the_sla_workbook_of_the_month(staff):
    ws, _known = staff
    with clock.frozen(NOW):
        client = signed_in(ws, "admin1")
        answer = client.get("/dashboard/sla.xlsx?month=2027-08")
    assert answer.status_code == 200 and "laporan-sla-2027-08.xlsx" in answer.headers["content-disposition"]
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Ringkasan", "Per Langkah", "Per Peran", "Standar SOP"]
    assert book["Ringkasan"].max_row == 1 + 5  # the five applications with steps recorded


def test_other_roles_are_refused(staff):
    """dashboard.view is the heads' and the admin's (roles.toml): the front office is refused."""
    ws, _known = staff
    make_user(ws, "rina", "front_office", name="Rina")
    with clock.frozen(NOW):
        client = signed_in(ws, "rina")
        _view, token = accounts.create_token(ws, "rina", "x", actor="rina")
        assert client.get("/dashboard").status_code == 403
        assert client.get("/dashboard/sla.xlsx").status_code == 403
        assert client.get("/api/v1/dashboard", headers={"authorization": f"Bearer {token}"}).status_code == 403
        assert 'href="/dashboard"' not in client.get("/").text


# --------------------------------------------------------------------------- a person looks at it


def _browser_ready() -> bool:
    try:
        from test_web_browser import CHROMIUM, sync_playwright
    except ImportError:
        return False
    return sync_playwright is not None and Path(CHROMIUM).exists()


@needs_tool(_browser_ready(), "chromium and playwright")
def test_the_dashboard_in_chromium_at_1366x768(workspace):
    from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright
    from workflow_support import make_application, walk

    ws = workspace
    make_user(ws, "admin1", "admin", name="Admin Satu")
    from sikro_docs.workflow import load_sop

    path = [s.number for s in load_sop().path("approve")]
    start = clock.now(ws.profile) - dt.timedelta(days=2)  # the server's clock is the wall clock
    for seq in range(1, 5):
        ref = make_application(ws, name=f"Pemohon {seq}", nik_seq=seq)
        walk(ws, ref, path[path.index(3):path.index(3) + 2 * seq], start + dt.timedelta(hours=seq),
             every=dt.timedelta(hours=3))
    server = ConsoleServer(ws.root)
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = chromium.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.goto(f"{server.url}/login")
            page.fill("#username", "admin1")
            page.fill("#password", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{server.url}/")
            page.goto(f"{server.url}/dashboard?month={start:%Y-%m}")
            assert page.locator("svg.dash-chart").count() == 2
            page.screenshot(path="/tmp/dashboard-1366.png", full_page=True)
            chromium.close()
    finally:
        _out, err = server.stop()
    assert "Traceback" not in err, err
