"""Box and folder labels (PDF) with a QR code that opens the box's contents list.

The QR holds `<[verification] base_url>/A/BOX/<box>`: the office's web
page for the contents of that box (the page itself belongs to the web
capability). Each label also prints the contents in words, so it is
useful without a phone.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from ..errors import SikroError
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace
from .berkas import location_line
from .index import kurun_waktu
from .locations import box_contents

BOX_LABEL = (90 * mm, 120 * mm)
FOLDER_LABEL = (90 * mm, 40 * mm)
MARGIN = 12 * mm
QR_MM = 30


def box_url(ws: Workspace, box: str) -> str:
    base = ws.profile.get("verification", {}).get("base_url", "").strip().rstrip("/")
    if not base:
        raise SikroError("the office profile has no [verification] base_url; set it in sikro.toml")
    return f"{base}/A/BOX/{quote(box, safe='')}"


def _qr(url: str) -> ImageReader:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=4)
    out.seek(0)
    return ImageReader(out)


def write_labels(ws: Workspace, box: str, output: Path) -> int:
    """One box label, then one label per folder; returns the number of folders."""
    contents = box_contents(ws, box)
    if not contents:
        raise SikroError(f"box {box!r} holds no berkas yet (record them with: sikro archive place)")
    url = box_url(ws, box)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Label Boks {box}")
    _box_label(pdf, ws, box, contents, url)
    _folder_labels(pdf, box, contents, url)
    pdf.save()
    atomic_write_bytes(Path(output), buffer.getvalue())
    return len(contents)


def _box_label(pdf, ws, box, contents, url) -> None:
    x, top = MARGIN, A4[1] - MARGIN
    width, height = BOX_LABEL
    pdf.rect(x, top - height, width, height)
    office = ws.profile.get("office", {}).get("short_name", "")
    pdf.setFont("Helvetica", 9)
    pdf.drawString(x + 5 * mm, top - 8 * mm, office)
    pdf.setFont("Helvetica-Bold", 28)
    pdf.drawString(x + 5 * mm, top - 22 * mm, f"BOKS {box}")
    folders = [loc.folder for _b, loc in contents]
    pdf.setFont("Helvetica", 11)
    pdf.drawString(x + 5 * mm, top - 30 * mm, f"Map {folders[0]} s.d. {folders[-1]} ({len(folders)} berkas)")
    first = contents[0][1]
    place = location_line({"room": first.room, "cabinet": first.cabinet, "shelf": first.shelf})
    pdf.drawString(x + 5 * mm, top - 37 * mm, place[:60])
    codes = sorted({b.classification for b, _ in contents})
    years = kurun_waktu(min(b.date_start for b, _ in contents), max(b.date_end for b, _ in contents))
    pdf.drawString(x + 5 * mm, top - 44 * mm, f"Klasifikasi {', '.join(codes)[:40]}; {years}")
    pdf.drawImage(_qr(url), x + 5 * mm, top - height + 5 * mm, QR_MM * mm, QR_MM * mm)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(x + 38 * mm, top - height + 8 * mm, url[:60])


def _folder_labels(pdf, box, contents, url) -> None:
    width, height = FOLDER_LABEL
    x, y = MARGIN + BOX_LABEL[0] + 6 * mm, A4[1] - MARGIN
    for berkas, loc in contents:
        if y - height < MARGIN:
            pdf.showPage()
            x, y = MARGIN, A4[1] - MARGIN
        pdf.rect(x, y - height, width, height)
        pdf.setFont("Helvetica-Bold", 12)
        pdf.drawString(x + 4 * mm, y - 8 * mm, f"Boks {box} / Map {loc.folder}")
        pdf.setFont("Helvetica", 9)
        pdf.drawString(x + 4 * mm, y - 14 * mm, berkas.registration_number)
        pdf.drawString(x + 4 * mm, y - 19 * mm, berkas.name[:38])
        pdf.drawString(x + 4 * mm, y - 24 * mm,
                       f"{berkas.classification}  {kurun_waktu(berkas.date_start, berkas.date_end)}")
        pdf.drawImage(_qr(url), x + width - 32 * mm, y - height + 4 * mm, 28 * mm, 28 * mm)
        y -= height + 4 * mm
