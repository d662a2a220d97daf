"""The staff console in real headless Chromium against `sikro console` as a real process: a back
office clerk signs in with the keyboard, sees her inbox, opens an application and records a step;
at 1366x768 (an office PC) and at tablet size. Screenshots go to the test's tmp dir and to
/tmp/sikro-console-shots/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import needs_tool
from console_support import PASSWORD, ConsoleServer, make_user
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright
from workflow_support import make_application, walk

from sikro_docs import clock, db, registry
from sikro_docs.models import Application
from sikro_docs.workflow.records import StepRecord

pytestmark = needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")

OFFICE_PC = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
SHOTS = Path("/tmp/sikro-console-shots")
BRAND = "rgb(31, 78, 140)"
APPLICANTS = ["Rina Sitanggang, A.Md.RO", "Dewi Lubis", "Sondang Hutapea", "Maria Br. Ginting",
              "Hotman Simanjuntak", "Lestari Manik"]


@pytest.fixture(scope="module")
def office(tmp_path_factory, new_workspace):
    """A workspace whose back office has work waiting (its history in the real past: the server's
    clock is the wall clock), a clerk and a head of division, and the console serving it."""
    ws = new_workspace(tmp_path_factory.mktemp("console-browser") / "ws")
    make_user(ws, "budi", "back_office", name="Budi Situmorang")
    make_user(ws, "kabid", "kabid", name="Kabid Pelayanan")
    start = clock.now(ws.profile) - dt.timedelta(days=3)
    refs = []
    for seq, name in enumerate(APPLICANTS, start=1):
        ref = make_application(ws, name=name, nik_seq=seq)
        last = 4 if seq <= 4 else 5  # four wait on step 5, two on step 6: all the back office's
        walk(ws, ref, range(3, last + 1), start + dt.timedelta(hours=seq), every=dt.timedelta(minutes=10))
        refs.append(ref)
    server = ConsoleServer(ws.root)
    try:
        yield ws, refs, server
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    return context, page


def _shoot(page, name: str, tmp_path: Path) -> None:
    SHOTS.mkdir(exist_ok=True)
    for folder in (tmp_path, SHOTS):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert not [m for m in page.console_messages if "Content Security Policy" in m], page.console_messages


def _sign_in_with_the_keyboard(page, url: str, username: str) -> None:
    page.goto(url)
    assert "/login" in page.url
    assert page.evaluate("document.activeElement.id") == "username"  # the field has the focus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url)


def test_a_clerk_signs_in_sees_her_inbox_and_records_a_step(office, browser, tmp_path):
    ws, refs, server = office
    context, page = _page(browser, OFFICE_PC)
    try:
        _sign_in_with_the_keyboard(page, f"{server.url}/", "budi")
        assert page.inner_text("h1") == "Kotak masuk"
        assert page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor") == BRAND
        tiles = dict(zip(page.locator(".tile .label").all_inner_texts(), page.locator(".tile .count").all_inner_texts()))
        assert tiles["Menunggu Anda"] == "6" and tiles["Terlambat"] == "6"  # all three days old
        names = page.locator("table.list tbody tr td:nth-child(2)").all_inner_texts()
        assert sorted(names) == sorted(APPLICANTS)
        assert page.locator("table.list tbody tr.late").count() == 6
        assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]
        _shoot(page, "inbox-1366", tmp_path)

        with page.expect_navigation():
            page.click(f"text={refs[0]}")
        assert page.inner_text("h1") == f"Permohonan {refs[0]}"
        assert "Rina Sitanggang, A.Md.RO" in page.inner_text(".subtitle")
        assert "******" in page.inner_text("main")  # the NIK is masked
        _shoot(page, "application-1366", tmp_path)
        page.fill("#note-5", "Berkas lengkap dan sesuai standar pelayanan")
        with page.expect_navigation():
            page.click("text=Catat langkah 5")
        assert page.inner_text("p.notice") == "Langkah 5 telah dicatat."
        assert "Catat langkah 6" in page.inner_text(".actions")
        _shoot(page, "application-recorded-1366", tmp_path)
    finally:
        context.close()
    with db.session(ws) as session:
        app = registry.find_application(session, refs[0])
        record = session.query(StepRecord).filter_by(application_id=app.id, step=5).one()
        assert (record.by, record.note, session.get(Application, app.id).current_step) == (
            "budi", "Berkas lengkap dan sesuai standar pelayanan", 5)


def test_the_console_on_a_tablet(office, browser, tmp_path):
    ws, refs, server = office
    context, page = _page(browser, TABLET)
    try:
        _sign_in_with_the_keyboard(page, f"{server.url}/", "budi")
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
        _shoot(page, "inbox-tablet", tmp_path)
        with page.expect_navigation():
            page.click(f"text={refs[1]}")
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
        button = page.locator("button.primary").first.bounding_box()
        assert button["height"] >= 40  # a target a finger can hit
        _shoot(page, "application-tablet", tmp_path)
        with page.expect_navigation():
            page.click("text=English")
        assert page.inner_text("h1") == f"Application {refs[1]}"
        _shoot(page, "application-tablet-en", tmp_path)
    finally:
        context.close()


def test_a_step_of_another_role_is_not_offered_in_the_browser(office, browser, tmp_path):
    ws, refs, server = office
    context, page = _page(browser, OFFICE_PC)
    try:
        _sign_in_with_the_keyboard(page, f"{server.url}/", "kabid")
        assert page.inner_text("p.notice") == "Tidak ada permohonan yang menunggu langkah peran Anda."
        page.goto(f"{server.url}/applications/1")
        assert page.locator("form.step-form").count() == 0
        assert "Menunggu Backoffice / Ka Seksi Pelayanan II" in page.inner_text(".actions")
        _shoot(page, "application-other-role-1366", tmp_path)
    finally:
        context.close()


def test_an_admin_adds_a_user_who_then_signs_in_and_sets_her_password(office, browser, tmp_path):
    ws, refs, server = office
    make_user(ws, "admin1", "admin", name="Admin Kantor")
    context, page = _page(browser, OFFICE_PC)
    try:
        page.goto(f"{server.url}/login")
        _shoot(page, "login-1366", tmp_path)
        _sign_in_with_the_keyboard(page, f"{server.url}/admin/users", "admin1")
        page.fill("#new-username", "sari")
        page.fill("#new-name", "Sari Br. Manik")
        page.check("input[name=roles][value=front_office]")
        page.check("input[name=roles][value=arsiparis]")
        _shoot(page, "users-1366", tmp_path)
        with page.expect_navigation():
            page.click("button:has-text('Tambah pengguna')")
        password = page.inner_text("#one-time-password")
        _shoot(page, "one-time-1366", tmp_path)
    finally:
        context.close()
    context, page = _page(browser, TABLET)
    try:
        page.goto(f"{server.url}/login")
        page.fill("#username", "sari")
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/account/password")
        assert "kata sandi sementara" in page.inner_text("main")
        page.fill("#current", password)
        page.fill("#new", "Loket-Dairi-Pagi-27")
        page.fill("#repeat", "Loket-Dairi-Pagi-27")
        with page.expect_navigation():
            page.click("button:has-text('Simpan kata sandi')")
        assert "Kata sandi telah diganti" in page.inner_text("main")
        page.goto(f"{server.url}/")
        assert page.inner_text("h1") == "Kotak masuk"
        _shoot(page, "inbox-front-office-tablet", tmp_path)
    finally:
        context.close()
