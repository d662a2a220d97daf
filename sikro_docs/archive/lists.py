"""Daftar Arsip Aktif / Inaktif / Usul Musnah / Usul Serah, Berita Acara (Excel), and the due list.

The columns of each list are data (COLUMNS below): header, width, and the
function of a berkas that gives the value. Every value goes through
`excel_safe.write_row`, so a name starting with "=" stays text.

daftar-musnah and daftar-serah list the berkas whose retention has ended
with final fate Musnah / Permanen (what `sikro archive due` says), for the
office to sign before `dispose` / `hand-over`. berita-acara lists the berkas
one decision number disposed or handed over (from their PREMIS events),
opening with the date in words and closing with places to sign.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select

from .. import clock, db
from ..errors import SikroError
from ..excel_safe import write_row
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace
from .berkas import LOCATION_PARTS, location_line
from .index import kurun_waktu
from .retention import STAGE_ACTIVE, STAGE_INACTIVE, DueItem, due_action
from .tables import ArchiveEvent, ArchiveFile, Berkas, Location

ACCESS_CLASS = "Terbatas (memuat data pribadi)"
MEDIA = "Kertas dan elektronik (pindaian)"


def _retention(b, _loc, _n) -> str:
    """As the berkas was scheduled (its permit type's retention entry need not be its classification's)."""
    active = b.active_until.year - b.date_end.year
    inactive = b.inactive_until.year - b.active_until.year
    return f"{active} th aktif, {inactive} th inaktif"


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
_PROPOSAL = COMMON[:5] + [
    ("Tingkat Perkembangan", 14, lambda b, loc, n: "Asli"),
    ("Jumlah", 10, lambda b, loc, n: f"{n} item"),
    ("Media", 18, lambda b, loc, n: MEDIA),
    ("Nomor Boks", 9, _loc("box")),
    ("Retensi", 18, _retention),
    ("Inaktif s.d.", 12, lambda b, loc, n: b.inactive_until),
    ("Nasib Akhir", 14, lambda b, loc, n: b.final_fate),
]
COLUMNS["daftar-musnah"] = _PROPOSAL + [
    ("Keterangan", 26, lambda b, loc, n: f"Retensi berakhir {b.inactive_until:%d-%m-%Y}; diusulkan musnah"),
]
COLUMNS["daftar-serah"] = _PROPOSAL + [
    ("Keterangan", 26, lambda b, loc, n: f"Retensi berakhir {b.inactive_until:%d-%m-%Y}; diusulkan diserahkan "
                                         "sebagai arsip statis"),
]


def _event_location(_b, detail, _n) -> str:
    where = (detail or {}).get("location_before")
    return location_line(where) if where else "-"


def _event_note(_b, detail, _n) -> str:
    detail = detail or {}
    notes = []
    if detail.get("electronic_copy") == "deleted":
        notes.append("arsip elektronik dihapus")
    elif detail.get("electronic_copy") == "kept":
        notes.append("arsip elektronik disimpan (ditandai musnah)")
    forced = detail.get("forced")
    if forced:
        notes.append(f"di luar jadwal retensi: {forced.get('reason', '')}")
    return "; ".join(notes) or "-"


# For berita-acara the "location" argument is the detail of the berkas's deaccession/transfer event.
COLUMNS["berita-acara"] = COMMON[:5] + [
    ("Jumlah", 10, lambda b, detail, n: f"{(detail or {}).get('items', n)} item"),
    ("Nasib Akhir", 14, lambda b, detail, n: b.final_fate),
    ("Lokasi Simpan Semula", 30, _event_location),
    ("Keterangan", 30, _event_note),
]
TITLES = {"daftar-aktif": "DAFTAR ARSIP AKTIF", "daftar-inaktif": "DAFTAR ARSIP INAKTIF",
          "daftar-musnah": "DAFTAR ARSIP USUL MUSNAH", "daftar-serah": "DAFTAR ARSIP USUL SERAH (ARSIP STATIS)"}
# The due action (retention.due_action) a berkas must have to be in each proposal list.
PROPOSALS = {"daftar-musnah": "destroy", "daftar-serah": "permanent"}
BERITA_ACARA_TITLES = {"deaccession": "BERITA ACARA PEMUSNAHAN ARSIP",
                       "transfer": "BERITA ACARA PENYERAHAN ARSIP STATIS"}
LIST_NAMES = tuple(COLUMNS)


def _in_list(name: str, berkas: Berkas, on: dt.date) -> bool:
    """Active: still in its active period (stage aktif). Inactive: moved, or past its active period.
    Usul musnah / serah: retention ended, fate Musnah / Permanen, not yet disposed / handed over."""
    if name in PROPOSALS:
        action = due_action(berkas.stage, berkas.active_until, berkas.inactive_until, berkas.final_fate, on)
        return action is not None and action[0] == PROPOSALS[name]
    if name == "daftar-aktif":
        return berkas.stage == STAGE_ACTIVE and on <= berkas.active_until
    return berkas.stage == STAGE_INACTIVE or (berkas.stage == STAGE_ACTIVE and on > berkas.active_until)


def _counts_and_locations(session):
    counts = dict(session.execute(select(ArchiveFile.berkas_id, func.count())
                                  .where(ArchiveFile.role == "original").group_by(ArchiveFile.berkas_id)).all())
    locations = {loc.berkas_id: {p: getattr(loc, p) for p in LOCATION_PARTS}
                 for loc in session.scalars(select(Location))}
    return counts, locations


def _rows(ws: Workspace, name: str, on: dt.date):
    with db.session(ws) as session:
        counts, locations = _counts_and_locations(session)
        berkas = session.scalars(select(Berkas).order_by(Berkas.classification, Berkas.date_start,
                                                         Berkas.berkas_number)).all()
    return [(b, locations.get(b.id), counts.get(b.id, 0)) for b in berkas if _in_list(name, b, on)]


def decision_rows(ws: Workspace, decision_number: str) -> tuple[str, list[tuple[Berkas, dict, int]], list[ArchiveEvent]]:
    """(event type, [(berkas, event detail, file count)], events) of what `decision_number` disposed or handed over."""
    from .events import DEACCESSION, TRANSFER

    wanted = " ".join(decision_number.split())
    with db.session(ws) as session:
        events = [e for e in session.scalars(select(ArchiveEvent)
                                             .where(ArchiveEvent.type.in_((DEACCESSION, TRANSFER)))
                                             .order_by(ArchiveEvent.at, ArchiveEvent.id))
                  if (e.detail or {}).get("decision_number") == wanted]
        if not events:
            raise SikroError(f"no berkas was disposed or handed over under decision number {wanted!r} "
                             "(sikro archive dispose / hand-over)")
        types = {e.type for e in events}
        if len(types) > 1:
            raise SikroError(f"decision number {wanted!r} both disposed and handed over berkas; "
                             "one berita acara cannot hold both")
        counts, _locations = _counts_and_locations(session)
        latest = {e.berkas_number: e for e in events}  # the last event of each berkas under this decision
        berkas = {b.berkas_number: b for b in session.scalars(select(Berkas).where(
            Berkas.berkas_number.in_(list(latest))))}
    rows = [(berkas[n], latest[n].detail or {}, counts.get(berkas[n].id, 0)) for n in latest if n in berkas]
    rows.sort(key=lambda row: (row[0].classification, row[0].date_start, row[0].berkas_number))
    return types.pop(), rows, events


def export_list(ws: Workspace, name: str, output: Path, *, on: dt.date | None = None,
                decision_number: str | None = None) -> int:
    if name not in COLUMNS:
        raise SikroError(f"unknown list {name!r}; choose one of {', '.join(COLUMNS)}")
    book = Workbook()
    sheet = book.active
    if name == "berita-acara":
        if not (decision_number or "").strip():
            raise SikroError("berita-acara: give the decision number (--decision-number) of the disposal "
                             "or hand-over")
        kind, rows, events = decision_rows(ws, decision_number)
        on = on or _office_date(ws, events[-1].at)
        title = BERITA_ACARA_TITLES[kind]
        sheet.title = "Berita Acara"
        _berita_acara_opening(sheet, ws, kind, title, " ".join(decision_number.split()), rows, events, on)
    else:
        on = on or clock.today(ws.profile)
        rows = _rows(ws, name, on)
        title = TITLES[name]
        sheet.title = title.title()[:31]
        _title_rows(sheet, ws, title, on)
    header_row = _header(sheet, name)
    for i, (berkas, location, count) in enumerate(rows, start=1):
        values = [i if fn is None else fn(berkas, location, count) for _h, _w, fn in COLUMNS[name]]
        write_row(sheet, values, alignment=Alignment(wrap_text=True, vertical="top"), border=_BORDER)
    if name == "berita-acara":
        _signatures_berita_acara(sheet, ws, kind, events, on)
    elif name in PROPOSALS:
        _signatures_proposal(sheet, ws, name, on)
    _page_setup(sheet, name, header_row)
    from io import BytesIO

    buffer = BytesIO()
    book.save(buffer)
    atomic_write_bytes(Path(output), buffer.getvalue())
    return len(rows)


_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ROW = 5  # of the daftar; a berita acara's header row comes after its opening text


def _title_rows(sheet: Worksheet, ws: Workspace, title: str, on: dt.date) -> None:
    office = ws.profile.get("office", {})
    write_row(sheet, [title], font=Font(bold=True, size=13))
    write_row(sheet, [office.get("short_name", "")], font=Font(bold=True))
    write_row(sheet, [f"Keadaan per {on.isoformat()}"])
    write_row(sheet, [])


def _header(sheet: Worksheet, name: str) -> int:
    write_row(sheet, [h for h, _w, _f in COLUMNS[name]], font=Font(bold=True), border=_BORDER,
              alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"))
    from openpyxl.utils import get_column_letter

    for index, (_h, width, _f) in enumerate(COLUMNS[name], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    return sheet.max_row


def _page_setup(sheet: Worksheet, name: str, header_row: int = HEADER_ROW) -> None:
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(COLUMNS[name]))
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"  # the header repeats on every page
    sheet.print_area = f"A1:{last}{max(sheet.max_row, header_row)}"
    sheet.freeze_panes = f"A{header_row + 1}"


# --------------------------------------------------------------------------- text rows and signatures


def _office_date(ws: Workspace, moment: dt.datetime) -> dt.date:
    """The office's calendar date of a moment."""
    return clock.local(moment, ws.profile).date()


