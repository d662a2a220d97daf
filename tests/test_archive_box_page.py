"""The QR of a box label and the page it opens: the staff console's, behind its sign-in (Arsiparis, Admin).

The label's QR is read back with the project's own decoder (pypdfium2 +
zxing-cpp); the pages go through Starlette's TestClient (a real ASGI round
trip); the berkas are real bags filed and placed through the archive API.
"""

from __future__ import annotations

import re

import pytest
from archive_support import make_permit, paper, run
from console_support import PASSWORD, console, make_user, sign_in, signed_in
from starlette.testclient import TestClient

from sikro_docs.archive import file_by_ref, place, write_labels
from sikro_docs.errors import SikroError
from sikro_docs.verification import read_qr_codes
from sikro_docs.web import create_app
from sikro_docs.workspace import open_workspace

INTERNAL_URL = "http://arsip.dpmptsp.lan:8080"
NASTY = '<script>alert("x")</script> Tan & Sons'
SHELF = {"room": "Ruang Arsip 1", "cabinet": "2", "shelf": "3"}
PLAIN_TEXT = "BOKS 12 · Ruang Arsip 1, Lemari 2, Rak 3 · DPMPTSPK Kabupaten Dairi"


def _filed(ws, tmp_path, name: str, workplace: str, box: str, folder: str):
    permit = make_permit(ws, name=name, workplace=workplace)
    file_by_ref(ws, paper(tmp_path / f"{folder}.pdf", permit.url), permit.registration_number)
    place(ws, permit.registration_number, {**SHELF, "box": box, "folder": folder})
    return permit


@pytest.fixture
def box12(workspace, tmp_path):
    """Box 12 holds folder 4 (a name with markup in it) and folder 10; box 7 holds another berkas."""
    first = _filed(workspace, tmp_path, NASTY, "Optik <b>Terang</b>", "12", "4")
    second = _filed(workspace, tmp_path, "Dewi Lubis", "Optik Sidikalang", "12", "10")
    other = _filed(workspace, tmp_path, "Sondang Hutapea", "Optik Lain", "7", "1")
    return first, second, other


def _with_internal_url(ws, value: str = INTERNAL_URL):
    """The office uncomments the setting the default profile shows (under [archive]) and gives its address."""
    text = ws.profile_path.read_text(encoding="utf-8")
    text, count = re.subn(r"^(# )?internal_url = .*$", f'internal_url = "{value}"', text, flags=re.M)
    assert count == 1
    ws.profile_path.write_text(text, encoding="utf-8")
    return open_workspace(ws.root)


def test_default_profile_shows_internal_url_commented(workspace):
    assert f'[archive]\n# internal_url = "{INTERNAL_URL}"' in workspace.profile_path.read_text(encoding="utf-8")
    assert "internal_url" not in workspace.profile["archive"]


def _public(ws) -> TestClient:
    return TestClient(create_app(ws, rate_limit=None), raise_server_exceptions=False)


def _archivist(ws) -> TestClient:
    """The console, signed in as an Arsiparis."""
    make_user(ws, "arsip", "arsiparis", name="Petugas Arsip")
    return signed_in(ws, "arsip")


# --------------------------------------------------------------------------- the label's QR


def test_label_qr_opens_the_internal_box_page(workspace, box12, tmp_path, ws_args):
    ws = _with_internal_url(workspace)
    labels = tmp_path / "labels.pdf"
    result = run("archive", "labels", "--box", "12", "-o", labels, *ws_args)
    assert result.code == 0 and "note:" not in result.out + result.err
    assert read_qr_codes(labels) == [f"{INTERNAL_URL}/A/BOX/12"]
    # what the phone opens, on the staff console: the sign-in first, then the box's contents
    path = read_qr_codes(labels)[0].removeprefix(INTERNAL_URL)
    make_user(ws, "arsip", "arsiparis")
    client = console(ws)
    first = client.get(path)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=%2FA%2FBOX%2F12"
    landed = sign_in(client, "arsip", PASSWORD, next_path="/A/BOX/12")
    assert landed.headers["location"] == "/A/BOX/12"
    page = client.get(path)
    assert page.status_code == 200 and "Dewi Lubis" in page.text


