"""The embedded font of the visible signature.

PDF/A forbids the non-embedded standard fonts pyHanko uses by default, so the
stamp embeds a TrueType font. pyHanko (0.38) writes the font's glyph widths
(/W) in font units, which a PDF reader reads as thousandths of an em: with
the usual 2048-unit fonts (Liberation, DejaVu) every letter is drawn twice
as far apart. Converting the font to 1000 units per em first makes the two
agree. Only the Latin glyphs are kept, so the conversion takes ~0.1 s.
"""

from __future__ import annotations

import functools
import io
import logging
import os

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf",
)
LATIN = range(0x20, 0x250)  # Basic Latin to Latin Extended-B: Indonesian names and titles

# fontTools warns about tables it drops while subsetting; nothing for a user to act on.
logging.getLogger("fontTools").addHandler(logging.NullHandler())
logging.getLogger("fontTools").propagate = False


def stamp_font_factory():
    """A pyHanko font factory with an embedded font, or None when no font is installed."""
    font_bytes = _font_at_1000_upem()
    return None if font_bytes is None else _EmbeddedFontFactory(font_bytes)


@functools.lru_cache(maxsize=1)
def _font_at_1000_upem() -> bytes | None:
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    path = next((p for p in FONT_CANDIDATES if os.path.isfile(p)), None)
    if path is None:
        return None
    font = TTFont(path)
    subsetter = subset.Subsetter(subset.Options(layout_features=["*"], name_IDs=["*"],
                                                notdef_outline=True))
    subsetter.populate(unicodes=LATIN)
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _EmbeddedFontFactory:
    """Like pyHanko's GlyphAccumulatorFactory, but from bytes in memory."""

    def __init__(self, font_bytes: bytes, font_size: int = 10):
        self.font_bytes = font_bytes
        self.font_size = font_size

    def create_font_engine(self, writer, obj_stream=None):
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulator

        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(self.font_bytes),
                                font_size=self.font_size, obj_stream=obj_stream)
