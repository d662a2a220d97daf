"""The PDFs the office issued: their SHA-256, size and signing state.

The QR code proves what the office signed, not that the file around it is
the one the office made: a PDF whose electronic signature was stripped and
whose page was altered still carries a genuine code, and so does one
re-signed with a self-made certificate in the Kepala Dinas's name. The
registry therefore records every PDF it issues (append-only `issued_files`),
and `sikro verify FILE.pdf` accepts a born-digital PDF only when it is one of
them, and, for a document issued signed, only with that signature intact and
trusted. A scan or photo of the paper has no such fingerprint: for it the
code alone decides.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import chain
from .keys import chain_secret
from .models import Base, utcnow
from .numbering import Document
from .timestamps import UtcDateTime

# FileCheck.status values; only ISSUED and SCAN pass.
ISSUED, SCAN, NOT_ISSUED = "issued", "scan", "not-issued"
SIGNATURE_MISSING, SIGNATURE_BROKEN, SIGNATURE_UNTRUSTED = "signature-missing", "signature-broken", "signature-untrusted"


class IssuedFile(Base):
    """One PDF the registry issued (append-only; triggers forbid UPDATE and DELETE)."""

    __tablename__ = "issued_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signed: Mapped[bool] = mapped_column(Boolean)
    signer_fingerprint: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    mac: Mapped[str] = mapped_column(String(64))

    def fields(self, document_uid: str) -> str:
        return json.dumps([document_uid, self.sha256, self.size, bool(self.signed), self.signer_fingerprint],
                          separators=(",", ":"))


@dataclass(frozen=True)
class FileCheck:
    status: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status in (ISSUED, SCAN)

    def as_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def record(session: Session, ws, document: Document, path: Path, signed: bool | None = None, *,
           successor_only: bool = False) -> IssuedFile | None:
    """Record `path` as the file issued for `document`, in the caller's write transaction.

    Call it once the PDF's bytes are final (after signing). `signed` None:
    read from the file. Recording the same bytes again adds nothing. With
    `successor_only` (a file issued earlier, signed now) the file is recorded
    only when an earlier revision of it is a recorded file of the document:
    the issued file plus a signature, never a file changed on disk.
    """
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    known = {r.sha256 for r in session.scalars(select(IssuedFile).where(IssuedFile.document_id == document.id))
             if hmac.compare_digest(r.mac or "", _mac(ws, r, document.uid))}
    if digest in known:
        return None
    if successor_only and not any(hashlib.sha256(p).hexdigest() in known for p in _earlier_revisions(data)):
        return None
    fingerprint = signer_fingerprint(data)
    row = IssuedFile(document_id=document.id, sha256=digest, size=len(data),
                     signed=fingerprint is not None if signed is None else signed,
                     signer_fingerprint=fingerprint, path=_shown_path(ws, Path(path)), recorded_at=utcnow())
    row.mac = _mac(ws, row, document.uid)
    session.add(row)
    chain.append(session, ws, FILE_STREAM, _subject(document.uid, digest), _chained(row), actor="sikro")
    return row


# The issued files are chained too (sikro_docs/chain.py): a row deleted or rewritten behind the
# tool's back — the signed copy's, so that a stripped PDF would pass for the unsigned one — is
# named by `sikro register verify`, and the head outside the database sees the newest go.
FILE_STREAM = "issued_file"


def _subject(uid: str, sha256: str) -> str:
    return f"{uid}:{sha256}"


def _chained(row: IssuedFile) -> dict:
    return {"sha256": row.sha256, "size": row.size, "signed": bool(row.signed),
            "signer_fingerprint": row.signer_fingerprint}


def _files_now(session: Session) -> dict[str, dict]:
    rows = session.execute(select(IssuedFile, Document.uid).join(Document, Document.id == IssuedFile.document_id))
    return {_subject(uid, row.sha256): _chained(row) for row, uid in rows}


chain.track(FILE_STREAM, _files_now, lambda subject, _state: f"issued file {subject.split(':')[1][:16]}… "
            f"of document {subject.split(':')[0]}", {"sha256": "SHA-256", "signed": "signed"})


def _mac(ws, row: IssuedFile, document_uid: str) -> str:
    """The HMAC that vouches for the row: only the tool, holding keys/chain.secret, can write one.

    The one place that authenticates a record, so it can be pointed at the
    generic chain (sikro_docs/chain.py) later.
    """
    return hmac.new(chain_secret(ws.keys_dir), row.fields(document_uid).encode("utf-8"), hashlib.sha256).hexdigest()


def _earlier_revisions(data: bytes) -> list[bytes]:
    """The PDF as it was before each incremental update (each ends at an %%EOF marker)."""
    revisions, at = [], data.find(b"%%EOF")
    while at != -1:
        end = at + len(b"%%EOF")
        while end < len(data) and data[end:end + 1] in (b"\r", b"\n"):
            end += 1
        if end < len(data):
            revisions.append(data[:end])
        at = data.find(b"%%EOF", at + 1)
    return revisions


def document_of_file(session: Session, path: Path) -> Document | None:
    """The document whose issued file has exactly these bytes, else None."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    row = session.scalars(select(IssuedFile).where(IssuedFile.sha256 == digest).limit(1)).first()
    return session.get(Document, row.document_id) if row else None


