"""The verification page as a citizen sees it: real headless Chromium at phone size against `sikro serve`.

Reads what a person would see (the verdict word, the holder's name, no NIK
digits anywhere in the page text), checks that the stylesheet really
applied under the strict CSP (the verdict's colour) and that the browser
reported no CSP violation. Screenshots go to the test's tmp dir; one set
also to /tmp/sikro-web-shots/ for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import needs_tool
from test_web_support import HOLDER, SIXTEEN_DIGITS, Server, all_niks, make_papers

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the test is skipped outside CI; in CI a missing package fails it
    sync_playwright = None

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/sikro-web-shots")
# The verdict colours of site.css, as the browser computes them.
GREEN, RED_REVOKED, RED_INVALID = "rgb(26, 115, 53)", "rgb(163, 22, 27)", "rgb(180, 35, 24)"

pytestmark = needs_tool(sync_playwright is not None and Path(CHROMIUM).exists(), "chromium and playwright")


@pytest.fixture(scope="module")
def site(tmp_path_factory, new_workspace):
    papers = make_papers(tmp_path_factory.mktemp("browser"), new_workspace)
    server = Server(papers.root)
    try:
        yield papers, server
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    yield page
    context.close()


def open_and_shoot(page, url: str, name: str, tmp_path: Path) -> str:
    """Open `url`, save its screenshot (tmp dir and SHOTS), return the visible text."""
    answer = page.goto(url)
    assert answer.status == 200
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert not [m for m in page.console_messages if "Content Security Policy" in m], page.console_messages
    return page.inner_text("body")


def assert_no_nik(text: str, ws_root: Path) -> None:
    assert not SIXTEEN_DIGITS.search(text.replace(" ", ""))
    assert not any(nik in text for nik in all_niks(ws_root))


def verdict_colour(page) -> str:
    return page.eval_on_selector(".verdict", "el => getComputedStyle(el).backgroundColor")


def test_valid_permit_on_a_phone(site, phone, tmp_path):
    papers, server = site
    qr_url = papers.valid.token.url  # HTTPS://HOST/V/TOKEN, as the phone's camera reads it
    path = qr_url[qr_url.index("/V/"):]
    text = open_and_shoot(phone, server.url + path, "valid", tmp_path)
    assert phone.inner_text(".verdict .headline") == "SAH"
    assert HOLDER in text and papers.valid.number in text
    assert "Berlaku sampai dengan" in text and "WIB" in text
    assert verdict_colour(phone) == GREEN  # the stylesheet applied under the CSP
    assert phone.is_visible(".verdict svg.icon")
    assert_no_nik(text, papers.root)


def test_english_switch_is_a_link(site, phone, tmp_path):
    papers, server = site
    phone.goto(f"{server.url}/V/{papers.valid.token.token}")
    phone.click("text=English")
    phone.wait_for_load_state()
    assert phone.url.endswith("?lang=en")
    assert phone.inner_text(".verdict .headline") == "VALID"
    phone.screenshot(path=str(SHOTS / "valid-en.png"), full_page=True)


def test_revoked_permit_on_a_phone(site, phone, tmp_path):
    papers, server = site
    text = open_and_shoot(phone, f"{server.url}/V/{papers.revoked.token.token}", "revoked", tmp_path)
    assert phone.inner_text(".verdict .headline") == "DICABUT"
    assert "Revoked Holder" in text and "Izin dicabut atas permintaan pemegang" in text
    assert verdict_colour(phone) == RED_REVOKED
    assert_no_nik(text, papers.root)


def test_tampered_code_on_a_phone(site, phone, tmp_path):
    papers, server = site
    text = open_and_shoot(phone, f"{server.url}/V/{papers.tampered}", "tampered", tmp_path)
    assert phone.inner_text(".verdict .headline") == "TIDAK SAH"
    assert HOLDER not in text  # nothing of a forged code is shown as if it were true
    assert "bukan kode dokumen" in text
    assert verdict_colour(phone) == RED_INVALID
    assert_no_nik(text, papers.root)


def test_short_code_typed_into_the_form(site, phone, tmp_path):
    papers, server = site
    phone.goto(f"{server.url}/")
    phone.fill("#k", papers.valid.token.short_code.lower())
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    assert phone.inner_text(".verdict .headline") == "SAH"
    assert HOLDER in phone.inner_text("body")
    phone.screenshot(path=str(SHOTS / "short-code.png"), full_page=True)


def test_receipt_progress_on_a_phone(site, phone, tmp_path):
    papers, server = site
    text = open_and_shoot(phone, f"{server.url}/P/{papers.receipt.token.token}", "progress", tmp_path)
    assert "Status permohonan" in text and "Receipt Holder" in text
    assert "Peninjauan lapangan" in text and "Tim Teknis" in text
    assert_no_nik(text, papers.root)


# --------------------------------------------------------------------------- permit types (issue 14)


@pytest.fixture(scope="module")
def typed_site(tmp_path_factory, new_workspace):
    from test_web_support import make_type_papers

    papers = make_type_papers(tmp_path_factory.mktemp("browser-types"), new_workspace)
    server = Server(papers.root)
    try:
        yield papers, server
    finally:
        _out, err = server.stop()
        assert "Traceback" not in err, err


def own_fields_shown(papers, text: str) -> None:
    """The type's title and each of its QR fields, labelled as the type labels them."""
    from sikro_docs import permit_types

    ptype = permit_types.get(None, papers.type_code)
    assert ptype.title in text
    for name in ptype.qr_fields:
        assert ptype.by_name[name].shown_label in text
    other = permit_types.catalogue().types
    foreign = {f.shown_label for t in other.values() if t.code != ptype.code for f in t.own_fields}
    foreign -= {f.shown_label for f in ptype.fields}
    assert not [label for label in foreign if f"\n{label}\n" in f"\n{text}\n"]


