"""Helpers shared by the intake tests (kept in a test_intake_* file: tests/conftest.py is not ours).

Other test modules import it as `test_intake_support` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from conftest import needs_soffice  # noqa: F401  (re-exported for the intake tests)
from openpyxl import Workbook

from sikro_docs.excel_safe import write_row
from sikro_docs.intake import CHECKLIST, FIELDS

HEADERS = [f.header for f in FIELDS]
SOFFICE = shutil.which("soffice")


def valid_record(**changes) -> dict:
    """One valid application, keyed by field name; `changes` override fields."""
    record = {
        "no_registrasi": "REG-1",
        "jenis_permohonan": None,
        "nomor_izin_sebelumnya": None,
        "tanggal_izin_sebelumnya": None,
        "tanggal_permohonan": dt.date(2026, 8, 5),
        "nama": "Rina Sitanggang, A.Md.RO",
        "nik": "1211014503910002",
        "tempat_lahir": "Sidikalang",
        "tanggal_lahir": dt.date(1991, 3, 5),
        "jenis_kelamin": "P",
        "alamat": "Jl. Sisingamangaraja No. 12, Sidikalang",
        "no_hp": "0812-6543-2100",
        "email": "rina@example.com",
        "pendidikan": "D3 Refraksi Optisi",
        "no_str": "RO00000123456789",
        "str_berlaku_sampai": "Seumur Hidup",
        "nama_tempat_kerja": "Optik Sidikalang Jaya",
        "alamat_tempat_kerja": "Jl. Pahlawan No. 5, Sidikalang",
        **{f.name: "Y" for f in CHECKLIST},
        "nomor_rekomendasi": None,
        "tanggal_rekomendasi": None,
        "keputusan": None,
        "alasan_penolakan": None,
    }
    unknown = set(changes) - set(record)
    assert not unknown, unknown
    record.update(changes)
    return record


def record_cells(record: dict) -> list:
    return [record.get(f.name) for f in FIELDS]


def make_workbook(path: Path, records: list[dict] | None = None, *, headers: list[str] | None = None,
                  rows: list[list] | None = None, title_rows: list[list] = (),
                  sheet: str = "Permohonan", extra_sheets: dict[str, list[list]] | None = None,
                  raw_strings: bool = True) -> Path:
    """Write an input workbook with openpyxl. `rows` are cell lists; `records` are dicts."""
    workbook = Workbook()
    for name, sheet_rows in (extra_sheets or {}).items():
        other = workbook.create_sheet(name)
        for values in sheet_rows:
            other.append(values)
    ws = workbook.active
    ws.title = sheet
    append = (lambda values: write_row(ws, values)) if raw_strings else ws.append
    for values in title_rows:
        append(values)
    append(headers or HEADERS)
    for values in rows or []:
        append(values)
    for record in records or []:
        append(record_cells(record))
    workbook.save(path)
    return path


def soffice_convert(files: list[Path], outdir: Path, target: str, timeout: int = 120) -> list[Path]:
    """Convert with LibreOffice headless, one process, its own profile; return the outputs."""
    profile = Path("/tmp") / f"sikro-intake-lo-{uuid.uuid4().hex}"
    outdir.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", target, "--outdir", str(outdir), *map(str, files)],
                       check=True, capture_output=True, timeout=timeout, env={**os.environ, "HOME": str(profile)})
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    extension = target.split(":")[0]
    outputs = [outdir / f"{f.stem}.{extension}" for f in files]
    missing = [p for p in outputs if not p.exists() or p.stat().st_size == 0]
    assert not missing, f"LibreOffice produced no output for {missing}"
    return outputs


def messages(row) -> str:
    return " | ".join(p.message for p in row.problems)


def test_valid_record_covers_every_field():
    assert set(valid_record()) == {f.name for f in FIELDS}


# --- hostile inputs (tests/test_intake_limits.py and bench/bounds_bench.py) -----------------
# Each is a small file on disk that asks a reader for far more memory or time than its size
# suggests. They are built from an ordinary openpyxl workbook by editing the zip.

SHEET_PART = "xl/worksheets/sheet1.xml"
STRINGS_PART = "xl/sharedStrings.xml"
STYLES_PART = "xl/styles.xml"
MB = 1024 * 1024
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rewrite_zip(src: Path, dst: Path, parts: dict) -> Path:
    """Copy the zip `src` to `dst`, writing each name in `parts` from its value instead:
    bytes, or an iterable of byte chunks (streamed, so a 900 MB part never sits in memory)."""
    tmp = dst.with_name(dst.name + ".tmp")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        names = zin.namelist()
        for name in names + [n for n in parts if n not in names]:
            content = parts[name] if name in parts else zin.read(name)
            if isinstance(content, bytes):
                zout.writestr(name, content)
                continue
            with zout.open(name, "w") as out:
                for chunk in content:
                    out.write(chunk)
    os.replace(tmp, dst)
    return dst


def _repeat(head: bytes, unit: bytes, count: int, tail: bytes, block: int = 1 << 14):
    yield head
    full, rest = divmod(count, block)
    chunk = unit * block
    for _ in range(full):
        yield chunk
    yield unit * rest
    yield tail


def shared_strings_bomb(path: Path, inflated: int = 900 * MB) -> Path:
    """The 0.9 MB workbook that takes a gigabyte: a sharedStrings part of tiny strings.

    openpyxl reads the whole string table when the workbook is opened, whatever the sheet uses.
    """
    unit = b"<si><t>x</t></si>"
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN_NS}">'.encode()
    base = make_workbook(path.with_name(path.stem + "-base.xlsx"), [valid_record()])
    with zipfile.ZipFile(base) as z:
        types = z.read("[Content_Types].xml")
    override = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    types = types.replace(b"</Types>", override + b"</Types>")
    return rewrite_zip(base, path, {"[Content_Types].xml": types,
                                    STRINGS_PART: _repeat(head, unit, inflated // len(unit), b"</sst>")})


def styles_bomb(path: Path, styles: int = 2_000_000) -> Path:  # 62 bytes a format
    """A stylesheet of millions of cell formats (openpyxl parses styles.xml whole)."""
    base = make_workbook(path.with_name(path.stem + "-base.xlsx"), [valid_record()])
    with zipfile.ZipFile(base) as z:
        real = z.read(STYLES_PART).decode()
    start = real.index("<cellXfs")
    end = real.index("</cellXfs>") + len("</cellXfs>")
    unit = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    head = (real[:start] + f'<cellXfs count="{styles}">').encode()
    return rewrite_zip(base, path, {STYLES_PART: _repeat(head, unit, styles, b"</cellXfs>" + real[end:].encode())})


def _sheet_with(path: Path, extra_rows) -> Path:
    """A workbook of one valid and one invalid row whose sheet XML gets `extra_rows` (chunks) after them.

    Read without limits, the valid row is saved and the invalid one goes to an errors workbook.
    """
    base = make_workbook(path.with_name(path.stem + "-base.xlsx"),
                         [valid_record(no_registrasi=None), valid_record(no_registrasi=None, nik="123")])
    with zipfile.ZipFile(base) as z:
        sheet = z.read(SHEET_PART)
    cut = sheet.index(b"</sheetData>")
    head = sheet[:cut].replace(b'<dimension ref="A1:AB3"/>', b'<dimension ref="A1:XFD1048576"/>')

    def chunks():
        yield head
        yield from extra_rows
        yield sheet[cut:]
    return rewrite_zip(base, path, {SHEET_PART: chunks()})


def far_row_workbook(path: Path, row: int = 1_048_576) -> Path:
    """The 4.6 KB workbook that takes half a minute: one stray cell on Excel's last row."""
    return _sheet_with(path, [f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()])


