"""The staff console's limits hold: no page without a session, no page or step of another role, no
change without the CSRF token, no fixed session id, a lock after wrong passwords, a disabled user
out at once, applicants' data escaped, and none of it on the public verification site.

Every request is a real ASGI round trip (Starlette's TestClient) through the console's Guard.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from console_support import (
    NOW,
    PASSWORD,
    console,
    csrf_of,
    make_user,
    office,
    own_script_removed,
    post_form,
    sign_in,
    signed_in,
)
from sqlalchemy import func, select
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from sikro_docs import accounts, clock, db
from sikro_docs.console import create_app
from sikro_docs.console.auth import LOGIN_COOKIE, SESSION_COOKIE
from sikro_docs.models import Application, Event
from sikro_docs.web import create_app as create_public_app
from sikro_docs.workflow.records import StepRecord
from sikro_docs.workspace import open_workspace

# One URL of every route of the console (test_every_route_is_listed_here keeps the list whole).
PAGES = ["/", "/applications/1", "/applications/1/documents/1", "/account/password", "/admin/users",
         "/admin/users/rina", "/A/BOX/12", "/a/box/12", "/jobs", "/jobs/0a1b", "/jobs/0a1b/progress",
         "/account/tokens", "/registers", "/registers/registrasi", "/registers/registrasi/export.xlsx",
         "/registers/registrasi/verify", "/dispatch", "/dashboard", "/dashboard/sla.xlsx",
         "/intake", "/intake/result/0a1b", "/intake/result/0a1b/errors", "/archive", "/archive/berkas/1",
         "/archive/labels", "/archive/due", "/archive/lists/daftar-aktif.xlsx", "/intake/new", "/intake/new/sipb",
         "/applications/1/edit", "/archive/scans", "/archive/scans/result/0a1b", "/archive/disposal", "/documents",
         "/documents/result/0a1b", "/documents/result/0a1b/pdf/1", "/documents/result/0a1b/draft/0",
         "/documents/result/0a1b/merged.pdf", "/documents/result/0a1b/results.xlsx", "/documents/sign"]
POSTS = ["/logout", "/applications/1/steps", "/account/password", "/admin/users", "/admin/users/rina/roles",
         "/admin/users/rina/disable", "/admin/users/rina/reset", "/jobs/0a1b/cancel", "/account/tokens",
         "/account/tokens/1/revoke", "/registers/registrasi/1/void", "/dispatch", "/intake",
         "/archive/berkas/1/place", "/intake/new/sipb", "/applications/1/edit", "/archive/scans",
         "/archive/disposal", "/archive/disposal/1/approve", "/archive/disposal/1/reject", "/documents",
         "/documents/sign"]
API = ["/api/v1/me", "/api/v1/inbox", "/api/v1/users", "/api/v1/jobs", "/api/v1/jobs/0a1b",
       "/api/v1/registers", "/api/v1/registers/registrasi", "/api/v1/dashboard", "/api/v1/archive",
       "/api/v1/archive/berkas/1", "/api/v1/archive/due", "/api/v1/applications/1", "/api/v1/archive/scans/0a1b",
       "/api/v1/archive/disposal", "/api/v1/documents/kinds", "/api/v1/documents/sign"]
API_POSTS = ["/api/v1/jobs/0a1b/cancel", "/api/v1/registers/registrasi/1/void", "/api/v1/dispatch",
             "/api/v1/archive/berkas/1/place", "/api/v1/applications/1/steps", "/api/v1/applications",
             "/api/v1/archive/disposal", "/api/v1/archive/disposal/1/approve", "/api/v1/archive/disposal/1/reject",
             "/api/v1/documents/batches", "/api/v1/documents/sign"]
OPEN = ["/login", "/healthz", "/static/console.css", "/api/v1/openapi.json"]  # what a browser needs before signing in


@pytest.fixture
def staff(workspace):
    """An office with applications, and a user of each kind this file needs; the clock at NOW."""
    for username, roles in (("admin1", ["admin"]), ("rina", ["front_office"]), ("budi", ["back_office"]),
                            ("tono", ["tim_teknis"]), ("kadis", ["kadis"]), ("arsip", ["arsiparis"])):
        make_user(workspace, username, *roles)
    the_office = office(workspace)
    with clock.frozen(NOW):
        yield workspace, the_office


def _routes(ws) -> list:
    return [r for r in create_app(ws).app.routes if isinstance(r, (Route, Mount))]


def test_every_route_is_listed_here(workspace):
    listed = PAGES + POSTS + API + API_POSTS + OPEN
    for route in _routes(workspace):
        scope = {"type": "http", "path": route.path.replace("{app_id:int}", "1").replace("{doc_id:int}", "1"),
                 "method": "GET"}
        hits = [url for url in listed if route.matches({**scope, "path": url})[0].name != "NONE"]
        assert hits, f"the route {route.path} has no URL in this file's lists"


# --------------------------------------------------------------------------- no session


def test_every_page_without_a_session_goes_to_the_login_page(staff):
    ws, _office = staff
    client = console(ws)
    for url in PAGES:
        answer = client.get(url)
        assert answer.status_code == 303, url
        expected = "/login" if url == "/" else f"/login?next={url.replace('/', '%2F')}"
        assert answer.headers["location"] == expected, url
    for url in POSTS:
        answer = client.post(url, data={"step": "5"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/login"), url
    for url in API:
        answer = client.get(url)
        assert answer.status_code == 401 and answer.json()["code"] == 401, url
        assert answer.headers["www-authenticate"].startswith("Bearer")
    for url in API_POSTS:
        assert client.post(url, json={}).status_code == 401, url
    for url in OPEN:
        assert client.get(url).status_code == 200, url
    with db.session(ws) as session:
        assert session.scalar(select(func.count()).select_from(StepRecord).where(StepRecord.by != "tester")) == 0


def test_a_cookie_that_is_no_session_signs_nobody_in(staff):
    ws, _office = staff
    client = console(ws)
    client.cookies.set(SESSION_COOKIE, "made-up-value")
    answer = client.get("/")
    assert answer.status_code == 303 and 'sikro_console=""' in answer.headers["set-cookie"]
    client.cookies.set(SESSION_COOKIE, "x" * 5000)
    assert client.get("/").status_code == 303


def test_the_api_takes_tokens_never_the_cookie(staff):
    ws, _office = staff
    client = signed_in(ws, "rina")
    assert client.get("/api/v1/me").status_code == 401  # the browser's session is not an API credential
    _view, token = accounts.create_token(ws, "rina", "antrian", actor="admin1")
    me = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {"username": "rina", "display_name": "Rina", "roles": ["front_office"],
                         "steps": [1, 2, 3, 4, 14, 15, 22, 23]}
    inbox = client.get("/api/v1/inbox", headers={"authorization": f"Bearer {token}"}).json()
    assert inbox["counts"]["handover"] == 1 and {a["next_step"] for a in inbox["applications"]} == {1, 22}
    assert "nik" not in str(inbox).lower()
    assert client.get("/api/v1/users", headers={"authorization": f"Bearer {token}"}).status_code == 403
    assert client.get("/api/v1/me", headers={"authorization": "Bearer sikro_00000000_nope"}).status_code == 401


# --------------------------------------------------------------------------- the wrong role


def test_a_user_without_the_role_sees_nothing_of_the_admin_pages(staff):
    ws, _office = staff
    client = signed_in(ws, "budi")
    for url in ("/admin/users", "/admin/users/rina"):
        answer = client.get(url)
        assert answer.status_code == 403, url
        assert "admin1" not in answer.text and "Tambah pengguna" not in answer.text
        assert "Anda tidak berwenang" in answer.text
    home = client.get("/")
    token = csrf_of(home.text)
    for url in ("/admin/users", "/admin/users/rina/roles", "/admin/users/rina/disable", "/admin/users/rina/reset"):
        answer = client.post(url, data={"csrf": token, "username": "evil", "name": "Evil", "roles": "admin"})
        assert answer.status_code == 403, url
    assert [u.username for u in accounts.list_users(ws)] == ["admin1", "arsip", "budi", "kadis", "rina", "tono"]
    assert not accounts.user_view(ws, "rina").disabled
    assert "/admin/users" not in home.text  # not even offered in the menu


def test_other_pages_need_their_roles_too(staff):
    ws, _office = staff
    admin = signed_in(ws, "admin1")
    assert admin.get("/").status_code == 403  # the admin manages accounts, not applications
    assert admin.get("/applications/1").status_code == 403
    assert admin.get("/admin/users").status_code == 200
    kadis = signed_in(ws, "kadis")
    assert kadis.get("/A/BOX/12").status_code == 403
    assert signed_in(ws, "arsip").get("/A/BOX/12").status_code == 404  # allowed; the box holds nothing


def test_a_step_another_role_records_is_neither_offered_nor_accepted(staff):
    ws, the_office = staff
    app_id = the_office.ids["at_step7"]  # waiting on the Tim Teknis
    budi = signed_in(ws, "budi")
    page = budi.get(f"/applications/{app_id}")
    assert page.status_code == 200
    assert 'name="step" value="7"' not in page.text
    assert "Menunggu Tim Teknis: Langkah 7: Peninjauan lapangan." in page.text
    for step in ("7", "8", "20", "1"):
        answer = budi.post(f"/applications/{app_id}/steps", data={"csrf": csrf_of(page.text), "step": step})
        assert answer.status_code == 403, step
    tono = signed_in(ws, "tono")
    assert 'name="step" value="7"' in tono.get(f"/applications/{app_id}").text
    with db.session(ws) as session:
        assert session.get(Application, app_id).current_step == 6


# --------------------------------------------------------------------------- CSRF


def test_a_post_without_the_csrf_token_is_refused(staff):
    ws, the_office = staff
    app_id = the_office.ids["at_step5"]
    budi = signed_in(ws, "budi")
    admin = signed_in(ws, "admin1")
    attempts = [(budi, f"/applications/{app_id}/steps", {"step": "5"}),
                (budi, "/account/password", {"current": PASSWORD, "new": "Baru-sekali-2027", "repeat": "Baru-sekali-2027"}),
                (budi, "/logout", {}),
                (admin, "/admin/users", {"username": "evil", "name": "Evil", "roles": "admin"}),
                (admin, "/admin/users/rina/disable", {}),
                (admin, "/admin/users/rina/roles", {"roles": "admin"})]
    others = csrf_of(signed_in(ws, "rina").get("/").text)  # a real token, of another session
    for client, url, data in attempts:
        for token in (None, "", others, "0" * 64):
            sent = data if token is None else {**data, "csrf": token}
            answer = client.post(url, data=sent)
            assert answer.status_code == 403, (url, token)
            assert "Formulir ini kedaluwarsa" in answer.text
    with db.session(ws) as session:
        assert session.get(Application, app_id).current_step == 4
    assert [u.username for u in accounts.list_users(ws)] == ["admin1", "arsip", "budi", "kadis", "rina", "tono"]
    assert not accounts.user_view(ws, "rina").disabled and accounts.user_view(ws, "rina").roles == ("front_office",)
    assert budi.get("/").status_code == 200  # still signed in: the logout without a token did nothing
    assert accounts.sign_in(ws, "budi", PASSWORD, "127.0.0.1")  # the password is unchanged


def test_a_post_from_another_site_is_refused_even_with_the_token(staff):
    ws, the_office = staff
    app_id = the_office.ids["at_step5"]
    budi = signed_in(ws, "budi")
    token = csrf_of(budi.get(f"/applications/{app_id}").text)
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"},
                    {"sec-fetch-site": "same-site", "origin": "null"}, {"origin": "http://testserver.evil"}):
        answer = budi.post(f"/applications/{app_id}/steps", data={"csrf": token, "step": "5"}, headers=headers)
        assert answer.status_code == 403, headers
    # a browser's own form under Referrer-Policy: no-referrer says Origin: null, same-origin
    same = budi.post(f"/applications/{app_id}/steps", data={"csrf": token, "step": "5"},
                     headers={"origin": "null", "sec-fetch-site": "same-origin"})
    assert same.status_code == 303


def test_the_login_form_has_its_own_csrf_token(staff):
    ws, _office = staff
    client = console(ws)
    form = client.get("/login")
    token = csrf_of(form.text)
    assert client.post("/login", data={"username": "rina", "password": PASSWORD}).status_code == 403
    assert client.post("/login", data={"csrf": "0" * 64, "username": "rina", "password": PASSWORD}).status_code == 403
    fresh = console(ws)  # the token of another browser's form (its nonce cookie is not this one's)
    fresh.get("/login")
    assert fresh.post("/login", data={"csrf": token, "username": "rina", "password": PASSWORD}).status_code == 403
    assert client.post("/login", data={"csrf": token, "username": "rina", "password": PASSWORD}).status_code == 303


# --------------------------------------------------------------------------- sessions


def test_no_session_fixation_a_new_session_id_at_every_sign_in(staff):
    ws, _office = staff
    attacker = signed_in(ws, "budi")
    planted = attacker.cookies.get(SESSION_COOKIE)
    victim = console(ws)
    victim.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")  # the attacker's own, real session, planted in her browser
    answer = sign_in(victim, "rina")
    assert answer.status_code == 303
    issued = victim.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    assert "Rina" in victim.get("/").text
    assert attacker.get("/").status_code == 303  # the planted session ended when she signed in
    again = console(ws)
    again.cookies.set(SESSION_COOKIE, issued, domain="testserver.local")
    sign_in(again, "rina")
    assert again.cookies.get(SESSION_COOKIE) != issued  # every sign-in: a new id
    assert victim.get("/").status_code == 303


def test_cookies_are_http_only_same_site_and_secure_behind_https(staff):
    ws, _office = staff
    client = console(ws)
    form = client.get("/login")
    assert re.search(r"sikro_console_login=[^;]+; HttpOnly; Max-Age=3600; Path=/; SameSite=lax",
                     form.headers["set-cookie"]), form.headers["set-cookie"]
    answer = client.post("/login", data={"csrf": csrf_of(form.text), "username": "rina", "password": PASSWORD})
    cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()  # gone with the browser; the server ends it
    secure = TestClient(create_app(ws), base_url="https://testserver", follow_redirects=False)
    form = secure.get("/login")
    answer = secure.post("/login", data={"csrf": csrf_of(form.text), "username": "rina", "password": PASSWORD})
    assert "Secure" in next(v for v in answer.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    assert f"{LOGIN_COOKIE}=" in form.headers["set-cookie"] and "Secure" in form.headers["set-cookie"]


def test_the_security_headers_and_only_the_consoles_own_script(staff):
    ws, the_office = staff
    client = signed_in(ws, "budi")
    for url in ("/", f"/applications/{the_office.ids['at_step5']}", "/account/password", "/login"):
        answer = client.get(url) if url != "/login" else console(ws).get(url)
        headers = answer.headers
        csp = headers["content-security-policy"]
        assert csp.startswith("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'")
        assert "unsafe" not in csp and "http" not in csp  # no inline or eval'd script, nothing from elsewhere
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", answer.text, flags=re.S | re.I)
        assert scripts == [""] and '<script src="/static/htmx-2.0.11.min.js" defer>' in answer.text  # vendored
        assert not re.search(r"<[^>]*\s(on[a-z]+|style)\s*=", answer.text)  # no inline handler, no inline style


def test_a_session_ends_after_the_idle_time(staff):
    ws, _office = staff
    policy = accounts.AccountPolicy.from_profile(ws.profile)
    start = dt.datetime(2027, 8, 2, 2, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        client = signed_in(ws, "budi")
    with clock.frozen(start + policy.session_idle - dt.timedelta(minutes=1)):
        assert client.get("/").status_code == 200
    with clock.frozen(start + 2 * policy.session_idle):
        answer = client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_a_disabled_users_session_ends_at_once(staff):
    ws, _office = staff
    rina = signed_in(ws, "rina")
    assert rina.get("/").status_code == 200
    answer = post_form(signed_in(ws, "admin1"), "/admin/users/rina", "/admin/users/rina/disable", {})
    assert answer.status_code == 200 and "Perubahan disimpan." in answer.text
    assert rina.get("/").status_code == 303
    assert sign_in(console(ws), "rina").status_code == 401  # and cannot sign in again
    with db.session(ws) as session:
        event = session.scalars(select(Event).where(Event.action == "account.disabled")).one()
    assert event.actor == "admin1" and event.details == {"user": "rina", "sessions_ended": 1}


def test_a_temporary_password_must_be_changed_before_anything_else(workspace):
    make_user(workspace, "sari", "kadis", temporary=True)
    client = console(workspace)
    answer = sign_in(client, "sari")
    assert answer.headers["location"] == "/account/password"
    assert client.get("/").headers["location"] == "/account/password"
    page = client.get("/account/password")
    assert "kata sandi sementara" in page.text
    before = client.cookies.get(SESSION_COOKIE)
    changed = client.post("/account/password", data={"csrf": csrf_of(page.text), "current": PASSWORD,
                                                     "new": "Kadis-Dairi-2027!", "repeat": "Kadis-Dairi-2027!"})
    assert changed.status_code == 200 and "Kata sandi telah diganti" in changed.text
    assert client.cookies.get(SESSION_COOKIE) != before  # a new session id after the change
    assert client.get("/").status_code == 200
    stale = console(workspace)
    stale.cookies.set(SESSION_COOKIE, before, domain="testserver.local")
    assert stale.get("/").status_code == 303


def test_the_next_page_after_sign_in_is_always_one_of_ours(staff):
    ws, the_office = staff
    for target, lands in (("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil.example", "/"),
                          (f"/applications/{the_office.ids['at_step5']}", f"/applications/{the_office.ids['at_step5']}")):
        client = console(ws)
        assert sign_in(client, "budi", next_path=target).headers["location"] == lands, target


# --------------------------------------------------------------------------- lockout


def test_lockout_after_repeated_wrong_passwords(staff):
    ws, _office = staff
    client = console(ws)
    for attempt in range(4):
        answer = sign_in(client, "rina", "salah-salah-salah")
        assert answer.status_code == 401 and "Nama pengguna atau kata sandi salah." in answer.text, attempt
        assert 'value="rina"' in answer.text  # the name stays typed, the password never comes back
        assert "salah-salah-salah" not in answer.text
    locked = sign_in(client, "rina", "salah-salah-salah")
    assert locked.status_code == 429 and "Terlalu banyak kata sandi salah untuk pengguna ini" in locked.text
    right = sign_in(client, "rina", PASSWORD)
    assert right.status_code == 429 and f"{SESSION_COOKIE}=" not in right.headers.get("set-cookie", "")
    english = client.get("/login?lang=en")
    answer = client.post("/login?lang=en", data={"csrf": csrf_of(english.text), "username": "rina",
                                                 "password": PASSWORD})
    assert "Too many wrong passwords for this user: try again in 15 minutes" in answer.text
    assert accounts.user_view(ws, "rina").locked
    post_form(signed_in(ws, "admin1"), "/admin/users/rina", "/admin/users/rina/unlock", {})
    assert sign_in(client, "rina", PASSWORD).status_code == 303


def test_the_console_has_its_own_rate_limit(staff):
    ws, _office = staff
    text = ws.profile_path.read_text("utf-8").replace('rate_limit = "120/10s"', 'rate_limit = "5/60s"')
    ws.profile_path.write_text(text, "utf-8")
    client = console(open_workspace(ws.root))
    answers = [client.get("/login").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2


# --------------------------------------------------------------------------- escaping


NASTY = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_applicants_data_and_names_are_escaped_everywhere(workspace):
    with clock.frozen(NOW):
        _escaped_everywhere(workspace)


def _escaped_everywhere(workspace):
    make_user(workspace, "budi", "back_office", name=f"Budi {NASTY}")
    make_user(workspace, "admin1", "admin", name=f"Admin {NASTY}")
    the_office = office(workspace, names={"at_step5": f"Rina {NASTY}"})
    with db.session(workspace, write=True) as session:
        app = session.get(Application, the_office.ids["at_step5"])
        app.address = f"Jl. {NASTY}"
        app.facts = {**app.facts, "workplace_name": f"Optik {NASTY}"}
    budi = signed_in(workspace, "budi")
    pages = [budi.get("/"), budi.get(f"/applications/{the_office.ids['at_step5']}"),
             signed_in(workspace, "admin1").get("/admin/users")]
    for page in pages:
        assert page.status_code == 200
        assert "<script" not in own_script_removed(page.text) and "<img" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "Optik &lt;script&gt;" in pages[1].text and "Jl. &lt;script&gt;" in pages[1].text
    # a note typed into a step is shown escaped in the history
    budi.post(f"/applications/{the_office.ids['at_step5']}/steps",
              data={"csrf": csrf_of(pages[1].text), "step": "5", "note": NASTY})
    history = budi.get(f"/applications/{the_office.ids['at_step5']}").text
    assert "<script" not in own_script_removed(history) and '<span class="detail">&lt;script&gt;' in history


def test_no_full_nik_on_any_page(staff):
    ws, the_office = staff
    client = signed_in(ws, "budi")
    with db.session(ws) as session:
        niks = [nik for (nik,) in session.query(Application.nik).all()]
    for app_id in the_office.ids.values():
        page = client.get(f"/applications/{app_id}").text
        assert not any(nik in page for nik in niks)
        assert not re.search(r"\d{16}", page)
        assert re.search(r"\d{6}\*{6}\d{4}", page)  # masked: region and serial, never the birth date


# --------------------------------------------------------------------------- the public site


def test_the_public_site_answers_404_for_every_console_route(staff):
    ws, _office = staff
    public = TestClient(create_public_app(ws, rate_limit=None), raise_server_exceptions=False)
    shared = {"/", "/healthz", "/static/console.css"}  # the public site's own home and health check
    for url in PAGES + POSTS + API + OPEN:
        if url in shared:
            continue
        assert public.get(url).status_code == 404, url
        assert public.post(url, data={"username": "rina", "password": PASSWORD}).status_code == 404, url
    assert public.get("/static/console.css").status_code == 404
    assert "Masuk" not in public.get("/").text and "Kotak masuk" not in public.get("/").text


def test_odd_addresses_and_values_get_an_answer_never_a_500(staff):
    ws, the_office = staff
    budi, admin, arsip = signed_in(ws, "budi"), signed_in(ws, "admin1"), signed_in(ws, "arsip")
    huge = "9" * 30
    for client, url, status in ((budi, f"/applications/{huge}", 404), (budi, f"/applications/1/documents/{huge}", 404),
                                (budi, "/applications/1/documents/1", 404), (budi, "/applications/x", 404),
                                (admin, "/admin/users/%00", 400), (admin, "/admin/users/" + "a" * 500, 404),
                                (arsip, "/A/BOX/%00", 400), (arsip, "/A/BOX/" + "9" * 500, 404),
                                (budi, "/?lang=%3Cscript%3E&tile=%3Cb%3E", 200), (budi, "/nowhere", 404),
                                (budi, "/jobs/" + "f" * 500, 404), (budi, "/jobs/%00", 400)):
        answer = client.get(url)
        assert answer.status_code == status, url
        assert "<script" not in own_script_removed(answer.text) and "<b>" not in answer.text
    token = csrf_of(budi.get("/").text)
    for url, data, status in ((f"/applications/{huge}/steps", {"step": "5"}, 404),
                              ("/applications/1/steps", {"step": huge}, 400),
                              ("/applications/1/steps", {"step": "-5"}, 400),
                              ("/applications/1/steps", {"step": "5", "note": "x" * 2001}, 400),
                              ("/applications/1/steps", {"step": "5", "note": "x" * 70000}, 413)):
        assert budi.post(url, data={"csrf": token, **data}).status_code == status, (url, data)
    many = {f"f{i}": "x" for i in range(130)}  # beyond [limits.console] form_fields
    assert budi.post("/applications/1/steps", data={"csrf": token, "step": "5", **many}).status_code == 400
    with db.session(ws) as session:
        assert session.get(Application, the_office.ids["at_step5"]).current_step == 4  # none of it was recorded
    assert admin.post("/admin/users/rina/explode", data={"csrf": csrf_of(admin.get("/admin/users").text)}).status_code == 404
