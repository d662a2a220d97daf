"""A day of the office through the browser, as its people do it: real Chromium against `sikro
console` as a real process (its own worker running the jobs), every role signed in on its own.

The front office uploads the day's workbook and prints the receipts (a batch of them, which
records step 3), enters the files (step 4); the back office verifies and asks the technical team
(5, 6); the Tim Teknis inspects and recommends (7, 8); the back office prints the permit draft
(16, 17); the Kabid and the Sekretaris paraf it (18, 19); the Ksb. Umum prints the numbered
permit (a batch: the number comes before the signature, which must cover it); the Kepala Dinas
signs it in the signing queue (PAdES, the passphrase typed; the queue records step 20); the Ksb.
Umum records the number given (21); the front office hands it over (22) and the Buku Ekspedisi
names the receiver. Afterwards every register verifies and the permit's signature
validates with pyHanko.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import needs_soffice, needs_tool
from console_support import PASSWORD, ConsoleServer, make_user
from sqlalchemy import select
from test_intake_support import make_workbook, valid_record
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright

from sikro_docs import db, numbering
from sikro_docs.models import Application
from sikro_docs.numbering import Document
from sikro_docs.signing import enable_demo_signing, validate_signatures, workspace_trust_roots
from sikro_docs.signing.demo_ca import DEMO_DIR, PASSPHRASE_NAME
from sikro_docs.workflow.records import StepRecord

pytestmark = [needs_soffice,
              needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")]

OFFICE_PC = {"width": 1366, "height": 768}
SHOTS = Path("/tmp/sikro-console-shots")
STAFF = {"loket": ("front_office", "Rina Loket"), "budi": ("back_office", "Budi Situmorang"),
         "tono": ("tim_teknis", "Tono Tim Teknis"), "kabid": ("kabid", "Kabid Pelayanan"),
         "sekre": ("sekretaris", "Sekretaris Dinas"), "kadis": ("kadis", "Kepala Dinas"),
         "umum": ("ksb_umum", "Ksb. Umum")}
RECOMMENDATION = "440/0123/DINKES/XII/2026"


@pytest.fixture
def office(tmp_path, new_workspace):
    ws = new_workspace(tmp_path / "ws")
    ws, _p12, _added = enable_demo_signing(ws)
    for username, (role, name) in STAFF.items():
        make_user(ws, username, role, name=name)
    book = make_workbook(tmp_path / "hari-ini.xlsx", [
        valid_record(no_registrasi=None),  # new applications: the registry gives their numbers
        valid_record(no_registrasi=None, nama="Dewi Lubis, A.Md.RO", nik="1211014503910004")])
    server = ConsoleServer(ws.root)
    try:
        yield ws, book, server
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err


class Desk:
    """One person at their desk: a browser context of their own, signed in."""

    def __init__(self, browser, server, username: str):
        self.server, self.username = server, username
        self.context = browser.new_context(viewport=OFFICE_PC, accept_downloads=True)
        self.page = self.context.new_page()
        self.csp = []
        self.page.on("console", lambda m: self.csp.append(m.text) if "Content Security Policy" in m.text else None)
        self.page.goto(f"{server.url}/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")

    def go(self, path: str) -> None:
        self.page.goto(f"{self.server.url}{path}")

    def shoot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"day-{name}.png"), full_page=True)
        assert not self.csp, self.csp
        assert self.page.evaluate("document.documentElement.scrollWidth") <= OFFICE_PC["width"]

    def record(self, app_id: int, step: int, *, decision: str | None = None, confirm: bool = False) -> None:
        """Record `step` on the application's page with its form, as offered to this person."""
        self.go(f"/applications/{app_id}")
        form = self.page.locator(f"form.step-form:has(input[name=step][value='{step}'])")
        assert form.count() == 1, f"step {step} is not offered to {self.username}: {self.page.inner_text('main')}"
        if decision:
            form.locator(f"input[name=decision][value={decision}]").check()
            form.locator("input[name=recommendation]").fill(RECOMMENDATION)
        if confirm:
            form.locator("input[name=confirm]").check()
        with self.page.expect_navigation(timeout=120_000):  # a step that makes documents converts them
            form.locator("button[type=submit]").click()
        notice = self.page.locator("p.notice")
        assert notice.count() == 1 and notice.inner_text() == f"Langkah {step} telah dicatat.", \
            self.page.inner_text("main")

    def close(self) -> None:
        self.context.close()


def _wait_for_job(desk: Desk, link_text: str) -> None:
    """On a job's page: wait until the worker finished it (the page follows it by itself), then
    open its result; a failed job is the test's failure, with what the page says."""
    desk.page.wait_for_selector(f"a:has-text('{link_text}'), .badge.job-failed, .badge.job-cancelled",
                                timeout=300_000)  # a cold LibreOffice on a loaded machine
    assert desk.page.locator(".badge.job-failed, .badge.job-cancelled").count() == 0, desk.page.inner_text("main")
    with desk.page.expect_navigation():
        desk.page.click(f"a:has-text('{link_text}')")


def test_a_day_of_the_office_in_the_browser(office):
    ws, book, server = office
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            app_ids = _front_office_morning(browser, server, book)
            app_id = app_ids[0]
            _through_the_sop(browser, server, app_id)
            _ksb_umum_prints_the_permit(browser, server, app_id)
            _kepala_dinas_signs(browser, server, ws)
            _front_office_hands_over(browser, server, app_id)
        finally:
            browser.close()
    _the_evidence_holds(ws, app_id)


