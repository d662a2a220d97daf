"""DOCX → PDF/A-2b with real LibreOffice, by a pool of batch-converting workers.

Why it is built this way (figures measured on the 2-core office machine):

* One ``soffice`` process per document costs ≈ 940 ms; one process converting
  a list of files costs ≈ 80 ms a document, two such processes in parallel
  ≈ 46 ms.  So each worker converts *chunks* of files per invocation, and there
  is one worker per CPU.
* Two soffice processes sharing one profile fail silently (exit 0, no PDF), so
  every worker owns its profile (``-env:UserInstallation``), created fresh.
* soffice has been seen to drop files past ~250 arguments: chunks stay ≤ 40.
* soffice exits 0 even when a file "could not be loaded", and single documents
  can hang: every output is checked (exists, non-empty, opens with pypdf, has
  pages, is PDF/A), a bad one is retried once on its own, and every invocation
  runs under a timeout, in its own process group so the whole tree
  (``soffice`` script → ``oosplash`` → ``soffice.bin``) can be killed.
* A crash must never leave half a PDF at the destination: soffice writes into a
  per-worker temporary directory and a checked PDF is moved into place with
  ``os.replace``.

Workers are threads, each driving one soffice subprocess at a time: LibreOffice
does the CPU work in its own process, so the GIL is not a bottleneck, and
threads share the result queue, the stop flag and the list of running
processes (needed to kill everything on Ctrl-C) without any pickling.
"""

from __future__ import annotations

import errno
import math
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Callable, Iterable

from sikro_docs.errors import SikroError

INSTALL_HINT = ("LibreOffice is not installed; install it with: sudo apt-get install "
                "libreoffice-writer-nogui (PDF files were not made; the DOCX files are ready)")
KNOWN_LOCATIONS = ("/usr/bin/soffice", "/usr/bin/libreoffice",
                   "/usr/lib/libreoffice/program/soffice", "/opt/libreoffice*/program/soffice")
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
PLAIN_PDF_FILTER = "pdf:writer_pdf_Export"
PDFA_NS = "http://www.aiim.org/pdfa/ns/id/"
MAX_CHUNK = 40            # far below the ~250 arguments where soffice starts dropping files
STARTUP_TIMEOUT = 20.0    # the "base" of a chunk's timeout: a cold start on a busy 2-core machine
WARM_TIMEOUT = 60.0

Progress = Callable[["ConversionResult"], None]


class LibreOfficeMissing(SikroError):
    """No LibreOffice binary: the DOCX files exist, the PDF files cannot be made."""


class LibreOfficeBroken(SikroError):
    """LibreOffice is installed but does not start."""


@dataclass
class ConversionResult:
    docx: Path
    pdf: Path | None
    ok: bool
    message: str
    seconds: float
    attempts: int = 1  # soffice invocations this document took part in (2 = it was retried)


# --------------------------------------------------------------------------- finding soffice

def find_soffice() -> str:
    """The LibreOffice binary: $SIKRO_SOFFICE, else PATH, else the usual install places."""
    configured = os.environ.get("SIKRO_SOFFICE")
    if configured:
        # An explicit setting that is wrong is an error, not a reason to guess elsewhere.
        if _is_executable(configured):
            return configured
        raise LibreOfficeMissing(f"SIKRO_SOFFICE={configured} is not a program. {INSTALL_HINT}")
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for pattern in KNOWN_LOCATIONS:
        for candidate in sorted(glob(pattern)):
            if _is_executable(candidate):
                return candidate
    raise LibreOfficeMissing(INSTALL_HINT)


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


# --------------------------------------------------------------------------- checking a PDF

def pdfa_part(pdf: Path) -> tuple[str, str] | None:
    """(part, conformance) from the PDF's XMP metadata, e.g. ("2", "B"); None if not PDF/A."""
    from pypdf import PdfReader

    try:
        return _pdfa_of_reader(PdfReader(pdf))
    except Exception:  # a damaged PDF simply is not PDF/A
        return None


def _pdfa_of_reader(reader) -> tuple[str, str] | None:
    xmp = reader.xmp_metadata
    if xmp is None:
        return None
    root = ET.fromstring(xmp.stream.get_data())
    part = conformance = None
    # XMP allows both <pdfaid:part>2</pdfaid:part> and pdfaid:part="2".
    for element in root.iter():
        for key, value in element.attrib.items():
            part = value if key == f"{{{PDFA_NS}}}part" else part
            conformance = value if key == f"{{{PDFA_NS}}}conformance" else conformance
        if element.tag == f"{{{PDFA_NS}}}part":
            part = (element.text or "").strip()
        elif element.tag == f"{{{PDFA_NS}}}conformance":
            conformance = (element.text or "").strip()
    return (part, conformance.upper()) if part and conformance else None


