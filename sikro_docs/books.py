"""The registers as printable books (.xlsx), laid out as an office keeps them on paper.

One sheet per year: title rows (book, office, year), the column header
repeated on every printed page, one line per number (voids as
"BATAL: reason"), and a totals line. Every value goes through
`excel_safe.write_row`, so text an applicant typed is never a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from babel.dates import format_date, format_datetime
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from . import clock, permit_types
from .clock import office_timezone
from .errors import SikroError
from .excel_safe import write_row
from .fsutil import atomic_write_bytes
from .numbering import list_dispatches, list_entries, register_settings
from .workspace import Workspace

DISPATCH_BOOK = "ekspedisi"
PERMIT_KIND = "permit"  # the document kind of a permit (data/document_kinds.toml)
DISPATCH_TITLE = "Buku Ekspedisi"


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # key of a row dict from numbering.list_entries / list_dispatches, or "remark"
    width: int


# Column sets of the books, as the office keeps them on paper.
AGENDA_SURAT_KELUAR = (
    Column("No urut", "seq", 8),
    Column("No surat", "number", 34),
    Column("Tgl surat", "date", 17),
    Column("Ditujukan kepada", "addressee", 30),
    Column("Isi singkat", "subject", 48),
    Column("Keterangan", "remark", 30),
)
# A permit register: the permit's type, then its first QR fields (a book of one type: labelled by the
# type) or, in a book of several types, one "Keterangan izin" column naming each permit's own.
PERMIT_TYPE_KEY = "permit_type"  # a line's permit type (short name), added from its application
PERMIT_HEAD = (
    Column("No urut", "seq", 8),
    Column("Nomor Izin", "number", 36),
    Column("Tanggal", "date", 17),
    Column("Nama pemegang izin", "applicant_name", 28),
    Column("Jenis izin", PERMIT_TYPE_KEY, 12),
)
PERMIT_FACTS = Column("Keterangan izin", "permit_facts", 48)
PERMIT_TAIL = (Column("Keterangan", "remark", 30),)
BOOK_FIELDS = 2  # how many of a type's QR fields a book of that type shows
FACT_PREFIX = "fact:"
REGISTER_IZIN = (*PERMIT_HEAD, PERMIT_FACTS, *PERMIT_TAIL)
REGISTER_REGISTRASI = (
    Column("No", "seq", 8),
    Column("No Registrasi", "number", 28),
    Column("Tanggal", "date", 17),
    Column("Nama pemohon", "applicant_name", 34),
    Column("Jenis izin", PERMIT_TYPE_KEY, 12),
    Column("Keterangan", "remark", 36),
)
BUKU_EKSPEDISI = (
    Column("No", "seq", 6),
    Column("Tgl pengiriman", "delivered_at", 22),
    Column("No. surat", "number", 34),
    Column("Tgl surat", "date", 17),
    Column("Isi singkat", "subject", 42),
    Column("Ditujukan kepada", "addressee", 26),
    Column("Keterangan", "remark", 28),
)
BOOK_COLUMNS = {
    "registrasi": REGISTER_REGISTRASI,
    "surat-keluar": AGENDA_SURAT_KELUAR,
    "izin": REGISTER_IZIN,
    DISPATCH_BOOK: BUKU_EKSPEDISI,
}
# A register the office adds to its profile is kept like an agenda book.
DEFAULT_COLUMNS = AGENDA_SURAT_KELUAR

# openpyxl/ECMA-376 paper codes. F4 (215 x 330 mm, common in Indonesian
# offices) has no code of its own; the nearest is 14 "Folio" (8.5 x 13 in =
# 215.9 x 330.2 mm), which Excel and LibreOffice print as F4/Folio. The exact
# size also goes into paperWidth/paperHeight, which readers that know them
# prefer over the code.
PAPER = {
    "A4": {"paperSize": 9},
    "F4": {"paperSize": 14, "paperWidth": "215mm", "paperHeight": "330mm"},
}

TITLE_ROWS = 4  # book title, office, year, blank; the column header follows
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


def indonesian_date(iso: str) -> str:
    """"2025-03-07" -> "7 Maret 2025"."""
    return format_date(dt.date.fromisoformat(iso), format="d MMMM y", locale="id")


def indonesian_datetime(iso: str, tz) -> str:
    """An ISO time with zone -> "7 Maret 2025 14.30 WIB" in office time."""
    moment = dt.datetime.fromisoformat(iso).astimezone(tz)
    return f"{format_datetime(moment, format='d MMMM y HH.mm', locale='id')} {moment.strftime('%Z')}"


def remark(row: dict) -> str:
    """Keterangan: why a number is void, that it is still in progress, or who signed for it."""
    if row.get("status") == "void":
        return f"BATAL: {row.get('reason') or ''}"
    if row.get("status") == "pending":
        return "DALAM PROSES"
    if row.get("received_by"):
        return f"Diterima oleh {row['received_by']}"
    return ""


def _cell_value(column: Column, row: dict, tz):
    if column.field == "remark":
        return remark(row)
    value = row.get(column.field)
    if value and column.field == "date":
        return indonesian_date(value)
    if value and column.field == "delivered_at":
        return indonesian_datetime(value, tz)
    return value


def paper_setup(profile: dict) -> dict:
    paper = profile.get("office", {}).get("paper", "A4")
    if paper not in PAPER:
        raise SikroError(f"office paper {paper!r} is not supported; use one of: {', '.join(PAPER)}")
    return PAPER[paper]


def _book_rows(session, ws: Workspace, book: str, year: int | None) -> tuple[str, tuple, list[dict]]:
    if book == DISPATCH_BOOK:
        return DISPATCH_TITLE, BUKU_EKSPEDISI, list_dispatches(session, year)
    title = register_settings(ws, book).get("title", book)
    rows = list_entries(session, ws, book, year)
    types = _with_permit_types(session, ws, rows)
    if _is_permit_register(ws, book, rows):
        return title, _permit_columns(ws, book, types), rows
    return title, BOOK_COLUMNS.get(book, DEFAULT_COLUMNS), rows


def _is_permit_register(ws: Workspace, book: str, rows: list[dict]) -> bool:
    """The register a permit type numbers its permits from, or one whose lines are permits."""
    if any(book == t.register for t in permit_types.catalogue(ws).types.values()):
        return True
    return any((r.get("document") or {}).get("kind") == PERMIT_KIND for r in rows)


def _permit_columns(ws: Workspace, book: str, types: list) -> tuple:
    """One type: its first QR fields, labelled as it labels them; several: one "Keterangan izin"."""
    if not types:
        types = [t for t in permit_types.catalogue(ws).types.values() if t.register == book]
    if len(types) != 1:
        return REGISTER_IZIN
    ptype = types[0]
    shown = [ptype.by_name[name] for name in ptype.qr_fields if name in ptype.by_name][:BOOK_FIELDS]
    return (*PERMIT_HEAD, *(Column(f.shown_label, FACT_PREFIX + f.name, 28) for f in shown), *PERMIT_TAIL)


def _with_permit_types(session, ws: Workspace, rows: list[dict]) -> list:
    """Add to each line its application's permit type (short name) and facts; the types, in order."""
    from .models import Application

    refs = {(r.get("document") or {}).get("application") for r in rows} - {None}
    apps = {a.registration_number: a for a in session.scalars(
        select(Application).where(Application.registration_number.in_(refs)))} if refs else {}
    types: dict[str, object] = {}
    for row in rows:
        app = apps.get((row.get("document") or {}).get("application"))
        if app is None:
            continue
        ptype = permit_types.catalogue(ws).find(app.permit_type)
        if ptype is None:
            row[PERMIT_TYPE_KEY] = app.permit_type
            continue
        types.setdefault(ptype.code, ptype)
        row[PERMIT_TYPE_KEY] = ptype.short_name
        texts = _fact_texts(ptype, app)
        row.update({FACT_PREFIX + name: text for name, text in texts})
        row["permit_facts"] = "; ".join(f"{ptype.by_name[name].shown_label}: {text}" for name, text in texts)
    return list(types.values())


