"""Helpers of the verification tests (no tests here): permits in the registry, papers, scans, the CLI.

Documents are created directly in the registry (issued, numbered from the
register) because the documents capability is built separately; the
"paper" is a page image with the QR pasted at its printed size, saved as
PDF by Pillow. Nothing of the decoder is mocked.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from conftest import Result, run_sikro
from PIL import Image, ImageDraw, ImageFilter

from sikro_docs import db, numbering, permit_types
from sikro_docs.models import Application
from sikro_docs.verification import Token, sign_document

NIK = "1211014507900001"
LONG_NAME = "Dr. Hj. Rosmawati Br. Sitanggang Simanjuntak, A.Md.RO., S.K.M."
STR_NUMBER = "RO 00.02.1.3.22 0012345"
LONG_WORKPLACE = "Optik Sinar Terang Jaya Abadi Sidikalang Cabang Dua"
ISSUED = dt.date(2026, 3, 7)
MM_PER_INCH = 25.4


@dataclass
class Issued:
    document_id: int
    uid: str
    number: str
    token: Token


def make_document(ws, *, kind: str = "permit", on: dt.date = ISSUED, name: str = LONG_NAME,
                  nik: str = NIK, workplace: str = LONG_WORKPLACE, numbered: str = "register",
                  valid_until=..., str_valid_until: dt.date | None = None, permit_type: str | None = None,
                  facts: dict | None = None, application_kind: str = "baru",
                  previous: int | None = None) -> Issued:
    """An application and its issued, signed document.

    numbered: "register" (from the kind's register), "plain" (a number without
    a register entry, so the row can be deleted), "none" (receipts).
    permit_type: a type's code (default: the workspace's default type, whose facts are
    the STR and workplace ones unless `facts` says otherwise, by storage key).
    """
    ptype = permit_types.get(ws, permit_type) if permit_type else permit_types.default(ws)
    if facts is None:  # the default type's own fields (the type the old codes belong to)
        facts = {"str_number": STR_NUMBER, "workplace_name": workplace,
                 "str_valid_until": str_valid_until.isoformat() if str_valid_until else None,
                 "workplace_address": "Jl. Pahlawan 2, Sidikalang"}
    with db.session(ws, write=True) as session:
        count = session.query(Application).count()
        app = Application(
            registration_number=f"REG/{count + 1:05d}/TEST/{on.year}", application_date=on - dt.timedelta(days=20),
            name=name, nik=str(int(nik) + count), birth_place="Sidikalang", birth_date=dt.date(1990, 7, 5),
            sex="P", address="Jl. Sisingamangaraja 10, Sidikalang", phone="081234567890",
            education="D3", permit_type=ptype.code, application_kind=application_kind,
            previous_document_id=previous, facts=facts, checklist={}, status="issued", current_step=21,
            place_key=f"place-{count}",
        )
        session.add(app)
        session.flush()
        document = numbering.Document(uid=numbering.new_uid(), application_id=app.id, kind=kind, date=on,
                                      status="issued", files=[])
        session.add(document)
        session.flush()
        spec = numbering.document_kinds().get(kind)
        if spec is not None and spec.register and numbered == "register":
            register = numbering.register_for(ws, spec, app)  # a permit: its type's own register
            numbering.allocate(session, ws, register, on, kind=kind, application_id=app.id, document=document)
        elif numbered == "plain" or (spec is None and numbered == "register"):
            document.number = f"TEST/{document.id:04d}/{on.year}"  # a plain number, no register entry
        token = sign_document(ws, document, app, valid_until=valid_until, session=session)
        return Issued(document.id, document.uid, document.number, token)


def paper_pdf(path: Path, qr_png: bytes, *, mm: float = 27, dpi: int = 200) -> Path:
    """An A4 page at `dpi` with some text lines and the QR printed `mm` wide, saved as PDF."""
    width, height = round(210 / MM_PER_INCH * dpi), round(297 / MM_PER_INCH * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for i in range(30):  # text-like clutter, as on a real letter
        y = round((40 + i * 6) / MM_PER_INCH * dpi)
        draw.rectangle([round(25 / MM_PER_INCH * dpi), y, round((25 + 100 + (i * 37) % 60) / MM_PER_INCH * dpi), y + 8], fill=40)
    size = round(mm / MM_PER_INCH * dpi)
    qr = Image.open(io.BytesIO(qr_png)).convert("L").resize((size, size), Image.LANCZOS)
    page.paste(qr, (round(30 / MM_PER_INCH * dpi), round(235 / MM_PER_INCH * dpi)))
    page.save(path, "PDF", resolution=dpi)
    return path


def degraded_scan(pdf: Path, out: Path, *, dpi: int = 200, angle: float = 2.0, blur: float = 1.0,
                  quality: int = 35) -> Path:
    """The printed page scanned badly: rendered at `dpi`, skewed, blurred, saved as a poor JPEG."""
    import pypdfium2

    pdf_doc = pypdfium2.PdfDocument(str(pdf))
    image = pdf_doc[0].render(scale=dpi / 72).to_pil().convert("L")
    pdf_doc.close()
    image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(blur))
    image.save(out, "JPEG", quality=quality)
    return out


def run(*args, env=None, timeout=120):
    """`sikro ARGS` as a real process (see conftest.run_sikro)."""
    return run_sikro(*args, env=env, timeout=timeout)


def assert_one_line_error(result: Result, code: int) -> None:
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