def wide_rows_workbook(path: Path, rows: int = 5_000) -> Path:
    """Rows with a cell in Excel's last column (XFD): every row read is 16,384 cells wide."""
    return _sheet_with(path, (f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>'.encode() for n in range(4, rows + 4)))


def crowded_row_workbook(path: Path, cells: int = 5_000_000) -> Path:
    """One row of millions of empty cell elements: the parser holds a row whole."""
    return _sheet_with(path, _repeat(b'<row r="4">', b"<c/>", cells, b"</row>"))


def huge_cell_workbook(path: Path, size: int = 60 * MB) -> Path:
    """One cell of tens of megabytes of text."""
    return _sheet_with(path, _repeat(b'<row r="4"><c r="C4" t="inlineStr"><is><t>', b"a" * 1024, size // 1024,
                                     b"</t></is></c></row>"))


def patch_declared_size(path: Path, member: str, declared: int) -> Path:
    """Make the central directory lie: `member` claims `declared` bytes uncompressed."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_len] == name:
            data[at + 24:at + 28] = declared.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return path
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in {path}")


def json_long_number(path: Path, digits: int = 4_300) -> Path:
    text = '[{"nama": "Rina", "no_hp": ' + "1" * digits + "}]"
    path.write_text(text, encoding="utf-8")
    return path


def json_deep(path: Path, depth: int = 30_000) -> Path:
    path.write_text('[{"berkas": ' + "[" * depth + "]" * depth + "}]", encoding="utf-8")
    return path


def json_containers(path: Path, count: int = 200_000) -> Path:
    """Half a megabyte of empty objects: each costs some 60 bytes of memory for 3 of text."""
    path.write_text("[" + "{}," * count + "{}]", encoding="utf-8")
    return path


@dataclass
class ChildRun:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mb: float


# A small process between the test and the CLI it measures: Linux counts a process's peak RSS
# from the memory of the process that forked it (the copy made at fork, kept across exec), so a
# child forked from a pytest that has grown to 400 MB would report 400 MB whatever it did. Forked
# from this probe (a few MB), the CLI's own peak is what wait4 reports.
_PROBE = """
import json, os, resource, sys
limit, report, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}, fh)
"""


def run_child(args: list, *, env: dict | None = None, address_space: int = 1 << 30, timeout: float = 120) -> ChildRun:
    """`python -m sikro_docs ARGS` in a child process; its exit code, wall time and peak RSS (wait4).

    The child's address space is capped (1 GB): a reader that would take more fails instead of
    taking the machine with it.
    """
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SIKRO_DEBUG", None)
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        command = [sys.executable, "-c", _PROBE, str(address_space), report.name,
                   sys.executable, "-m", "sikro_docs", *map(str, args)]
        child = subprocess.Popen(command, stdout=out, stderr=err, env=full_env, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(child.pid, signal.SIGKILL))
        timer.start()
        try:
            child.wait()
        finally:
            timer.cancel()
        seconds = time.monotonic() - start
        measured = json.loads(report.read() or '{"code": -9, "maxrss_kb": 0}')
        out.seek(0)
        err.seek(0)
        return ChildRun(measured["code"], out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                        seconds, measured["maxrss_kb"] / 1024)


def many_cells_workbook(path: Path, rows: int = 20_000, columns: int = 1_000) -> Path:
    """Rows of a thousand empty cells each: within the row and column limits, millions of cells."""
    row = b"<c/>" * columns
    return _sheet_with(path, (b'<row r="%d">' % n + row + b"</row>" for n in range(4, rows + 4)))
