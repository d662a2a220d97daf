"""The head of office's signing queue: issued PDFs not signed yet, and signing some of them.

    waiting(ws, limit=...) -> ([Waiting], total)      the queue, oldest first
    open_credentials(ws, passphrase) -> Credentials   the [signing] p12 of sikro.toml, opened with
                                                      the passphrase the caller was given (never read
                                                      from a file or kept: the console's user types it)
    sign_documents(ws, ids, credentials, actor=...) -> [Signed]
    sign_step_for(ws, application_id, kind) -> step number | None

Which kinds the Kepala Dinas signs comes from the data (document_kinds.toml: `signer =
"kepala_dinas"`), not from a list here. A document waits while it is issued, its PDF is on disk
and no file of it was recorded signed (issued_files). Signing one is what `sikro sign` does to
an issued PDF (a PAdES incremental update; the signed copy recorded as the document's issued
file), with the PDF replaced in place as `sikro batch --sign` does, and an event `document.signed`
naming who signed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from .. import db
from ..errors import SikroError
from .credentials import Credentials, load_credentials
from .sign import request_from_profile, sign_pdf, signing_settings

HEAD = "kepala_dinas"  # the [officials] key of the head of office, as document_kinds.toml names the signer


class SigningNotConfigured(SikroError):
    code = "signing.not-configured"


@dataclass(frozen=True)
class Waiting:
    """A document waiting for the head's signature."""

    document_id: int
    kind: str
    title: str
    number: str | None
    date: dt.date
    application_id: int
    registration_number: str
    name: str
    nik_masked: str
    pdf: Path

    def as_json(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        del data["pdf"]  # a server path is nobody's business
        return data


@dataclass(frozen=True)
class Signed:
    document_id: int
    status: str  # signed | not-waiting | failed
    number: str | None = None
    application_id: int | None = None
    kind: str | None = None
    message: str = ""

    def as_json(self) -> dict:
        return asdict(self)


def head_kinds() -> tuple[str, ...]:
    """The document kinds the head of office signs (their `signer`)."""
    from ..documents import KINDS

    return tuple(key for key, spec in KINDS.items() if spec.signer == HEAD)


def _pdf_of(ws, files) -> Path | None:
    """The document's PDF, resolved inside the workspace (a path leaving it is no file of ours)."""
    relative = next((f for f in (files or []) if str(f).lower().endswith(".pdf")), None)
    if relative is None:
        return None
    path = (ws.root / str(relative)).resolve()
    return path if path.is_relative_to(ws.root.resolve()) and path.is_file() else None


def _waiting_query(kinds):
    from ..issued_files import IssuedFile
    from ..models import Application
    from ..numbering import Document

    signed = select(IssuedFile.document_id).where(IssuedFile.signed.is_(True))
    return (select(Document, Application).join(Application, Application.id == Document.application_id)
            .where(Document.kind.in_(kinds), Document.status == "issued", Document.id.not_in(signed)))


def waiting(ws, *, limit: int = 200, ids: list[int] | None = None) -> tuple[list[Waiting], int]:
    """The documents waiting for the head's signature, oldest first (at most `limit`), and how
    many wait in all; with `ids`, only those of them."""
    from ..archive.berkas import mask_nik
    from ..numbering import Document, document_kinds

    kinds, titles = head_kinds(), {k: v.title for k, v in document_kinds().items()}
    query = _waiting_query(kinds)
    if ids is not None:
        query = query.where(Document.id.in_(ids))
    with db.session(ws) as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        found = []
        for document, app in session.execute(query.order_by(Document.date, Document.id)):
            pdf = _pdf_of(ws, document.files)
            if pdf is None:
                continue  # not converted yet: nothing to sign
            found.append(Waiting(document.id, document.kind, titles.get(document.kind, document.kind),
                                 document.number, document.date, app.id, app.registration_number, app.name,
                                 mask_nik(app.nik), pdf))
            if len(found) == limit:
                break
    return found, total


def open_credentials(ws, passphrase: str | None) -> Credentials:
    """The office's signing certificate ([signing] p12), opened with `passphrase`: PassphraseWrong
    (nothing opened) when it does not fit."""
    settings = signing_settings(ws.profile)
    if not settings.get("p12"):
        raise SigningNotConfigured("no signing certificate configured: set [signing] p12 in sikro.toml")
    return load_credentials(ws.root / settings["p12"], passphrase.encode("utf-8") if passphrase else None)


def sign_documents(ws, ids: list[int], credentials: Credentials, *, actor: str) -> list[Signed]:
    """Sign each of `ids` that still waits, one after another; one failure never stops the rest."""
    request = request_from_profile(ws.profile)
    queue = {w.document_id: w for w in waiting(ws, limit=len(ids) or 1, ids=list(ids))[0]}
    outcomes = []
    for doc_id in ids:
        item = queue.get(doc_id)
        if item is None:
            outcomes.append(Signed(doc_id, "not-waiting"))
            continue
        with _signing_alone(ws, doc_id) as alone:
            # another desk signing it now, or done since the queue was read: not signed twice
            if not alone or not waiting(ws, limit=1, ids=[doc_id])[0]:
                outcomes.append(Signed(doc_id, "not-waiting", item.number, item.application_id, item.kind))
                continue
            try:
                outcomes.append(_sign_one(ws, item, credentials, request, actor))
            except SikroError as err:
                outcomes.append(Signed(doc_id, "failed", item.number, item.application_id, item.kind, str(err)))
    return outcomes


@contextmanager
def _signing_alone(ws, doc_id: int):
    """True while this process alone signs document `doc_id` (an flock of the workspace's
    locks/ folder, dropped by the kernel if the process dies); False when another holds it."""
    folder = ws.root / "locks"
    folder.mkdir(mode=0o700, exist_ok=True)
    with open(folder / f"sign-{doc_id}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sign_one(ws, item: Waiting, credentials: Credentials, request, actor: str) -> Signed:
    from .. import issued_files
    from ..models import Event
    from ..numbering import Document

    pdf = item.pdf
    # A PDF signed by a run that stopped before recording it is recorded, not signed twice.
    if issued_files.signer_fingerprint(pdf.read_bytes()) is None:
        signing = pdf.with_name(f".{pdf.stem}.{secrets.token_hex(4)}.signing.pdf")  # two desks never share it
        sign_pdf(pdf, signing, credentials, request)
        os.replace(signing, pdf)
    with db.session(ws, write=True) as session:
        document = session.get(Document, item.document_id)
        recorded = issued_files.record(session, ws, document, pdf, signed=True, successor_only=True)
        session.add(Event(application_id=document.application_id, actor=actor, action="document.signed",
                          details={"uid": document.uid, "kind": document.kind, "number": document.number,
                                   "pdf": os.path.relpath(pdf, ws.root.resolve()),
                                   "signer": credentials.common_name, "recorded": recorded is not None}))
    return Signed(item.document_id, "signed", item.number, item.application_id, item.kind)


def sign_step_for(ws, application_id: int, kind: str) -> int | None:
    """The SOP's signing step (task "sign") the application waits on now for a document of `kind`,
    else None: the step is the one its next allowed step, and the nearest step before it that
    makes, drafts or numbers a document makes this kind (or the one it stands in for)."""
    from ..models import Application
    from ..numbering import document_kind
    from ..workflow import sop_for
    from ..workflow.records import history
    from ..workflow.steps import allowed_steps

    sop = sop_for(ws)
    wanted = {kind, document_kind(kind).in_place_of} - {None}
    with db.session(ws) as session:
        app = session.get(Application, application_id)
        allowed = allowed_steps(sop, app, history(session, application_id)) if app is not None else []
    for number in allowed:
        if sop.step(number).task != "sign":
            continue
        before = [s for s in sorted(sop.steps.values(), key=lambda s: s.number) if s.number < number
                  and (s.makes or s.drafts or s.numbers)]
        if before and wanted & {*before[-1].makes, *before[-1].drafts, before[-1].numbers}:
            return number
    return None
