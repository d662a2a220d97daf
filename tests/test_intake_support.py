"""Helpers shared by the intake tests (kept in a test_intake_* file: tests/conftest.py is not ours).

Other test modules import it as `test_intake_support` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import uuid
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
