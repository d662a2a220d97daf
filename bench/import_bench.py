"""Import benchmark: speed and peak memory of `sikro import` against openpyxl on the same workbooks.

For each size, in the same run, each in its own process:

- import (in-process): `registry.import_file` into a fresh workspace, timed around the call;
- import (CLI): `python -m sikro_docs import BOOK`, wall time of the whole command;
- openpyxl read-only: `load_workbook(read_only=True)` and `iter_rows(values_only=True)`, timed
  around those calls (the floor of any openpyxl-based reader);
- openpyxl full load: `load_workbook()` (the obvious alternative), timed the same way.

The ratio is import time / openpyxl read-only time (in-process against in-process, CLI wall
time against the read-only child's wall time). Peak RSS is each child's own: children are
forked from a small probe process, because Linux counts the forking parent's memory into a
child's ru_maxrss. Bounded memory means the import's peak stays flat as the workbook grows.

    PYTHONPATH=. .venv/bin/python bench/import_bench.py [--rows 1000,10000,30000] [--repeat 3]

Times are the best of --repeat runs (the machine is shared). Workbooks and workspaces go to
bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

RESULTS = Path(__file__).resolve().parent / "results"
ROWS_LIMIT = 100_000  # [limits.workbook] rows of the bench workspaces
HEADERS = [
    "No Registrasi", "Tanggal Permohonan", "Nama", "NIK", "Tempat Lahir", "Tanggal Lahir",
    "Jenis Kelamin", "Alamat", "No HP", "Email", "Pendidikan", "No STR", "STR Berlaku Sampai",
    "Nama Tempat Kerja", "Alamat Tempat Kerja", "Surat Permohonan", "KTP", "STR", "Ijazah",
    "Surat Keterangan Sehat", "Surat Keterangan Tempat Kerja", "Rekomendasi Organisasi Profesi",
    "Pas Foto", "NPWP",
]

# A child forked from this probe reports its own peak RSS (see the module docstring).
PROBE = """
import json, os, sys
report, argv = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
               "cpu": usage.ru_utime + usage.ru_stime}, fh)
"""

# Each prints {"seconds": ...}: the time of the work itself, without interpreter start and imports.
IMPORT_IN_PROCESS = """
import json, sys, time
from pathlib import Path
from sikro_docs import db, registry
from sikro_docs.workspace import open_workspace
ws = open_workspace(sys.argv[1])
with db.session(ws):
    pass  # migrations, outside the timing
