"""Helpers of the archive tests: issued documents with real signed QR codes, papers, bad scans, the CLI.

Documents are created directly in the registry (as the verification tests
do) because the batch is built separately; the paper is an A4 page at
200 dpi with the QR pasted at its printed size. Nothing is mocked.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import Result, run_sikro
from PIL import Image, ImageDraw, ImageFilter

from sikro_docs import db, numbering
from sikro_docs.models import Application
from sikro_docs.verification import make_qr_png, sign_document

MM_PER_INCH = 25.4
ON = dt.date(2026, 3, 7)


@dataclass
class Issued:
    document_id: int
    number: str
    registration_number: str
    url: str


def make_permit(ws, *, name: str = "Rina Sitanggang, A.Md.RO", workplace: str = "Optik Terang",
                kind: str = "permit", on: dt.date = ON) -> Issued:
    """An application (numbered from the registrasi register) and its issued, signed document."""
    with db.session(ws, write=True) as session:
        count = session.query(Application).count()
        app = Application(
            registration_number=f"(pending {count})", application_date=on - dt.timedelta(days=20),
            name=name, nik=str(1211014503910002 + count), birth_place="Sidikalang",
            birth_date=dt.date(1991, 3, 5), sex="P", address="Jl. Sisingamangaraja 10, Sidikalang",
            phone="081234567890", education="D3 Refraksi Optisi", permit_type="sikro",
            facts={"str_number": f"RO 00.02 {count:05d}", "str_valid_until": None, "workplace_name": workplace,
                   "workplace_address": "Jl. Pahlawan 2, Sidikalang"},
            checklist={}, status="issued", current_step=21,
        )
        session.add(app)
        session.flush()
        app.registration_number = numbering.allocate(session, ws, "registrasi", app.application_date,
                                                     kind="registration", application_id=app.id).number
        document = numbering.Document(uid=numbering.new_uid(), application_id=app.id, kind=kind, date=on,
                                      status="issued", files=[])
        session.add(document)
        session.flush()
        spec = numbering.document_kind(kind)
        if spec.register:
            numbering.allocate(session, ws, spec.register, on, kind=kind, application_id=app.id, document=document)
        token = sign_document(ws, document, app, session=session)
        return Issued(document.id, document.number, app.registration_number, token.url)


def paper(path: Path, url: str, *, dpi: int = 200, words: str = "") -> Path:
    """An A4 page at `dpi`: some text-like lines, a line of real words, the QR 27 mm wide."""
    width, height = round(210 / MM_PER_INCH * dpi), round(297 / MM_PER_INCH * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    for i in range(20):
        y = round((60 + i * 6) / MM_PER_INCH * dpi)
        draw.rectangle([round(25 / MM_PER_INCH * dpi), y, round((90 + (i * 37) % 60) / MM_PER_INCH * dpi), y + 6], fill=40)
    if words:
        from PIL import ImageFont

        draw.text((round(25 / MM_PER_INCH * dpi), round(30 / MM_PER_INCH * dpi)), words, fill=0,
                  font=ImageFont.load_default(size=48))
    size = round(27 / MM_PER_INCH * dpi)
    qr = Image.open(io.BytesIO(make_qr_png(url))).convert("L").resize((size, size), Image.LANCZOS)
    page.paste(qr, (round(30 / MM_PER_INCH * dpi), round(235 / MM_PER_INCH * dpi)))
    page.save(path, "PDF", resolution=dpi)
    return path


def bad_scan(pdf: Path, out: Path, *, dpi: int = 200, angle: float = 2.0, blur: float = 1.0,
             quality: int = 35, as_pdf: bool = False) -> Path:
    """The printed page scanned badly: rendered at `dpi`, rotated, blurred, JPEG-compressed."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(pdf))
    image = doc[0].render(scale=dpi / 72).to_pil().convert("L")
    doc.close()
    image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(blur))
    if not as_pdf:
        image.save(out, "JPEG", quality=quality)
        return out
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    Image.open(buffer).save(out, "PDF", resolution=dpi)  # a scanner's PDF: one JPEG page
    return out


def command(*args) -> list[str]:
    """The argv of `sikro ARGS` as a real process (for Popen in crash tests)."""
    return [sys.executable, "-m", "sikro_docs", *map(str, args)]


def run(*args, timeout: int = 120, process: bool = False) -> Result:
    result = run_sikro(*args, timeout=timeout, process=process)
    assert "Traceback" not in result.err + result.out, result.err
    return result


def bags(ws) -> list[Path]:
    return sorted(p.parent for p in ws.archive_dir.glob("*/*/*/bagit.txt"))


def assert_all_bags_valid(ws) -> None:
    import bagit

    for bag in bags(ws):
        assert bagit.Bag(str(bag)).is_valid(), bag
    staging = ws.archive_dir / ".staging"
    assert not staging.exists() or not any(staging.iterdir()), list(staging.iterdir())


def assert_index_matches_bags(ws) -> None:
    """Every file of every manifest is in the index with its hash, and nothing else is."""
    from registers_support import sql

    from sikro_docs.archive.bags import read_manifest

    on_disk = set()
    for bag in bags(ws):
        rel = str(bag.relative_to(ws.archive_dir))
        on_disk |= {(rel, path, digest) for path, digest in read_manifest(bag / "manifest-sha256.txt").items()}
    indexed = set(sql(ws, "select b.path, f.path, f.sha256 from archive_files f "
                          "join archive_berkas b on b.id = f.berkas_id"))
    [(searchable,)] = sql(ws, f"select count(*) from {search_table(ws)}")
    [(berkas,)] = sql(ws, "select count(*) from archive_berkas")
    assert indexed == on_disk
    assert searchable == berkas == len(bags(ws))


def search_table(ws) -> str:
    """The archive's full-text index: SQLite's FTS5 table, or PostgreSQL's tsvector table (migration 0015)."""
    return "archive_search" if ws.db_url.startswith("postgresql") else "archive_fts"


def run_here(*args, at: str | None = None) -> Result:
    """`sikro ARGS` in this process (main(), so errors exit as the real command does), the clock
    frozen at `at` when given. Output is captured; a traceback is a failure."""
    import contextlib

    from sikro_docs import clock
    from sikro_docs.cli import main

    out, err = io.StringIO(), io.StringIO()
    frozen = clock.frozen(at) if at else contextlib.nullcontext()
    code = 0
    with frozen, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    result = Result(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in result.err + result.out, result.err
    return result


def tree_hashes(root: Path) -> dict[str, str]:
    """Every regular file under `root` (symbolic links as their target text), by content hash."""
    import hashlib
    import os

    hashes = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                hashes[rel] = "link:" + os.readlink(path)
            elif name not in (".lock",) and not rel.endswith(("-wal", "-shm")):
                hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes
