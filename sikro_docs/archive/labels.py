"""Box and folder labels (PDF) with a QR code for a phone held up to the shelf.

With `[archive] internal_url` set in the profile (the address of
`sikro console`, the staff console on the office network, e.g.
"http://arsip.dpmptsp.lan:8080"), the QR holds `<internal_url>/A/BOX/<box>`:
the console's page of the box's contents, behind its sign-in (Arsiparis,
Admin). That page never exists on the public verification site (box numbers are guessable and the contents name
applicants), so the public `[verification] base_url` is never used here.

Without it the QR holds plain text that a phone shows as it is, e.g.
"BOKS 12 · Ruang Arsip 1, Lemari 2, Rak 3 · DPMPTSPK Kabupaten Dairi": no
address and no names. Each label also prints the contents in words, so it
is useful without a phone.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import click
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
from .refusals import BoxEmpty

BOX_LABEL = (90 * mm, 120 * mm)
FOLDER_LABEL = (90 * mm, 40 * mm)
MARGIN = 12 * mm
QR_MM = 30


BOX_PATH = "/A/BOX/"
NO_URL_NOTE = ("note: the QR codes hold the box's place as plain text; to make them open the box's contents "
               "page, set [archive] internal_url in sikro.toml to the office-network address of "
               "the staff console, `sikro console` (e.g. \"http://arsip.dpmptsp.lan:8080\")")


def internal_url(ws: Workspace) -> str | None:
    """`[archive] internal_url` without its trailing slash; None when it is not set.

    Refused when it is not an http(s) address, or when it is the public
    verification host: box contents must never be reachable from the internet.
    """
    base = str(ws.profile.get("archive", {}).get("internal_url") or "").strip().rstrip("/")
    if not base:
        return None
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SikroError(f"[archive] internal_url {base!r}: expected an address like http://arsip.dpmptsp.lan:8080")
    public = urlsplit(str(ws.profile.get("verification", {}).get("base_url") or "").strip())
    if public.netloc and parts.netloc.lower() == public.netloc.lower():
        raise SikroError("[archive] internal_url is the public verification address; the box contents page "
                         "runs only on the office network (sikro console): give its address there")
    return base


def box_url(ws: Workspace, box: str) -> str | None:
    """The staff console's page of `box` (`sikro console`), or None without `[archive] internal_url`."""
    base = internal_url(ws)
    return f"{base}{BOX_PATH}{quote(box, safe='')}" if base else None


def box_text(ws: Workspace, box: str, place: dict[str, str] | None) -> str:
    """What the QR holds without internal_url: the box, where it sits, the office; never a name."""
    office = ws.profile.get("office", {}).get("short_name", "")
    shelf = {part: (place or {}).get(part) or "" for part in ("room", "cabinet", "shelf")}
    where = location_line(shelf) if any(shelf.values()) else ""
    return " · ".join(part for part in (f"BOKS {box}", where, office) if part)


def box_qr_text(ws: Workspace, box: str, place: dict[str, str] | None) -> tuple[str, bool]:
    """(the text of the box's QR, whether it is an address)."""
    url = box_url(ws, box)
    return (url, True) if url else (box_text(ws, box, place), False)


def _qr(text: str) -> ImageReader:
    out = io.BytesIO()
    # UTF-8 (a room may be named with any letter): phones read a UTF-8 QR as such
    segno.make(text, error="m", encoding="utf-8").save(out, kind="png", scale=8, border=4)
    out.seek(0)
    return ImageReader(out)


def _echo_note(line: str) -> None:
    click.echo(line, err=True)


def write_labels(ws: Workspace, box: str, output: Path, *,
                 note: Callable[[str], None] | None = _echo_note) -> int:
    """One box label, then one label per folder; returns the number of folders.

    Without `[archive] internal_url` the QR holds plain text and `note` is
    told (once) how to make it open the contents page; note=None is silent.
    """
    contents = box_contents(ws, box)
    if not contents:
        raise BoxEmpty(box=box)
    first = contents[0][1]
    text, is_url = box_qr_text(ws, box, {"room": first.room, "cabinet": first.cabinet, "shelf": first.shelf})
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Label Boks {box}")
    _box_label(pdf, ws, box, contents, text, is_url)
    _folder_labels(pdf, box, contents, text)
    pdf.save()
    atomic_write_bytes(Path(output), buffer.getvalue())
    if not is_url and note is not None:
        note(NO_URL_NOTE)
    return len(contents)


def _box_label(pdf, ws, box, contents, qr_text, is_url) -> None:
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
    pdf.drawImage(_qr(qr_text), x + 5 * mm, top - height + 5 * mm, QR_MM * mm, QR_MM * mm)
    if is_url:
        pdf.setFont("Helvetica", 7)
        pdf.drawString(x + 38 * mm, top - height + 8 * mm, qr_text[:60])


def _folder_labels(pdf, box, contents, qr_text) -> None:
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
        pdf.drawImage(_qr(qr_text), x + width - 32 * mm, y - height + 4 * mm, 28 * mm, 28 * mm)
        y -= height + 4 * mm