def test_without_internal_url_the_qr_holds_plain_text_and_a_note_says_how(workspace, box12, tmp_path, ws_args):
    labels = tmp_path / "labels.pdf"
    result = run("archive", "labels", "--box", "12", "-o", labels, *ws_args)
    assert result.code == 0
    note = [line for line in (result.out + result.err).splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "[archive] internal_url" in note[0] and "sikro console" in note[0]
    codes = read_qr_codes(labels)
    assert codes == [PLAIN_TEXT]
    assert "http" not in codes[0] and "Lubis" not in codes[0]
    assert "verifikasi.dpmptsp" not in codes[0]  # never the public site


def test_internal_url_must_not_be_the_public_site(workspace, box12, tmp_path):
    ws = _with_internal_url(workspace, "https://verifikasi.dpmptsp.dairikab.go.id/")
    with pytest.raises(SikroError, match="public verification address"):
        write_labels(ws, "12", tmp_path / "x.pdf", note=None)
    ws = _with_internal_url(workspace, "arsip.lan:8080")
    with pytest.raises(SikroError, match="expected an address"):
        write_labels(ws, "12", tmp_path / "x.pdf", note=None)
    assert not (tmp_path / "x.pdf").exists()


# --------------------------------------------------------------------------- the pages


def test_public_site_has_no_box_page(workspace, box12):
    with _public(workspace) as client:
        for path in ("/A/BOX/12", "/a/box/12", "/A/BOX/7", "/A/BOX/99"):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "Lubis" not in answer.text and "Hutapea" not in answer.text
            assert "Halaman tidak ditemukan." in answer.text  # the public site's own 404 page


def test_the_box_page_needs_a_sign_in_and_the_archivists_role(workspace, box12):
    client = console(workspace)
    assert client.get("/A/BOX/12").status_code == 303
    make_user(workspace, "kadis", "kadis")
    refused = signed_in(workspace, "kadis").get("/A/BOX/12")
    assert refused.status_code == 403 and "Lubis" not in refused.text
    make_user(workspace, "admin1", "admin")
    assert signed_in(workspace, "admin1").get("/A/BOX/12").status_code == 200


def test_internal_page_lists_the_box_with_names_escaped(workspace, box12):
    first, second, other = box12
    with _archivist(workspace) as client:
        answer = client.get("/A/BOX/12")
        lower = client.get("/a/box/12")
        english = client.get("/A/BOX/12?lang=en")
    assert answer.status_code == 200 and lower.status_code == 200
    page = answer.text
    assert "<script>" not in page and "<b>Terang" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Tan &amp; Sons" in page
    assert "Optik &lt;b&gt;Terang&lt;/b&gt;" in page
    for shown in ("Boks 12", "2 berkas", "Letak boks", "Ruang Arsip 1", "Lemari", "Rak", "Map 4", "Map 10",
                  "Dewi Lubis", "Optik Sidikalang", "Kurun waktu", "2026", "Aktif", "khusus staf",
                  first.registration_number.replace("/", "-"), second.registration_number.replace("/", "-")):
        assert shown in page, shown
    assert page.index("Map 4") < page.index("Map 10")  # folders in their order, 10 after 4
    assert "Hutapea" not in page  # box 7's berkas is not in box 12
    assert "Folder 10" in english.text and "Active" in english.text and "staff only" in english.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-robots-tag"] == "noindex, nofollow"
    assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_unknown_box_is_a_404_page(workspace, box12):
    with _archivist(workspace) as client:
        unknown = client.get("/A/BOX/99")
        markup = client.get("/A/BOX/%3Cb%3E1%3C%2Fb%3E")
        too_long = client.get("/A/BOX/" + "9" * 500)
        english = client.get("/A/BOX/99?lang=en")
    assert unknown.status_code == 404 and "Boks 99 tidak ditemukan" in unknown.text
    assert markup.status_code == 404 and "<b>1" not in markup.text and "&lt;b&gt;1&lt;/b&gt;" in markup.text
    assert too_long.status_code == 404
    assert english.status_code == 404 and "Box 99 not found" in english.text


def test_console_help_says_it_is_for_the_office_network_only(sikro):
    result = sikro("console", "--help")
    assert result.code == 0
    help_text = " ".join(result.out.split())
    assert "office network" in help_text and "127.0.0.1" in help_text
    assert "--internal" not in " ".join(sikro("serve", "--help").out.split())


# --------------------------------------------------------------------------- real servers, a real phone browser


def test_real_servers_and_a_phone_browser(workspace, box12, tmp_path):
    """`sikro console` as a real process: the box label's URL asks a phone for the sign-in, then shows
    the box in headless Chromium at phone size (stylesheet applied under the CSP, no violation,
    nothing wider than the phone); `sikro serve` answers 404 on the same path."""
    import urllib.error
    import urllib.request
    from pathlib import Path

    from console_support import ConsoleServer
    from test_web_browser import CHROMIUM, CHROMIUM_ARGS, PHONE, sync_playwright
    from test_web_support import Server

    public = Server(workspace.root)
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{public.url}/A/BOX/12", timeout=10)
        assert refused.value.code == 404
    finally:
        assert "Traceback" not in public.stop()[1]
    if sync_playwright is None or not Path(CHROMIUM).exists():
        pytest.skip("chromium and playwright not installed")
    make_user(workspace, "arsip", "arsiparis", name="Petugas Arsip")
    staff = ConsoleServer(workspace.root)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
            page = context.new_page()
            messages = []
            page.on("console", lambda message: messages.append(message.text))
            page.goto(f"{staff.url}/A/BOX/12")
            assert "/login?next=" in page.url
            page.fill("#username", "arsip")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{staff.url}/A/BOX/12")
            seen = page.inner_text("main")
            assert NASTY in seen and "Dewi Lubis" in seen and "Map 10" in seen
            scripts = page.evaluate("[...document.querySelectorAll('script')].map(s => s.getAttribute('src'))")
            assert scripts == ["/static/htmx-2.0.11.min.js"], scripts  # the console's one script, nothing inline
            banner = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
            assert banner == "rgb(31, 78, 140)"  # console.css applied
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            page.screenshot(path=str(tmp_path / "box.png"), full_page=True)
            assert not [m for m in messages if "Content Security Policy" in m], messages
            browser.close()
    finally:
        _out, err = staff.stop()
        assert "Traceback" not in err and "staff console" in err
