"""QR codes: making the PNG printed on a document, reading codes back from images and PDFs.

Reading follows what worked on degraded scans (see domain notes): PDF pages
rendered with pypdfium2 at 200 dpi, again at 300 dpi when nothing is found,
then a binarized retry; zxing-cpp decodes. pypdfium2 is not thread-safe,
so pages are rendered one after the other in this process.

Every file a person hands in is bounded (`ScanLimits`, `[limits.scan]` of
the profile): its size, the pages decoded (the first few and the last: a
permit's code is on its first page, a scan's last page may be the signed
one), the pixels of a rendered page and of any image decompressed, all
checked before the memory is spent. A limit reached is a `ScanLimitReached`
naming the file and the setting.
"""

from __future__ import annotations

import io
import math
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import segno
import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from ..errors import SikroError, UnusableInput
from ..limits import limits as _limits

ERROR_CORRECTION = "m"
MIN_PRINTED_MM = 25  # below this, phone cameras struggle with a version-13 code
QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard asks
MAX_VERSION = 13  # the largest symbol that stays legible at 25-30 mm
# Characters of alphanumeric data a version-13 symbol holds at error correction M.
MAX_URL_CHARS = 483
RENDER_DPIS = (200, 300)
# Enlarging for a retry stops here: a 200-dpi A4 page doubled (15.5 M pixels) is enlarged, a
# 300-dpi one (35 M: 2.4 s and 300 MB for its sharpening) is sharp enough as it is.
MAX_ENLARGED_PIXELS = 16_000_000
# A page whose darkest and lightest pixels differ by less than this holds no QR code (blank).
MIN_CONTRAST = 48
MM_PER_INCH = 25.4
PROFILE_TABLE = "limits.scan"


class ScanLimitReached(UnusableInput):
    """A scan goes beyond one of the limits of `[limits.scan]`: refused (exit 2) or, in ingest,
    quarantined with this reason. `setting` names the limit, `value` its value."""

    code = "scan-limit"

    def __init__(self, path, setting: str, value, what: str):
        self.path, self.setting, self.value = str(path), setting, value
        super().__init__(f"{path}: {what}: beyond the limit {PROFILE_TABLE}.{setting} = {value}")


@dataclass(frozen=True)
class ScanLimits:
    """What one scan may cost; defaults fit a 2-core office PC (each file < 10 s, < 300 MB)."""

    max_file_mb: float = 50.0  # a 600-dpi colour A4 scan as JPEG is ~5 MB
    first_pages: int = 3  # pages searched for a QR code from the front (and the last one)
    max_page_pixels: int = 40_000_000  # a rendered page: A4 at 300 dpi is 8.7 M, A3 17 M
    max_image_pixels: int = 60_000_000  # an image decompressed: A4 at 600 dpi is 35 M
    decode_seconds: float = 8.0  # time spent looking for a code in one file
    reader_memory_mb: float = 768.0  # address space a reading process may add (a backstop: ingest)
    text_pages: int = 200  # pages whose text layer is read for search
    ocr_pages: int = 10  # pages OCR'd per file
    ocr_seconds: float = 300.0  # OCR time one command spends; the rest waits for `archive ocr`

    @classmethod
    def from_profile(cls, profile: dict | None) -> ScanLimits:
        """`[limits.scan]` of the profile over the built-in defaults (one loader: sikro_docs.limits)."""
        table = _limits(profile, "scan")
        return cls(**{spec.name: type(getattr(cls, spec.name))(table[spec.name]) for spec in fields(cls)})

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def check_size(self, path, size: int) -> None:
        if size > self.max_file_bytes:
            raise ScanLimitReached(path, "max_file_mb", _plain(self.max_file_mb),
                                   f"the file is {size / 1048576:.1f} MB")

    def check_image(self, path, width: int, height: int, where: str = "the image") -> None:
        if width * height > self.max_image_pixels:
            raise ScanLimitReached(path, "max_image_pixels", self.max_image_pixels,
                                   f"{where} is {width} x {height} pixels")

    def pages_to_read(self, count: int) -> list[int]:
        """Indexes of the pages searched: the first few, then the last."""
        first = list(range(min(count, self.first_pages)))
        return first + ([count - 1] if count - 1 > (first[-1] if first else -1) else [])


DEFAULT_LIMITS = ScanLimits()


def _plain(number: float):
    return int(number) if float(number).is_integer() else number


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


class _OutOfTime(Exception):
    """The file's decoding time (limits.scan.decode_seconds) is spent."""


def decode_image(image: Image.Image, deadline: float | None = None) -> list[str]:
    """Texts of the QR codes in `image`, trying harder at each stage until one is found.

    Blur spreads a module over its neighbours: enlarging and sharpening
    restores edges the binarizer can cut (measured: a 2-degree skewed,
    blurred, JPEG-35 scan at 200 dpi reads only after this stage).
    """
    gray = _on_white(image).convert("L")
    darkest, lightest = gray.getextrema()
    if lightest - darkest < MIN_CONTRAST:
        return []  # a blank page: nothing to decode, however hard one tries
    for number, attempt in enumerate(_attempts(gray)):
        if number and deadline is not None and time.monotonic() > deadline:
            raise _OutOfTime  # the harder attempts cost seconds on a page of noise
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