def _paragraph(sheet: Worksheet, name: str, text: str, *, bold: bool = False, size: int | None = None,
               center: bool = False, lines: int = 1) -> None:
    """One row of text across the table's width (merged, wrapped)."""
    from openpyxl.utils import get_column_letter

    write_row(sheet, [text], font=Font(bold=bold, size=size),
              alignment=Alignment(wrap_text=True, vertical="top", horizontal="center" if center else "left"))
    row = sheet.max_row
    sheet.merge_cells(f"A{row}:{get_column_letter(len(COLUMNS[name]))}{row}")
    if lines > 1:
        sheet.row_dimensions[row].height = 15 * lines


def _berita_acara_opening(sheet: Worksheet, ws: Workspace, kind: str, title: str, number: str, rows,
                          events, on: dt.date) -> None:
    from ..documents.formatting import tanggal_kata, terbilang

    office = ws.profile.get("office", {})
    where = ", ".join(x for x in (office.get("short_name", ""), office.get("city", "")) if x)
    count = len(rows)
    first = events[-1].detail or {}
    agents = sorted({e.agent for e in events if e.agent})
    name = "berita-acara"
    _paragraph(sheet, name, title, bold=True, size=13, center=True)
    _paragraph(sheet, name, f"Nomor: {number}", center=True)
    write_row(sheet, [])
    if kind == "deaccession":
        deleted = {(e.detail or {}).get("electronic_copy") for e in events}
        electronic = ("Arsip elektronik (pindaian) berkas tersebut telah dihapus dari arsip elektronik."
                      if deleted == {"deleted"} else
                      "Arsip elektronik (pindaian) berkas tersebut disimpan dan ditandai musnah."
                      if deleted == {"kept"} else
                      "Keterangan arsip elektronik setiap berkas tercantum pada kolom Keterangan.")
        text = (f"Pada hari ini, {tanggal_kata(on)}, bertempat di {where}, telah dilaksanakan pemusnahan arsip "
                f"sebanyak {count} ({terbilang(count)}) berkas sebagaimana tercantum dalam daftar di bawah ini, "
                f"yang telah habis masa retensinya dan berketerangan musnah menurut Jadwal Retensi Arsip. "
                f"Alasan pemusnahan: {first.get('reason') or '-'}. {electronic} "
                f"Pemusnahan dilaksanakan oleh: {', '.join(agents) or '-'}.{_two_people(events)}")
    else:
        to = first.get("to") or "lembaga kearsipan daerah"
        text = (f"Pada hari ini, {tanggal_kata(on)}, bertempat di {where}, telah dilaksanakan penyerahan arsip "
                f"statis sebanyak {count} ({terbilang(count)}) berkas sebagaimana tercantum dalam daftar di bawah "
                f"ini dari {office.get('short_name', '')} kepada {to}, yang telah habis masa retensinya dan "
                f"berketerangan permanen menurut Jadwal Retensi Arsip. "
                f"Penyerahan dilaksanakan oleh: {', '.join(agents) or '-'}.")
    _paragraph(sheet, name, text, lines=5)
    write_row(sheet, [])


