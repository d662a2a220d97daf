"""The whole batch against LibreOffice alone, on the same DOCX files, in the same run.

    .venv/bin/python bench/batch_bench.py [--n 300,1000] [--rounds 2] [--type sikro] [--lean] [--sample 0]

For each N: N synthetic approved applicants in a workbook (`approved_workbook`:
the one function to change for another permit type); then, in the same run,
(a)  `sikro batch FILE --doc permit --pdf` (import, numbering, rendering,
     signed QR, PDF/A, results workbook, filing each PDF into the archive)
     as a real process, run through a probe process that reads its peak RSS
     with wait4 (as tests/test_intake_support.run_child does: Linux counts a
     forking parent's memory into the child's ru_maxrss, so the bench itself
     must not be the parent that forks it);
(b)  the strongest bare pool: one `soffice --headless --convert-to` per CPU,
     each converting its whole share of the batch's DOCX files in ONE
     invocation, each on its own profile warmed beforehand by a throw-away
     conversion (before the clock starts), with the batch's own PDF/A filter;
(b') the chunked bare pool: the same, but a fresh profile and a new soffice
     every 40 files (what a cautious script does);
(a') with --lean: the batch without the archive filing;
(c)  with --sample K: one soffice per document on K files, extrapolated to N.
The batch and the pools alternate for --rounds rounds (the machine is shared);
every round is printed. Targets on 2 cores: (a) within 1.10x of (b), peak
RSS under 300 MB. Writes only under bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_bench import PeakRss, _tree, run_bare, run_one_per_document  # noqa: E402
from import_bench import HEADERS, synthetic_row  # noqa: E402

from sikro_docs import permit_types, samples  # noqa: E402
from sikro_docs.convert import PDFA_FILTER, find_soffice, pdfa_part  # noqa: E402
from sikro_docs.permit_types import model as pt_model  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DECISION_HEADERS = ["Nomor Rekomendasi", "Tanggal Rekomendasi", "Keputusan"]


# --------------------------------------------------------------------------- the workbook

def approved_workbook(path: Path, n: int, permit_type: str = "sikro") -> Path:
    """N approved applications of `permit_type`, ready for `batch --doc permit`.

    The default type keeps the import bench's rows (the figures stay comparable
    with earlier runs); any other type, built-in or made from data, gets its rows
    from its own fields through `sikro_docs.samples` (one valid new application
    per invented applicant, each with its own NIK).
    """
    if permit_type == "sikro":
        rng = random.Random(n)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Permohonan")
        sheet.append(HEADERS + DECISION_HEADERS)
        for i in range(n):
            sheet.append(synthetic_row(i, rng) + [f"440/{i:04d}/DINKES/2026", dt.date(2026, 8, 20), "Disetujui"])
        book.save(path)
        return path
    return typed_workbook(path, n, permit_types.get(None, permit_type))


def typed_workbook(path: Path, n: int, ptype) -> Path:
    rng, hints = random.Random(n), samples.hints_for(ptype)
    records = []
    for i in range(n):
        born = dt.date(1975, 1, 1) + dt.timedelta(days=i)  # a different birth date: a different NIK
        name, sex, birthplace, _born, region, district = samples.PEOPLE[i % len(samples.PEOPLE)]
        person = samples.Person(f"{name} {i}", sex, birthplace, born, region, district)
        values = samples.record(ptype, hints, rng, i, person, dt.date(2026, 7, 1) + dt.timedelta(days=i % 40))
        values.update({f.name: ptype.short_name for f in ptype.fields if f.kind == pt_model.PERMIT_TYPE})
        values.update(nomor_rekomendasi=f"440/{i:04d}/DINKES/2026", tanggal_rekomendasi=dt.date(2026, 8, 20),
                      keputusan="Disetujui")
        records.append(values)
    return samples.write_records(path, list(ptype.fields), records, f"Bench {ptype.short_name}")


def batch_command(book: Path, workspace: Path, permit_type: str) -> list:
    type_args = [] if permit_type == "sikro" else ["--type", permit_type]
    return ["batch", book, "--doc", "permit", "--pdf", "--json", "--workspace", workspace, *type_args]


def fresh_workspace(workspace: Path) -> None:
    shutil.rmtree(workspace, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "sikro_docs", "init", workspace], check=True,
                   stdout=subprocess.DEVNULL)


# Where the office stands when it runs the permit batch (untimed): the workbook
# imported and each complete application brought through SOP step 7, so the
# batch row's decision and recommendation record steps 8 to 16 and the permit
# follows (as tests/workflow_support.import_and_advance does).
ADVANCE = """
import sys
from pathlib import Path
from sikro_docs import db, registry
from sikro_docs.models import Application
from sikro_docs.workflow import record_step
from sikro_docs.workspace import open_workspace
ws = open_workspace(sys.argv[2])
report = registry.import_file(ws, Path(sys.argv[1]))
with db.session(ws) as session:
    apps = [session.get(Application, app_id) for _row, app_id in report.applications]
    refs = [a.registration_number for a in apps if a.status == "open"]
