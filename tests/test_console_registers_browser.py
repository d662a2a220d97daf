"""The register page through real Chromium: sign in, search by name, look at it (a screenshot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import needs_tool
from console_support import PASSWORD, ConsoleServer, make_user
from registers_support import make_applications
from test_web_browser import CHROMIUM, CHROMIUM_ARGS, sync_playwright

pytestmark = needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")


@pytest.fixture
def served(workspace):
    make_user(workspace, "admin1", "admin", name="Admin Kantor")
    make_applications(workspace, 5, name="Pemohon")
    make_applications(workspace, 1, name="Siti Rahmawati")
    server = ConsoleServer(workspace.root)
    try:
        yield server
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err


def test_the_register_page_searches_in_a_real_browser(served):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(viewport={"width": 1366, "height": 768}).new_page()
            csp = []
            page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(f"{served.url}/registers/registrasi")
            page.fill("#username", "admin1")
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.inner_text("h1") == "Register: registrasi"
            assert page.locator("table.register-entries tbody tr").count() == 6
            page.fill("#q", "siti")
            with page.expect_navigation():
                page.click("button:text('Cari')")
            assert page.locator("table.register-entries tbody tr").count() == 1
            assert "Siti Rahmawati" in page.inner_text("table.register-entries")
            page.goto(f"{served.url}/registers/registrasi")
            page.screenshot(path="/tmp/registers-1366.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            assert not csp, csp
        finally:
            chromium.close()
