"""The verification page under load: `sikro serve` as a real process, wrk as the load generator.

    .venv/bin/python bench/verify_bench.py [--tokens 100] [--seconds 10] [--connections 64]

A throwaway workspace gets --tokens signed permits (one in ten revoked);
wrk (C, `apt-get install wrk`) rotates through their /V/ URLs with 64
connections. Two loads, each against each server variant:

  saturation  every connection sends its next request as soon as the last
              is answered: the most the server does (latency = queueing);
  paced       every connection waits THINK_MS between requests (64 clients
              at 50 ms offer about 1,000-1,250 requests a second): the
              latency a citizen sees near the required rate.

Variants, in the same run: 1 worker vs 2 workers, (2 workers) the
database reads in worker threads instead of inline, and (2 workers) the
rate limit on: every request takes a token from the table of buckets the
workers share (rate_table.py), under a limit too high to refuse any of
wrk's requests, so the figure shows what the shared limit costs. The other
variants turn the limit off (`--rate-limit off`), for this benchmark only.
Prints requests/s, p50/p99 latency, errors, and the server's CPU time per
request (user + system of all its processes: less sensitive than the rest
to other programs sharing the machine, whose load average is printed too).
Writes only under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sikro_docs import clock, db, numbering, permit_types
from sikro_docs.models import Application
from sikro_docs.verification import revoke, sign_document
from sikro_docs.workspace import init_workspace

RESULTS = Path(__file__).parent / "results"
# `sikro serve` whether or not the cli package registers it yet.
SIKRO = ["-m", "sikro_docs"]  # `sikro` as a real process
TARGET_RATE = 1000  # requests per second the page must sustain
THINK_MS = 50  # pause of each paced connection between an answer and its next request
# wrk's connections all come from 127.0.0.1, one client: a limit it never reaches, yet counted.
SHARED_LIMIT_NEVER_REACHED = "100000000/1s"

DATES = ("date", "date_or_lifetime")

# Rotates through the paths; `done` prints one JSON line the bench reads back.
WRK_SCRIPT = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
%(delay)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def make_permits(root: Path, count: int) -> tuple[Path, list[str]]:
    """A workspace with `count` signed permits, every tenth revoked; their tokens."""
    ws, _ = init_workspace(root)
    ptype = permit_types.default(ws)  # its own fields filled from their examples (data, not code)
    tokens = []
    with db.session(ws, write=True) as session:
        for i in range(count):
            app = Application(
                registration_number=f"REG/{i + 1:05d}/UJI/2026", application_date=dt.date(2026, 2, 1),
                name=f"Pemohon Uji {i + 1}", nik=f"12110145079{i:05d}", birth_place="Sidikalang",
                birth_date=dt.date(1990, 7, 5), sex="P", address="Jl. Uji 1", phone="081200000000",
                education="D3", permit_type=ptype.code, place_key=f"uji-{i}", checklist={},
                facts={f.storage_key: f"{f.example} {i}" for f in ptype.own_fields if f.kind not in DATES},
                status="issued", current_step=21)
            session.add(app)
            session.flush()
            document = numbering.Document(uid=numbering.new_uid(), application_id=app.id, kind="permit",
                                          date=dt.date(2026, 3, 7), status="issued", files=[])
            session.add(document)
            session.flush()
            numbering.allocate(session, ws, "izin", document.date, kind="permit", application_id=app.id,
                               document=document)
            tokens.append(sign_document(ws, document, app, session=session).token)
    with db.session(ws, write=True) as session:
        for i in range(0, count, 10):
            number = session.get(numbering.Document, i + 1).number
            revoke(session, number, "benchmark: revoked")
    return ws.root, tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(ws_root: Path, workers: int, threads: bool, rate_limit: str = "off") -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "SIKRO_WEB_THREADS": "1" if threads else "0"}
    proc = subprocess.Popen(
        [sys.executable, *SIKRO, "serve", "--workspace", str(ws_root), "--port", str(port),
         "--workers", str(workers), "--rate-limit", rate_limit],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 60)
    line = next((text for text in out.stdout.splitlines() if text.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line[len("RESULT "):])
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000, "requests": raw["requests"],
            "errors": errors, "error_detail": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")}}


def wrk_script(folder: Path, tokens: list[str], think_ms: float | None) -> Path:
    paths = ", ".join(f'"/V/{t}"' for t in tokens)
    delay = f"delay = function() return {think_ms:.1f} end" if think_ms else ""
    path = folder / ("paced.lua" if think_ms else "saturate.lua")
    path.write_text(WRK_SCRIPT % {"paths": paths, "delay": delay})
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--variant", default="", help="Run only the variants whose name contains this text.")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="verify-bench-"))
    try:
        ws_root, tokens = make_permits(tmp / "ws", args.tokens)
        per_verify_ms, per_verify_sql = in_process_verify_ms(ws_root, tokens)
        print(f"in-process: {per_verify_ms:.3f} ms per online verify, {per_verify_sql:.1f} SQL statements each")
        loads = {"saturation": wrk_script(tmp, tokens, None), f"paced {THINK_MS} ms": wrk_script(tmp, tokens, THINK_MS)}
        variants = [("1 worker, inline DB", 1, False, "off"), ("2 workers, inline DB", 2, False, "off"),
                    ("2 workers, DB in threads", 2, True, "off"),
                    ("2 workers, shared limit", 2, False, SHARED_LIMIT_NEVER_REACHED)]
        variants = [v for v in variants if args.variant in v[0]]
        rows = []
        for name, workers, threads, rate_limit in variants:
            proc, port = start_server(ws_root, workers, threads, rate_limit)
            try:
                run_wrk(port, loads["saturation"], 2, args.connections)  # warm-up: connections, caches
                for load, script in loads.items():
                    cpu_before = server_cpu_seconds(proc.pid)
                    result = run_wrk(port, script, args.seconds, args.connections)
                    cpu_ms = (server_cpu_seconds(proc.pid) - cpu_before) * 1000 / max(result["requests"], 1)
                    rows.append({"variant": name, "load": load, **result, "server_cpu_ms_per_request": cpu_ms,
                                 "load_average": os.getloadavg()[0]})
                    print_row(rows[-1])
            finally:
                stop_server(proc)
        limiter_us = shared_limit_cost_us(tmp / "run")
        print(f"shared rate limit alone: {limiter_us:.1f} µs per request (table in a file, fcntl lock; in-process)")
        report = {"when": clock.utcnow().isoformat(timespec="seconds"), "shared_limit_us": limiter_us,
                  "in_process_verify_ms": per_verify_ms, "sql_per_verify": per_verify_sql, "cpus": os.cpu_count(),
                  "tokens": len(tokens), "connections": args.connections, "seconds": args.seconds, "rows": rows}
        (RESULTS / "verify_bench.json").write_text(json.dumps(report, indent=2))
        print(f"\nwritten {RESULTS / 'verify_bench.json'}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def in_process_verify_ms(ws_root: Path, tokens: list[str], calls: int = 3000) -> tuple[float, float]:
    """(ms per online verify_token, SQL statements per verify) in this process, after a warm-up."""
    from sqlalchemy import event

    from sikro_docs.verification import verify_token
    from sikro_docs.workspace import open_workspace

    ws = open_workspace(ws_root)
    for token in tokens:
        verify_token(ws, token)
    statements = [0]

    def count(*_args):
        statements[0] += 1

    engine = db.engine_for(ws)
    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    for i in range(calls):
        verify_token(ws, tokens[i % len(tokens)])
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    return elapsed * 1000 / calls, statements[0] / calls


def shared_limit_cost_us(folder: Path, calls: int = 100_000) -> float:
    """What the shared rate limit adds to a request, measured alone: less at the mercy of the
    machine's other load than the difference of two wrk runs."""
    from sikro_docs.web.rate_table import RateTable, create_table_file
    from sikro_docs.web.security import RateLimit

    table = RateTable(RateLimit.parse(SHARED_LIMIT_NEVER_REACHED), create_table_file(folder))
    started = time.perf_counter()
    for i in range(calls):
        table.wait_seconds(f"198.51.100.{i % 200}")
    return (time.perf_counter() - started) / calls * 1e6


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` and its live children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *children_of(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def children_of(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def print_row(row: dict) -> None:
    print(f"{row['variant']:<26} {row['load']:<13} {row['rps']:6.0f} req/s  p50 {row['p50_ms']:6.1f} ms  "
          f"p99 {row['p99_ms']:6.1f} ms  errors {row['errors']}  server CPU {row['server_cpu_ms_per_request']:.2f} ms/req  "
          f"(load avg {row['load_average']:.1f})", flush=True)


if __name__ == "__main__":
    main()
