"""Archive benchmarks: search p95 over 100,000 berkas, ingest pages/s, audit MB/s vs the disk.

Run: .venv/bin/python bench/archive_bench.py [--berkas 100000] [--pages 24] [--mb 256]
Search runs on SQLite (FTS5) and, where PostgreSQL is installed, on a throwaway
PostgreSQL cluster (tests/pg_support.py) with the same berkas and queries; `--no-pg` skips it.
Writes only under bench/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent / "tests"))  # the test helpers make real signed documents

from sqlalchemy import text  # noqa: E402

from sikro_docs import db  # noqa: E402
from sikro_docs.archive.audit import drop_from_cache, raw_read_mb_s  # noqa: E402
from sikro_docs.archive.bags import sha256_file  # noqa: E402
from sikro_docs.archive.index import search  # noqa: E402
from sikro_docs.workspace import init_workspace  # noqa: E402

FIRST = ["Rina", "Hotman", "Dewi", "Tigor", "Maria", "Budi", "Sarah", "Josua", "Lestari", "Ronald"]
LAST = ["Sitanggang", "Simanjuntak", "Lubis", "Siregar", "Nainggolan", "Manik", "Sinaga", "Tampubolon"]
SHOPS = ["Optik Terang", "Optik Cahaya", "Optik Sinar", "Optik Mata Indah", "Optik Prima", "Optik Jaya"]
WORDS = ("surat izin kerja refraksionis optisien rekomendasi dinas kesehatan berita acara peninjauan "
         "lapangan tempat kerja sidikalang dairi pahlawan sisingamangaraja kacamata lensa").split()


def fresh(name: str):
    folder = RESULTS / name
    shutil.rmtree(folder, ignore_errors=True)
    ws, _ = init_workspace(folder)
    return ws


# --------------------------------------------------------------------------- search


def synthetic_berkas(count: int):
    """`count` berkas rows (archive_berkas) and their words (numbers, names, workplace, body)."""
    rng = random.Random(1)
    now = dt.datetime.now(dt.UTC).isoformat()
    berkas, words = [], []
    for i in range(1, count + 1):
        year = 2020 + i % 7
        reg = f"REG/{i:05d}/SIKRO/{year}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        shop = f"{rng.choice(SHOPS)} {i % 500}"
        permit = f"500.16.7.2/{i:04d}/SIKRO/DPMPTSPK/{year}"
        berkas.append((i, reg.replace("/", "-"), reg, "500.16.7.2", year, f"{year}/500.16.7.2/x{i}",
                       f"Permohonan SIKRO a.n. {name}", name, "121101******0001", shop, f'["{permit}"]',
                       f"{year}-03-01", f"{year}-04-01", f"{year + 3}-12-31", f"{year + 10}-12-31",
                       "Permanen", "aktif", "v", now))
        body = " ".join(rng.choice(WORDS) for _ in range(120))
        words.append((i, f"{reg.replace('/', '-')} {reg} {permit}", f"{name} Permohonan SIKRO a.n. {name}", shop, body))
    return berkas, words


BERKAS_COLUMNS = ("id, berkas_number, registration_number, classification, year, path, title, name, nik_masked, "
                  "workplace, document_numbers, date_start, date_end, active_until, inactive_until, final_fate, "
                  "stage, version, updated_at")


def fill_sqlite(ws, berkas, words) -> None:
    conn = sqlite3.connect(ws.db_path)
    conn.executemany(f"insert into archive_berkas ({BERKAS_COLUMNS}) values (" + ",".join("?" * 19) + ")", berkas)
    conn.executemany("insert into archive_fts (rowid, numbers, names, workplace, body) values (?,?,?,?,?)", words)
    conn.commit()
    conn.execute("insert into archive_fts(archive_fts) values ('optimize')")
    conn.commit()
    conn.close()


def fill_postgresql(ws, berkas, words) -> None:
    """The berkas by COPY, their words through the library's own provider (as filing puts them)."""
    from sikro_docs.archive.fulltext import PgFullText

    provider = PgFullText()
    with db.session(ws, write=True) as session:
        cursor = session.connection().connection.driver_connection.cursor()
        with cursor.copy(f"COPY archive_berkas ({BERKAS_COLUMNS}) FROM STDIN") as copy:
            for row in berkas:
                copy.write_row(row)
    for start in range(0, len(words), 5000):
        with db.session(ws, write=True) as session:
            provider.put_many(session, [(berkas_id, dict(numbers=numbers, names=names, workplace=workplace, body=body))
                                        for berkas_id, numbers, names, workplace, body in words[start:start + 5000]])
    with db.engine_for(ws).connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE archive_search")


def search_queries(count: int) -> list[str]:
    rng = random.Random(2)
    queries = []
    for _ in range(300):
        i = rng.randint(1, count)
        queries += [rng.choice(LAST), f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"REG/{i:05d}/SIKRO",
                    f"500.16.7.2/{i:04d}", rng.choice(SHOPS), "kacamata sidikalang", rng.choice(FIRST)[:3]]
    return queries