start = time.perf_counter()
report = registry.import_file(ws, Path(sys.argv[2]))
seconds = time.perf_counter() - start
assert report.imported and not report.invalid, report.as_json()
print(json.dumps({"seconds": seconds, "rows": report.imported}))
"""
OPENPYXL_READ_ONLY = """
import json, sys, time
from openpyxl import load_workbook
start = time.perf_counter()
wb = load_workbook(sys.argv[1], read_only=True)
rows = sum(1 for _ in wb.active.iter_rows(values_only=True))
wb.close()
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""
OPENPYXL_FULL = """
import json, sys, time
from openpyxl import load_workbook
start = time.perf_counter()
wb = load_workbook(sys.argv[1])
rows = sum(1 for _ in wb.active.iter_rows(values_only=True))
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def synthetic_row(i: int, rng: random.Random) -> list:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 30))
    sex = rng.choice("LP")
    day = born.day + (40 if sex == "P" else 0)
    nik = f"121101{day:02d}{born.month:02d}{born.year % 100:02d}{i % 9999 + 1:04d}"
    applied = dt.date(2026, 1, 5) + dt.timedelta(days=i // 40)
    return [
        None, applied, f"Pemohon Nomor {i}, A.Md.RO", nik, "Sidikalang", born, sex,
        f"Jalan Contoh No. {i}, Sidikalang", f"0812{i:08d}", None, "D-III Refraksi Optisi",
        f"RO{i:08d}", "Seumur Hidup", f"Optik Contoh {i % 50}", "Jalan Pasar, Sidikalang",
        *["Y"] * 9,
    ]


def write_workbook(path: Path, rows: int) -> Path:
    if path.exists():
        return path  # deterministic: the same size gives the same workbook
    rng = random.Random(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Permohonan")
    ws.append(HEADERS)
    for i in range(rows):
        ws.append(synthetic_row(i, rng))
    wb.save(path)
    return path


@dataclass
class Run:
    wall: float  # seconds, the whole child process
    work: float | None  # seconds the child timed itself (None for the CLI)
    peak_mb: float
    cpu: float  # CPU seconds of the whole child (user + system): steadier than wall time on a shared machine


def measure(argv: list) -> Run:
    """Run `argv` forked from the probe; its wall time, self-timed work and own peak RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PROBE, report.name, *map(str, argv)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        measured = json.loads(report.read() or '{"code": -1, "maxrss_kb": 0}')
    if measured["code"] != 0 or done.returncode != 0:
        sys.exit(f"{argv[:4]} failed with exit code {measured['code']}: {done.stderr.strip()[-500:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    work = json.loads(lines[-1])["seconds"] if lines else None
    return Run(wall, work, measured["maxrss_kb"] / 1024, measured.get("cpu", 0.0))


def fresh_workspace(name: str) -> Path:
    path = RESULTS / name
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "sikro_docs", "init", path], check=True, stdout=subprocess.DEVNULL)
    # The largest size is beyond the default limit of 20,000 rows: raised as an office would.
    profile = path / "sikro.toml"
    text = profile.read_text("utf-8")
    if "\nrows = 20_000" not in text:
        sys.exit(f"{profile}: no [limits.workbook] rows = 20_000 to raise")
    profile.write_text(text.replace("\nrows = 20_000", f"\nrows = {ROWS_LIMIT:_}"), "utf-8")
    return path


def best(runs: list[Run]) -> Run:
    """The fastest run's times; the highest peak seen (memory is not noise to hide)."""
    fastest = min(runs, key=lambda r: r.work if r.work is not None else r.wall)
    return Run(fastest.wall, fastest.work, max(r.peak_mb for r in runs), min(r.cpu for r in runs))


def bench_size(rows: int, repeat: int) -> dict[str, Run]:
    book = write_workbook(RESULTS / f"import-{rows}.xlsx", rows)
    commands = {
        "import (in-process)": lambda: [sys.executable, "-c", IMPORT_IN_PROCESS,
                                        fresh_workspace(f"ws-{rows}-inproc"), book],
        "import (CLI)": lambda: [sys.executable, "-m", "sikro_docs", "import", book,
                                 "--workspace", fresh_workspace(f"ws-{rows}-cli")],
        "openpyxl read-only": lambda: [sys.executable, "-c", OPENPYXL_READ_ONLY, book],
        "openpyxl full load": lambda: [sys.executable, "-c", OPENPYXL_FULL, book],
    }
    results = {}
    for what, argv in commands.items():
        results[what] = best([measure(argv()) for _ in range(repeat)])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000,30000", help="comma-separated workbook sizes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is shown")
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    RESULTS.mkdir(exist_ok=True)
    print(f"{'rows':>7} {'what':<22} {'seconds':>8} {'rows/s':>8} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}")
    for rows in sizes:
        results = bench_size(rows, args.repeat)
        for what, run in results.items():
            seconds = run.work if run.work is not None else run.wall
            print(f"{rows:>7} {what:<22} {seconds:>8.2f} {rows / seconds:>8.0f} {run.wall:>7.2f} {run.cpu:>7.2f} "
                  f"{run.peak_mb:>8.0f}")
        floor = results["openpyxl read-only"]
        inproc, cli = results["import (in-process)"], results["import (CLI)"]
        print(f"{rows:>7} ratio import/read-only: in-process {inproc.work / floor.work:.2f}x, "
              f"CLI (wall) {cli.wall / floor.wall:.2f}x, CLI (cpu) {cli.cpu / floor.cpu:.2f}x", flush=True)


if __name__ == "__main__":
    main()
