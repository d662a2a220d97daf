"""The whole batch against LibreOffice alone.

    .venv/bin/python bench/batch_bench.py [--n 300,1000] [--sample 10]

For each N: N synthetic approved applicants in a workbook; then in the same run
(a) `sikro batch FILE --doc permit --pdf` (import, numbering, rendering, signed
    QR, PDF/A, results workbook, and filing each PDF into the archive) as a
    real process; (a') the same without the archive filing,
(b) a bare pool of soffice processes (one per CPU, batch mode) converting the
    same DOCX files (the floor: LibreOffice's own work),
(c) one soffice process per document on a sample, extrapolated to N.
Targets on 2 cores: (a) within 1.25x of (b), at least 15x faster than (c),
peak RSS of any process under 600 MB. Writes only under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_bench import PeakRss, run_bare, run_one_per_document  # noqa: E402
from import_bench import HEADERS, synthetic_row  # noqa: E402

from sikro_docs.convert import find_soffice  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DECISION_HEADERS = ["Nomor Rekomendasi", "Tanggal Rekomendasi", "Keputusan"]


def approved_workbook(path: Path, n: int) -> Path:
    import random

    rng = random.Random(n)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Permohonan")
    sheet.append(HEADERS + DECISION_HEADERS)
    for i in range(n):
        sheet.append(synthetic_row(i, rng) + [f"440/{i:04d}/DINKES/2026", dt.date(2026, 8, 20), "Disetujui"])
    book.save(path)
    return path


def fresh_workspace(workspace: Path) -> None:
    shutil.rmtree(workspace, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "sikro_docs", "init", workspace], check=True,
                   stdout=subprocess.DEVNULL)


def run_batch(book: Path, workspace: Path) -> dict:
    fresh_workspace(workspace)
    with PeakRss() as rss:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "sikro_docs", "batch", book, "--doc", "permit",
                               "--pdf", "--json", "--workspace", workspace],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"batch failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    pdfs = sorted((workspace / "out" / "permit").glob("*.pdf"))
    return {"seconds": seconds, "ok": len(pdfs), "peak_rss": rss.peak_bytes, "peak_process": rss.peak_name,
            "cpu_seconds": rss.cpu_seconds}


# The batch of the documents issue (import, numbering, rendering, QR, PDF/A,
# results workbook), without what later issues added to it: filing every PDF
# into the archive's BagIt case files. Run in a child process with the
# archive step replaced, so both figures come from the same code.
WITHOUT_ARCHIVE = """
import sys
from pathlib import Path
import sikro_docs.batch as batch
from sikro_docs.workspace import open_workspace
batch._file_into_archive = lambda ws, docs: []
ws = open_workspace(sys.argv[2])
batch.run_batch(ws, Path(sys.argv[1]), "permit", batch.Options(pdf=True))
"""


def run_batch_without_archive(book: Path, workspace: Path) -> dict:
    fresh_workspace(workspace)
    with PeakRss() as rss:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", WITHOUT_ARCHIVE, book, workspace], check=True)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss": rss.peak_bytes, "cpu_seconds": rss.cpu_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="300,1000", help="comma-separated batch sizes")
    parser.add_argument("--sample", type=int, default=10, help="documents for one-process-per-document")
    args = parser.parse_args()
    soffice = find_soffice()
    RESULTS.mkdir(exist_ok=True)
    print(f"{'N':>5} {'what':<40} {'seconds':>8} {'ms/doc':>7} {'vs bare':>8} {'peak MB':>8} {'CPU s':>7}")
    for n in (int(x) for x in args.n.split(",")):
        book = approved_workbook(RESULTS / f"batch-{n}.xlsx", n)
        workspace = RESULTS / f"batch-ws-{n}"
        batch = run_batch(book, workspace)
        lean = run_batch_without_archive(book, RESULTS / f"batch-ws-lean-{n}")
        docx = sorted((workspace / "out" / "permit").glob("*.docx"))
        bare_out = RESULTS / f"batch-bare-{n}"
        shutil.rmtree(bare_out, ignore_errors=True)
        bare_out.mkdir()
        bare = run_bare(soffice, docx, bare_out)
        single_out = RESULTS / f"batch-single-{n}"
        shutil.rmtree(single_out, ignore_errors=True)
        single_out.mkdir()
        single = run_one_per_document(soffice, docx[: args.sample], single_out)
        single_total = single["seconds"] / args.sample * n
        for what, seconds, peak, cpu in (
            ("(a) sikro batch --pdf (everything)", batch["seconds"], batch["peak_rss"], batch["cpu_seconds"]),
            ("(a') the same without archive filing", lean["seconds"], lean["peak_rss"], lean["cpu_seconds"]),
            ("(b) bare soffice pool (convert only)", bare["seconds"], bare["peak_rss"], bare["cpu_seconds"]),
            (f"(c) one soffice per document ({args.sample}→{n})", single_total, single["peak_rss"],
             single["cpu_seconds"] / args.sample * n),
        ):
            print(f"{n:>5} {what:<40} {seconds:>8.1f} {seconds / n * 1000:>7.0f} "
                  f"{seconds / bare['seconds']:>7.2f}x {peak / 2**20:>8.0f} {cpu:>7.1f}")
        print(f"{n:>5} batch made {batch['ok']} PDFs; {single_total / batch['seconds']:.1f}x faster than one "
              f"process per document; peak process {batch['peak_process']}")


if __name__ == "__main__":
    main()
