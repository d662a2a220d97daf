"""Every scan a person hands in has limits ([limits.scan]): tiny hostile PDFs and images are
refused by `sikro verify` (exit 2, one line naming the file and the limit) and quarantined by
`sikro archive ingest` while the other files are filed; OCR stays within its budget and a bad
file never blocks a later run."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from archive_support import make_permit, paper, run_here
from PIL import Image

from sikro_docs.errors import SikroError
from sikro_docs.verification import make_qr_png, read_qr_codes
from sikro_docs.verification.qr import ScanLimits
from sikro_docs.workspace import default_profile_text

A4 = (595, 842)


# --------------------------------------------------------------------------- hostile files, made by hand


def raw_pdf(pages: list[dict]) -> bytes:
    """A PDF of `pages`, each {"box": (w, h), "content": bytes, "image": (w, h, data, filter) or None}."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    tree = add(b"")
    kids = []
    for spec in pages:
        resources = b"<< >>"
        if spec.get("image"):
            width, height, data, filt = spec["image"]
            image = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                        b"/BitsPerComponent 8 /Filter /%s /Length %d >>\nstream\n%s\nendstream"
                        % (width, height, filt, len(data), data))
            resources = b"<< /XObject << /Im0 %d 0 R >> >>" % image
        content = spec.get("content", b"")
        stream = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        box = spec.get("box", A4)
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources %s /Contents %d 0 R >>"
                        % (tree, box[0], box[1], resources, stream)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.7\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref))
    return out.getvalue()


def qr_page(url: str) -> dict:
    """An A4 page showing the QR code 27 mm wide (a real, decodable code)."""
    image = Image.open(io.BytesIO(make_qr_png(url))).convert("L")
    size = round(27 / 25.4 * 72)
    return {"image": (image.width, image.height, zlib.compress(image.tobytes()), b"FlateDecode"),
            "content": b"q %d 0 0 %d 80 80 cm /Im0 Do Q" % (size, size)}


def blank_pages(count: int) -> list[dict]:
    return [{} for _ in range(count)]


def huge_page_pdf(path: Path) -> Path:
    path.write_bytes(raw_pdf([{"box": (14400, 14400)}]))  # 5 m square: 1.6 G pixels at 200 dpi
    return path


def image_bomb_pdf(path: Path) -> Path:
    """About 1 KB: one image that declares 100,000 x 100,000 pixels (10 G pixels decompressed)."""
    data = zlib.compress(b"\0" * 2_000_000, 9)
    path.write_bytes(raw_pdf([{"image": (100_000, 100_000, data, b"FlateDecode"),
                               "content": b"q 595 0 0 842 0 0 cm /Im0 Do Q"}]))
    return path


def png_bomb(path: Path) -> Path:
    """A PNG whose header declares 100,000 x 100,000 gray pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 100_001 * 50)) + chunk(b"IEND", b""))
    return path


def noise_pdf(path: Path, pages: int = 44) -> Path:
    """Pages of random noise first and last (the costliest thing to look for a code in), blank between."""
    import os

    data = zlib.compress(os.urandom(1654 * 2339), 1)
    noise = {"image": (1654, 2339, data, b"FlateDecode"), "content": b"q 595 0 0 842 0 0 cm /Im0 Do Q"}
    path.write_bytes(raw_pdf([noise] * 3 + blank_pages(pages - 4) + [noise]))
    return path


def _one_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def _set_limits(ws, **values) -> None:
    """Set keys of [limits.scan] in the workspace's sikro.toml (replacing the defaults there)."""
    lines = ws.profile_path.read_text("utf-8").splitlines()
    if "[limits.scan]" not in lines:
        lines += ["", "[limits.scan]"]
    start = lines.index("[limits.scan]") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    kept = [line for line in lines[start:end] if line.split("=")[0].strip() not in values]
    lines[start:end] = [f"{key} = {value}" for key, value in values.items()] + kept
    ws.profile_path.write_text("\n".join(lines) + "\n", "utf-8")


# --------------------------------------------------------------------------- the settings


def test_the_default_profile_carries_the_limits():
    profile = load_profile_text(default_profile_text())
    assert ScanLimits.from_profile(profile) == ScanLimits()
    assert set(profile["limits"]["scan"]) >= {"max_file_mb", "first_pages", "max_page_pixels", "max_image_pixels",
                                              "decode_seconds", "ocr_pages", "ocr_seconds"}
    with pytest.raises(SikroError, match=r"\[limits.scan\] first_pages"):
        ScanLimits.from_profile({"limits": {"scan": {"first_pages": "drei"}}})


