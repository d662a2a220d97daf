"""QR codes: making the PNG printed on a document, reading codes back from images and PDFs.

Reading follows what worked on degraded scans (see domain notes): PDF pages
rendered with pypdfium2 at 200 dpi, again at 300 dpi when nothing is found,
then a binarized retry; zxing-cpp decodes. pypdfium2 is not thread-safe,
so pages are rendered one after the other in this process.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import segno
import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from ..errors import SikroError, UnusableInput

ERROR_CORRECTION = "m"
MIN_PRINTED_MM = 25  # below this, phone cameras struggle with a version-13 code
QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard asks
MAX_VERSION = 13  # the largest symbol that stays legible at 25-30 mm
# Characters of alphanumeric data a version-13 symbol holds at error correction M.
MAX_URL_CHARS = 483
RENDER_DPIS = (200, 300)
# Enlarging for a retry stops here (a 300-dpi A4 page doubled is ~35 M pixels).
MAX_ENLARGED_PIXELS = 40_000_000
MAX_PAGE_PIXELS = 40_000_000  # an A3 page at 300 dpi is 17 M
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class QrInfo:
    version: int
    mode: str
    error: str
    modules: int  # symbol width in modules, without the quiet zone


def _make(text: str) -> segno.QRCode:
    # boost_error=False: the level stays M, so the version is the one we measured.
    return segno.make(text, error=ERROR_CORRECTION, boost_error=False, micro=False)


def qr_info(text: str) -> QrInfo:
    code = _make(text)
    return QrInfo(version=code.version, mode=code.mode, error=code.error,
                  modules=code.symbol_size(border=0)[0])


def make_qr_png(url: str, *, mm: float = 27, dpi: int = 300) -> bytes:
    """A PNG of `url` that prints `mm` wide (quiet zone included) with at least `dpi` pixels an inch.

    Every module is a whole number of pixels (sharp edges); the PNG's own
    resolution is set so that a word processor places it at `mm`. zxing-cpp
    encodes (about 2 ms against segno's 50 ms for a version-13 symbol, which
    matters in a batch of a thousand permits); `qr_info` cross-checks with segno.
    """
    if mm < MIN_PRINTED_MM:
        raise SikroError(f"a verification QR code must print at least {MIN_PRINTED_MM} mm wide, not {mm}")
    symbol = _symbol_image(url)
    modules = symbol.width + 2 * QUIET_ZONE
    scale = max(1, math.ceil(mm / MM_PER_INCH * dpi / modules))
    # floor: the PNG prints at least `mm` wide, never a hair narrower.
    png_dpi = math.floor(modules * scale / (mm / MM_PER_INCH))
    framed = Image.new("L", (modules, modules), 255)
    framed.paste(symbol, (QUIET_ZONE, QUIET_ZONE))
    sized = framed.resize((modules * scale, modules * scale), Image.Resampling.NEAREST).convert("1")
    out = io.BytesIO()
    sized.save(out, "PNG", dpi=(png_dpi, png_dpi))
    return out.getvalue()


def _symbol_image(text: str) -> Image.Image:
    """The QR symbol of `text` at one pixel a module, without quiet zone (level M)."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION.upper())
    pixels = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    height, width = pixels.shape[:2]
    return Image.frombuffer("L", (width, height), bytes(pixels), "raw", "L", 0, 1)


# --------------------------------------------------------------------------- reading


def decode_image(image: Image.Image) -> list[str]:
    """Texts of the QR codes in `image`, trying harder at each stage until one is found.

    Blur spreads a module over its neighbours: enlarging and sharpening
    restores edges the binarizer can cut (measured: a 2-degree skewed,
    blurred, JPEG-35 scan at 200 dpi reads only after this stage).
    """
    gray = _on_white(image).convert("L")
    for attempt in _attempts(gray):
        found = _zxing(attempt)
        if found:
            return found
    return []


def _on_white(image: Image.Image) -> Image.Image:
    """A transparent background read as black would swallow the code: lay it on white."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba)
    return image


def _attempts(gray: Image.Image) -> Iterator[Image.Image]:
    yield gray
    if gray.width * gray.height * 4 > MAX_ENLARGED_PIXELS:
        return
    enlarged = gray.resize((gray.width * 2, gray.height * 2), Image.LANCZOS)
    sharpened = enlarged.filter(ImageFilter.UnsharpMask(radius=3, percent=200, threshold=0))
    yield sharpened
    yield ImageOps.autocontrast(sharpened).point(lambda v: 255 if v > 128 else 0)


def _zxing(image: Image.Image, **options) -> list[str]:
    results = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, try_rotate=True, try_downscale=True, **options
    )
    return [r.text for r in results if r.valid and r.text]


def iter_qr_codes(path: Path) -> Iterator[str]:
    """The texts of the QR codes in an image or PDF, page by page; UnusableInput when unreadable."""
    path = Path(path)
    head = _head(path)
    if b"%PDF-" in head:
        yield from _pdf_codes(path)
    else:
        yield from decode_image(_open_image(path))


def read_qr_codes(path) -> list[str]:
    """Every QR code text found in the image or PDF at `path`, in page order, without repeats."""
    return list(dict.fromkeys(iter_qr_codes(Path(path))))


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise UnusableInput(f"{path}: the file is empty")
    return head


def _open_image(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            image.load()
        return image
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnusableInput(f"{path}: not a readable image or PDF") from None


def _pdf_codes(path: Path) -> Iterator[str]:
    import pypdfium2  # late: only PDFs need it

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError, ValueError):
        raise UnusableInput(f"{path}: not a readable PDF (corrupt or password-protected)") from None
    try:
        for index in range(len(pdf)):
            yield from _page_codes(path, pdf, index)
    finally:
        pdf.close()


def _scale(page, dpi: int) -> float:
    """Points to pixels at `dpi`, reduced for a giant page so that rendering cannot exhaust memory."""
    width, height = page.get_size()
    scale = dpi / 72
    pixels = width * height * scale * scale
    return scale if pixels <= MAX_PAGE_PIXELS else scale * math.sqrt(MAX_PAGE_PIXELS / pixels)


def _page_codes(path: Path, pdf, index: int) -> list[str]:
    import pypdfium2

    for dpi in RENDER_DPIS:
        try:
            page = pdf[index]
            image = page.render(scale=_scale(page, dpi), grayscale=True).to_pil()
            page.close()
        except (pypdfium2.PdfiumError, OSError, ValueError):
            raise UnusableInput(f"{path}: page {index + 1} cannot be rendered (corrupt PDF)") from None
        found = decode_image(image)
        if found:
            return found
    return []
