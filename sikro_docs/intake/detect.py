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
from .refusals import refused

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# Directory entry name of an encrypted OOXML package, stored as UTF-16LE in the OLE directory.
ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_SNIFF_BYTES = 4096

XLSX = "xlsx"
JSON = "json"


def detect_format(path: Path, workbook_limits: dict[str, int] | None = None) -> str:
    """Return XLSX or JSON, or raise UnusableInput saying what the file is.

    A zip is listed within `workbook_limits` (default: the built-in ones): its directory may be huge.
    """
    head = _read_head(path)
    if not head:
        raise refused(path, "empty")
    if head.startswith(OLE_MAGIC):
        raise _ole_problem(path)
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        _check_zip_is_workbook(path, workbook_limits or limits(None, SECTION))
        return XLSX
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"[", b"{") or path.suffix.lower() == ".json":
        return JSON
    if (markup := _markup_kind(text)) is not None:
        raise refused(path, markup)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or path.suffix.lower() in (".csv", ".tsv", ".txt") \
            or _looks_like_csv(head):
        raise refused(path, "csv")
    raise refused(path, "unknown-format")


def _markup_kind(text: bytes) -> str | None:
    """The refusal reason of web pages and XML that "Export to Excel" buttons save under an .xls/.xlsx name."""
    lower = text[:_SNIFF_BYTES].lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return "excel-2003-xml"
    if lower.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")) or \
            (lower.startswith(b"<") and b"<table" in lower):
        return "web-page"
    if lower.startswith(b"mime-version:"):
        return "mhtml"
    return None


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise refused(path, "no-such-file") from None
    except IsADirectoryError:
        raise refused(path, "a-directory") from None
    except OSError as err:
        raise refused(path, "unreadable", reason=err.strerror or str(err)) from None


def _ole_problem(path: Path) -> UnusableInput:
    try:
        encrypted = _contains(path, ENCRYPTION_INFO)
    except OSError as err:
        return refused(path, "unreadable", reason=err.strerror or str(err))
    if encrypted:
        return refused(path, "password-protected")
    return refused(path, "xls")


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
        raise refused(path, "not-a-zip") from None
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise refused(path, "xlsb")
        if "content.xml" in names:
            raise refused(path, "ods")
        raise refused(path, "word-document" if "word/document.xml" in names else "zip-archive")


def _looks_like_csv(head: bytes) -> bool:
    try:
        first_line = head.decode("utf-8", errors="replace").splitlines()[0]
    except IndexError:
        return False
    if "\x00" in first_line or first_line.count("\ufffd") * 10 > len(first_line):
        return False  # binary, not text in some 8-bit encoding
    return first_line.count(",") >= 2 or first_line.count(";") >= 2 or first_line.count("\t") >= 2
