"""Text for search: a PDF's own text layer, else OCR (Tesseract, Indonesian model).

OCR output is a derivative (a .txt beside the original in the bag), never
a replacement. A signed PDF is never OCR'd or converted: any rewrite
would break its signature (and OCRmyPDF refuses them anyway).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SikroError

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


def pdf_text(path: Path) -> str:
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
        return "\n".join(_page_text(pdf[index]) for index in range(len(pdf))).strip()
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


def text_layer(path: Path) -> tuple[str, str | None]:
    """(text, source) known without OCR; source None means 'needs OCR'."""
    if not is_pdf(path):
        return "", None
    text = pdf_text(path)
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


def ocr_file(path: Path) -> str:
    """OCR every page of an image or PDF; SikroError when it cannot be read."""
    with tempfile.TemporaryDirectory(prefix="sikro-ocr-") as tmp:
        pages = _page_images(Path(path), Path(tmp))
        return "\n\f\n".join(_tesseract(page) for page in pages).strip()


def _page_images(path: Path, tmp: Path) -> list[Path]:
    if not is_pdf(path):
        return [path]
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError, ValueError):
        raise SikroError(f"{path.name}: not a readable PDF") from None
    images = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            out = tmp / f"page-{index + 1:04d}.png"
            page.render(scale=OCR_DPI / 72, grayscale=True).to_pil().save(out)
            page.close()
            images.append(out)
    finally:
        pdf.close()
    return images


def _tesseract(image: Path) -> str:
    from ..childenv import child_env  # never $SIKRO_P12_PASSPHRASE in a child
    try:
        done = subprocess.run(["tesseract", str(image), "stdout", "-l", OCR_LANGUAGE],
                              capture_output=True, timeout=OCR_TIMEOUT_S, env=child_env())
    except subprocess.TimeoutExpired:
        raise SikroError(f"OCR of {image.name} took longer than {OCR_TIMEOUT_S} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["unknown error"]
        raise SikroError(f"OCR of {image.name} failed: {reason[0]}")
    return done.stdout.decode("utf-8", "replace")