def load_profile_text(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


# --------------------------------------------------------------------------- reading codes


def test_the_code_is_looked_for_on_the_first_pages_and_the_last(workspace, tmp_path):
    permit = make_permit(workspace)
    last = tmp_path / "last.pdf"
    last.write_bytes(raw_pdf(blank_pages(59) + [qr_page(permit.url)]))
    assert read_qr_codes(last) == [permit.url]
    middle = tmp_path / "middle.pdf"
    middle.write_bytes(raw_pdf(blank_pages(29) + [qr_page(permit.url)] + blank_pages(30)))
    assert read_qr_codes(middle) == []  # page 30 of 60 is not decoded (first_pages = 3, and the last)
    assert ScanLimits().pages_to_read(60) == [0, 1, 2, 59]
    assert ScanLimits().pages_to_read(2) == [0, 1]


@pytest.mark.parametrize("make, setting", [
    (huge_page_pdf, "limits.scan.max_page_pixels"),
    (image_bomb_pdf, "limits.scan.max_image_pixels"),
    (png_bomb, "limits.scan.max_image_pixels"),
])
def test_verify_refuses_a_scan_beyond_a_limit(workspace, tmp_path, ws_args, make, setting):
    name = {huge_page_pdf: "besar.pdf", image_bomb_pdf: "bom.pdf", png_bomb: "bom.png"}[make]
    hostile = make(tmp_path / name)
    result = run_here("verify", hostile, *ws_args)
    assert result.code == 2, result.out + result.err
    line = _one_line(result)
    assert str(hostile) in line and setting in line


def test_decoding_time_is_bounded(workspace, tmp_path, ws_args):
    noisy = noise_pdf(tmp_path / "derau.pdf", pages=4)
    _set_limits(workspace, decode_seconds=0.001)
    result = run_here("verify", noisy, *ws_args)
    assert result.code == 2
    line = _one_line(result)
    assert str(noisy) in line and "limits.scan.decode_seconds = 0.001" in line


def test_verify_refuses_a_file_larger_than_the_profile_allows(workspace, tmp_path, ws_args):
    permit = make_permit(workspace)
    scan = paper(tmp_path / "izin.pdf", permit.url)
    assert run_here("verify", scan, *ws_args).code == 0
    _set_limits(workspace, max_file_mb=0.01)
    result = run_here("verify", scan, *ws_args)
    assert result.code == 2 and "limits.scan.max_file_mb = 0.01" in _one_line(result)


def test_hostile_scans_end_quickly_and_small(tmp_path, workspace, ws_args):
    """Bounds, printed: each input ends within 10 s and 300 MB peak RSS (asserted on memory only)."""
    files = [huge_page_pdf(tmp_path / "besar.pdf"), image_bomb_pdf(tmp_path / "bom.pdf"), png_bomb(tmp_path / "bom.png")]
    blank = tmp_path / "kosong.pdf"
    blank.write_bytes(raw_pdf(blank_pages(50)))
    files.append(noise_pdf(tmp_path / "derau.pdf"))
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    for path in [*files, blank]:
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "sikro_docs", "verify", str(path),
                               *ws_args], capture_output=True, text=True, timeout=120)
        elapsed, rss_mb = time.monotonic() - start, int(done.stdout.strip()) / 1024
        print(f"{path.name}: {elapsed:.1f} s, {rss_mb:.0f} MB peak RSS")
        assert rss_mb < 300, (path.name, rss_mb)


# --------------------------------------------------------------------------- ingest


@pytest.fixture
def mixed_inbox(workspace, tmp_path):
    permit = make_permit(workspace)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    good = paper(inbox / "a-izin.pdf", permit.url)
    hostile = [huge_page_pdf(inbox / "b-besar.pdf"), image_bomb_pdf(inbox / "c-bom.pdf"), png_bomb(inbox / "d-bom.png")]
    blank = inbox / "e-kosong.pdf"
    blank.write_bytes(raw_pdf(blank_pages(50)))
    return inbox, good, hostile, blank


def test_ingest_quarantines_what_goes_beyond_a_limit_and_files_the_rest(workspace, mixed_inbox, ws_args):
    from registers_support import sql

    inbox, good, hostile, blank = mixed_inbox
    result = run_here("archive", "ingest", inbox, "--no-ocr", *ws_args)
    assert result.code == 1
    lines = {line.split()[1].rstrip(":"): line for line in result.out.splitlines()}
    assert lines[str(good)].startswith("filed")
    for path, setting in zip(hostile, ("max_page_pixels", "max_image_pixels", "max_image_pixels"), strict=True):
        assert lines[str(path)].startswith("quarantined") and f"limits.scan.{setting}" in lines[str(path)]
        assert path.is_file()  # left where it was
    assert lines[str(blank)].startswith("unmatched")
    reasons = dict(sql(workspace, "select path, reason from archive_unmatched"))
    assert all("quarantined" in reasons[str(p)] for p in hostile)
    # a later run is not blocked: it reads the quarantined files again and reports them again
    again = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert again.code == 1
    statuses = {f["path"]: f["status"] for f in again.json()["files"]}
    assert [statuses[str(p)] for p in hostile] == ["quarantined"] * 3


