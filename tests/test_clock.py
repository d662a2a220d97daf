"""One clock: the office's date, whatever the host's time zone or hour.

The year boundary is where a wrong clock shows: at 17:30 UTC on 31 December
it is already 1 January in Sidikalang (UTC+7), so a number taken then
belongs to the new year's series and the letter is dated 1 January.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import needs_tool
from docx import Document as DocxDocument
from test_intake_support import make_workbook, valid_record

from sikro_docs import clock

FAKETIME = shutil.which("faketime")


def test_office_date_is_the_office_zone_not_the_host():
    profile = {"office": {"timezone": "Asia/Jakarta"}}
    with clock.frozen("2026-12-31T16:30:00+00:00"):
        assert clock.today(profile) == dt.date(2026, 12, 31)
        assert clock.now(profile).hour == 23
    with clock.frozen("2026-12-31T17:30:00+00:00"):
        assert clock.today(profile) == dt.date(2027, 1, 1)
        assert clock.now(profile).isoformat() == "2027-01-01T00:30:00+07:00"
        assert clock.utcnow() == dt.datetime(2026, 12, 31, 17, 30, tzinfo=dt.UTC)


def test_another_office_zone_moves_the_date():
    with clock.frozen("2026-12-31T17:30:00+00:00"):
        assert clock.today({"office": {"timezone": "Asia/Jayapura"}}) == dt.date(2027, 1, 1)
        assert clock.today({"office": {"timezone": "Europe/London"}}) == dt.date(2026, 12, 31)


def test_frozen_refuses_a_naive_time():
    with pytest.raises(ValueError):
        with clock.frozen(dt.datetime(2026, 12, 31, 17, 30)):
            pass


def test_a_misspelt_time_zone_is_one_clear_error():
    from sikro_docs.errors import SikroError

    with pytest.raises(SikroError, match="timezone 'Asia/Jakrta'"):
        clock.today({"office": {"timezone": "Asia/Jakrta"}})


def _under_faketime(at_utc: str, *args, cwd) -> subprocess.CompletedProcess:
    # TZ=UTC: the host's zone is not the office's; faketime's time is read in it.
    env = {**os.environ, "TZ": "UTC"}
    for name in ("SIKRO_DEBUG", "FAKETIME", "LD_PRELOAD", "DYLD_INSERT_LIBRARIES"):  # a suite run under faketime
        env.pop(name, None)
    return subprocess.run([FAKETIME, at_utc, sys.executable, "-m", "sikro_docs", *map(str, args)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _docx_text(path) -> str:
    doc = DocxDocument(str(path))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@needs_tool(FAKETIME is not None, "faketime")
@pytest.mark.parametrize(("at_utc", "year", "letter_date"), [
    ("2026-12-31 16:30:00", 2026, "31 Desember 2026"),
    ("2026-12-31 17:30:00", 2027, "1 Januari 2027"),
])
def test_year_of_the_number_and_date_of_the_letter_under_faketime(tmp_path, workspace, at_utc, year,
                                                                  letter_date):
    book = make_workbook(tmp_path / "permohonan.xlsx", [
        valid_record(no_registrasi=None, tanggal_permohonan=dt.date(2026, 12, 31))])
    ws = ["--workspace", str(workspace.root)]
    imported = _under_faketime(at_utc, "import", book, "--json", *ws, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    proc = _under_faketime(at_utc, "batch", book, "--doc", "receipt", "--json", *ws, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [doc] = json.loads(proc.stdout)["documents"]
    # The registration number is taken on the office's day, so it is of the office's year.
    assert doc["application"].endswith(f"/{year}"), doc
    text = _docx_text(doc["docx"])
    assert letter_date in text, text[:2000]
    # File names stamped with time are stamped with the office's time too.
    assert f"-{year}{'1231' if year == 2026 else '0101'}-" in json.loads(proc.stdout)["results_file"]
