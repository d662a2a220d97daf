"""Import benchmark: time and peak memory of `sikro import` on large workbooks.

Bounded memory means the peak stays flat as the workbook grows. The obvious
alternative, loading the whole workbook with openpyxl (not read-only), is
measured in the same run for comparison.

    .venv/bin/python bench/import_bench.py [--rows 1000,10000]

Workbooks and workspaces go to bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import Workbook

RESULTS = Path(__file__).resolve().parent / "results"
HEADERS = [
    "No Registrasi", "Tanggal Permohonan", "Nama", "NIK", "Tempat Lahir", "Tanggal Lahir",
    "Jenis Kelamin", "Alamat", "No HP", "Email", "Pendidikan", "No STR", "STR Berlaku Sampai",
    "Nama Tempat Kerja", "Alamat Tempat Kerja", "Surat Permohonan", "KTP", "STR", "Ijazah",
    "Surat Keterangan Sehat", "Surat Keterangan Tempat Kerja", "Rekomendasi Organisasi Profesi",
    "Pas Foto", "NPWP",
]


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
    rng = random.Random(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Permohonan")
    ws.append(HEADERS)
    for i in range(rows):
        ws.append(synthetic_row(i, rng))
    wb.save(path)
    return path


def measure(argv: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000", help="comma-separated workbook sizes")
    sizes = [int(n) for n in parser.parse_args().rows.split(",")]
    RESULTS.mkdir(exist_ok=True)
    print(f"{'rows':>7} {'what':<34} {'seconds':>8} {'peak MB':>8} {'rows/s':>8}")
    for rows in sizes:
        book = write_workbook(RESULTS / f"import-{rows}.xlsx", rows)
        ws_dir = RESULTS / f"ws-{rows}"
        shutil.rmtree(ws_dir, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "sikro_docs", "init", ws_dir], check=True,
                       stdout=subprocess.DEVNULL)
        runs = {
            "sikro import (streamed)": [sys.executable, "-m", "sikro_docs", "import", book,
                                        "--workspace", ws_dir],
            "openpyxl full load (alternative)": [
                sys.executable, "-c",
                f"import openpyxl; wb = openpyxl.load_workbook({str(book)!r}); "
                "print(sum(1 for _ in wb.active.iter_rows()))"],
        }
        for what, argv in runs.items():
            seconds, peak, code = measure(argv)
            if code != 0:
                sys.exit(f"{what} failed with exit code {code}")
            print(f"{rows:>7} {what:<34} {seconds:>8.2f} {peak:>8.0f} {rows / seconds:>8.0f}")


if __name__ == "__main__":
    main()