def signer_fingerprint(data: bytes) -> str | None:
    """SHA-256 (hex) of the certificate of the PDF's last signature; None when it has none."""
    if b"/ByteRange" not in data:  # cheap: every signature dictionary has one
        return None
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        cert = signatures[-1].signer_cert if signatures else None
    except Exception:  # a mangled signature: not one we can name
        return None
    return cert.sha256.hex() if cert is not None else None


def check_file(session: Session, ws, document_uid: str | None, path: Path, signature: dict | None) -> FileCheck | None:
    """Is `path` the PDF the office issued for the document its code names?

    `signature` is `signing.signature_summary` of the file (None: unsigned).
    None when the code names no document of the registry (the verdict says so).
    """
    document = session.scalars(select(Document).where(Document.uid == document_uid)).first() if document_uid else None
    if document is None:
        return None
    data = Path(path).read_bytes()
    if signature is None and not _born_digital(data):
        return FileCheck(SCAN, "a scan or photo: its code was checked, the file itself cannot be")
    rows = [r for r in session.scalars(select(IssuedFile).where(IssuedFile.document_id == document.id))
            if hmac.compare_digest(r.mac or "", _mac(ws, r, document.uid))]  # rows made by hand do not count
    digest = hashlib.sha256(data).hexdigest()
    match = next((r for r in rows if r.sha256 == digest), None)
    if match is None:
        return FileCheck(NOT_ISSUED, "this PDF is not the file the office issued for this document "
                                     "(it was altered or made again); ask the office for the original")
    if any(r.signed for r in rows):
        return _signature_check(rows, signature)
    return FileCheck(ISSUED, f"the file the office issued (SHA-256 {digest[:16]}…)")


def _signature_check(rows: list[IssuedFile], signature: dict | None) -> FileCheck:
    if signature is None:
        return FileCheck(SIGNATURE_MISSING, "the office issued this document electronically signed; "
                                            "this copy has no signature")
    if not signature["intact"]:
        return FileCheck(SIGNATURE_BROKEN, f"the electronic signature is broken ({signature['message']})")
    if not signature["trusted"]:
        return FileCheck(SIGNATURE_UNTRUSTED, "the electronic signature is not trusted: its certificate does "
                                              "not chain to the office's trust roots ([signing] trust_roots)")
    return FileCheck(ISSUED, "the file the office issued, its electronic signature intact and trusted")


def _born_digital(data: bytes) -> bool:
    """A PDF made by software (text on its pages), as opposed to a scan or photo saved as PDF."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        return any((page.extract_text() or "").strip() for page in reader.pages[:2])
    except Exception:  # unreadable as text: treat like a scan; the code still decides
        return False


def _shown_path(ws, path: Path) -> str:
    try:
        return os.path.relpath(path, ws.root) if ws is not None else str(path)
    except ValueError:
        return str(path)
