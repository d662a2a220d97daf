"""DOCX → PDF/A: ConverterPool against a bare pool of soffice processes and one process per document.

    .venv/bin/python bench/convert_bench.py --n 300 --sample 10

(a) ConverterPool with default workers (time with and without its start-up),
(b) bare: one soffice per CPU, each its own fresh profile, each converting its
    share of the files in chunks of 40 — the plain best a script could do,
(c) one soffice process per document on --sample files, extrapolated to N.
Peak RSS is of any single process (this one or any descendant, soffice.bin
included), sampled every 0.2 s. Writes only under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from docx import Document

from sikro_docs.convert import MAX_CHUNK, PDFA_FILTER, ConverterPool, find_soffice, pdfa_part

RESULTS = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------- inputs

def make_letters(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_letter(folder / f"surat-{n:04d}.docx", n) for n in range(count)]


def make_letter(path: Path, number: int) -> Path:
    """A one-page letter: heading, ten paragraphs with Indonesian text and special characters, a table."""
    document = Document()
    document.add_heading(f"Surat Izin Praktik Nomor 503/{number:04d}/DPMPTSP/2026", level=1)
    for line in range(10):
        document.add_paragraph(
            f"Paragraf {line + 1}: berdasarkan permohonan Saudari Rina Sitanggang, A.Md.RO tanggal "
            f"5 Agustus 2026, Café “Optik Sidikalang Jaya” & Rekan <cabang {number}> diberikan izin.")
    table = document.add_table(rows=4, cols=2)
    for row, (label, value) in enumerate([("Nama", "Rina Sitanggang"), ("NIK", f"121101450391{number:04d}"),
                                          ("Alamat", "Jl. Sisingamangaraja No. 12"), ("Berlaku", "Seumur Hidup")]):
        table.cell(row, 0).text, table.cell(row, 1).text = label, value
    document.save(path)
    return path


# --------------------------------------------------------------------------- memory

class PeakRss:
    """Peak RSS of any one process in this process tree, and the tree's CPU time, sampled every 0.2 s.

    CPU time is what contention from other users of the machine does not
    inflate much. It is this process's own plus each descendant's last
    sampled figure: LibreOffice run by the uno engine is a grandchild that is
    killed, never reaped, so rusage of children would not count it.
    """

    def __init__(self):
        self.peak_bytes, self.peak_name = 0, ""
        self._ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._self_start = _own_cpu_seconds()
        self._before = {pid: ticks for pid, (_n, _r, ticks) in _tree(os.getpid()).items()}
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        children = sum(ticks - self._before.get(pid, 0) for pid, ticks in self._ticks.items() if pid != os.getpid())
        self.cpu_seconds = _own_cpu_seconds() - self._self_start + children / os.sysconf("SC_CLK_TCK")

    def _sample(self):
        while True:
            for pid, (name, rss, ticks) in _tree(os.getpid()).items():
                self._ticks[pid] = max(ticks, self._ticks.get(pid, 0))
                if rss > self.peak_bytes:
                    self.peak_bytes, self.peak_name = rss, name
            if self._stop.wait(0.2):
                return


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tree(root: int) -> dict[int, tuple[str, int, int]]:
    """pid -> (name, RSS bytes, user+system CPU ticks) of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[str, int, int]] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            resident = int(Path(f"/proc/{entry}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = (name, resident, int(fields[11]) + int(fields[12]))
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found[pid] = stats[pid]
        todo.extend(children.get(pid, []))
    return found


# --------------------------------------------------------------------------- the three ways

def run_pool(files: list[Path], out: Path) -> dict:
    with PeakRss() as rss:
        started = time.perf_counter()
        with ConverterPool() as pool:
            ready = time.perf_counter()
            results = pool.convert(files, out_dir=out)
            converted = time.perf_counter()
            workers = pool.size
        ended = time.perf_counter()
    failed = [r.message for r in results if not r.ok]
    return {"seconds": ended - started, "convert_seconds": converted - ready, "workers": workers,
            "ok": len(results) - len(failed), "failed": failed[:5], "peak_rss": rss.peak_bytes,
            "cpu_seconds": rss.cpu_seconds,
            "peak_process": rss.peak_name}


def run_bare(soffice: str, files: list[Path], out: Path) -> dict:
    """One soffice per CPU, fresh profile each, each converting its half in chunks of MAX_CHUNK."""
    workers = os.cpu_count() or 1
    shares = [files[i::workers] for i in range(workers)]

    def convert_share(share: list[Path]) -> None:
        profile = Path(tempfile.mkdtemp(prefix="sikro-bench-bare-"))
        try:
            for start in range(0, len(share), MAX_CHUNK):
                subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                                "--convert-to", PDFA_FILTER, "--outdir", str(out),
                                *map(str, share[start:start + MAX_CHUNK])],
                               capture_output=True, timeout=600)
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    with PeakRss() as rss:
        started = time.perf_counter()
        threads = [threading.Thread(target=convert_share, args=(s,)) for s in shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ended = time.perf_counter()
    made = sum(1 for f in files if (out / f"{f.stem}.pdf").is_file() and (out / f"{f.stem}.pdf").stat().st_size)
    return {"seconds": ended - started, "workers": workers, "ok": made, "peak_rss": rss.peak_bytes,
            "cpu_seconds": rss.cpu_seconds,
            "peak_process": rss.peak_name}


def run_one_per_document(soffice: str, files: list[Path], out: Path) -> dict:
    profile = Path(tempfile.mkdtemp(prefix="sikro-bench-single-"))
    try:
        # The profile is built first so that (c) measures steady state, not the first start.
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--terminate_after_init"], capture_output=True, timeout=120)
        with PeakRss() as rss:
            started = time.perf_counter()
            for docx in files:
                subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                                "--convert-to", PDFA_FILTER, "--outdir", str(out), str(docx)],
                               capture_output=True, timeout=120)
            ended = time.perf_counter()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    made = sum(1 for f in files if (out / f"{f.stem}.pdf").is_file())
    return {"seconds": ended - started, "ok": made, "peak_rss": rss.peak_bytes, "peak_process": rss.peak_name,
            "cpu_seconds": rss.cpu_seconds}