def _front_office_morning(browser, server, book: Path) -> list[int]:
    loket = Desk(browser, server, "loket")
    try:
        loket.go("/intake")
        loket.page.set_input_files("#intake-file", str(book))
        with loket.page.expect_navigation():
            loket.page.click("button:has-text('Unggah dan impor')")
        _wait_for_job(loket, "Hasil impor")
        assert "Semua baris benar." in loket.page.inner_text("main")
        loket.shoot("1-import")
        _make_a_batch(loket, "receipt", 2)
        with loket.page.expect_download() as download:
            loket.page.locator("a[href*='/pdf/']").first.click()
        assert download.value.suggested_filename.endswith(".pdf")
        loket.shoot("2-receipts")
        ids = _ids_at_step(server, 3)
        loket.record(ids[0], 4)
        return ids
    finally:
        loket.close()


def _ids_at_step(server, step: int) -> list[int]:
    from sikro_docs.workspace import open_workspace

    ws = open_workspace(server.ws_root)
    with db.session(ws) as session:
        return list(session.scalars(select(Application.id).where(Application.current_step == step)
                                    .order_by(Application.id)))


def _through_the_sop(browser, server, app_id: int) -> None:
    for username, steps in (("budi", [5, 6]), ("tono", [7, 8]), ("budi", [16, 17]), ("kabid", [18]),
                            ("sekre", [19])):
        desk = Desk(browser, server, username)
        try:
            desk.go("/")
            assert desk.page.locator(f"a[href='/applications/{app_id}']").count() >= 1, \
                f"{username}'s inbox lacks the application: {desk.page.inner_text('main')}"
            for step in steps:
                task = step in (18, 19)
                desk.record(app_id, step, decision="approve" if step == 8 else None, confirm=task)
            desk.shoot(f"3-{username}-{steps[-1]}")
        finally:
            desk.close()


def _make_a_batch(desk: Desk, kind: str, count: int) -> None:
    """On the documents page: tick the `count` applications ready for `kind`, make them, open the result."""
    desk.go(f"/documents?kind={kind}")
    boxes = desk.page.locator("input[type=checkbox][name=ref]")
    assert boxes.count() == count, desk.page.inner_text("main")
    for index in range(count):
        boxes.nth(index).check()
    with desk.page.expect_navigation():
        desk.page.click("#docs-batch button[type=submit]")
    _wait_for_job(desk, "Hasil")
    assert desk.page.locator("a[href*='/pdf/']").count() == count, desk.page.inner_text("main")


def _ksb_umum_prints_the_permit(browser, server, app_id: int) -> None:
    umum = Desk(browser, server, "umum")
    try:
        _make_a_batch(umum, "permit", 1)
        umum.shoot("4-permit-printed")
    finally:
        umum.close()


def _kepala_dinas_signs(browser, server, ws) -> None:
    kadis = Desk(browser, server, "kadis")
    try:
        kadis.go("/documents/sign")
        # the day's letters the Kepala Dinas signs wait too (the request to the technical team...): all chosen
        waiting = kadis.page.locator("input[type=checkbox][name=doc]:checked")
        assert waiting.count() >= 2 and "Surat Izin" in kadis.page.inner_text("main"), kadis.page.inner_text("main")
        kadis.page.fill("input[type=password]", _passphrase(ws))
        kadis.shoot("5-signing-queue")
        with kadis.page.expect_navigation(timeout=120_000):
            kadis.page.click("form[action='/documents/sign'] button[type=submit]")
        assert kadis.page.locator("input[type=checkbox][name=doc]").count() == 0
        kadis.shoot("6-signed")
    finally:
        kadis.close()
    umum = Desk(browser, server, "umum")
    try:
        umum.record(_only_id(server), 21)
    finally:
        umum.close()


def _only_id(server) -> int:
    [app_id] = _ids_at_step(server, 20)
    return app_id


def _passphrase(ws) -> str:
    return (ws.keys_dir / DEMO_DIR / PASSPHRASE_NAME).read_text("utf-8").rstrip("\r\n")


def _front_office_hands_over(browser, server, app_id: int) -> None:
    loket = Desk(browser, server, "loket")
    try:
        loket.record(app_id, 22)
        loket.go("/dispatch")
        assert "Rina Sitanggang" in loket.page.inner_text("main")
        loket.shoot("7-dispatch")
    finally:
        loket.close()


def _the_evidence_holds(ws, app_id: int) -> None:
    with db.session(ws) as session:
        assert numbering.verify_registers(session, ws) == []
        steps = [(r.step, r.by) for r in session.scalars(select(StepRecord).where(StepRecord.application_id == app_id)
                                                         .order_by(StepRecord.id))]
        permit = session.scalars(select(Document).where(Document.application_id == app_id,
                                                        Document.kind == "permit", Document.status == "issued")).one()
        [line] = numbering.list_dispatches(session)
    assert steps == [(3, "loket"), (4, "loket"), (5, "budi"), (6, "budi"), (7, "tono"), (8, "tono"),
                     (16, "budi"), (17, "budi"), (18, "kabid"), (19, "sekre"), (20, "kadis"), (21, "umum"),
                     (22, "loket")]
    assert line["number"] == permit.number
    pdf = next(ws.root / f for f in permit.files if str(f).endswith(".pdf"))
    [signature] = validate_signatures(pdf, workspace_trust_roots(ws))
    assert signature.intact and signature.trusted and signature.covers_whole_file, signature
