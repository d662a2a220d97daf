"""Tell what kind of file a clerk handed us, from its bytes, not its name.

Clerks rename files, and Excel saves password-protected .xlsx files as OLE
containers that look like legacy .xls. Each unusable kind gets its own
one-line explanation.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import SikroError, UnusableInput
from ..limits import limits
from .bounds import SECTION, GuardedZip

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# Directory entry name of an encrypted OOXML package, stored as UTF-16LE in the OLE directory.
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_SNIFF_BYTES = 4096

XLSX = "xlsx"
JSON = "json"


def unusable(path: Path, what: str) -> UnusableInput:
    return UnusableInput(f"{path}: {what}")


def detect_format(path: Path, workbook_limits: dict[str, int] | None = None) -> str:
    """Return XLSX or JSON, or raise UnusableInput saying what the file is.

    A zip is listed within `workbook_limits` (default: the built-in ones): its directory may be huge.
    """
    head = _read_head(path)
    if not head:
        raise unusable(path, "the file is empty")
    if head.startswith(OLE_MAGIC):
        raise _ole_problem(path)
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        _check_zip_is_workbook(path, workbook_limits or limits(None, SECTION))
        return XLSX
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"[", b"{") or path.suffix.lower() == ".json":
        return JSON
    if (markup := _markup_kind(text)) is not None:
        raise unusable(path, f"{markup}, not an Excel workbook; open it in Excel and save it as "
                             "Excel Workbook (.xlsx)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or path.suffix.lower() in (".csv", ".tsv", ".txt") \
            or _looks_like_csv(head):
        raise unusable(path, "a CSV/text file is not accepted; open it in Excel and save it as .xlsx")
    raise unusable(path, "not an Excel workbook (.xlsx) or JSON file")


def _markup_kind(text: bytes) -> str | None:
    """Web pages and XML that "Export to Excel" buttons save under an .xls/.xlsx name."""
    lower = text[:_SNIFF_BYTES].lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return "an Excel 2003 XML spreadsheet"
    if lower.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) or \
            (lower.startswith(b"<") and b"<table" in lower):
        return "a web page (HTML) saved under a spreadsheet name"
    if lower.startswith(b"mime-version:"):
        return "a single-file web page (MHTML) saved under a spreadsheet name"
    return None


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise unusable(path, "no such file") from None
    except IsADirectoryError:
        raise unusable(path, "is a directory, not a file") from None
    except OSError as err:
        raise unusable(path, f"cannot be read ({err.strerror or err})") from None


def _ole_problem(path: Path) -> UnusableInput:
    try:
        encrypted = _contains(path, ENCRYPTION_INFO)
    except OSError as err:
        return unusable(path, f"cannot be read ({err.strerror or err})")
    if encrypted:
        return unusable(path, "the workbook is password-protected; remove the password in Excel "
                              "(File > Info > Protect Workbook) and save it again")
    return unusable(path, "a legacy Excel 97-2003 (.xls) file is not accepted; save it as .xlsx")


def _contains(path: Path, marker: bytes, chunk: int = 1 << 20) -> bool:
    """Whether the file holds `marker`, read a megabyte at a time (an OLE file may be huge)."""
    tail = b""
    with path.open("rb") as handle:
        while data := handle.read(chunk):
            if marker in tail + data:
                return True
            tail = data[-len(marker):]
    return False


def _check_zip_is_workbook(path: Path, bounds: dict[str, int]) -> None:
    try:
        with path.open("rb") as handle, GuardedZip(handle, path, bounds) as archive:
            names = set(archive.namelist())
    except SikroError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise unusable(path, "the workbook is corrupt or truncated (not a readable zip archive)") from None
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise unusable(path, "an Excel binary workbook (.xlsb) is not accepted; save it as .xlsx")
        if "content.xml" in names:
            raise unusable(path, "an OpenDocument file (.ods), not an Excel workbook; open it in "
                                 "LibreOffice or Excel and save it as .xlsx")
        kind = "a Word document" if "word/document.xml" in names else "a zip archive"
        raise unusable(path, f"{kind}, not an Excel workbook (.xlsx)")


def _looks_like_csv(head: bytes) -> bool:
    try:
        first_line = head.decode("utf-8", errors="replace").splitlines()[0]
    except IndexError:
        return False
    if "\x00" in first_line or first_line.count("\ufffd") * 10 > len(first_line):
        return False  # binary, not text in some 8-bit encoding
    return first_line.count(",") >= 2 or first_line.count(";") >= 2 or first_line.count("\t") >= 2
