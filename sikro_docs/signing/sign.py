"""PAdES signatures with pyHanko: B-B, or B-T when a timestamp server is configured.

A signature is the last thing done to a permit (number and QR are in the
DOCX, LibreOffice makes the PDF/A, then this): anything written into the
file afterwards would break it. The signature is an incremental update, so
the bytes LibreOffice wrote (and an earlier signature) stay as they were,
and the appearance uses an embedded font to keep PDF/A-2b. The input file is
never touched; the output is written atomically once signing succeeded.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import clock
from ..errors import SikroError, UnusableInput
from ..fsutil import atomic_write_bytes
from .credentials import Credentials, load_credentials, read_passphrase_file, resolve_passphrase
from .placement import Box, find_signature_box
from .stampfont import stamp_font_factory

STAMP_TEXT = "Ditandatangani secara elektronik oleh\n%(signer)s\n%(signed_at)s"
DEFAULT_TIMEZONE = "Asia/Jakarta"
MAX_SIGNATURE_PAGE = 4  # the signer's name is looked for on the first pages only
STAMP_FONT_SIZE = 10  # pyHanko scales the whole stamp down to fit the box


@dataclass
class SignRequest:
    """Everything about one signature except the credentials."""

    reason: str | None = None
    location: str | None = None
    timestamp_url: str | None = None
    box: Box | None = None                 # fixed box, used when no name is found on page 1
    names: list[str] = field(default_factory=list)  # printed names to place the box above
    timezone: str = DEFAULT_TIMEZONE


def sign_pdf(pdf_in: Path, pdf_out: Path, credentials: Credentials, request: SignRequest) -> Path:
    """Sign `pdf_in` into `pdf_out` (never the same file); returns `pdf_out`."""
    pdf_in, pdf_out = Path(pdf_in), Path(pdf_out)
    _refuse_in_place(pdf_in, pdf_out)
    data = _read_pdf(pdf_in)
    page, box = _choose_box(data, request, credentials)
    signed = _sign_bytes(data, credentials, request, box, page)
    return atomic_write_bytes(pdf_out, signed)


def sign_workspace_pdf(ws, pdf_in: Path, pdf_out: Path, *, reason: str | None = None,
                       location: str | None = None) -> Path:
    """Sign with the workspace's configured certificate ([signing] in sikro.toml); no prompting."""
    settings = signing_settings(ws.profile)
    if not settings.get("p12"):
        raise SikroError("no signing certificate configured: set [signing] p12 in sikro.toml "
                         "(or run: sikro init --demo-certificate)")
    passphrase_file = settings.get("passphrase_file")
    passphrase = (read_passphrase_file(ws.root / passphrase_file) if passphrase_file
                  else resolve_passphrase(None))
    credentials = load_credentials(ws.root / settings["p12"], passphrase)
    request = request_from_profile(ws.profile, reason=reason, location=location)
    return sign_pdf(pdf_in, pdf_out, credentials, request)


def signing_settings(profile: dict) -> dict:
    return profile.get("signing", {}) or {}


def request_from_profile(profile: dict, *, reason=None, location=None) -> SignRequest:
    settings = signing_settings(profile)
    office = profile.get("office", {})
    signer_name = profile.get("officials", {}).get("kepala_dinas", {}).get("name")
    box = settings.get("box")
    return SignRequest(
        reason=reason or settings.get("reason"),
        location=location or settings.get("location") or office.get("city"),
        timestamp_url=settings.get("timestamp_url") or None,
        box=_check_box(box) if box else None,
        names=[signer_name] if signer_name else [],
        timezone=office.get("timezone") or DEFAULT_TIMEZONE,
    )


def _check_box(box) -> Box:
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise SikroError("[signing] box must be [x1, y1, x2, y2] in PDF points") from None
    if x2 <= x1 or y2 <= y1:
        raise SikroError("[signing] box must be [x1, y1, x2, y2] with x1 < x2 and y1 < y2")
    return (x1, y1, x2, y2)


# --------------------------------------------------------------------------- steps

def _refuse_in_place(pdf_in: Path, pdf_out: Path) -> None:
    same = pdf_in.resolve() == pdf_out.resolve() or (
        pdf_out.exists() and pdf_in.exists() and os.path.samefile(pdf_in, pdf_out))
    if same:
        raise SikroError(f"{pdf_out.name}: the output must be a new file; a PDF is never signed in place")