def test_a_permit_of_another_type_shows_its_title_and_its_own_fields(typed_site, phone, tmp_path):
    papers, server = typed_site
    text = open_and_shoot(phone, f"{server.url}/V/{papers.valid.token.token}", "type-valid", tmp_path)
    assert phone.inner_text(".verdict .headline") == "SAH"
    assert HOLDER in text and papers.valid.number in text
    own_fields_shown(papers, text)
    assert verdict_colour(phone) == GREEN
    assert_no_nik(text, papers.root)


def test_a_replaced_permit_says_diganti_with_the_successors_number(typed_site, phone, tmp_path):
    papers, server = typed_site
    text = open_and_shoot(phone, f"{server.url}/V/{papers.replaced.token.token}", "type-replaced", tmp_path)
    assert phone.inner_text(".verdict .headline") == "DIGANTI"
    assert f"diganti dengan izin Nomor {papers.successor_number}" in text
    assert "Replaced Holder" in text and papers.replaced.number in text
    own_fields_shown(papers, text)
    assert verdict_colour(phone) == "rgb(107, 63, 160)"  # --replaced in site.css
    assert phone.is_visible(".verdict svg.icon")
    assert_no_nik(text, papers.root)
    phone.click("text=English")
    phone.wait_for_load_state()
    assert phone.inner_text(".verdict .headline") == "REPLACED"
    assert f"replaced by permit number {papers.successor_number}" in phone.inner_text("body")


def test_a_revoked_permit_of_another_type_says_dicabut_with_the_reason(typed_site, phone, tmp_path):
    papers, server = typed_site
    text = open_and_shoot(phone, f"{server.url}/V/{papers.revoked.token.token}", "type-revoked", tmp_path)
    assert phone.inner_text(".verdict .headline") == "DICABUT"
    assert papers.revoked_reason in text and "Revoked Holder" in text
    own_fields_shown(papers, text)
    assert verdict_colour(phone) == RED_REVOKED
    assert_no_nik(text, papers.root)