def iter_qr_codes(path: Path, limits: ScanLimits | None = None) -> Iterator[str]:
    """The texts of the QR codes in an image or PDF, page by page; UnusableInput when unreadable,
    ScanLimitReached when the file goes beyond `limits` (default: the built-in ones)."""
    path, limits = Path(path), limits or DEFAULT_LIMITS
    head = _head(path, limits)
    deadline = time.monotonic() + limits.decode_seconds
    found = False
    try:
        if b"%PDF-" in head:
            for text in _pdf_codes(path, limits, deadline):
                found = True
                yield text
        else:
            yield from decode_image(open_image(path, limits), deadline)
    except _OutOfTime:
        if not found:  # codes found on earlier pages are what the file shows
            raise ScanLimitReached(path, "decode_seconds", _plain(limits.decode_seconds),
                                   "no QR code found in the time allowed") from None


def read_qr_codes(path, limits: ScanLimits | None = None) -> list[str]:
    """Every QR code text found in the image or PDF at `path`, in page order, without repeats."""
    return list(dict.fromkeys(iter_qr_codes(Path(path), limits)))


def _head(path: Path, limits: ScanLimits) -> bytes:
    try:
        with path.open("rb") as fh:
            limits.check_size(path, os.fstat(fh.fileno()).st_size)
            head = fh.read(1024)
    except OSError as exc:
        raise UnusableInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise UnusableInput(f"{path}: the file is empty")
    return head


def open_image(path: Path, limits: ScanLimits | None = None) -> Image.Image:
    """The image at `path`, decoded only once its declared size is within the limits."""
    limits = limits or DEFAULT_LIMITS
    guard = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = limits.max_image_pixels  # Pillow's own guard, at our limit
            image = Image.open(path)
            limits.check_image(path, image.width, image.height)  # before a pixel is decompressed
            image.load()
        return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanLimitReached(path, "max_image_pixels", limits.max_image_pixels,
                               "the image declares more pixels") from None
    except (OSError, ValueError, SyntaxError):
        raise UnusableInput(f"{path}: not a readable image or PDF") from None
    finally:
        Image.MAX_IMAGE_PIXELS = guard


def _pdf_codes(path: Path, limits: ScanLimits, deadline: float) -> Iterator[str]:
    with open_pdf(path) as pdf:
        for index in limits.pages_to_read(len(pdf)):
            yield from _page_codes(path, pdf, index, limits, deadline)


@contextmanager
def open_pdf(path: Path):
    import pypdfium2  # late: only PDFs need it

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError, ValueError):
        raise UnusableInput(f"{path}: not a readable PDF (corrupt or password-protected)") from None
    try:
        yield pdf
    finally:
        pdf.close()


def page_scale(path: Path, page, index: int, dpi: int, limits: ScanLimits, *, shrink: bool = False) -> float:
    """Points to pixels at `dpi` for this page, once its size and images are known to be bounded.

    The page's images are measured from their dictionaries (nothing is
    decoded): pdfium decompresses every image it draws at full size, so a
    tiny PDF declaring a 100,000-pixel-wide image would take gigabytes.
    `shrink`: reduce the scale to fit instead of refusing (a retry at a
    higher resolution, or OCR, of a page already accepted).
    """
    check_page_images(path, page, index, limits)
    width, height = page.get_size()
    scale = dpi / 72
    pixels = width * height * scale * scale
    if pixels <= limits.max_page_pixels:
        return scale
    if shrink:
        return scale * math.sqrt(limits.max_page_pixels / pixels)
    raise ScanLimitReached(path, "max_page_pixels", limits.max_page_pixels,
                           f"page {index + 1} is {width / 72 * MM_PER_INCH:.0f} x {height / 72 * MM_PER_INCH:.0f} mm "
                           f"({pixels / 1e6:.0f} M pixels at {dpi} dpi)")


def check_page_images(path: Path, page, index: int, limits: ScanLimits) -> None:
    import pypdfium2.raw as pdfium_c

    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        width, height = image.get_px_size()
        limits.check_image(path, width, height, f"an image on page {index + 1}")


def _page_codes(path: Path, pdf, index: int, limits: ScanLimits, deadline: float) -> list[str]:
    import pypdfium2

    for attempt, dpi in enumerate(RENDER_DPIS):
        if attempt and time.monotonic() > deadline:
            raise _OutOfTime
        try:
            page = pdf[index]
            try:
                scale = page_scale(path, page, index, dpi, limits, shrink=attempt > 0)
                image = page.render(scale=scale, grayscale=True).to_pil()
            finally:
                page.close()
        except (pypdfium2.PdfiumError, OSError, ValueError):
            raise UnusableInput(f"{path}: page {index + 1} cannot be rendered (corrupt PDF)") from None
        found = decode_image(image, deadline)
        if found:
            return found
    return []