def time_search(ws, engine: str, count: int) -> None:
    queries, times = search_queries(count), []
    with db.session(ws) as session:
        search(session, "warm up")
        for query in queries:
            t = time.perf_counter()
            search(session, query, limit=20)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
    print(f"search ({engine}): {len(times)} queries over {count} berkas: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"max {times[-1]:.1f} ms (target p95 < 20 ms)")


def bench_search(count: int, *, postgresql: bool = True) -> None:
    berkas, words = synthetic_berkas(count)
    ws = fresh("search")
    start = time.perf_counter()
    fill_sqlite(ws, berkas, words)
    print(f"search (SQLite FTS5): indexed {count} synthetic berkas in {time.perf_counter() - start:.1f} s")
    time_search(ws, "SQLite FTS5", count)
    if not postgresql:
        return
    from pg_support import PgServer, have_postgresql, use_database

    if not have_postgresql():
        print("search (PostgreSQL): skipped, no PostgreSQL (initdb, pg_ctl) or psycopg here")
        return
    server = PgServer().start()
    try:
        ws = use_database(fresh("search-pg").root, server.new_database("sikro_bench"))
        db.migrate_once(ws)
        start = time.perf_counter()
        fill_postgresql(ws, berkas, words)
        print(f"search (PostgreSQL tsvector): indexed {count} synthetic berkas in {time.perf_counter() - start:.1f} s")
        time_search(ws, "PostgreSQL tsvector/GIN", count)
    finally:
        db.close_connections()
        server.stop()


# --------------------------------------------------------------------------- ingest


def make_scans(ws, inbox: Path, pages: int) -> None:
    from archive_support import bad_scan, make_permit, paper

    inbox.mkdir(parents=True, exist_ok=True)
    tmp = inbox.parent / "papers"
    tmp.mkdir(exist_ok=True)
    for i in range(pages):
        permit = make_permit(ws, name=f"Pemohon {i}")
        bad_scan(paper(tmp / f"p{i}.pdf", permit.url), inbox / f"scan{i:03d}.pdf", as_pdf=True)


def decode_rate(files: list[Path], strategy) -> float:
    start = time.perf_counter()
    found = sum(1 for f in files if strategy(f))
    elapsed = time.perf_counter() - start
    return len(files) / elapsed, found


def render_300_straight(path: Path) -> list[str]:
    """The obvious alternative: every page at 300 dpi, then decode."""
    import pypdfium2

    from sikro_docs.verification.qr import decode_image

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        codes = []
        for page in pdf:
            codes += decode_image(page.render(scale=300 / 72, grayscale=True).to_pil())
        return codes
    finally:
        pdf.close()


def bench_ingest(pages: int) -> None:
    from sikro_docs.archive import ingest
    from sikro_docs.verification import read_qr_codes

    ws = fresh("ingest")
    inbox = RESULTS / "ingest-in"
    shutil.rmtree(inbox, ignore_errors=True)
    make_scans(ws, inbox, pages)
    files = sorted(inbox.iterdir())
    read_qr_codes(files[0])  # warm-up: imports and pdfium's first load are not per-page costs
    rate, found = decode_rate(files, read_qr_codes)
    print(f"ingest: decode 200 dpi then 300 (one process): {rate:.1f} pages/s, {found}/{len(files)} codes")
    rate, found = decode_rate(files, render_300_straight)
    print(f"ingest: decode 300 dpi straight away (one process): {rate:.1f} pages/s, {found}/{len(files)} codes")
    for workers in (1, 2):
        for bag in ws.archive_dir.glob("20*"):
            shutil.rmtree(bag)
        with db.session(ws, write=True) as session:
            for table in ("archive_files", "archive_locations", "archive_berkas"):
                session.execute(text(f"delete from {table}"))
            session.execute(text("delete from archive_fts"))
        start = time.perf_counter()
        report = ingest(ws, [inbox], keep=True, do_ocr=False, workers=workers)
        elapsed = time.perf_counter() - start
        filed = sum(1 for f in report.files if f.status == "filed")
        print(f"ingest: full ingest (decode, verify, bag, index; no OCR), {workers} worker(s): "
              f"{len(files) / elapsed:.1f} pages/s, {filed}/{len(files)} filed (target >= 8 pages/s)")
    from sikro_docs.archive.ocr import ocr_file, tesseract_status

    if tesseract_status() is None:
        start = time.perf_counter()
        for f in files[:3]:
            ocr_file(f)
        print(f"ingest: OCR (tesseract -l ind, 300 dpi) {(time.perf_counter() - start) / 3:.2f} s a page "
              "(runs after filing; `--no-ocr` defers it to `sikro archive ocr`)")


# --------------------------------------------------------------------------- audit


def bench_audit(megabytes: int) -> None:
    folder = RESULTS / "audit"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files, size = [], 4 << 20
    for i in range(max(1, megabytes // 4)):
        path = folder / f"f{i:04d}.bin"
        with open(path, "wb") as fh:
            fh.write(os.urandom(size))
            fh.flush()
            os.fsync(fh.fileno())
        files.append(path)
    total_mb = len(files) * size / (1 << 20)

    def cold():
        for path in files:
            drop_from_cache(path)

    cold()
    raw = raw_read_mb_s(files)
    for threads in (1, 2):
        cold()
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(sha256_file, files))
        cold_rate = total_mb / (time.perf_counter() - start)
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(sha256_file, files))
        hot_rate = total_mb / (time.perf_counter() - start)
        print(f"audit: SHA-256 with {threads} thread(s): {cold_rate:.0f} MB/s from disk, "
              f"{hot_rate:.0f} MB/s from cache (CPU limit)")
    print(f"audit: raw sequential read from disk: {raw:.0f} MB/s over {total_mb:.0f} MB "
          "(page cache dropped with posix_fadvise DONTNEED before each run)")
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--berkas", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--only", choices=["search", "ingest", "audit"])
    parser.add_argument("--no-pg", action="store_true", help="search on SQLite only")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    print(f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}")
    if args.only in (None, "search"):
        bench_search(args.berkas, postgresql=not args.no_pg)
    if args.only in (None, "ingest"):
        bench_ingest(args.pages)
    if args.only in (None, "audit"):
        bench_audit(args.mb)


if __name__ == "__main__":
    main()