for ref in refs:
    for number in range(3, 8):
        record_step(ws, ref, number, by="bench")
"""


def workspace_at_step_7(book: Path, workspace: Path) -> None:
    fresh_workspace(workspace)
    subprocess.run([sys.executable, "-c", ADVANCE, book, workspace], check=True)


# --------------------------------------------------------------------------- (a) the batch

class PeakRssByName(PeakRss):
    """PeakRss that also keeps the peak of each process name (the batch's Python apart from soffice.bin)."""

    def __init__(self):
        super().__init__()
        self.peaks: dict[str, int] = {}

    def _sample(self):
        while True:
            for pid, (name, rss, ticks) in _tree(os.getpid()).items():
                self._ticks[pid] = max(ticks, self._ticks.get(pid, 0))
                self.peaks[name] = max(rss, self.peaks.get(name, 0))
                if rss > self.peak_bytes:
                    self.peak_bytes, self.peak_name = rss, name
            if self._stop.wait(0.2):
                return


# Forks the command and reports its exit code and peak RSS (wait4): the
# bench's own memory must not be counted into the batch's ru_maxrss.
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


def run_probed(argv: list) -> dict:
    """Run argv under the probe: seconds, exit code, stderr, peak RSS (wait4) and the sampled tree."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report, tempfile.TemporaryFile() as err, \
            PeakRssByName() as rss:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", PROBE, report.name, *map(str, argv)],
                              stdout=subprocess.DEVNULL, stderr=err)
        seconds = time.perf_counter() - started
        measured = json.loads(report.read() or '{"code": -1, "maxrss_kb": 0, "cpu": 0}')
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    python_peak = max((peak for name, peak in rss.peaks.items() if name.startswith("python")), default=0)
    return {"seconds": seconds, "code": measured["code"] if proc.returncode == 0 else proc.returncode,
            "stderr": stderr, "maxrss": measured["maxrss_kb"] * 1024, "python_peak": python_peak,
            "peak_rss": rss.peak_bytes, "peak_process": rss.peak_name, "cpu_seconds": rss.cpu_seconds,
            "own_cpu": measured["cpu"]}


def run_batch(book: Path, workspace: Path, permit_type: str) -> dict:
    workspace_at_step_7(book, workspace)
    run = run_probed([sys.executable, "-m", "sikro_docs", *batch_command(book, workspace, permit_type)])
    if run["code"] != 0:
        sys.exit(f"batch failed ({run['code']}): {run['stderr'].strip()[-500:]}")
    run["ok"] = len(list((workspace / "out" / "permit").glob("*.pdf")))
    if run["ok"] == 0:
        sys.exit(f"the batch made no PDF: {run['stderr'].strip()[-500:]}")
    return run


# The batch without what later issues added to it: filing every PDF into the
# archive's BagIt case files. Same code, the archive step replaced.
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
    workspace_at_step_7(book, workspace)
    return run_probed([sys.executable, "-c", WITHOUT_ARCHIVE, book, workspace])


# --------------------------------------------------------------------------- (b) the strongest pool

def warm_profile(soffice: str, profile: Path, sample: Path) -> None:
    """Build the profile with a throw-away conversion (the first start on an empty profile is slow)."""
    with tempfile.TemporaryDirectory(prefix="sikro-bench-warm-") as scratch:
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", PDFA_FILTER, "--outdir", scratch, str(sample)],
                       capture_output=True, timeout=300)


def run_strongest(soffice: str, files: list[Path], out: Path) -> dict:
    """One soffice per CPU, each its whole share in one invocation, on a profile warmed beforehand."""
    workers = os.cpu_count() or 1
    shares = [files[i::workers] for i in range(workers)]
    profiles = [Path(tempfile.mkdtemp(prefix="sikro-bench-strong-")) for _ in shares]
    threads = [threading.Thread(target=warm_profile, args=(soffice, p, files[0])) for p in profiles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    def convert_share(profile: Path, share: list[Path]) -> None:
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", PDFA_FILTER, "--outdir", str(out), *map(str, share)],
                       capture_output=True, timeout=3600)

    try:
        with PeakRss() as rss:
            started = time.perf_counter()
            threads = [threading.Thread(target=convert_share, args=pair) for pair in zip(profiles, shares, strict=True)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
    finally:
        for profile in profiles:
            shutil.rmtree(profile, ignore_errors=True)
    made = [out / f"{f.stem}.pdf" for f in files if (out / f"{f.stem}.pdf").is_file()]
    return {"seconds": seconds, "workers": workers, "ok": len(made), "peak_rss": rss.peak_bytes,
            "peak_process": rss.peak_name, "cpu_seconds": rss.cpu_seconds,
            "pdfa": pdfa_part(made[0]) if made else None}


# --------------------------------------------------------------------------- the run

def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def measure_size(n: int, args, soffice: str) -> None:
    book = approved_workbook(RESULTS / f"batch-{n}.xlsx", n, args.type)
    batches, strongest, chunked, leans = [], [], [], []
    docx: list[Path] = []
    for round_ in range(args.rounds):
        # the pools convert the batch's DOCX files: the first round starts with the batch
        order = ("batch", "strong", "chunked") if round_ % 2 == 0 else ("chunked", "strong", "batch")
        for what in order:
            if what == "batch":
                workspace = RESULTS / f"batch-ws-{n}"
                batches.append(run_batch(book, workspace, args.type))
                docx = sorted((workspace / "out" / "permit").glob("*.docx"))
                if args.lean:
                    leans.append(run_batch_without_archive(book, RESULTS / f"batch-ws-lean-{n}"))
            elif what == "strong":
                strongest.append(run_strongest(soffice, docx, fresh_dir(RESULTS / f"batch-strong-{n}")))
            elif what == "chunked":
                chunked.append(run_bare(soffice, docx, fresh_dir(RESULTS / f"batch-bare-{n}")))
        print(f"{n:>5} round {round_ + 1}: batch {batches[-1]['seconds']:.1f} s, strongest pool "
              f"{strongest[-1]['seconds']:.1f} s, chunked pool {chunked[-1]['seconds']:.1f} s", flush=True)
    report(n, args, batches, strongest, chunked, leans)


def report(n: int, args, batches, strongest, chunked, leans) -> None:
    print(f"{'N':>5} {'what':<48} {'seconds':>8} {'ms/doc':>7} {'vs (b)':>7} {'peak MB':>8} {'CPU s':>7} ok")
    groups = [("(a) sikro batch --pdf (everything)", batches), ("(a') the same without archive filing", leans),
              ("(b) strongest pool (1 run/CPU, warmed profile)", strongest),
              ("(b') chunked pool (new soffice every 40 files)", chunked)]
    for what, runs in groups:
        for i, r in enumerate(runs):  # each against the strongest pool of its own round
            ratio = r["seconds"] / strongest[i]["seconds"]
            print(f"{n:>5} {what:<48} {r['seconds']:>8.1f} {r['seconds'] / n * 1000:>7.0f} {ratio:>6.2f}x "
                  f"{r['peak_rss'] / 2**20:>8.0f} {r['cpu_seconds']:>7.1f} {r.get('ok', '')}")
    for i, (b, s, c) in enumerate(zip(batches, strongest, chunked, strict=True)):
        print(f"{n:>5} round {i + 1}: batch {b['seconds']:.1f} s / strongest pool {s['seconds']:.1f} s = "
              f"{b['seconds'] / s['seconds']:.2f}x; chunked pool {c['seconds']:.1f} s "
              f"(batch / chunked {b['seconds'] / c['seconds']:.2f}x); batch peak RSS "
              f"{b['maxrss'] / 2**20:.0f} MB (wait4 through a probe), its Python process "
              f"{b['python_peak'] / 2**20:.0f} MB, largest process {b['peak_rss'] / 2**20:.0f} MB "
              f"({b['peak_process']})")
    # CPU seconds are what the other users of a shared machine inflate least: on 2 cores of its
    # own the batch can come no nearer the pool than the ratio of their CPU times.
    for i, (b, s) in enumerate(zip(batches, strongest, strict=True)):
        print(f"{n:>5} round {i + 1}: CPU batch {b['cpu_seconds']:.1f} s (its own process {b['own_cpu']:.1f} s = "
              f"{b['own_cpu'] / n * 1000:.0f} ms/doc; LibreOffice and the rest {b['cpu_seconds'] - b['own_cpu']:.1f} s) "
              f"/ strongest pool {s['cpu_seconds']:.1f} s = {b['cpu_seconds'] / s['cpu_seconds']:.2f}x")
    for i, st in enumerate(strongest):
        if st["ok"] < n:  # soffice silently drops files past a few hundred arguments
            scaled = st["seconds"] * n / max(st["ok"], 1)
            print(f"{n:>5} round {i + 1}: the strongest pool made only {st['ok']}/{n} PDFs (soffice drops files "
                  f"past ~250 arguments); scaled to {n}: {scaled:.1f} s, batch / scaled = "
                  f"{batches[i]['seconds'] / scaled:.2f}x")
    print(f"{n:>5} strongest pool: {strongest[0]['workers']} soffice, {strongest[0]['ok']}/{n} PDFs, "
          f"PDF/A {strongest[0]['pdfa']}; batch made {batches[0]['ok']} PDFs", flush=True)
    if args.sample:
        docx = sorted((RESULTS / f"batch-ws-{n}" / "out" / "permit").glob("*.docx"))[: args.sample]
        single = run_one_per_document(find_soffice(), docx, fresh_dir(RESULTS / f"batch-single-{n}"))
        total = single["seconds"] / args.sample * n
        print(f"{n:>5} (c) one soffice per document ({args.sample}→{n}): {total:.1f} s; the batch is "
              f"{total / min(b['seconds'] for b in batches):.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="300,1000", help="comma-separated batch sizes")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of batch and pools, alternating order")
    parser.add_argument("--type", default="sikro", help="permit type of the workbook")
    parser.add_argument("--lean", action="store_true", help="also the batch without archive filing")
    parser.add_argument("--sample", type=int, default=0, help="documents for one-process-per-document (0: skip)")
    args = parser.parse_args()
    soffice = find_soffice()
    RESULTS.mkdir(exist_ok=True)
    print(f"{os.cpu_count()} CPUs; PDF/A filter {PDFA_FILTER}")
    for n in (int(x) for x in args.n.split(",")):
        measure_size(n, args, soffice)


if __name__ == "__main__":
    main()
