"""The verification site under attack: forwarded addresses, the rate limit across workers, oversized
and broken requests, the same work for every bad code, templates that cannot run code.

The server tests run `sikro serve` as a real process and talk to it over real sockets; each
checks the status codes a client sees AND that the server's log holds no traceback.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from test_web_support import CHECK_TIME, Server, make_papers

from sikro_docs.web import create_app
from sikro_docs.workspace import open_workspace


@pytest.fixture(scope="module")
def papers(tmp_path_factory, new_workspace):
    return make_papers(tmp_path_factory.mktemp("websec"), new_workspace)


def set_profile(root: Path, old: str, new: str) -> None:
    profile = root / "sikro.toml"
    text = profile.read_text()
    assert old in text
    profile.write_text(text.replace(old, new))


def get(port: int, path: str, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes, *, close_after: bool = False, timeout: float = 5) -> bytes:
    """Send `data` on a fresh connection; what the server answers (b"" if it closed silently)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if close_after:
            return b""
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and close_after is False and _complete(answer):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
        return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def assert_quiet(err: str) -> None:
    assert "Traceback" not in err, err
    assert "Exception in ASGI" not in err, err


# --------------------------------------------------------------------------- X-Forwarded-For


def test_a_rotating_forwarded_for_from_an_untrusted_peer_is_ignored(papers):
    server = Server(papers.root, "--rate-limit", "6/3600s")  # its start-up check took one
    try:
        statuses = [get(server.port, "/", {"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(1, 8)]
    finally:
        _out, err = server.stop()
    assert statuses == [200] * 5 + [429] * 2
    assert_quiet(err)


def test_the_client_is_the_right_most_address_no_trusted_proxy_added():
    from sikro_docs.web.forwarded import TrustedProxies, client_key

    proxies = TrustedProxies.parse(["127.0.0.1", "10.0.0.0/24"])

    def key(peer, *forwarded):
        headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
        return client_key({"client": (peer, 5000), "headers": headers}, proxies)

    assert key("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    # what the client wrote is left of what the proxies added: never believed
    assert key("127.0.0.1", "1.1.1.1, 2.2.2.2, 198.51.100.7") == "198.51.100.7"
    assert key("127.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.5") == "198.51.100.7"
    assert key("127.0.0.1", "1.1.1.1", "198.51.100.7, 10.0.0.9") == "198.51.100.7"  # two headers: one chain
    assert key("198.51.100.9", "1.1.1.1") == "198.51.100.9"  # an untrusted peer's header is ignored
    assert key("127.0.0.1") == "127.0.0.1"
    assert key("127.0.0.1", "10.0.0.4, 10.0.0.5") == "10.0.0.4"  # all proxies: the left-most
    # one IPv6 client holds a /64: every address of it shares one bucket
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") != key("2001:db8:1:3::1")
    assert key("::ffff:198.51.100.7") == "198.51.100.7"
    # a port a proxy adds changes with every connection: it is no part of the client
    assert key("127.0.0.1", "198.51.100.7:4711") == key("127.0.0.1", "198.51.100.7:4712") == "198.51.100.7"
    assert key("127.0.0.1", "[2001:db8:1:2::1]:443") == key("2001:db8:1:2::1")
    assert key("127.0.0.1", "unknown") == "unknown"
    assert TrustedProxies.parse([]).trusts("127.0.0.1") is False


def test_a_bad_trusted_proxy_is_one_line():
    from sikro_docs.web.settings import WebSettingError, trusted_proxies

    with pytest.raises(WebSettingError, match=r"\[web\] trusted_proxies: 'proxy\.lan' is not an IP") as caught:
        trusted_proxies({"web": {"trusted_proxies": ["10.0.0.1", "proxy.lan"]}})
    assert caught.value.exit_code == 2 and caught.value.code == "web-setting"


def test_trusted_proxy_gives_each_citizen_a_bucket(tmp_path, new_workspace):
    papers = make_papers(tmp_path, new_workspace)
    set_profile(papers.root, "trusted_proxies = []", 'trusted_proxies = ["127.0.0.1"]')
    server = Server(papers.root, "--rate-limit", "3/3600s")
    try:
        first = [get(server.port, "/", {"X-Forwarded-For": f"{i}.9.9.9, 198.51.100.1"}) for i in range(4)]
        second = get(server.port, "/", {"X-Forwarded-For": "198.51.100.2"})
    finally:
        _out, err = server.stop()
    assert first == [200, 200, 200, 429]  # rotating the left part does not help
    assert second == 200
    assert_quiet(err)


# --------------------------------------------------------------------------- one limit for all workers


def connection_owners(port: int) -> dict[int, int]:
    """Client port -> pid of the server process holding the other end (from `ss`)."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    owners = {}
    for line in out.splitlines():
        parts = line.split()
        peer = parts[3].rsplit(":", 1)[1]
        if "pid=" in line:
            owners[int(peer)] = int(line.split("pid=")[1].split(",")[0])
    return owners


def test_the_rate_limit_counts_across_both_workers(papers):
    limit = 12
    server = Server(papers.root, "--workers", "2", "--rate-limit", f"{limit}/3600s")
    conns = []
    try:
        pids: set[int] = set()
        while len(pids) < 2 and len(conns) < 60:  # keep-alive connections until both workers hold some
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.connect()
            conns.append(conn)
            time.sleep(0.05)
            owners = connection_owners(server.port)
            pids = {owners[c.sock.getsockname()[1]] for c in conns if c.sock.getsockname()[1] in owners}
        assert len(pids) == 2, "both workers should hold connections"
        tables = list((papers.root / "run").glob("web-rate-*.table"))
        assert len(tables) == 1 and tables[0].stat().st_mode & 0o777 == 0o600
        statuses = []
        for i in range(limit + 1):  # round robin: both workers answer
            conn = conns[i % len(conns)]
            conn.request("GET", "/")
            answer = conn.getresponse()
            answer.read()
            statuses.append(answer.status)
    finally:
        for conn in conns:
            conn.close()
        _out, err = server.stop()
    # the start-up check was the first request of the limit
    assert statuses == [200] * (limit - 1) + [429] * 2
    assert_quiet(err)
    assert not list((papers.root / "run").glob("web-rate-*.table"))  # removed when the server stops


# --------------------------------------------------------------------------- oversized and broken requests


def form_post(fields: str, extra: str = "") -> bytes:
    body = fields.encode()
    return (f"POST /kode HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


@pytest.fixture(scope="module")
def served(papers):
    server = Server(papers.root, "--rate-limit", "off")
    yield server
    _out, err = server.stop()
    assert_quiet(err)


def test_many_form_fields_are_a_400(served):
    answer = raw_exchange(served.port, form_post("&".join(f"f{i}=x" for i in range(11)) + "&k=AAAA"))
    assert status_of(answer) == 400
    assert b"Traceback" not in answer


def test_a_declared_oversized_body_is_refused_before_it_is_sent(served):
    head = (b"POST /kode HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 50000000\r\n\r\n")
    answer = raw_exchange(served.port, head)  # no body at all: the server must not wait for it
    assert status_of(answer) == 413
    assert b"connection: close" in answer.lower()


def test_a_chunked_body_beyond_the_limit_is_a_413(served):
    chunk = b"k=" + b"A" * 4000
    data = (b"POST /kode HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    assert status_of(raw_exchange(served.port, data)) == 413


def test_a_bad_content_length_is_a_400(served):
    data = b"POST /kode HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\nk=x"
    assert status_of(raw_exchange(served.port, data)) == 400


def test_oversized_headers_are_refused(served):
    big = "X-Padding: " + "a" * 20000 + "\r\n"
    answer = raw_exchange(served.port, f"GET / HTTP/1.1\r\nHost: x\r\n{big}\r\n".encode())
    assert status_of(answer) in (400, 431)
    long_url = raw_exchange(served.port, f"GET /kode?k={'A' * 20000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status_of(long_url) in (400, 414, 431)
    assert get(served.port, "/") == 200  # the server still answers


def test_a_request_too_slow_to_arrive_is_cut_off(tmp_path, new_workspace):
    papers = make_papers(tmp_path, new_workspace)
    set_profile(papers.root, "request_seconds = 10", "request_seconds = 1")
    server = Server(papers.root, "--rate-limit", "off")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle, \
                socket.create_connection(("127.0.0.1", server.port), timeout=10) as trickle:
            started = time.monotonic()
            trickle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            for _ in range(6):  # a byte now and then: the deadline is for the whole request
                time.sleep(0.4)
                try:
                    trickle.sendall(b"X")
                except OSError:
                    break
            assert trickle.recv(1000) == b""  # closed without an answer
            assert idle.recv(1000) == b""  # a connection that never asks is closed too
            assert time.monotonic() - started < 5
        assert get(server.port, "/") == 200  # a request in time is answered
    finally:
        _out, err = server.stop()
    assert_quiet(err)


def test_a_client_that_goes_away_mid_request_leaves_one_quiet_line(papers):
    server = Server(papers.root, "--rate-limit", "off")
    try:
        head = (b"POST /kode HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000\r\n\r\nk=AAAA")
        raw_exchange(server.port, head, close_after=True)
        time.sleep(0.5)
        assert get(server.port, "/") == 200
    finally:
        _out, err = server.stop()
    assert_quiet(err)
    assert [line for line in err.splitlines() if "went away" in line] == ["client went away during POST /kode"]


# --------------------------------------------------------------------------- the same work for every bad code


def test_bad_codes_get_one_answer_and_one_signature_check_each(papers, monkeypatch):
    from sikro_docs.verification import token as tk

    calls = []
    real = tk.verify_signature
    monkeypatch.setattr(tk, "verify_signature", lambda *a: calls.append(1) or real(*a))
    with TestClient(create_app(open_workspace(papers.root), rate_limit=None)) as client:
        answers = []
        for code in (papers.malformed, papers.unknown_key, papers.tampered):
            calls.clear()
            answer = client.get(f"/V/{code}")
            answers.append((answer.status_code, CHECK_TIME.sub("", answer.text)))
            assert len(calls) == 1, code
    assert len(set(answers)) == 1 and answers[0][0] == 200


# --------------------------------------------------------------------------- templates are data


PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "{{ joiner.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ namespace.__init__.__globals__.os.system('touch MARKER') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ t|attr('__class__')|attr('__mro__') }}",
    "{{ '{0.__class__.__mro__}'.format(t) }}",
    "{% set x = t.update({'site_title': 'pwned'}) %}{{ t.site_title }}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_office_template_cannot_run_code(papers, tmp_path, payload):
    ws = open_workspace(papers.root)
    folder = ws.root / "web" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "ran"
    (folder / "index.html").write_text(payload.replace("MARKER", str(marker)))
    try:
        with TestClient(create_app(ws, rate_limit=None), raise_server_exceptions=False) as client:
            answer = client.get("/")
    finally:
        (folder / "index.html").unlink()
    assert not marker.exists()
    assert answer.status_code == 500
    assert "mro" not in answer.text and "pwned" not in answer.text and "subclasses" not in answer.text


@pytest.mark.parametrize("old, new, named", [
    ("trusted_proxies = []", 'trusted_proxies = ["proxy.lan"]', "sikro.toml: [web] trusted_proxies: 'proxy.lan'"),
    ("body_bytes = 2048", "body_bytes = -5", "sikro.toml: [limits.web] body_bytes: must be a positive whole number, not -5"),
])
def test_serve_refuses_bad_web_settings_in_one_line(tmp_path, sikro, old, new, named):
    from sikro_docs.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "ws")
    set_profile(ws.root, old, new)
    result = sikro("serve", "--workspace", ws.root, "--port", "0", timeout=60)
    assert result.code == 2
    assert named in result.err and "Traceback" not in result.err
    assert not list((ws.root / "run").glob("web-rate-*.table"))


def test_two_tables_on_one_file_share_their_buckets(tmp_path):
    """What two workers see: each maps the same table; a request counted by one counts for both."""
    from sikro_docs.web.rate_table import RateTable, create_table_file
    from sikro_docs.web.security import RateLimit

    path = create_table_file(tmp_path / "run")
    first, second = (RateTable(RateLimit.parse("4/3600s"), path) for _ in range(2))
    taken = [table.wait_seconds("198.51.100.7") == 0 for table in (first, second, first, second, first)]
    assert taken == [True, True, True, True, False]
    assert second.wait_seconds("198.51.100.8") == 0  # another client, its own bucket