# --------------------------------------------------------------------------- report

def table(n: int, sample: int, pool: dict, bare: dict, single: dict) -> str:
    per_doc_single = single["seconds"] / sample
    rows = [
        ("(a) ConverterPool, incl. start", n, pool["seconds"], pool["peak_rss"]),
        ("(a) ConverterPool, convert only", n, pool["convert_seconds"], pool["peak_rss"]),
        ("(b) bare soffice pool", n, bare["seconds"], bare["peak_rss"]),
        (f"(c) one process/doc ({sample} → {n})", n, per_doc_single * n, single["peak_rss"]),
    ]
    lines = [f"{'':34} {'docs':>5} {'seconds':>8} {'ms/doc':>7} {'docs/s':>7} {'vs bare':>8} "
             f"{'speed-up':>9} {'peak RSS':>9}"]
    for label, docs, seconds, peak in rows:
        lines.append(f"{label:34} {docs:>5} {seconds:>8.2f} {1000 * seconds / docs:>7.1f} {docs / seconds:>7.1f} "
                     f"{seconds / bare['seconds']:>7.2f}x {per_doc_single * n / seconds:>8.1f}x "
                     f"{peak / 2**20:>6.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="documents (default 300)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of (a) and (b); best counts")
    parser.add_argument("--sample", type=int, default=10, help="documents for one-process-per-document (default 10)")
    args = parser.parse_args(argv)

    soffice = find_soffice()
    work = RESULTS / f"convert-{time.strftime('%Y%m%d-%H%M%S')}"
    files = make_letters(work / "docx", args.n)
    # One untimed run so that (a) and (b) both find LibreOffice's libraries in the page cache.
    run_one_per_document(soffice, files[:1], work / "warmup")

    # The machine is shared: (a) and (b) alternate for --rounds rounds and the best of each counts.
    pools, bares = [], []
    for round_ in range(args.rounds):
        for name in (("bare", "pool") if round_ % 2 == 0 else ("pool", "bare")):
            out = work / f"{name}-{round_}"
            if name == "pool":
                pools.append(run_pool(files, out))
            else:
                bares.append(run_bare(soffice, files, out))
    pool, bare = min(pools, key=lambda r: r["seconds"]), min(bares, key=lambda r: r["seconds"])
    for runs in (pools, bares):  # memory: the worst round counts
        for run in runs:
            run["peak_rss"] = max(r["peak_rss"] for r in runs)
    single = run_one_per_document(soffice, files[: args.sample], work / "single")

    print(f"{os.cpu_count()} CPUs, {pool['workers']} pool workers, chunks of ≤ {MAX_CHUNK}, PDF/A-2b, "
          f"{sys.platform}; outputs: pool {pool['ok']}/{args.n}, bare {bare['ok']}/{args.n}, "
          f"single {single['ok']}/{args.sample}")
    print(table(args.n, args.sample, pool, bare, single))
    print("all rounds, seconds: pool", [round(r["seconds"], 2) for r in pools],
          "bare", [round(r["seconds"], 2) for r in bares])
    print("CPU seconds (user+sys, soffice included), best round: pool",
          round(min(r["cpu_seconds"] for r in pools), 2), "bare", round(min(r["cpu_seconds"] for r in bares), 2),
          f"one process/doc {single['cpu_seconds'] / args.sample * args.n:.1f} (extrapolated)")
    print(f"peak process: pool {pool['peak_process']}, bare {bare['peak_process']}")
    sample_pdf = work / "pool-0" / f"{files[0].stem}.pdf"
    print(f"PDF/A of {sample_pdf.name}: {pdfa_part(sample_pdf)}")
    shutil.copy(sample_pdf, work / sample_pdf.name)
    for run in pools:
        if run["failed"]:
            print("pool failures:", *run["failed"], sep="\n  ")
    summary = {"n": args.n, "sample": args.sample, "pools": pools, "bares": bares, "single": single}
    (work / "summary.json").write_text(json.dumps(summary, indent=2))
    for bulky in work.iterdir():  # keep the summary and one sample PDF, not 300 × rounds files
        if bulky.is_dir():
            shutil.rmtree(bulky, ignore_errors=True)
    return 0 if all(r["ok"] == args.n for r in pools) else 1


if __name__ == "__main__":
    sys.exit(main())
