"""DOCX → PDF/A-2b with real LibreOffice, by a pool of workers that each keep one LibreOffice running.

Why it is built this way (figures measured on the 2-core office machine):

* One ``soffice`` process per document costs ≈ 940 ms, most of it starting
  LibreOffice. So each worker keeps one LibreOffice running and hands it one
  document after another over UNO (the *uno* engine, ``lo_bridge.py``, run by
  a Python that has LibreOffice's ``uno`` module: Debian's python3-uno). A
  document then costs only its own conversion, and one that fails or hangs
  is known exactly.
* Without ``uno`` the *cli* engine runs ``soffice --convert-to`` on chunks of
  files; each start costs about as much as ten documents, so chunks are
  large, but ≤ 40: soffice has been seen to drop files past ~250 arguments.
  ``SIKRO_CONVERTER=cli|uno`` chooses; the default is uno when it is there.
* Two soffice processes sharing one profile fail silently (exit 0, no PDF), so
  every worker owns its profile (``-env:UserInstallation``), created fresh and
  built by one start that converts nothing (the first start on an empty
  profile has lost conversions).
* soffice exits 0 even when a file "could not be loaded", and single documents
  can hang: every output is checked (exists, non-empty, opens with pypdf, has
  pages, is PDF/A), a bad one is retried once on its own, and every wait has a
  timeout; LibreOffice runs in its own process group so the whole tree
  (``soffice`` script → ``oosplash`` → ``soffice.bin``) can be killed.
* A crash must never leave half a PDF at the destination: LibreOffice writes
  into a per-worker temporary directory and a checked PDF is moved into place
  with ``os.replace``.
* PDF export is lossless: a QR code and an emblem stay sharp (JPEG blurs a QR
  code's edges), and LibreOffice exports twice as fast as with JPEG.

Workers are threads, each driving its LibreOffice: LibreOffice does the CPU
work in its own process, so the GIL is not a bottleneck, and threads share
the queues, the stop flag and the processes to kill on Ctrl-C without any
pickling. The input may be a lazy iterable: a batch hands over each DOCX as
soon as it is rendered, and LibreOffice starts on it at once.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import math
import os
import queue
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from glob import glob
from pathlib import Path

from sikro_docs.childenv import child_env, home_for
from sikro_docs.errors import SikroError

INSTALL_HINT = ("LibreOffice is not installed; install it with: sudo apt-get install "
                "libreoffice-writer-nogui (PDF files were not made; the DOCX files are ready)")
UNO_HINT = "install python3-uno (Debian) or set SIKRO_UNO_PYTHON to a Python that can `import uno`"
KNOWN_LOCATIONS = ("/usr/bin/soffice", "/usr/bin/libreoffice",
                   "/usr/lib/libreoffice/program/soffice", "/opt/libreoffice*/program/soffice")
# As lo_bridge.COMMON_FILTER: both engines make the same PDF (LibreOffice's default would
# bring every image down to 300 DPI).
_EXPORT = ('"UseLosslessCompression":{"type":"boolean","value":"true"},'
           '"ReduceImageResolution":{"type":"boolean","value":"false"}')
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},' + _EXPORT + '}'
PLAIN_PDF_FILTER = 'pdf:writer_pdf_Export:{' + _EXPORT + '}'
PDFA_NS = "http://www.aiim.org/pdfa/ns/id/"
MAX_CHUNK = 40            # cli engine: far below the ~250 arguments where soffice starts dropping files
STARTUP_TIMEOUT = 20.0    # a cli chunk's timeout "base": a cold start on a busy 2-core machine
WARM_TIMEOUT = 60.0       # building a fresh profile; starting the uno engine's LibreOffice
ENGINES = ("uno", "cli")

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
    attempts: int = 1  # conversions this document took part in (2 = it was retried)


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


# --------------------------------------------------------------------------- choosing the engine

BRIDGE = Path(__file__).with_name("lo_bridge.py")


def choose_engine(soffice: str) -> str:
    """"uno" when a Python with LibreOffice's uno module is found, else "cli"; $SIKRO_CONVERTER decides."""
    wanted = os.environ.get("SIKRO_CONVERTER", "").strip().lower()
    if wanted and wanted not in ENGINES:
        raise SikroError(f"SIKRO_CONVERTER={wanted} is not one of: {', '.join(ENGINES)}")
    if wanted == "cli":
        return "cli"
    if uno_python(soffice):
        return "uno"
    if wanted == "uno":
        raise LibreOfficeBroken(f"SIKRO_CONVERTER=uno, but no Python can import uno: {UNO_HINT}")
    return "cli"