def _read_pdf(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UnusableInput(f"cannot read {path}: {err.strerror or err}") from None
    if b"%PDF-" not in data[:1024]:
        raise UnusableInput(f"{path.name} is not a PDF file")
    return data


def _choose_box(data: bytes, request: SignRequest, credentials: Credentials) -> tuple[int, Box]:
    """(page, box): above the printed name of the signer on page 1 or, for a document whose
    signature block ran over (an SK of two pages), on the first later page printing it; else the
    profile's fixed box on page 1."""
    names = [*request.names, credentials.common_name]
    for page in range(MAX_SIGNATURE_PAGE):
        try:
            found = find_signature_box(data, names, page_index=page)
        except Exception:  # pdfium cannot read it: pyHanko will say why in its own words
            break
        if found is not None:
            return page, found
    if request.box is not None:
        return 0, request.box
    wanted = request.names[0] if request.names else credentials.common_name
    raise SikroError(f'cannot place the visible signature: "{wanted}" is not printed on page 1; '
                     "set [signing] box = [x1, y1, x2, y2] (PDF points) in sikro.toml")


def _sign_bytes(data: bytes, credentials: Credentials, request: SignRequest, box: Box, page: int = 0) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigFieldSpec

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        if writer.prev.encrypted:
            raise UnusableInput("the PDF is encrypted; remove the password before signing")
        field_name = _free_field_name(writer.prev)
        if _overlaps_a_signature(writer.prev, box):
            box = None  # a second signature on the same spot would hide the first: sign invisibly
        pdf_signer = signers.PdfSigner(
            _metadata(field_name, request), signer=credentials.pyhanko_signer(),
            timestamper=_timestamper(request.timestamp_url), stamp_style=_stamp_style(),
            new_field_spec=SigFieldSpec(sig_field_name=field_name, on_page=page, box=box),
        )
        output = pdf_signer.sign_pdf(writer, output=io.BytesIO(),
                                     appearance_text_params=_stamp_params(credentials, request))
        return output.getvalue()
    except SikroError:
        raise
    except PdfError as err:
        raise UnusableInput(f"cannot sign this PDF: {_one_line(err)}") from None
    except Exception as err:  # pyHanko's signing and timestamp-server errors
        raise SikroError(f"signing failed: {type(err).__name__}: {_one_line(err)}") from None


def _overlaps_a_signature(reader, box: Box) -> bool:
    from pyhanko.sign.fields import enumerate_sig_fields

    for _, _, field_ref in enumerate_sig_fields(reader):
        rect = field_ref.get_object().get("/Rect")
        if rect is not None and _intersects(box, tuple(float(v) for v in rect)):
            return True
    return False


def _intersects(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _free_field_name(reader) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    taken = {name for name, *_ in enumerate_sig_fields(reader)}
    number = 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}"


def _metadata(field_name: str, request: SignRequest):
    from pyhanko.sign import fields, signers

    return signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,  # ETSI.CAdES.detached: PAdES baseline
        reason=request.reason, location=request.location,
        use_pades_lta=False, embed_validation_info=False,
    )


def _timestamper(url: str | None):
    if not url:
        return None  # PAdES B-B
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=30)  # PAdES B-T


def _stamp_style():
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(stamp_text=STAMP_TEXT, border_width=1,
                          text_box_style=TextBoxStyle(font=_embedded_font(), font_size=STAMP_FONT_SIZE))


def _embedded_font():
    """An embedded TrueType font: PDF/A forbids the standard fonts pyHanko uses by default."""
    from pyhanko.pdf_utils.font.basic import SimpleFontEngineFactory

    return stamp_font_factory() or SimpleFontEngineFactory.default_factory()  # signs, but not PDF/A-clean


def _stamp_params(credentials: Credentials, request: SignRequest) -> dict:
    try:
        zone = ZoneInfo(request.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    now = clock.utcnow().astimezone(zone)
    return {"signer": credentials.common_name, "signed_at": now.strftime("%d-%m-%Y %H:%M %Z")}


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split()) or type(err).__name__