def _two_people(events) -> str:
    """Who proposed and who approved the disposal (a two-person pemusnahan), as a sentence; else ""."""
    proposers = sorted({(e.detail or {}).get("proposed_by") for e in events} - {None})
    approvers = sorted({(e.detail or {}).get("approved_by") for e in events} - {None})
    if not proposers:
        return ""
    return f" Diusulkan oleh: {', '.join(proposers)}; disetujui oleh: {', '.join(approvers) or '-'}."


def _signature_block(sheet: Worksheet, name: str, left: list[str], right: list[str]) -> None:
    """Two columns of signature lines: `left` under column B, `right` under the last columns."""
    width = len(COLUMNS[name])
    write_row(sheet, [])
    for i in range(max(len(left), len(right))):
        values = [None] * width
        values[1] = left[i] if i < len(left) else None
        values[width - 3] = right[i] if i < len(right) else None
        write_row(sheet, values)


def _official(ws: Workspace, key: str = "kepala_dinas") -> tuple[str, str, str]:
    person = ws.profile.get("officials", {}).get(key, {})
    return person.get("title", ""), person.get("name", ""), f"NIP {person['nip']}" if person.get("nip") else ""


def _place_and_date(ws: Workspace, on: dt.date) -> str:
    from ..documents.formatting import tanggal

    city = ws.profile.get("office", {}).get("city", "")
    return f"{city}, {tanggal(on)}" if city else tanggal(on)