def _pdf_problem(pdf: Path, want_pdfa: bool) -> str | None:
    """Why this soffice output is not usable, or None if it is."""
    from pypdf import PdfReader

    if not pdf.exists():
        return "LibreOffice made no PDF"
    if pdf.stat().st_size == 0:
        return "LibreOffice made an empty PDF"
    try:
        reader = PdfReader(pdf)
        pages = len(reader.pages)
        pdfa = _pdfa_of_reader(reader) if want_pdfa else ("-", "-")
    except Exception as err:
        return f"the PDF does not open ({type(err).__name__}: {_one_line(err)})"
    if pages < 1:
        return "the PDF has no pages"
    if pdfa is None:
        return "the PDF is not PDF/A"
    return None


def _input_problem(docx: Path) -> str | None:
    """Problems found before LibreOffice sees the file.

    A file that is not a ZIP at all is refused here: LibreOffice would not fail
    on it but import the bytes as plain text and make a PDF of garbage.
    """
    try:
        with open(docx, "rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        return "file not found"
    except OSError as err:
        return f"cannot read the file ({_one_line(err)})"
    if magic != b"PK\x03\x04":
        return "not a DOCX file (it is not a ZIP archive)"
    return None


def _damage_hint(docx: Path) -> str:
    """After LibreOffice failed: a hint whether the DOCX itself is damaged."""
    try:
        with zipfile.ZipFile(docx) as archive:
            if "word/document.xml" not in archive.namelist():
                return "; the file has no word/document.xml, it is not a Word document"
            bad = archive.testzip()
            return f"; the file is damaged ({bad} is corrupt)" if bad else ""
    except Exception:
        return "; the file is damaged (an incomplete ZIP archive)"


def _one_line(value) -> str:
    return " ".join(str(value).split())[:300]


# --------------------------------------------------------------------------- one worker

@dataclass
class _Job:
    index: int          # position in the caller's list; also the temporary file name
    docx: Path
    dest: Path
    attempts: int = 0
    seconds: float = 0.0


class _Worker:
    """One LibreOffice profile and the soffice process currently using it.

    Layout of its private directory (unique per worker, from mkdtemp):
    ``profile/`` (the LibreOffice user installation), ``in/`` (symlinks to the
    inputs, named by job index so that two ``brief.docx`` from different folders
    or a name starting with "-" cannot clash or be read as an option) and
    ``out/`` (where soffice writes; outputs are moved from here into place).
    """

    def __init__(self, soffice: str, number: int, pdf_filter: str, timeout_per_doc: float,
                 startup_timeout: float, stop: threading.Event):
        self.soffice, self.pdf_filter, self.stop = soffice, pdf_filter, stop
        self.timeout_per_doc, self.startup_timeout = timeout_per_doc, startup_timeout
        self.root = Path(tempfile.mkdtemp(prefix=f"sikro-lo-w{number}-"))
        self.profile, self.indir, self.outdir = self.root / "profile", self.root / "in", self.root / "out"
        self.restarts = 0
        self._proc: subprocess.Popen | None = None
        self._proc_lock = threading.Lock()

    # ---- lifecycle

    def start(self) -> None:
        """A fresh profile, warmed once.

        The first start of LibreOffice on an empty profile builds the profile
        (and on some versions restarts itself), which has lost conversions; so
        the profile is built by a start that converts nothing.
        """
        shutil.rmtree(self.profile, ignore_errors=True)
        status, output = self._run(["--terminate_after_init"], WARM_TIMEOUT)
        if status != "done" and not self.stop.is_set():
            raise LibreOfficeBroken(f"LibreOffice did not start ({status}): {_one_line(output)}")

    def restart(self) -> None:
        """Kill whatever this worker runs and start over on a new profile."""
        self.kill()
        self.restarts += 1
        self.start()

    def kill(self) -> None:
        """Kill this worker's soffice process group and any soffice still using its profile."""
        with self._proc_lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            # The group leader is not reaped yet, so its pid (= the group id) cannot be reused.
            _killpg(proc.pid)
        # soffice.bin can outlive its oosplash parent; the profile path in its
        # command line identifies it exactly.
        _kill_processes_mentioning(self.profile.as_uri())

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- converting

    def convert_chunk(self, jobs: list[_Job], deliver: Callable[[_Job, str | None], None]) -> None:
        """Convert `jobs` in one soffice run; deliver each job with None (ok) or a failure reason."""
        started = time.monotonic()
        status, _ = self._convert(jobs)
        share = (time.monotonic() - started) / len(jobs)
        for job in jobs:
            job.attempts += 1
            job.seconds += share
        if status == "timeout":
            # Which documents were finished before the hang is not reliable
            # (the last one may be half written): kill, new profile, redo all singly.
            self.restart()
            for job in jobs:
                self._retry_alone(job, deliver, f"its batch timed out after {self._timeout(len(jobs)):.0f} s")
            return
        # Deliver every good output before any retry: a retry empties the out dir.
        failed = []
        for job in jobs:
            problem = self._problem(job)
            if problem is None:
                deliver(job, self._move_into_place(job))
            else:
                failed.append((job, problem))
        for job, problem in failed:
            self._retry_alone(job, deliver, problem)

    def _retry_alone(self, job: _Job, deliver, first_problem: str) -> None:
        if self.stop.is_set():
            return deliver(job, "stopped")
        started = time.monotonic()
        status, output = self._convert([job])
        job.attempts += 1
        job.seconds += time.monotonic() - started
        problem = f"timed out after {self._timeout(1):.0f} s" if status == "timeout" else self._problem(job)
        if problem is None:
            return deliver(job, self._move_into_place(job))
        errors = [line for line in output.splitlines() if line.startswith("Error")]
        detail = f" ({'; '.join(errors)})" if errors else ""
        earlier = "" if first_problem == problem else f"; before that: {first_problem}"
        deliver(job, f"no PDF after 2 tries: {problem}{detail}{_damage_hint(job.docx)}{earlier}")
        # The failure may have left soffice hanging or the profile damaged.
        self.restart()

    def _convert(self, jobs: list[_Job]) -> tuple[str, str]:
        for folder in (self.indir, self.outdir):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        links = []
        for job in jobs:
            link = self.indir / f"{job.index:06d}.docx"
            link.symlink_to(job.docx.resolve())
            links.append(str(link))
        args = ["--norestore", "--convert-to", self.pdf_filter, "--outdir", str(self.outdir), *links]
        return self._run(args, self._timeout(len(jobs)))

    def _timeout(self, documents: int) -> float:
        return self.startup_timeout + self.timeout_per_doc * documents

    def _problem(self, job: _Job) -> str | None:
        return _pdf_problem(self.outdir / f"{job.index:06d}.pdf", self.pdf_filter == PDFA_FILTER)

    def _move_into_place(self, job: _Job) -> str | None:
        try:
            _atomic_move(self.outdir / f"{job.index:06d}.pdf", job.dest)
        except OSError as err:
            return f"cannot write {job.dest} ({_one_line(err)})"
        return None

    def _run(self, args: list[str], timeout: float) -> tuple[str, str]:
        """Run soffice on this worker's profile: ("done" | "timeout" | "stopped", its output)."""
        command = [self.soffice, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", *args]
        with self._proc_lock:
            if self.stop.is_set():
                return "stopped", ""
            # A new session = a new process group, so a timeout kills the whole tree.
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = self._proc.communicate(timeout=timeout)
            status = "stopped" if self.stop.is_set() else "done"
        except subprocess.TimeoutExpired:
            _killpg(self._proc.pid)
            output, _ = self._proc.communicate()
            status = "timeout"
        finally:
            if self._proc.poll() is None:  # an exception (Ctrl-C) while waiting
                _killpg(self._proc.pid)
                self._proc.wait()
        return status, output.decode(errors="replace")


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_processes_mentioning(marker: str) -> None:
    """SIGKILL every process whose command line contains `marker` (Linux /proc)."""
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def _atomic_move(source: Path, dest: Path) -> None:
    """Put `source` at `dest` so that `dest` is either the old file or the whole new one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, dest)
        return
    except OSError as err:
        if err.errno != errno.EXDEV:  # the temp dir (often tmpfs) is on another filesystem
            raise
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        shutil.copyfile(source, partial)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


# --------------------------------------------------------------------------- the pool

class ConverterPool:
    """N LibreOffice workers, each with its own profile; use as a context manager.

    >>> with ConverterPool() as pool:
    ...     results = pool.convert(docx_files, progress=bar.update)
    """

    def __init__(self, workers: int | None = None, pdfa: bool = True, timeout_per_doc: float = 30,
                 startup_timeout: float = STARTUP_TIMEOUT):
        self.soffice = find_soffice()
        self.size = max(1, workers or os.cpu_count() or 1)
        self.pdf_filter = PDFA_FILTER if pdfa else PLAIN_PDF_FILTER
        self.timeout_per_doc, self.startup_timeout = timeout_per_doc, startup_timeout
        self.workers: list[_Worker] = []
        self._stop = threading.Event()

    # ---- lifecycle

    def __enter__(self) -> ConverterPool:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        if self.workers:
            return
        self._stop.clear()
        self.workers = [_Worker(self.soffice, number, self.pdf_filter, self.timeout_per_doc,
                                self.startup_timeout, self._stop) for number in range(self.size)]
        try:
            _in_parallel([worker.start for worker in self.workers])
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Kill every soffice this pool started and delete the profiles."""
        self._stop.set()
        for worker in self.workers:
            worker.close()
        self.workers = []

    @property
    def restarts(self) -> int:
        """How often a worker was killed and given a new profile (after a failure or a timeout)."""
        return sum(worker.restarts for worker in self.workers)

    # ---- converting

    def convert(self, docx_files: Iterable[Path], out_dir: Path | None = None,
                progress: Progress | None = None) -> list[ConversionResult]:
        """Convert each DOCX to PDF (next to it, or in `out_dir`); results in input order.

        `progress` is called in the caller's thread once per finished document.
        A bad document never raises: its result has ok=False and a one-line message.
        """
        self.open()
        docx_files = [Path(f) for f in docx_files]
        results: list[ConversionResult | None] = [None] * len(docx_files)
        done: queue.Queue = queue.Queue()
        jobs = self._refuse_early(docx_files, out_dir, done)
        chunks: queue.Queue = queue.Queue()
        for chunk in _chunks(jobs, self.size):
            chunks.put(chunk)
        threads = [threading.Thread(target=self._work, args=(worker, chunks, done), daemon=True,
                                    name=f"sikro-lo-{n}") for n, worker in enumerate(self.workers)]
        for thread in threads:
            thread.start()
        try:
            self._collect(done, results, progress)
        except BaseException:  # Ctrl-C or a failing progress callback: stop soffice now
            self.close()
            raise
        finally:
            for thread in threads:
                thread.join()
        return results  # type: ignore[return-value]

    def _refuse_early(self, docx_files: list[Path], out_dir: Path | None, done: queue.Queue) -> list[_Job]:
        """Jobs for LibreOffice; files that cannot be converted at all are answered right away."""
        jobs, claimed = [], {}
        for index, docx in enumerate(docx_files):
            dest = (Path(out_dir) / f"{docx.stem}.pdf") if out_dir else docx.with_suffix(".pdf")
            problem = _input_problem(docx)
            if problem is None and dest.resolve() in claimed:
                problem = f"same PDF name as {claimed[dest.resolve()].name}, it would overwrite it"
            claimed.setdefault(dest.resolve(), docx)
            job = _Job(index, docx, dest)
            if problem:
                done.put((job, problem))
            else:
                jobs.append(job)
        return jobs

    def _work(self, worker: _Worker, chunks: queue.Queue, done: queue.Queue) -> None:
        """A worker thread: convert chunks until none is left. Never raises."""
        delivered: set[int] = set()

        def deliver(job: _Job, problem: str | None) -> None:
            delivered.add(job.index)
            done.put((job, problem))

        while not self._stop.is_set():
            chunk = _get_or_none(chunks)
            if chunk is None:
                return
            try:
                worker.convert_chunk(chunk, deliver)
            except Exception as err:  # e.g. LibreOffice no longer starts, disk full
                for job in chunk:
                    if job.index not in delivered:
                        deliver(job, f"conversion failed ({type(err).__name__}: {_one_line(err)})")

    def _collect(self, done: queue.Queue, results: list, progress: Progress | None) -> None:
        remaining = len(results)
        while remaining:
            try:
                job, problem = done.get(timeout=0.5)  # a timeout keeps Ctrl-C responsive
            except queue.Empty:
                continue
            result = ConversionResult(
                docx=job.docx, pdf=None if problem else job.dest, ok=problem is None,
                message=f"{job.docx.name}: {problem}" if problem else "ok",
                seconds=round(job.seconds, 3), attempts=job.attempts)
            results[job.index] = result
            remaining -= 1
            if progress:
                progress(result)


def _get_or_none(chunks: queue.Queue):
    try:
        return chunks.get_nowait()
    except queue.Empty:
        return None


def _chunks(jobs: list[_Job], workers: int) -> list[list[_Job]]:
    """Equal chunks of at most MAX_CHUNK, a multiple of `workers` of them so all finish together.

    Few large chunks: each soffice start costs about as much as ten documents.
    """
    if not jobs:
        return []
    count = math.ceil(len(jobs) / MAX_CHUNK)
    count = min(len(jobs), math.ceil(count / workers) * workers)
    size = math.ceil(len(jobs) / count)
    return [jobs[start:start + size] for start in range(0, len(jobs), size)]


def _in_parallel(functions: list[Callable[[], None]]) -> None:
    """Run the functions in threads; re-raise the first error."""
    errors: list[BaseException] = []

    def run(function):
        try:
            function()
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(f,), daemon=True) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def convert_batch(docx_files: list[Path], *, workers: int | None = None, out_dir: Path | None = None,
                  pdfa: bool = True, timeout_per_doc: float = 30,
                  progress: Progress | None = None) -> list[ConversionResult]:
    """Convert DOCX files to PDF (PDF/A-2b by default); results in input order."""
    with ConverterPool(workers=workers, pdfa=pdfa, timeout_per_doc=timeout_per_doc) as pool:
        return pool.convert(docx_files, out_dir=out_dir, progress=progress)
