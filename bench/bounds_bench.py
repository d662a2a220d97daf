"""Bounds benchmark: each hostile input of issue 12 against "within 10 s and 300 MB".

Every input is handed to the real CLI in a child process (a fresh workspace in a
temporary folder); the child's wall time, peak RSS (ru_maxrss from os.wait4, measured through a small probe process: see tests/test_intake_support.run_child) and exit
code are printed, and beside each hostile input an ordinary valid input of similar
size, measured the same way. A child is killed after 11 s and its address space is
capped at 2 GB, so a reader that would take more fails instead of taking the machine.

    PYTHONPATH=$PWD .venv/bin/python bench/bounds_bench.py
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from test_intake_support import (  # noqa: E402  (the hostile inputs are shared with the tests)
    MB,
    far_row_workbook,
    json_deep,
    json_long_number,
    make_workbook,
    run_child,
    shared_strings_bomb,
    valid_record,
)

from sikro_docs.workspace import init_workspace  # noqa: E402

TARGET_SECONDS, TARGET_MB = 10, 300
TIMEOUT = 11
ADDRESS_SPACE = 2 << 30


def records(count: int, first: int = 1) -> list[dict]:
    """`count` valid applications with NIKs of their own from serial `first` on."""
    start = dt.date(2026, 1, 5)
    return [valid_record(no_registrasi=None, nik=f"121101450391{n:04d}", tanggal_permohonan=start + dt.timedelta(days=n % 60),
                         nama=f"Pemohon Nomor {n}, A.Md.RO") for n in range(first, first + count)]


def json_records(path: Path, count: int, first: int) -> Path:
    def plain(record):
        flat = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in record.items()}
        checklist = {k for k, v in record.items() if v == "Y"}
        flat = {k: v for k, v in flat.items() if k not in checklist}
        flat["berkas"] = dict.fromkeys(checklist, True)
        return flat
    path.write_text(json.dumps([plain(r) for r in records(count, first)]), encoding="utf-8")
    return path


# --- scans: PDFs written by hand, so every byte is what the class needs --------------------

def _pdf(path: Path, pages: list[tuple[tuple[float, float], bytes, dict[str, bytes]]]) -> Path:
    """A minimal PDF; each page is (size, content stream, {image name: image object body})."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    kids = []
    pages_id = 2
    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(b"")  # the page tree, filled in below
    for (width, height), content, images in pages:
        xobjects = b" ".join(b"/%s %d 0 R" % (name.encode(), add(body)) for name, body in images.items())
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
                        b"/Resources << /XObject << %s >> /Font << /F1 << /Type /Font /Subtype /Type1 "
                        b"/BaseFont /Helvetica >> >> >> >>" % (pages_id, width, height, stream, xobjects)))
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


A4 = (595, 842)


def _text(line: str) -> bytes:
    return b"BT /F1 12 Tf 72 760 Td (%s) Tj ET" % line.encode()


def blank_pages(path: Path, count: int = 50) -> Path:
    return _pdf(path, [(A4, b"", {})] * count)


def text_pages(path: Path, count: int = 50) -> Path:
    return _pdf(path, [(A4, _text(f"Halaman {n}: surat permohonan izin kerja refraksionis optisien"), {})
                       for n in range(1, count + 1)])


def _zeros_flate(size: int, block: int = 1 << 24) -> bytes:
    """A zlib stream of `size` zero bytes, built in milliseconds: after a full flush the
    compressor starts afresh, so every further block of zeros compresses to the same bytes."""
    squeeze = zlib.compressobj(9)
    first = squeeze.compress(bytes(block)) + squeeze.flush(zlib.Z_FULL_FLUSH)
    again = squeeze.compress(bytes(block)) + squeeze.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(size, block)
    checksum = 1
    for _ in range(count):
        checksum = zlib.adler32(bytes(block), checksum)
    checksum = zlib.adler32(bytes(rest), checksum)
    final_empty_block = b"\x03\x00"  # BFINAL=1, fixed Huffman, end of block
    body = first + again * (count - 1) if count else zlib.compressobj(9).compress(b"")[:2]
    return body + (_raw_block(rest) if rest else b"") + final_empty_block + checksum.to_bytes(4, "big")


def _raw_block(size: int) -> bytes:
    squeeze = zlib.compressobj(9, wbits=-15)
    return squeeze.compress(bytes(size)) + squeeze.flush(zlib.Z_FULL_FLUSH)


def _gray_image(width: int, height: int) -> bytes:
    data = _zeros_flate(width * height)
    return (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(data))
            + data + b"\nendstream")


def huge_image(path: Path, side: int = 40_000) -> Path:
    """A PDF of about 1.5 MB: one page, one 40,000 x 40,000 gray image (1.6 GB of pixels)."""
    image = _gray_image(side, side)
    return _pdf(path, [(A4, b"q 595 0 0 842 0 0 cm /Im1 Do Q", {"Im1": image})])