def test_one_file_failing_badly_never_hides_the_report(workspace, mixed_inbox, ws_args, monkeypatch):
    """A file whose filing raises (here: MemoryError) fails alone; the others are filed and reported."""
    import importlib

    inbox, good, hostile, blank = mixed_inbox
    other = make_permit(workspace, name="Hotman Simanjuntak")
    second = paper(inbox / "f-izin.pdf", other.url)
    ingest_module = importlib.import_module("sikro_docs.archive.ingest")
    real = ingest_module._scan_item

    def exhausted(source, document, limits):
        if document.number == other.number:
            raise MemoryError
        return real(source, document, limits)

    monkeypatch.setattr(ingest_module, "_scan_item", exhausted)
    result = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert result.code == 1
    statuses = {f["path"]: (f["status"], f["message"]) for f in result.json()["files"]}
    assert statuses[str(good)][0] == "filed"
    assert statuses[str(second)] == ("failed", "not filed: internal error (MemoryError)")
    assert second.is_file() and not good.exists()


# --------------------------------------------------------------------------- OCR


def test_ocr_of_a_hostile_file_filed_by_hand_never_blocks_later_runs(workspace, tmp_path, ws_args):
    permit = make_permit(workspace)
    for hostile in (huge_page_pdf(tmp_path / "besar.pdf"), image_bomb_pdf(tmp_path / "bom.pdf")):
        added = run_here("archive", "add", hostile, "--ref", permit.registration_number, "--kind", "lampiran",
                         *ws_args)
        assert added.code == 0, added.out + added.err
        assert "OCR skipped page 1" in added.out and "limits.scan.max_" in added.out
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    scan = paper(inbox / "izin.pdf", permit.url)
    later = run_here("archive", "ingest", inbox, *ws_args)
    assert later.code == 0, later.out + later.err
    assert later.out.startswith("filed") and not scan.exists()
    assert run_here("archive", "ocr", *ws_args).out.strip() == "every archived file already has its text"


def test_ocr_stays_within_its_page_and_time_budget(workspace, tmp_path, ws_args, monkeypatch):
    """At most ocr_pages pages a file; once ocr_seconds are spent no further file is started (the
    first always is, so every run makes progress) and the rest wait for `sikro archive ocr`."""
    import os

    permit = make_permit(workspace)
    _set_limits(workspace, ocr_pages=1, ocr_seconds=0.001)
    three, two = tmp_path / "tiga.pdf", tmp_path / "dua.pdf"
    three.write_bytes(raw_pdf(blank_pages(3)))
    two.write_bytes(raw_pdf(blank_pages(2)))
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path))  # no Tesseract while filing: both stay pending
    for scan in (three, two):
        assert run_here("archive", "add", scan, "--ref", permit.registration_number, "--kind", "lampiran",
                        *ws_args).code == 0
    monkeypatch.setenv("PATH", path)
    notes = run_here("archive", "ocr", *ws_args).out
    assert "lampiran.pdf: OCR read the first 1 of 3 pages (limits.scan.ocr_pages = 1)" in notes, notes
    assert "OCR budget spent (limits.scan.ocr_seconds = 0.001): 1 file(s) left for `sikro archive ocr`" in notes
    notes = run_here("archive", "ocr", *ws_args).out
    assert "lampiran_2.pdf: OCR read the first 1 of 2 pages" in notes and "OCR made searchable text for 1 file(s)" in notes


def test_a_reader_that_overruns_is_killed_and_the_file_quarantined(workspace, tmp_path, ws_args, monkeypatch):
    """The backstop behind the checks: a worker still reading after its time is killed; its file is
    quarantined, the next run reads it again in a fresh worker."""
    import importlib

    ingest_module = importlib.import_module("sikro_docs.archive.ingest")
    permit = make_permit(workspace)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    scans = [paper(inbox / f"izin{i}.pdf", permit.url) for i in range(2)]
    monkeypatch.setattr(ingest_module, "READ_MARGIN_S", -2 * ScanLimits().decode_seconds + 0.05)
    result = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert result.code == 1
    outcomes = result.json()["files"]
    assert [f["status"] for f in outcomes] == ["quarantined", "quarantined"]
    assert "limits.scan.decode_seconds" in outcomes[0]["message"]
    assert all(scan.is_file() for scan in scans)
    monkeypatch.undo()
    again = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert [f["status"] for f in again.json()["files"]] == ["filed", "filed"]
