"""The staff console under load: 20 signed-in sessions against `sikro console` (real uvicorn) over
a workspace of N applications (100,000 by default), each page's p50/p95 beside the bare SQL the
page needs, run directly through SQLAlchemy in the same run at the same concurrency.

    PYTHONPATH=$PWD .venv/bin/python bench/console_bench.py [--apps 100000] [--sessions 20] [--rounds 10]
        [--workers N]

Goal (issue 15): p95 < 100 ms and page/SQL ratio <= 3x. No assertions: figures only.
The data: one application made and walked through the library (workflow_support), then its rows
(the application, its step records, every row pointing at it, its register entries) copied in
bulk by SQL with new numbers and NIKs, so the copies are shaped exactly as the library writes
them. The bare SQL of a page is every SELECT its own request runs — the session and role checks
included — captured once from the same page answered in this process (the console app through
Starlette's TestClient) and replayed straight on the database driver at the same concurrency.
Archive search over 100,000 berkas is bench/archive_bench.py's (this workspace has no berkas).
Each session is a desk of its own: it comes through a trusted proxy (127.0.0.1) with its own
X-Forwarded-For address, so the console's per-address rate limit stays on as an office runs it
and counts each desk apart. A page answered other than 200 is counted and printed, never timed
as if it were one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from console_support import PASSWORD, ConsoleServer, make_user, signed_in  # noqa: E402
from sqlalchemy import event, insert, select, text  # noqa: E402
from workflow_support import make_application, walk  # noqa: E402

from sikro_docs import clock, db  # noqa: E402
from sikro_docs.models import Application, Base  # noqa: E402
from sikro_docs.workflow import load_sop  # noqa: E402
from sikro_docs.workspace import init_workspace  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
CHUNK = 5_000


# --------------------------------------------------------------------------- data


def build(ws, count: int) -> tuple[int, str]:
    """`count` applications waiting on the back office's step 5; the id and number of one of them."""
    start = clock.now(ws.profile) - dt.timedelta(days=1)
    ref = make_application(ws, name="Pemohon Contoh", nik_seq=1)
    path = [s.number for s in load_sop().path("approve")]
    walk(ws, ref, path[path.index(3):path.index(4) + 1], start, every=dt.timedelta(minutes=5))
    engine = db.engine_for(ws)
    apps = Application.__table__
    children = [t for t in Base.metadata.sorted_tables if "application_id" in t.c and t is not apps]
    with engine.begin() as conn:
        model = dict(conn.execute(select(apps)).mappings().one())
        kids = {t: [dict(r) for r in conn.execute(select(t).where(t.c.application_id == model["id"])).mappings()]
                for t in children}
        for first in range(2, count + 1, CHUNK):
            numbers = range(first, min(first + CHUNK, count + 1))
            conn.execute(insert(apps), [_copy(model, n) for n in numbers])
            for table, rows in kids.items():
                if rows:
                    conn.execute(insert(table), [_child(r, table, model, n) for n in numbers for r in rows])
        conn.execute(text("ANALYZE"))
    return model["id"], model["registration_number"]


def _copy(model: dict, n: int) -> dict:
    row = dict(model, id=n)
    row["registration_number"] = re.sub(r"\d{5}", f"{n:06d}", model["registration_number"], count=1)
    row["nik"] = f"{1200000000000000 + n:016d}"
    return row


def _child(row: dict, table, model: dict, n: int) -> dict:
    """A row pointing at the model application, made to point at copy `n` (its numbers renumbered:
    a register entry's seq and number are unique per register)."""
    new_number = _copy(model, n)["registration_number"]
    out = {k: (new_number if v == model["registration_number"] else v) for k, v in row.items()
           if not (k == "id" and table.c.id.primary_key)}
    out["application_id"] = n
    if "seq" in table.c:
        out["seq"] = n
    return out


# --------------------------------------------------------------------------- measuring


def captured(ws, call) -> list[tuple[str, object]]:
    """The SQL statements (and parameters) `call` runs: the bare queries of a page."""
    engine, found = db.engine_for(ws), []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            found.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return found


def replay(ws, statements) -> None:
    with db.engine_for(ws).connect() as conn:
        raw = conn.connection.driver_connection
        for statement, parameters in statements:
            raw.execute(statement, parameters).fetchall()