def ordinary_image(path: Path) -> Path:
    """A scan-like page of similar file size: an A4 image at 200 dpi with varied rows."""
    width, height = 1654, 2339
    rows = [bytes((x * 7 + y * 13 + (x * y) % 251) % 256 for x in range(width)) for y in range(64)]
    squeeze = zlib.compressobj(9)
    data = b"".join(squeeze.compress(rows[y % 64]) for y in range(height)) + squeeze.flush()
    image = (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
             b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(data))
             + data + b"\nendstream")
    return _pdf(path, [(A4, b"q 595 0 0 842 0 0 cm /Im1 Do Q", {"Im1": image})])


def huge_page(path: Path) -> Path:
    """One page of 200,000 x 200,000 points (70 m a side), a line of text on it."""
    return _pdf(path, [((200_000, 200_000), _text("Halaman besar"), {})])


def a4_page(path: Path) -> Path:
    return _pdf(path, [(A4, _text("Surat permohonan izin kerja refraksionis optisien"), {})])


# --- running -------------------------------------------------------------------------------

def measure(label: str, args: list, baseline: bool) -> None:
    run = run_child(args, address_space=ADDRESS_SPACE, timeout=TIMEOUT)
    within = run.seconds <= TARGET_SECONDS and run.peak_rss_mb <= TARGET_MB
    verdict = "-" if baseline else ("within" if within else "BEYOND")
    last = (run.err.strip() or run.out.strip()).splitlines()[-1:] or [""]
    code = "killed" if run.code == -9 else run.code
    print(f"{label:<44} {run.seconds:6.1f} s {run.peak_rss_mb:7.0f} MB  exit {code!s:<6} {verdict:<7} "
          f"{last[0][:110]}", flush=True)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sikro-bounds-"))
    try:
        ws, _ = init_workspace(tmp / "ws")
        files = tmp / "in"
        files.mkdir()
        print(f"target: within {TARGET_SECONDS} s and {TARGET_MB} MB peak RSS; each child killed after "
              f"{TIMEOUT} s, address space capped at {ADDRESS_SPACE >> 30} GB")
        print(f"{'input':<44} {'wall':>8} {'peak RSS':>10}  {'exit':<11} {'':<7} last line")

        def import_pair(hostile: Path, ordinary: Path, label: str) -> None:
            size = lambda p: f"{p.stat().st_size / 1024:,.1f} KB"  # noqa: E731
            measure(f"import {label} ({size(hostile)})", ["import", hostile, "--workspace", ws.root], False)
            measure(f"  ordinary: {ordinary.name} ({size(ordinary)})", ["import", ordinary, "--workspace", ws.root],
                    True)

        bomb = shared_strings_bomb(files / "strings-bomb.xlsx", inflated=400 * MB)
        # A valid workbook of the bomb's 1 MB holds some 12,000 rows and takes a minute to import;
        # 2,000 rows keep the bench short (an ordinary import is linear in its rows).
        import_pair(bomb, make_workbook(files / "ordinary-2000-rows.xlsx", records(2_000, 1)), "shared-strings bomb")
        import_pair(far_row_workbook(files / "far-row.xlsx"),
                    make_workbook(files / "ordinary-3-rows.xlsx", records(3, 3_000)), "cell on row 1,048,576")
        import_pair(json_long_number(files / "number.json"), json_records(files / "ordinary-number.json", 4, 4_000),
                    "JSON number of 4,300 digits")
        deep = json_deep(files / "deep.json")
        import_pair(deep, json_records(files / "ordinary-deep.json", max(1, deep.stat().st_size // 900), 5_000),
                    "JSON nested 30,000 deep")

        scans = [(blank_pages(files / "blank-50.pdf"), text_pages(files / "text-50.pdf"), "50 blank pages"),
                 (huge_image(files / "huge-image.pdf"), ordinary_image(files / "scan-a4.pdf"), "image of 1.6 Gpixel"),
                 (huge_page(files / "huge-page.pdf"), a4_page(files / "a4.pdf"), "page of 70 x 70 m")]
        for hostile, ordinary, label in scans:
            for pdf, is_baseline in ((hostile, False), (ordinary, True)):
                name = f"  ordinary: {pdf.name}" if is_baseline else f"{label} ({pdf.stat().st_size / 1024:,.0f} KB)"
                measure(f"verify {name}", ["verify", pdf, "--workspace", ws.root], is_baseline)
                folder = tmp / f"scan-{pdf.stem}"
                folder.mkdir()
                shutil.copy(pdf, folder / pdf.name)
                measure(f"ingest {name}", ["archive", "ingest", folder, "--workspace", ws.root], is_baseline)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
