"""Where the visible signature goes: above the signer's printed name on page 1.

The permit template prints the Kepala Dinas block (title, blank space,
name, rank, NIP) at the bottom right of page 1. The blank space between
the title and the name is where a wet signature would go, so the box fills
it; the name is found with pdfium's text API, which gives each character's
position in PDF points (origin bottom left).
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points

MIN_WIDTH = 170.0      # room for "Ditandatangani secara elektronik oleh" in 7-pt type
MAX_HEIGHT = 62.0
MIN_GAP_HEIGHT = 30.0  # below this the box overlaps the name instead of squeezing in
MARGIN = 2.0


@dataclass(frozen=True)
class TextBox:
    left: float
    bottom: float
    right: float
    top: float


def find_signature_box(pdf_data: bytes, names: list[str], page_index: int = 0) -> Box | None:
    """The box above the first of `names` printed on the page; None if none is there."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf_data)
    try:
        if len(document) <= page_index:
            return None
        page = document[page_index]
        textpage = page.get_textpage()
        page_width = page.get_width()
        name_box = _find_text(textpage, names)
        if name_box is None:
            return None
        return _box_above(name_box, _char_boxes(textpage), page_width)
    finally:
        document.close()


def _find_text(textpage, needles: list[str]) -> TextBox | None:
    text = textpage.get_text_range()
    for needle in filter(None, (n.strip() for n in needles)):
        # The last occurrence: the signature block comes after any mention in the body.
        start = text.rfind(needle)
        if start >= 0:
            boxes = [textpage.get_charbox(i) for i in range(start, start + len(needle))]
            return _union(boxes)
    return None


def _union(boxes) -> TextBox:
    return TextBox(min(b[0] for b in boxes), min(b[1] for b in boxes),
                   max(b[2] for b in boxes), max(b[3] for b in boxes))


def _char_boxes(textpage) -> list[TextBox]:
    return [TextBox(*textpage.get_charbox(i)) for i in range(textpage.count_chars())]


def _box_above(name: TextBox, chars: list[TextBox], page_width: float) -> Box:
    """Fill the blank space between the name and the nearest text above it in its column."""
    centre = (name.left + name.right) / 2
    width = max(name.right - name.left, MIN_WIDTH)
    left = max(MARGIN, centre - width / 2)
    right = min(page_width - MARGIN, left + width)
    bottom = name.top + MARGIN
    above = [c.bottom for c in chars
             if c.bottom > name.top + 1 and c.right > left and c.left < right and c.top > c.bottom]
    ceiling = min(above, default=bottom + MAX_HEIGHT + MARGIN) - MARGIN
    if ceiling - bottom < MIN_GAP_HEIGHT:
        # No blank space: lay the box over the name itself (its background is transparent).
        bottom = name.bottom - MARGIN
        ceiling = bottom + MIN_GAP_HEIGHT
    top = min(ceiling, bottom + MAX_HEIGHT)
    return (round(left, 1), round(bottom, 1), round(right, 1), round(top, 1))
