"""The verification page over HTTP: verdicts, the same answer for every code that is not ours,
short codes, JSON, keys, health, language, security headers, rate limit, errors.

In-process through Starlette's TestClient (a real ASGI round trip, nothing
mocked); the rate limit and the headers are also checked on `sikro serve`
running as a real process.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from starlette.testclient import TestClient
from test_web_support import (
    CHECK_TIME,
    HOLDER,
    SIXTEEN_DIGITS,
    Server,
    all_niks,
    make_papers,
)

from sikro_docs.web import create_app
from sikro_docs.web.i18n import WORDS
from sikro_docs.web.rate_table import RateTable, create_table_file
from sikro_docs.web.security import CSP, RateLimit
from sikro_docs.workspace import open_workspace

HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
VERDICT_FIELDS = {"status", "kind", "kind_title", "number", "holder", "permit_type", "permit_type_title", "fields",
                  "issued",
                  "valid_until", "reason", "revoked_at", "checked_online", "key_id", "document_uid"}


@pytest.fixture(scope="module")
def papers(tmp_path_factory, new_workspace):
    return make_papers(tmp_path_factory.mktemp("web"), new_workspace)


@pytest.fixture(scope="module")
def client(papers):
    app = create_app(open_workspace(papers.root), rate_limit=None)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def headline(html: str) -> str:
    return re.search(r'<h1 class="headline" id="verdict">([^<]*)</h1>', html).group(1)


def without_time(html: str) -> str:
    return CHECK_TIME.sub("", html)


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("which, word", [("valid", "SAH"), ("revoked", "DICABUT"), ("expired", "KEDALUWARSA"),
                                         ("void", "BATAL")])
def test_each_registered_state_has_its_word(client, papers, which, word):
    answer = client.get(f"/V/{getattr(papers, which).token.token}")
    assert answer.status_code == 200
    assert headline(answer.text) == word
    assert f"verdict-{which}" in answer.text  # the colour and the icon follow the state


def test_valid_page_shows_the_details_and_never_a_nik(client, papers):
    page = client.get(f"/V/{papers.valid.token.token}").text
    for shown in (HOLDER, papers.valid.number, "RO 00.02.1.3.22 0012345", "DPMPTSPK Kabupaten Dairi",
                  "7 Maret 2026", "6 Maret 2031", "WIB", "kunci publik kantor"):
        assert shown in page
    assert not SIXTEEN_DIGITS.search(page)
    assert not any(nik in page for nik in all_niks(papers.root))
    assert papers.valid.token.token not in page  # the code is in the address bar, not echoed


def test_revoked_page_says_when_and_why(client, papers):
    page = client.get(f"/V/{papers.revoked.token.token}").text
    assert "Izin dicabut atas permintaan pemegang" in page
    assert "Dicabut pada" in page


def test_path_is_accepted_in_any_case(client, papers):
    token = papers.valid.token.token
    assert headline(client.get(f"/v/{token.lower()}").text) == "SAH"


def test_malformed_forged_and_unknown_codes_get_the_same_answer(client, papers):
    codes = [papers.malformed, papers.tampered, papers.unknown_key, "A" * 5000, papers.valid.token.token[:-8]]
    answers = [client.get(f"/V/{code}") for code in codes]
    assert {a.status_code for a in answers} == {200}
    assert len({without_time(a.text) for a in answers}) == 1
    assert headline(answers[0].text) == "TIDAK SAH"
    assert len({tuple(sorted((k, v) for k, v in a.headers.items() if k not in ("date", "content-length")))
                for a in answers}) == 1
    api = [client.get(f"/api/v1/verify/{code}").json() for code in codes]
    assert all(body == api[0] for body in api) and api[0]["status"] == "invalid"


def test_html_in_a_name_is_shown_as_text(workspace):
    from test_verification_support import make_document

    ws = workspace
    issued = make_document(ws, name='<b id="x">Bold</b> & Co')
    with TestClient(create_app(ws, rate_limit=None)) as local:
        page = local.get(f"/V/{issued.token.token}").text
    assert '<b id="x">' not in page
    assert "&lt;b id=&#34;x&#34;&gt;Bold&lt;/b&gt; &amp; Co" in page


# --------------------------------------------------------------------------- receipts: the progress page


def test_receipt_opens_the_progress_page(client, papers):
    page = client.get(f"/P/{papers.receipt.token.token}").text
    assert "Status permohonan" in page
    assert "Receipt Holder" in page
    assert "Tahap 7: Peninjauan lapangan" in page  # step 6 done: step 7 is in hand
    assert "Tim Teknis" in page and "1 Hari" in page
    assert not SIXTEEN_DIGITS.search(page)
    english = client.get(f"/p/{papers.receipt.token.token}?lang=en").text
    assert "Step 7" in english and "technical team" in english and "1 working day" in english


def test_a_permit_opened_as_a_receipt_goes_to_its_own_page(client, papers):
    answer = client.get(f"/P/{papers.valid.token.token}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/V/{papers.valid.token.token}")


def test_a_forged_receipt_gets_the_same_answer_as_any_forged_code(client, papers):
    forged = without_time(client.get(f"/P/{papers.tampered}").text)
    assert forged == without_time(client.get(f"/V/{papers.malformed}").text)


# --------------------------------------------------------------------------- short codes


def test_short_code_form_get_and_post(client, papers):
    form = client.get("/kode")
    assert form.status_code == 200 and 'name="k"' in form.text
    posted = client.post("/kode", data={"k": papers.valid.token.short_code, "lang": "id"})
    assert headline(posted.text) == "SAH" and HOLDER in posted.text
    assert "daftar dokumen kantor" in posted.text  # no signature was checked: the page says so
    typed = papers.valid.uid.lower()  # no dashes, lower case: as people type
    assert headline(client.get(f"/kode?k={typed}").text) == "SAH"
    assert headline(client.get(f"/kode?k={papers.revoked.token.short_code}").text) == "DICABUT"


def test_short_code_unknown_and_mistyped(client):
    unknown = client.get("/kode?k=AAAA-BBBB-CCCC-DDDD")
    assert unknown.status_code == 200 and headline(unknown.text) == "TIDAK SAH"
    mistyped = client.post("/kode", data={"k": "K7Q2-M9XD"})
    assert mistyped.status_code == 400 and "16 huruf" in mistyped.text


def test_landing_page_has_the_form(client):
    page = client.get("/").text
    assert 'action="/kode"' in page and "Periksa keaslian dokumen" in page


# --------------------------------------------------------------------------- JSON, keys, health


def test_json_api_shape(client, papers):
    answer = client.get(f"/api/v1/verify/{papers.valid.token.token}")
    body = answer.json()
    assert answer.headers["content-type"] == "application/json"
    assert set(body) == VERDICT_FIELDS
    assert body["status"] == "valid" and body["holder"] == HOLDER and body["checked_online"] is True
    assert body["valid_until"] == "2031-03-06"
    assert not SIXTEEN_DIGITS.search(answer.text)
    assert client.get(f"/api/v1/verify/{papers.revoked.token.token}").json()["status"] == "revoked"


def test_keys_endpoint_lists_the_public_key(client, papers):
    data = client.get("/.well-known/sikro-keys.json").json()
    assert data["format"] == "sikro-verification-keys"
    assert [key["kid"] for key in data["keys"]] == [papers.valid.token.kid]
    assert all("private" not in str(key).lower() for key in data["keys"])


def test_healthz(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_english_switch(client, papers):
    indonesian = client.get(f"/V/{papers.valid.token.token}").text
    assert '<html lang="id">' in indonesian and 'href="?lang=en"' in indonesian
    english = client.get(f"/V/{papers.valid.token.token}?lang=en").text
    assert '<html lang="en">' in english and headline(english) == "VALID"
    assert "Holder" in english and 'href="?lang=id"' in english
    assert headline(client.get(f"/V/{papers.tampered}?lang=en").text) == "NOT VALID"


def test_every_word_exists_in_both_languages():
    assert set(WORDS["id"]) == set(WORDS["en"])


# --------------------------------------------------------------------------- headers, errors, limits


@pytest.mark.parametrize("path", ["/", "/kode", "/healthz", "/no-such-page", "/static/site.css"])
def test_security_headers_everywhere(client, path):
    answer = client.get(path)
    for name, value in HEADERS.items():
        assert answer.headers[name] == value, (path, name)
    assert "permissions-policy" in answer.headers


def test_verdicts_are_never_cached(client, papers):
    for path in (f"/V/{papers.valid.token.token}", f"/api/v1/verify/{papers.valid.token.token}", "/kode?k=AAAABBBBCCCCDDDD"):
        assert client.get(path).headers["cache-control"] == "no-store"


def test_not_found_is_a_page_not_a_trace(client):
    answer = client.get("/documents/1")
    assert answer.status_code == 404 and "Halaman tidak ditemukan" in answer.text
    assert client.delete("/").status_code == 405


def test_an_error_inside_a_template_gives_the_500_page(papers, tmp_path):
    ws = open_workspace(papers.root)
    broken = ws.root / "web" / "templates"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "verdict.html").write_text("{{ no_such_variable.attribute }}")
    try:
        with TestClient(create_app(ws, rate_limit=None), raise_server_exceptions=False) as local:
            answer = local.get(f"/V/{papers.valid.token.token}")
    finally:
        (broken / "verdict.html").unlink()
    assert answer.status_code == 500
    assert "Maaf, terjadi kesalahan" in answer.text and "Sorry" in answer.text
    assert "Traceback" not in answer.text and "no_such_variable" not in answer.text
    assert answer.headers["content-security-policy"] == CSP


def test_rate_limit_answers_429_with_retry_after(papers):
    with TestClient(create_app(open_workspace(papers.root), rate_limit="5/10s")) as local:
        codes = [local.get("/").status_code for _ in range(6)]
        limited = local.get(f"/api/v1/verify/{papers.valid.token.token}")
    assert codes == [200] * 5 + [429]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json() == {"status": "error", "code": 429}


@pytest.mark.parametrize("shared", [False, True])
def test_token_bucket_refills_over_time(tmp_path, shared):
    now = [0.0]
    table = create_table_file(tmp_path / "run") if shared else None
    limiter = RateTable(RateLimit.parse("30/10s"), table, clock=lambda: now[0])
    assert all(limiter.wait_seconds("10.0.0.1") == 0 for _ in range(30))
    assert limiter.wait_seconds("10.0.0.1") == pytest.approx(1 / 3)
    assert limiter.wait_seconds("10.0.0.2") == 0  # each address has its own bucket
    now[0] = 1.0  # three requests' worth back
    assert [limiter.wait_seconds("10.0.0.1") == 0 for _ in range(4)] == [True, True, True, False]


def test_rate_limit_setting_is_checked():
    assert RateLimit.parse("off") is None
    assert RateLimit.parse("30/10s") == RateLimit(30, 10.0)
    with pytest.raises(ValueError):
        RateLimit.parse("lots")


def test_served_process_limits_and_sets_headers(papers):
    server = Server(papers.root, "--rate-limit", "20/60s")
    try:
        statuses = []
        for _ in range(20):  # the 20th is over the limit: the start-up check took one (nothing is exempt)
            try:
                with urllib.request.urlopen(f"{server.url}/V/{papers.valid.token.token}") as answer:
                    statuses.append(answer.status)
                    headers = answer.headers
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
                retry_after = exc.headers["Retry-After"]
    finally:
        _out, err = server.stop()
    assert statuses == [200] * 19 + [429]
    assert int(retry_after) >= 1
    assert headers["Content-Security-Policy"] == CSP and headers["Cache-Control"] == "no-store"
    assert "server" not in {name.lower() for name in headers}
    assert "Traceback" not in err


def test_serve_rejects_a_bad_rate_limit_in_one_line(papers):
    import subprocess
    import sys

    from test_web_support import SIKRO

    result = subprocess.run([sys.executable, *SIKRO, "serve", "--workspace", str(papers.root),
                             "--rate-limit", "lots"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "rate limit" in result.stderr and "Traceback" not in result.stderr