def _fact_texts(ptype, app) -> list[tuple[str, str]]:
    """The type's QR fields of the application as a book prints them (dates in Indonesian)."""
    facts = app.facts or {}
    out = []
    for name in ptype.qr_fields:
        fld = ptype.by_name.get(name)
        if fld is None:
            continue
        value = facts.get(fld.storage_key)
        if value is None:
            text = "Seumur Hidup" if fld.kind == "date_or_lifetime" else ""
        elif fld.kind in ("date", "date_or_lifetime"):
            text = indonesian_date(str(value))
        else:
            text = str(value)
        out.append((name, text))
    return out


def _totals_line(rows: list[dict]) -> str:
    used = sum(r["status"] == "used" for r in rows)
    void = sum(r["status"] == "void" for r in rows)
    pending = len(rows) - used - void
    line = f"Jumlah: {used} terpakai, {void} batal, {len(rows)} seluruhnya"
    return line + (f" ({pending} dalam proses)" if pending else "")


def _write_titles(sheet, title: str, office: str, year: int, width: int) -> None:
    for text, size in ((title.upper(), 14), (office, 12), (f"Tahun {year}", 12)):
        write_row(sheet, [text], font=Font(bold=True, size=size))
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
    write_row(sheet, [])


def _prepare_page(sheet, columns: tuple, profile: dict) -> None:
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    setup = sheet.page_setup
    setup.orientation = "landscape"
    for name, value in paper_setup(profile).items():
        setattr(setup, name, value)
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    setup.fitToWidth, setup.fitToHeight = 1, 0  # one page wide, as many pages tall as needed
    header_row = TITLE_ROWS + 1
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_options.horizontalCentered = True


