"""Numbers issued per second by 1, 4 and 8 concurrent writers, on SQLite and on PostgreSQL.

    .venv/bin/python bench/numbers_bench.py [--docs 200] [--per-call 10] [--writers 1,4,8]

Each writer is a process of its own (as two desks or two hosts are) issuing --docs documents
through `numbering.issue_documents`, --per-call at a time (the two transactions a batch's chunk
takes: open with pending numbers, close with them used), into a fresh database per run:
  one register   every writer issues letters of `surat-keluar` (the office's usual contention);
  two registers  half the writers issue letters, half permits (`izin`): on PostgreSQL their
                 numbers take different counter rows and no global lock, on SQLite the one
                 write lock still serialises them.
Produce writes no file: the figure is the registers' own cost, not LibreOffice's.
After each run the registers are verified and the duplicates and gaps of each series counted
(both must be 0). PostgreSQL is a throwaway cluster (tests/pg_support.py), as in the tests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pg_support import PgServer, have_postgresql, use_database  # noqa: E402
from registers_support import DOC_DATE, make_applications  # noqa: E402

from sikro_docs import db, numbering  # noqa: E402
from sikro_docs.workspace import init_workspace, open_workspace  # noqa: E402


def _writer(root: str, kind: str, ids: list[int], per_call: int, start, out) -> None:
    ws = open_workspace(Path(root))
    start.wait()
    began = time.perf_counter()
    for i in range(0, len(ids), per_call):
        requests = [numbering.IssueRequest(app_id) for app_id in ids[i:i + per_call]]
        numbering.issue_documents(ws, kind=kind, requests=requests, on=DOC_DATE, produce=lambda _d: [])
    out.put(time.perf_counter() - began)


def _run(ws, writers: int, docs: int, per_call: int, two_registers: bool) -> tuple[float, int, int, int]:
    ids = make_applications(ws, writers * docs)
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(writers + 1), ctx.Queue()
    kinds = ["permit" if two_registers and w % 2 else "rejection" for w in range(writers)]
    procs = [ctx.Process(target=_writer, args=(str(ws.root), kinds[w], ids[w * docs:(w + 1) * docs], per_call,
                                                start, out)) for w in range(writers)]
    for proc in procs:
        proc.start()
    start.wait()
    began = time.perf_counter()
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - began
    assert all(proc.exitcode == 0 for proc in procs), [proc.exitcode for proc in procs]
    duplicates, gaps, problems = _count(ws)
    return writers * docs / wall, duplicates, gaps, problems


def _count(ws) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    entries = numbering.RegisterEntry
    with db.session(ws) as session:
        problems = numbering.verify_registers(session, ws)
        duplicates = session.scalar(select(func.count()).select_from(
            select(entries.register, entries.number).group_by(entries.register, entries.number)
            .having(func.count() > 1).subquery()))
        gaps = sum(top - count for top, count in session.execute(
            select(func.max(entries.seq), func.count()).group_by(entries.register, entries.year)))
    return duplicates, gaps, len(problems)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=200, help="documents per writer")
    parser.add_argument("--per-call", type=int, default=10, help="documents per issue_documents call")
    parser.add_argument("--writers", default="1,4,8")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.writers.split(",")]
    server = PgServer().start() if have_postgresql() else None
    print(f"{'engine':<11} {'registers':<10} {'writers':>7} {'numbers/s':>10} {'duplicates':>10} {'gaps':>5} "
          f"{'verify':>7}")
    try:
        with tempfile.TemporaryDirectory(prefix="sikro-numbers-bench-") as tmp:
            engines = [("sqlite", None)] + ([("postgresql", server)] if server else [])
            for n, (engine, pg) in enumerate(engines):
                for two in (False, True):
                    for writers in counts:
                        if two and writers == 1:
                            continue
                        root = Path(tmp) / f"{n}-{int(two)}-{writers}"
                        ws, _ = init_workspace(root)
                        if pg is not None:
                            ws = use_database(root, pg.new_database())
                        rate, duplicates, gaps, problems = _run(ws, writers, args.docs, args.per_call, two)
                        db.close_connections()
                        print(f"{engine:<11} {'two' if two else 'one':<10} {writers:>7} {rate:>10.0f} "
                              f"{duplicates:>10} {gaps:>5} {'ok' if not problems else problems:>7}", flush=True)
            if server is None:
                print("postgresql: not installed (./run.sh test installs it); SQLite only")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
