"""Helpers of the console tests (no tests here): accounts, signing in through the real pages,
an office's applications at known places of the SOP, and `sikro console` as a real process.

Every request goes through the console's ASGI app (Starlette's TestClient) or a
real server; accounts are made through the accounts library, as `sikro users`
makes them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from starlette.testclient import TestClient
from workflow_support import make_application, walk, wib

from sikro_docs import accounts, clock
from sikro_docs.console import create_app
from sikro_docs.workflow import load_sop

PASSWORD = "Sidikalang-Dairi-2027"  # fits the policy; contains no user name of these tests
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
# Monday 2 August 2027, 08:00 WIB: the applications of `office` are handed in then; the tests
# look at the office two hours later (clock.frozen(NOW)): the clock is the one of clock.py.
MONDAY = wib(2027, 8, 2, 8, 0)
NOW = wib(2027, 8, 2, 10, 0)


OWN_SCRIPT = '<script src="/static/htmx-2.0.11.min.js" defer></script>'


def own_script_removed(html: str) -> str:
    """The page without the console's one script tag (the vendored htmx): what is left must hold none."""
    assert html.count(OWN_SCRIPT) == 1, "the console's own script is not on the page"
    return html.replace(OWN_SCRIPT, "")


def make_user(ws, username: str, *roles: str, name: str | None = None, temporary: bool = False,
              password: str = PASSWORD) -> str:
    accounts.add_user(ws, username, name or username.title(), list(roles), password, actor="tester",
                      temporary=temporary)
    return password


def console(ws) -> TestClient:
    """A client of the console app (no redirects followed: tests look at each answer)."""
    return TestClient(create_app(ws), raise_server_exceptions=False, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_path: str = "/"):
    """GET /login (its CSRF nonce cookie), then POST the form as a browser would."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post("/login", data={"csrf": csrf_of(form.text), "username": username, "password": password,
                                       "next": next_path})


def signed_in(ws, username: str, password: str = PASSWORD) -> TestClient:
    client = console(ws)
    answer = sign_in(client, username, password)
    assert answer.status_code == 303, answer.text
    return client


def post_form(client: TestClient, page: str, action: str, data: dict):
    """POST `data` to `action` with the CSRF token of `page` (as its form would)."""
    html = client.get(page)
    assert html.status_code == 200, html.text
    return client.post(action, data={"csrf": csrf_of(html.text), **data})


# --------------------------------------------------------------------------- an office at known places


@dataclass
class Office:
    """Applications handed in on MONDAY at 08:00, each standing before a step of a known role."""

    at_step5: str  # waiting on the back office (verification)
    at_step7: str  # waiting on the Tim Teknis (field inspection)
    at_step18: str  # waiting on the Kabid's paraf
    at_step20: str  # waiting on the Kepala Dinas's signature
    at_step22: str  # waiting on the front office's hand-over
    returned: str  # an incomplete file, back with the applicant (the front office records its return)
    ids: dict[str, int]


def _id_of(ws, ref: str) -> int:
    from sikro_docs import db, registry

    with db.session(ws) as session:
        return registry.find_application(session, ref).id


def office(ws, *, names: dict[str, str] | None = None) -> Office:
    """The applications of `Office`, their steps recorded a minute apart from MONDAY 08:00."""
    names = names or {}
    refs = {}
    with clock.frozen(MONDAY):
        for seq, (key, last) in enumerate((("at_step5", 4), ("at_step7", 6), ("at_step18", 17),
                                           ("at_step20", 19), ("at_step22", 21)), start=1):
            refs[key] = make_application(ws, name=names.get(key, f"Pemohon {key}"), nik_seq=seq)
            path = [s.number for s in load_sop().path("approve")]
            walk(ws, refs[key], path[path.index(3):path.index(last) + 1], MONDAY, every=dt.timedelta(minutes=1))
        refs["returned"] = make_application(ws, name=names.get("returned", "Pemohon Kembali"), nik_seq=9,
                                            complete=False)
    return Office(**refs, ids={key: _id_of(ws, ref) for key, ref in refs.items()})


# --------------------------------------------------------------------------- `sikro console` as a process


class ConsoleServer:
    """`sikro console` on a free loopback port, until stop()."""

    def __init__(self, ws_root, *extra: str):
        from test_web_support import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_root = ws_root
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sikro_docs", "console", "--workspace", str(ws_root), "--port", str(self.port),
             *extra], env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90  # a loaded machine (CI beside helpers) starts its workers slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sikro console exited: {self.proc.stderr.read()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("sikro console did not answer /healthz in time")

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        try:
            return self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.communicate()