LINE_HEIGHT = 12.75  # points per line of 10-11 pt text


def _row_height(values: list, columns: tuple) -> float:
    """Height for the wrapped text of a row.

    Excel grows wrapped rows when it opens a file, but LibreOffice printing
    a file headless does not: without an explicit height the text of long
    cells spills over the rows below.
    """
    def lines(value, width) -> int:
        text = "" if value is None else str(value)
        return max(1, -(-len(text) // max(1, int(width * 1.1))))
    return LINE_HEIGHT * max(lines(v, c.width) for v, c in zip(values, columns, strict=True))


def _write_sheet(sheet, ws: Workspace, title: str, columns: tuple, rows: list[dict], year: int) -> None:
    office = ws.profile.get("office", {})
    office_name = office.get("short_name") or " ".join(office.get("name_lines", []))
    tz = office_timezone(ws.profile)
    _write_titles(sheet, title, office_name, year, len(columns))
    write_row(sheet, [c.header for c in columns], font=Font(bold=True), border=BOX,
              alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
    sheet.row_dimensions[sheet.max_row].height = _row_height([c.header for c in columns], columns)
    for row in rows:
        values = [_cell_value(c, row, tz) for c in columns]
        write_row(sheet, values, border=BOX, alignment=WRAP)
        sheet.row_dimensions[sheet.max_row].height = _row_height(values, columns)
    write_row(sheet, [])
    write_row(sheet, [_totals_line(rows)], font=Font(bold=True))
    _prepare_page(sheet, columns, ws.profile)  # last: it must not create cells before the rows


def export_book(session, ws: Workspace, book: str, output: Path, year: int | None = None) -> dict:
    """Write BOOK (a register name or "ekspedisi") to OUTPUT; one sheet per year.

    Returns {year: number of lines}. Without entries, one empty sheet of
    `year` (or of the current year) is written, so the book can still be printed.
    """
    title, columns, rows = _book_rows(session, ws, book, year)
    by_year: dict[int, list[dict]] = {}
    for row in rows:
        by_year.setdefault(row["year"], []).append(row)
    if not by_year:
        by_year[year or clock.today(ws.profile).year] = []
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_year, year_rows in sorted(by_year.items()):
        sheet = workbook.create_sheet(title=str(sheet_year))
        _write_sheet(sheet, ws, title, columns, year_rows, sheet_year)
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write_bytes(Path(output), buffer.getvalue())
    return {y: len(r) for y, r in sorted(by_year.items())}
