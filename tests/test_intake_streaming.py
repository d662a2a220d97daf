"""A 10,000-row workbook is streamed in bounded memory."""

import datetime as dt
import tracemalloc

from openpyxl import Workbook
from test_intake_support import HEADERS, record_cells, valid_record

from sikro_docs.intake import open_input

ROWS = 10_000
# Holding all rows (Row objects with raw lists and value dicts) takes well over 30 MB;
# streaming keeps the parser state, the duplicate index and one row.
PEAK_LIMIT = 12 * 1024 * 1024


def big_workbook(path):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Permohonan")
    sheet.append(["DAFTAR PERMOHONAN SIKRO"])
    sheet.append(HEADERS)
    start = dt.date(2026, 1, 1)
    for number in range(ROWS):
        record = valid_record(no_registrasi=f"REG-{number:05d}",
                              tanggal_permohonan=start + dt.timedelta(days=number % 200),
                              nik=f"12110145039{number:05d}"[:16] if number % 1000 else "1211014503910002")
        sheet.append(record_cells(record))
    workbook.save(path)
    return path


def test_ten_thousand_rows_in_bounded_memory(tmp_path):
    path = big_workbook(tmp_path / "besar.xlsx")
    tracemalloc.start()
    try:
        counts = {"ok": 0, "bad": 0}
        with open_input(path) as intake:
            for row in intake.rows():
                counts["ok" if row.ok else "bad"] += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts["ok"] + counts["bad"] == ROWS
    assert counts["bad"] >= 1  # serial 00000 rows and repeated (NIK, date) pairs are caught
    assert peak < PEAK_LIMIT, f"peak {peak / 1e6:.1f} MB"
