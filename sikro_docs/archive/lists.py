"""Daftar Arsip Aktif / Inaktif (Excel) and the retention due list.

The columns of each list are data (COLUMNS below): header, width, and the
function of a berkas that gives the value. Every value goes through
`excel_safe.write_row`, so a name starting with "=" stays text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select

from .. import db
from ..errors import SikroError
from ..excel_safe import write_row
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace
from .berkas import LOCATION_PARTS, location_line
from .index import kurun_waktu
from .retention import STAGE_ACTIVE, STAGE_INACTIVE, DueItem, due_action, rule_for
from .tables import ArchiveFile, Berkas, Location

ACCESS_CLASS = "Terbatas (memuat data pribadi)"
MEDIA = "Kertas dan elektronik (pindaian)"


def _retention(b, _loc, _n) -> str:
    rule = rule_for(b.classification)
    return f"{rule.active_years} th aktif, {rule.inactive_years} th inaktif"


def _loc(part):
    return lambda _b, loc, _n: (loc.get(part) if loc else "")


# (header, column width, value of (berkas, location dict or None, file count))
COMMON = [
    ("No", 5, None),  # running number, filled in by the writer
    ("Nomor Berkas", 26, lambda b, loc, n: b.berkas_number),
    ("Kode Klasifikasi", 14, lambda b, loc, n: b.classification),
    ("Uraian Informasi Berkas", 48, lambda b, loc, n: f"{b.title}; {b.workplace}"),
    ("Kurun Waktu", 12, lambda b, loc, n: kurun_waktu(b.date_start, b.date_end)),
    ("Jumlah", 10, lambda b, loc, n: f"{n} item"),
]
COLUMNS = {
    "daftar-aktif": COMMON + [
        ("Keterangan", 20, lambda b, loc, n: ", ".join(b.document_numbers) or "-"),
        ("Klasifikasi Keamanan dan Akses", 20, lambda b, loc, n: ACCESS_CLASS),
        ("Lokasi Simpan", 34, lambda b, loc, n: location_line(loc) if loc else "belum dicatat"),
        ("Retensi", 18, _retention),
        ("Aktif s.d.", 12, lambda b, loc, n: b.active_until),
        ("Nasib Akhir", 14, lambda b, loc, n: b.final_fate),
    ],
    "daftar-inaktif": COMMON + [
        ("Tingkat Perkembangan", 14, lambda b, loc, n: "Asli"),
        ("Media dan Kondisi", 22, lambda b, loc, n: f"{MEDIA}; baik"),
        ("Keterangan", 20, lambda b, loc, n: ", ".join(b.document_numbers) or "-"),
        ("Nomor Boks", 9, _loc("box")),
        ("Nomor Folder", 9, _loc("folder")),
        ("Lokasi Simpan (Ruang, Rak)", 30,
         lambda b, loc, n: ", ".join(x for x in (_loc("room")(b, loc, n), _loc("cabinet")(b, loc, n),
                                                   _loc("shelf")(b, loc, n)) if x)),
        ("Retensi", 18, _retention),
        ("Inaktif s.d.", 12, lambda b, loc, n: b.inactive_until),
        ("Nasib Akhir", 14, lambda b, loc, n: b.final_fate),
    ],
}
TITLES = {"daftar-aktif": "DAFTAR ARSIP AKTIF", "daftar-inaktif": "DAFTAR ARSIP INAKTIF"}


def _in_list(name: str, berkas: Berkas, on: dt.date) -> bool:
    """Active: still in its active period (stage aktif). Inactive: moved, or past its active period."""
    if name == "daftar-aktif":
        return berkas.stage == STAGE_ACTIVE and on <= berkas.active_until
    return berkas.stage == STAGE_INACTIVE or (berkas.stage == STAGE_ACTIVE and on > berkas.active_until)


def _rows(ws: Workspace, name: str, on: dt.date):
    with db.session(ws) as session:
        counts = dict(session.execute(select(ArchiveFile.berkas_id, func.count())
                                      .where(ArchiveFile.role == "original").group_by(ArchiveFile.berkas_id)).all())
        locations = {loc.berkas_id: {p: getattr(loc, p) for p in LOCATION_PARTS}
                     for loc in session.scalars(select(Location))}
        berkas = session.scalars(select(Berkas).order_by(Berkas.classification, Berkas.date_start,
                                                         Berkas.berkas_number)).all()
    return [(b, locations.get(b.id), counts.get(b.id, 0)) for b in berkas if _in_list(name, b, on)]


def export_list(ws: Workspace, name: str, output: Path, *, on: dt.date | None = None) -> int:
    if name not in COLUMNS:
        raise SikroError(f"unknown list {name!r}; choose one of {', '.join(COLUMNS)}")
    on = on or dt.date.today()
    rows = _rows(ws, name, on)
    book = Workbook()
    sheet = book.active
    sheet.title = TITLES[name].title()[:31]
    _title_rows(sheet, ws, name, on)
    _header(sheet, name)
    for i, (berkas, location, count) in enumerate(rows, start=1):
        values = [i if fn is None else fn(berkas, location, count) for _h, _w, fn in COLUMNS[name]]
        write_row(sheet, values, alignment=Alignment(wrap_text=True, vertical="top"), border=_BORDER)
    _page_setup(sheet, name)
    from io import BytesIO

    buffer = BytesIO()
    book.save(buffer)
    atomic_write_bytes(Path(output), buffer.getvalue())
    return len(rows)


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ROW = 5


def _title_rows(sheet: Worksheet, ws: Workspace, name: str, on: dt.date) -> None:
    office = ws.profile.get("office", {})
    write_row(sheet, [TITLES[name]], font=Font(bold=True, size=13))
    write_row(sheet, [office.get("short_name", "")], font=Font(bold=True))
    write_row(sheet, [f"Keadaan per {on.isoformat()}"])
    write_row(sheet, [])


def _header(sheet: Worksheet, name: str) -> None:
    write_row(sheet, [h for h, _w, _f in COLUMNS[name]], font=Font(bold=True), border=_BORDER,
              alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"))
    from openpyxl.utils import get_column_letter

    for index, (_h, width, _f) in enumerate(COLUMNS[name], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _page_setup(sheet: Worksheet, name: str) -> None:
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(COLUMNS[name]))
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"  # the header repeats on every page
    sheet.print_area = f"A1:{last}{max(sheet.max_row, HEADER_ROW)}"
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"


def due_items(ws: Workspace, on: dt.date | None = None) -> list[DueItem]:
    on = on or dt.date.today()
    with db.session(ws) as session:
        berkas = session.scalars(select(Berkas).order_by(Berkas.active_until, Berkas.berkas_number)).all()
    items = []
    for b in berkas:
        action = due_action(b.stage, b.active_until, b.inactive_until, b.final_fate, on)
        if action:
            items.append(DueItem(b.berkas_number, b.registration_number, action[0], action[1], action[2]))
    return items
