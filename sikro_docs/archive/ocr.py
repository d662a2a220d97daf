"""Text for search: a PDF's own text layer, else OCR (Tesseract, Indonesian model).

OCR output is a derivative (a .txt beside the original in the bag), never
a replacement. A signed PDF is never OCR'd or converted: any rewrite
would break its signature (and OCRmyPDF refuses them anyway).

OCR is bounded like every reading of a scan (`[limits.scan]`): at most
`ocr_pages` pages a file, a page only when its rendering and its images fit
the pixel limits (else it is skipped with a note), and the caller stops
starting files once `ocr_seconds` are spent.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SikroError
from ..verification.qr import (
    DEFAULT_LIMITS,
    ScanLimitReached,
    ScanLimits,
    check_page_images,
    open_image,
)

OCR_LANGUAGE = "ind"
OCR_DPI = 300  # Tesseract's accuracy drops below ~300 dpi
OCR_TIMEOUT_S = 180
MIN_TEXT_CHARS = 20  # fewer characters in the text layer than this: a scan, OCR it
INSTALL_HINT = "sudo apt-get install tesseract-ocr tesseract-ocr-ind"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")

# text_source values recorded for an original
PDF_TEXT, OCR, SIGNED, NO_TEXT = "pdf-text", "ocr", "signed", "none"


def is_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"%PDF-" in fh.read(1024)
    except OSError:
        return False


def is_signed_pdf(path: Path) -> bool:
    """A signature dictionary's /ByteRange (never inside a compressed object stream), or a /Sig field."""
    data = Path(path).read_bytes()
    return b"/ByteRange" in data or b"/FT /Sig" in data or b"/FT/Sig" in data


def pdf_text(path: Path, max_pages: int | None = None) -> str:
    """The text layer of every page ('' when the PDF has none or cannot be read).

    pdfium (C) reads a one-page letter in a few milliseconds, pypdf in ~60:
    it matters when a batch files a thousand permits. pdfium is not
    thread-safe: callers read one PDF at a time per process.
    """
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError, ValueError):
        return ""
    try:
        count = len(pdf) if max_pages is None else min(len(pdf), max_pages)
        return "\n".join(_page_text(pdf[index]) for index in range(count)).strip()
    except (pdfium.PdfiumError, ValueError):
        return ""
    finally:
        pdf.close()


def _page_text(page) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()
        page.close()


def text_layer(path: Path, limits: ScanLimits | None = None) -> tuple[str, str | None]:
    """(text, source) known without OCR; source None means 'needs OCR'."""
    if not is_pdf(path):
        return "", None
    text = pdf_text(path, (limits or DEFAULT_LIMITS).text_pages)
    if len(text) >= MIN_TEXT_CHARS:
        return text, PDF_TEXT
    if is_signed_pdf(path):
        return text, SIGNED  # never OCR'd: its bytes are evidence
    return "", None


def tesseract_status() -> str | None:
    """None when OCR can run; otherwise why not, with how to add it."""
    exe = shutil.which("tesseract")
    if exe is None:
        return f"OCR skipped: Tesseract is not installed (add it with: {INSTALL_HINT})"
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return f"OCR skipped: Tesseract does not run (reinstall with: {INSTALL_HINT})"
    if OCR_LANGUAGE not in langs.split():
        return f"OCR skipped: Tesseract lacks the Indonesian model (add it with: {INSTALL_HINT})"
    return None


@dataclass
class OcrResult:
    text: str
    notes: list[str] = field(default_factory=list)


def ocr_file(path: Path, limits: ScanLimits | None = None, *, deadline: float | None = None) -> OcrResult:
    """OCR the pages of an image or PDF within `limits`; SikroError when it cannot be read at all.

    `deadline` (time.monotonic()): no page after the first is started
    after it; a note says so.
    """
    limits = limits or DEFAULT_LIMITS
    result = OcrResult("")
    texts = []
    with tempfile.TemporaryDirectory(prefix="sikro-ocr-") as tmp:
        for page in _page_images(Path(path), Path(tmp), limits, result.notes):
            if texts and deadline is not None and time.monotonic() > deadline:
                result.notes.append(f"{Path(path).name}: OCR stopped at its time budget "
                                    f"(limits.scan.ocr_seconds = {limits.ocr_seconds:g})")
                break
            texts.append(_tesseract(page, deadline))
    result.text = "\n\f\n".join(texts).strip()
    return result


def _page_images(path: Path, tmp: Path, limits: ScanLimits, notes: list[str]):
    """Each page to OCR as an image file, one at a time (a page's pixels are freed before the next)."""
    if not is_pdf(path):
        open_image(path, limits).close()  # its declared size is within the limits
        yield path
        return
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError, ValueError):
        raise SikroError(f"{path.name}: not a readable PDF") from None
    try:
        count = len(pdf)
        if count > limits.ocr_pages:
            notes.append(f"{path.name}: OCR read the first {limits.ocr_pages} of {count} pages "
                         f"(limits.scan.ocr_pages = {limits.ocr_pages})")
        for index in range(min(count, limits.ocr_pages)):
            out = tmp / f"page-{index + 1:04d}.png"
            if _render_page(path, pdf, index, out, limits, notes):
                yield out
                out.unlink(missing_ok=True)
    finally:
        pdf.close()


def _render_page(path: Path, pdf, index: int, out: Path, limits: ScanLimits, notes: list[str]) -> bool:
    import pypdfium2

    page = pdf[index]
    try:
        check_page_images(path, page, index, limits)
        width, height = page.get_size()
        scale = OCR_DPI / 72
        if width * height * scale * scale > limits.max_page_pixels:
            raise ScanLimitReached(path, "max_page_pixels", limits.max_page_pixels,
                                   f"page {index + 1} at {OCR_DPI} dpi")
        page.render(scale=scale, grayscale=True).to_pil().save(out)
        return True
    except ScanLimitReached as exc:
        notes.append(f"OCR skipped page {index + 1} of {path.name}: {str(exc).split(': ', 1)[-1]}")
        return False
    except (pypdfium2.PdfiumError, OSError, ValueError):
        notes.append(f"OCR skipped page {index + 1} of {path.name}: it cannot be rendered")
        return False
    finally:
        page.close()


def _tesseract(image: Path, deadline: float | None = None) -> str:
    timeout = OCR_TIMEOUT_S if deadline is None else max(5.0, min(OCR_TIMEOUT_S, deadline - time.monotonic()))
    from ..childenv import child_env  # never $SIKRO_P12_PASSPHRASE in a child
    try:
        done = subprocess.run(["tesseract", str(image), "stdout", "-l", OCR_LANGUAGE],
                              capture_output=True, timeout=timeout, env=child_env())
    except subprocess.TimeoutExpired:
        raise SikroError(f"OCR of {image.name} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
        raise SikroError(f"OCR of {image.name} failed: {reason[0]}")
    return done.stdout.decode("utf-8", "replace")