def as_an_office_network(ws) -> None:
    """The console behind a proxy on this machine, which names each desk's address."""
    profile = ws.root / "sikro.toml"
    text = profile.read_text(encoding="utf-8")
    console = text.index("[console]")
    head, tail = text[:console], text[console:]
    profile.write_text(head + tail.replace("trusted_proxies = []", 'trusted_proxies = ["127.0.0.1"]', 1),
                       encoding="utf-8")


class Session:
    """One signed-in browser at desk `desk`: its own cookie jar and address, redirects followed."""

    def __init__(self, base: str, username: str, desk: int):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.addheaders = [("X-Forwarded-For", f"10.20.{desk // 250}.{desk % 250 + 1}")]
        self.statuses: list[int] = []
        form = self.get("/login")[1]
        data = urllib.parse.urlencode({"csrf": CSRF.search(form).group(1), "username": username,
                                       "password": PASSWORD, "next": "/"}).encode()
        with self.opener.open(f"{base}/login", data=data, timeout=30) as answer:
            answer.read()

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(f"{self.base}{path}", timeout=60) as answer:
                status, body = answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            status, body = err.code, ""
        self.statuses.append(status)
        return status, body


def timed(work, jobs: int, sessions: int) -> list[float]:
    """Run work(i) `jobs` times over `sessions` threads; the milliseconds of each."""
    def one(i):
        began = time.perf_counter()
        work(i)
        return (time.perf_counter() - began) * 1000

    with ThreadPoolExecutor(sessions) as pool:
        return list(pool.map(one, range(jobs)))


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def report(label: str, page_ms: list[float], sql_ms: list[float] | None, failed: int = 0) -> None:
    p50, p95 = p(page_ms, 50), p(page_ms, 95)
    line = f"{label:<34} page p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
    if sql_ms:
        s50, s95 = p(sql_ms, 50), p(sql_ms, 95)
        line += f"   bare SQL p50 {s50:6.1f} p95 {s95:6.1f} ms   ratio p95 {p95 / max(s95, 0.01):5.1f}x"
    goal = "ok" if p95 < 100 and (not sql_ms or p95 / max(p(sql_ms, 95), 0.01) <= 3) else "OVER GOAL"
    if failed:
        goal = f"INVALID: {failed} answers were not 200"
    print(f"{line}   [{goal}]", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="requests per session per page")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="`sikro console --workers` (default: one per CPU, as an office would run it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = init_workspace(Path(tmp) / "ws")
        as_an_office_network(ws)
        began = time.perf_counter()
        users = [f"clerk{i:02d}" for i in range(args.sessions)]
        for name in users:
            make_user(ws, name, "back_office")
        app_id, ref = build(ws, args.apps)
        print(f"{args.apps} applications built in {time.perf_counter() - began:.1f} s", flush=True)
        server = ConsoleServer(ws.root, "--workers", str(args.workers))
        try:
            sessions = [Session(server.url, name, desk) for desk, name in enumerate(users)]
            jobs = args.sessions * args.rounds
            here = signed_in(ws, users[0])  # the same pages answered in this process, for their SQL
            pages = [
                ("inbox  GET /", "/"),
                (f"application GET /applications/{app_id}", f"/applications/{app_id}"),
                ("register GET /registers/registrasi", "/registers/registrasi"),
                ("register search ?q=", f"/registers/registrasi?q={urllib.parse.quote(ref[-9:])}"),
                ("application search GET /archive?q=", "/archive?q=Pemohon"),
            ]
            for label, url in pages:
                status, _body = sessions[0].get(url)
                if status != 200:
                    print(f"{label:<34} skipped: {url} answers {status}", flush=True)
                    continue
                for session in sessions:
                    session.statuses.clear()
                page_ms = timed(lambda i, url=url: sessions[i % len(sessions)].get(url), jobs, args.sessions)
                failed = sum(status != 200 for session in sessions for status in session.statuses)
                statements = captured(ws, lambda url=url: here.get(url))
                sql_ms = timed(lambda _i, s=statements: replay(ws, s), jobs, args.sessions)
                report(label, page_ms, sql_ms, failed)
        finally:
            _out, err = server.stop()
            if "Traceback" in err:
                print(err[-3000:], file=sys.stderr)


if __name__ == "__main__":
    main()
