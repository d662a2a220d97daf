"""Both engines export with the same PDF settings."""

from __future__ import annotations

import docx
import pytest
from conftest import needs_soffice
from docx.shared import Inches
from PIL import Image
from pypdf import PdfReader

from sikro_docs.convert import ConverterPool, pdfa_part

PIXELS = 1200  # at one inch: 1,200 DPI, far above the 300 DPI LibreOffice reduces images to by default


def letter_with_a_sharp_image(folder):
    picture = folder / "qr.png"
    image = Image.new("1", (PIXELS, PIXELS), 1)
    for x in range(0, PIXELS, 8):  # fine stripes: what downsampling blurs
        for y in range(PIXELS):
            image.putpixel((x, y), 0)
    image.save(picture)
    document = docx.Document()
    document.add_paragraph("Kode QR:")
    document.add_picture(str(picture), width=Inches(1))
    path = folder / "surat.docx"
    document.save(path)
    return path


def image_widths(pdf) -> list[int]:
    widths = []
    for page in PdfReader(str(pdf)).pages:
        for image in page.images:
            widths.append(image.image.width)
    return widths


@needs_soffice
@pytest.mark.parametrize("engine", ["cli", "uno"])
def test_images_keep_their_resolution_with_either_engine(tmp_path, engine):
    letter = letter_with_a_sharp_image(tmp_path)
    with ConverterPool(workers=1, engine=engine) as pool:
        [result] = pool.convert([letter], out_dir=tmp_path / engine)
    assert result.ok, result.message
    assert pdfa_part(result.pdf) == ("2", "B")
    assert image_widths(result.pdf) == [PIXELS]