def _signatures_proposal(sheet: Worksheet, ws: Workspace, name: str, on: dt.date) -> None:
    title, head, nip = _official(ws)
    what = "pemusnahan" if name == "daftar-musnah" else "penyerahan"
    _signature_block(sheet, name,
                     ["", "Diusulkan oleh,", "Petugas/Pengelola Arsip", "", "", "", "(....................)",
                      "NIP ...................."],
                     [_place_and_date(ws, on), f"Disetujui untuk {what},", title, "", "", "", head, nip])


def _signatures_berita_acara(sheet: Worksheet, ws: Workspace, kind: str, events, on: dt.date) -> None:
    title, head, nip = _official(ws)
    name = "berita-acara"
    if kind == "deaccession":
        left = ["", "Pelaksana Pemusnahan,", "", "", "", "(....................)", "NIP ...................."]
        right = [_place_and_date(ws, on), "Mengetahui,", title, "", "", head, nip]
    else:
        to = (events[-1].detail or {}).get("to") or "Lembaga Kearsipan Daerah"
        left = ["", "Yang Menerima,", to, "", "", "(....................)", "NIP ...................."]
        right = [_place_and_date(ws, on), "Yang Menyerahkan,", title, "", "", head, nip]
    _signature_block(sheet, name, left, right)
    write_row(sheet, [])
    write_row(sheet, [None, "Saksi-saksi:"])
    write_row(sheet, [None, "1. ...................................."])
    write_row(sheet, [None, "2. ...................................."])


def due_items(ws: Workspace, on: dt.date | None = None) -> list[DueItem]:
    on = on or clock.today(ws.profile)
    with db.session(ws) as session:
        berkas = session.scalars(select(Berkas).order_by(Berkas.active_until, Berkas.berkas_number)).all()
    items = []
    for b in berkas:
        action = due_action(b.stage, b.active_until, b.inactive_until, b.final_fate, on)
        if action:
            items.append(DueItem(b.berkas_number, b.registration_number, action[0], action[1], action[2]))
    return items