@functools.cache
def uno_python(soffice: str) -> str | None:
    """A Python that can `import uno`: $SIKRO_UNO_PYTHON, LibreOffice's own, or the system's python3."""
    program = Path(os.path.realpath(soffice)).parent
    candidates = [os.environ.get("SIKRO_UNO_PYTHON"), str(program / "python"), "/usr/bin/python3",
                  shutil.which("python3")]
    for candidate in dict.fromkeys(c for c in candidates if c and _is_executable(c)):
        try:
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return candidate
    return None


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


_PDFA_2B_XMP = (b'pdfaid:part="2"', b"<pdfaid:part>2</pdfaid:part>")


def _pdf_problem(pdf: Path, want_pdfa: bool) -> str | None:
    """Why this LibreOffice output is not usable, or None if it is.

    pdfium opens it and counts its pages (a tenth of pypdf's time: this runs
    for every document of a batch); LibreOffice writes the XMP packet
    uncompressed, so PDF/A is first looked for in the bytes, and only when
    not found there read with pypdf, which also finds it in a compressed one.
    """
    import pypdfium2 as pdfium

    if not pdf.exists():
        return "LibreOffice made no PDF"
    data = pdf.read_bytes()
    if not data:
        return "LibreOffice made an empty PDF"
    try:
        document = pdfium.PdfDocument(data)
        try:
            pages = len(document)
        finally:
            document.close()
    except Exception as err:
        return f"the PDF does not open ({type(err).__name__}: {_one_line(err)})"
    if pages < 1:
        return "the PDF has no pages"
    if want_pdfa and not any(mark in data for mark in _PDFA_2B_XMP) and pdfa_part(pdf) is None:
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


# --------------------------------------------------------------------------- workers

class BuiltProfile:
    """A LibreOffice profile built once by a start that converted nothing, kept to be copied.

    Building a profile is a whole LibreOffice start (a second one for the uno
    engine), at the moment a batch needs LibreOffice most. A copy takes a few
    milliseconds and is as fresh: it is kept right after that start, never
    after a conversion, and each worker still owns its own copy. Kept per
    user in ~/.cache/sikro (never in TMPDIR, which a worker must leave empty),
    one per LibreOffice binary and version (its path, size and mtime), owner-only.
    Anything that goes wrong here only means the profile is built as before.
    """

    def __init__(self, soffice: str):
        real = os.path.realpath(soffice)
        try:
            info = os.stat(real)
            key = hashlib.sha256(f"{real}:{info.st_size}:{info.st_mtime_ns}".encode()).hexdigest()[:16]
        except OSError:
            key = None
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sikro"
        self.path = cache / f"libreoffice-profile-{key}" if key else None

    def copy_to(self, profile: Path) -> bool:
        if self.path is None or not (self.path / "user" / "registrymodifications.xcu").is_file():
            return False
        try:
            shutil.copytree(self.path, profile, symlinks=True)
        except OSError:
            shutil.rmtree(profile, ignore_errors=True)
            return False
        return True

    def keep(self, profile: Path) -> None:
        if self.path is None or self.path.exists():
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(prefix=".libreoffice-profile-", dir=self.path.parent))
        except OSError:
            return
        try:
            shutil.copytree(profile, partial / "p", symlinks=True)
            os.rename(partial / "p", self.path)  # whole or not at all; a second worker's copy loses
        except OSError:
            pass
        finally:
            shutil.rmtree(partial, ignore_errors=True)


@dataclass
class _Job:
    index: int          # position in the caller's input; also the temporary file name
    docx: Path
    dest: Path
    attempts: int = 0
    seconds: float = 0.0


Deliver = Callable[[_Job, "str | None"], None]  # a job with None (ok) or why it failed


class _Worker:
    """One LibreOffice profile and the LibreOffice using it; the engines differ in how they convert.

    Layout of its private directory (unique per worker, from mkdtemp):
    ``profile/`` (the LibreOffice user installation), ``in/`` (cli engine:
    symlinks to the inputs, named by job index so that two ``brief.docx`` from
    different folders or a name starting with "-" cannot clash or be read as
    an option) and ``out/`` (where LibreOffice writes; outputs are moved from
    here into place).
    """

    def __init__(self, soffice: str, number: int, pdfa: bool, timeout_per_doc: float,
                 startup_timeout: float, stop: threading.Event):
        self.soffice, self.pdfa, self.stop = soffice, pdfa, stop
        self.timeout_per_doc, self.startup_timeout = timeout_per_doc, startup_timeout
        self.root = Path(tempfile.mkdtemp(prefix=f"sikro-lo-w{number}-"))
        self.profile, self.indir, self.outdir = self.root / "profile", self.root / "in", self.root / "out"
        self.outdir.mkdir()
        # LibreOffice's own temporary files (lu*.tmp) stay in here too: a killed
        # soffice.bin cannot remove them, removing this folder does.
        (self.root / "tmp").mkdir()
        # A clean environment (never $SIKRO_P12_PASSPHRASE), HOME in here too.
        self.env = child_env(home=home_for(self.root), TMPDIR=str(self.root / "tmp"))
        self.restarts = 0
        self.from_built = False  # its profile is a copy of a built one (no start of its own to build it)
        self._proc: subprocess.Popen | None = None
        self._proc_lock = threading.Lock()

    # ---- lifecycle

    def start(self) -> None:
        """A fresh profile: a copy of one built before (see BuiltProfile), else built by a start
        that converts nothing."""
        if self.stop.is_set():  # the pool is closing: its directory is about to go
            return
        shutil.rmtree(self.profile, ignore_errors=True)
        built = BuiltProfile(self.soffice)
        self.from_built = built.copy_to(self.profile)
        if self.from_built:
            return
        status, output = self._run(["--terminate_after_init"], WARM_TIMEOUT)
        if status != "done" and not self.stop.is_set():
            raise LibreOfficeBroken(f"LibreOffice did not start ({status}): {_one_line(output)}")
        if status == "done":
            built.keep(self.profile)

    def restart(self) -> None:
        """Kill whatever this worker runs and start over on a new profile."""
        self.kill()
        self.restarts += 1
        self.start()

    def kill(self) -> None:
        """Kill this worker's process group and any soffice still using its profile."""
        with self._proc_lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            # The group leader is not reaped yet, so its pid (= the group id) cannot be reused.
            _killpg(proc.pid)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if proc is not None and proc.stdin:
            proc.stdin.close()
        # soffice.bin can outlive its oosplash parent; the profile path in its
        # command line identifies it exactly.
        _kill_processes_mentioning(self.profile.as_uri())
        remove_office_pipes(self.profile.as_uri(), self._pipe_names())

    def _pipe_names(self) -> list[str]:
        """The names of the OSL pipes this worker's LibreOffice listens on (besides its single-instance one)."""
        return []

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- shared by the engines

    def convert_chunk(self, jobs: list[_Job], deliver: Deliver) -> None:
        raise NotImplementedError

    def _output(self, job: _Job) -> Path:
        return self.outdir / f"{job.index:06d}.pdf"

    def _problem(self, job: _Job) -> str | None:
        return _pdf_problem(self._output(job), self.pdfa)

    def _move_into_place(self, job: _Job) -> str | None:
        try:
            _atomic_move(self._output(job), job.dest)
        except OSError as err:
            return f"cannot write {job.dest} ({_one_line(err)})"
        return None

    def _spawn(self, command: list[str], **pipes) -> subprocess.Popen | None:
        """Start `command` as this worker's process, in a new session (= process group)."""
        with self._proc_lock:
            if self.stop.is_set():
                return None
            self._proc = subprocess.Popen(command, start_new_session=True, env=self.env, **pipes)
            return self._proc

    def _run(self, args: list[str], timeout: float) -> tuple[str, str]:
        """Run soffice on this worker's profile: ("done" | "timeout" | "stopped", its output)."""
        command = [self.soffice, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", *args]
        proc = self._spawn(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc is None:
            return "stopped", ""
        try:
            output, _ = proc.communicate(timeout=timeout)
            status = "stopped" if self.stop.is_set() else "done"
        except subprocess.TimeoutExpired:
            _killpg(proc.pid)
            output, _ = proc.communicate()
            status = "timeout"
        finally:
            if proc.poll() is None:  # an exception (Ctrl-C) while waiting
                _killpg(proc.pid)
                proc.wait()
        return status, output.decode(errors="replace")


class _CliWorker(_Worker):
    """Converts a chunk of files per ``soffice --convert-to`` run."""

    def convert_chunk(self, jobs: list[_Job], deliver: Deliver) -> None:
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

    def _retry_alone(self, job: _Job, deliver: Deliver, first_problem: str) -> None:
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
        deliver(job, _final_failure(job, problem + detail, first_problem))
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
        pdf_filter = PDFA_FILTER if self.pdfa else PLAIN_PDF_FILTER
        args = ["--norestore", "--convert-to", pdf_filter, "--outdir", str(self.outdir), *links]
        return self._run(args, self._timeout(len(jobs)))

    def _timeout(self, documents: int) -> float:
        return self.startup_timeout + self.timeout_per_doc * documents


class _UnoWorker(_Worker):
    """Keeps one LibreOffice running (through lo_bridge.py) and converts one document at a time."""

    def __init__(self, *args, python: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.python = python
        self._replies: queue.Queue = queue.Queue()
        self._broken = False  # the last conversion hung, or LibreOffice went away

    def start(self) -> None:
        super().start()
        if self.stop.is_set():
            return
        command = [self.python, str(BRIDGE), self.soffice, self.profile.as_uri(),
                   self._pipe_names()[0], str(WARM_TIMEOUT)]
        with open(self.root / "bridge.log", "ab") as log:  # the child keeps its own copy of the descriptor
            proc = self._spawn(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        if proc is None:  # the pool is stopping
            return
        self._replies = queue.Queue()  # a new queue: the reader of a killed bridge may still add its end
        threading.Thread(target=_read_lines, args=(proc.stdout, self._replies), daemon=True,
                         name=f"sikro-lo-read-{self.root.name}").start()
        ready = self._reply(WARM_TIMEOUT + 5)
        if not (ready or {}).get("ready") and not self.stop.is_set():
            self.kill()
            why = (ready or {}).get("error") or self._bridge_log() or "no answer"
            raise LibreOfficeBroken(f"LibreOffice did not start for the uno engine: {_one_line(why)}")

    def _pipe_names(self) -> list[str]:
        return [f"sikro-{self.root.name}"]

    def convert_chunk(self, jobs: list[_Job], deliver: Deliver) -> None:
        for job in jobs:
            if self.stop.is_set():
                return deliver(job, "stopped")
            problem = self._convert(job)
            if problem is None:
                deliver(job, self._move_into_place(job))
                continue
            if self._broken:  # hung or gone: a new LibreOffice on a new profile for the retry
                self.restart()
            retry = self._convert(job)
            if retry is None:
                deliver(job, self._move_into_place(job))
            else:
                deliver(job, _final_failure(job, retry, problem))
                self.restart()  # the failure may have damaged the profile

    def _convert(self, job: _Job) -> str | None:
        """Convert one document; None if its PDF is good, else why not."""
        if self.stop.is_set():
            return "stopped"
        self._output(job).unlink(missing_ok=True)
        started = time.monotonic()
        job.attempts += 1
        self._broken = False
        try:
            self._send({"in": str(job.docx.resolve()), "out": str(self._output(job)), "pdfa": self.pdfa})
            reply = self._reply(self.timeout_per_doc)
        finally:
            job.seconds += time.monotonic() - started
        if reply is None:
            self._broken = True
            return (f"timed out after {self.timeout_per_doc:g} s" if self._alive()
                    else f"LibreOffice stopped ({_one_line(self._bridge_log()) or 'no message'})")
        if not reply.get("ok"):
            return _one_line(reply.get("error", "LibreOffice failed"))
        return self._problem(job)

    def _send(self, message: dict) -> None:
        proc = self._proc
        try:
            proc.stdin.write((json.dumps(message) + "\n").encode())
            proc.stdin.flush()
        except (OSError, AttributeError, ValueError):
            pass  # the bridge is gone: _reply sees the end of its output

    def _reply(self, timeout: float) -> dict | None:
        """The bridge's next answer; None on a timeout, when it has ended, or when the pool stops."""
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            try:
                return self._replies.get(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    return None
        return None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _bridge_log(self) -> str:
        try:
            lines = (self.root / "bridge.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""


def _read_lines(stream, replies: queue.Queue) -> None:
    """Reader thread: each JSON line of the bridge into `replies`; None at its end."""
    for line in stream:
        try:
            replies.put(json.loads(line))
        except ValueError:
            continue  # not ours (a library printing to stdout): ignore
    replies.put(None)


def _final_failure(job: _Job, problem: str, first_problem: str) -> str:
    earlier = "" if first_problem == problem else f"; before that: {first_problem}"
    return f"no PDF after 2 tries: {problem}{_damage_hint(job.docx)}{earlier}"


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


OSL_PIPE_FOLDER = Path("/tmp")


def office_pipe_paths(profile_uri: str, pipe_names: Sequence[str] = ()) -> list[Path]:
    """The Unix sockets a LibreOffice on `profile_uri` makes: its single-instance pipe and `pipe_names`.

    LibreOffice's OSL layer puts them in /tmp whatever TMPDIR says (the
    folder is compiled in), as OSL_PIPE_<uid>_<name>; the single-instance
    pipe is named after an MD5 of the profile URL (UTF-16 code units, each
    byte in hex without its leading zero, as desktop/officeipcthread does).
    A killed LibreOffice leaves them there, so a worker removes its own.
    """
    digest = hashlib.md5(profile_uri.encode("utf-16-le")).digest()
    names = ["SingleOfficeIPC_" + "".join(format(byte, "x") for byte in digest), *pipe_names]
    return [OSL_PIPE_FOLDER / f"OSL_PIPE_{os.getuid()}_{name}" for name in names]


def remove_office_pipes(profile_uri: str, pipe_names: Sequence[str] = ()) -> None:
    for path in office_pipe_paths(profile_uri, pipe_names):
        try:
            if stat.S_ISSOCK(path.lstat().st_mode):  # never anything that is not a socket
                path.unlink()
        except OSError:
            pass


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
                 startup_timeout: float = STARTUP_TIMEOUT, engine: str | None = None):
        self.soffice = find_soffice()
        self.engine = engine or choose_engine(self.soffice)
        self.size = max(1, workers or os.cpu_count() or 1)
        self.pdfa = pdfa
        self.timeout_per_doc, self.startup_timeout = timeout_per_doc, startup_timeout
        self.workers: list[_Worker] = []
        self._threads: list[threading.Thread] = []  # the workers' threads of the conversion running now
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
        self.workers = [self._new_worker(number) for number in range(self.size)]
        try:
            _in_parallel([worker.start for worker in self.workers])
        except BaseException:
            self.close()
            raise

    def _new_worker(self, number: int) -> _Worker:
        settings = dict(soffice=self.soffice, number=number, pdfa=self.pdfa, timeout_per_doc=self.timeout_per_doc,
                        startup_timeout=self.startup_timeout, stop=self._stop)
        if self.engine == "uno":
            return _UnoWorker(python=uno_python(self.soffice), **settings)
        return _CliWorker(**settings)

    def close(self) -> None:
        """Kill every LibreOffice this pool started, let its threads end, delete the profiles."""
        self._stop.set()
        for worker in self.workers:
            worker.kill()
        for thread in self._threads:  # they see the stop flag, or their LibreOffice gone, at once
            thread.join(timeout=30)
        for worker in self.workers:
            worker.close()
        self.workers, self._threads = [], []

    @property
    def restarts(self) -> int:
        """How often a worker was killed and given a new profile (after a failure or a timeout)."""
        return sum(worker.restarts for worker in self.workers)

    # ---- converting

    def convert(self, docx_files: Iterable[Path], out_dir: Path | None = None,
                progress: Progress | None = None) -> list[ConversionResult]:
        """Convert each DOCX to PDF (next to it, or in `out_dir`); results in input order.

        `docx_files` may be lazy (a generator that waits for each file to be
        made): conversion starts with the first. `progress` is called in the
        caller's thread once per finished document. A bad document never
        raises: its result has ok=False and a one-line message.
        """
        self.open()
        done: queue.Queue = queue.Queue()   # (job, problem) per document; ("end", count) after the last
        work: queue.Queue = queue.Queue()   # lists of jobs for the workers; None: no more
        feeder = threading.Thread(target=self._feed, args=(docx_files, out_dir, work, done), daemon=True,
                                  name="sikro-lo-feed")
        threads = [threading.Thread(target=self._work, args=(worker, work, done), daemon=True,
                                    name=f"sikro-lo-{n}") for n, worker in enumerate(self.workers)]
        self._threads = threads  # not the feeder: it may be waiting for the caller's next file
        for thread in (feeder, *threads):
            thread.start()
        try:
            return self._collect(done, progress)
        except BaseException:  # Ctrl-C or a failing progress callback: stop LibreOffice now
            self.close()
            raise
        finally:
            for thread in threads:
                thread.join()
            self._threads = []

    def _feed(self, docx_files: Iterable[Path], out_dir: Path | None, work: queue.Queue,
              done: queue.Queue) -> None:
        """Feeder thread: jobs for the workers, in chunks the engine likes; refusals answered at once."""
        count, claimed, waiting = 0, {}, []
        known = len(docx_files) if isinstance(docx_files, Sequence) else None
        chunk = self._chunk_size(known)
        try:
            for index, docx in enumerate(docx_files):
                count += 1
                job, problem = self._job(index, Path(docx), out_dir, claimed)
                if problem:
                    done.put((job, problem))
                    continue
                waiting.append(job)
                if len(waiting) >= chunk:
                    work.put(waiting)
                    waiting = []
                if self._stop.is_set():
                    break
        finally:
            if waiting:
                work.put(waiting)
            for _ in self.workers:
                work.put(None)
            done.put(("end", count))

    def _chunk_size(self, known: int | None) -> int:
        """uno: one document at a time (the next goes to whichever worker is free first).
        cli: equal chunks of at most MAX_CHUNK, a multiple of the workers, so all finish together."""
        if self.engine == "uno":
            return 1
        if known is None:
            return MAX_CHUNK
        count = min(known, math.ceil(math.ceil(known / MAX_CHUNK) / self.size) * self.size) or 1
        return math.ceil(known / count) or 1

    @staticmethod
    def _job(index: int, docx: Path, out_dir: Path | None, claimed: dict) -> tuple[_Job, str | None]:
        dest = (Path(out_dir) / f"{docx.stem}.pdf") if out_dir else docx.with_suffix(".pdf")
        problem = _input_problem(docx)
        if problem is None and dest.resolve() in claimed:
            problem = f"same PDF name as {claimed[dest.resolve()].name}, it would overwrite it"
        claimed.setdefault(dest.resolve(), docx)
        return _Job(index, docx, dest), problem

    def _work(self, worker: _Worker, work: queue.Queue, done: queue.Queue) -> None:
        """A worker thread: convert chunks until the feeder says there are no more. Never raises."""
        delivered: set[int] = set()

        def deliver(job: _Job, problem: str | None) -> None:
            delivered.add(job.index)
            done.put((job, problem))

        while True:
            chunk = work.get()
            if chunk is None:
                return
            if self._stop.is_set():
                for job in chunk:
                    deliver(job, "stopped")
                continue
            try:
                worker.convert_chunk(chunk, deliver)
            except Exception as err:  # e.g. LibreOffice no longer starts, disk full
                for job in chunk:
                    if job.index not in delivered:
                        deliver(job, f"conversion failed ({type(err).__name__}: {_one_line(err)})")

    def _collect(self, done: queue.Queue, progress: Progress | None) -> list[ConversionResult]:
        results: dict[int, ConversionResult] = {}
        expected = None
        while expected is None or len(results) < expected:
            try:
                job, problem = done.get(timeout=0.5)  # a timeout keeps Ctrl-C responsive
            except queue.Empty:
                continue
            if isinstance(job, str):  # the feeder's ("end", count)
                expected = problem
                continue
            result = ConversionResult(
                docx=job.docx, pdf=None if problem else job.dest, ok=problem is None,
                message=f"{job.docx.name}: {problem}" if problem else "ok",
                seconds=round(job.seconds, 3), attempts=job.attempts)
            results[job.index] = result
            if progress:
                progress(result)
        return [results[index] for index in range(expected)]


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
