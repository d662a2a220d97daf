"""Signing documents and judging tokens: keys, the registry, revocation.

A signature proves that this office issued a document, not that it is
still valid: the online check also consults the registry (deleted, void,
revoked, expired). An offline check says plainly that it did not.

What verification needs beyond the `documents` row (who holds it, until
when, with which key it was signed, its revocation) lives in the side
table `document_verification`, one row per signed or revoked document.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import JSON, Date, ForeignKey, String, Text, bindparam, func, select
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from .. import clock, db, permit_types
from .. import key_status as ks
from ..clock import office_timezone
from ..errors import SikroError, UnusableInput
from ..keys import ACTIVE_FILE, key_id
from ..models import Application, Base, Event, utcnow
from ..numbering import Document, chain_document, document_kinds
from ..timestamps import UtcDateTime
from ..workspace import Workspace
from . import qr
from . import token as tk

ALGORITHM = "Ed25519"
KEYS_FORMAT = "sikro-verification-keys"

# Verdict statuses (the `status` of --json); only VALID exits 0.
VALID, REVOKED, EXPIRED, VOID = "valid", "revoked", "expired", "void"
REPLACED = "replaced"  # DIGANTI: a renewal's or change's permit took its place
PERMIT_KIND = "permit"
INVALID, UNKNOWN_KEY, NOT_FOUND = "invalid", "unknown-key", "not-found"

# Why a genuine signature is still TIDAK SAH (Verdict.reason_code; the web page shows these in words).
REGISTRY_MISMATCH, KEY_COMPROMISED = "registry-mismatch", "key-compromised"
MISMATCH_TEXT = "data kantor tidak cocok dengan kode"
COMPROMISED_TEXT = "kunci dicabut — hubungi kantor"


class DocumentVerification(Base):
    """Verification facts of one document (side table of `documents`)."""

    __tablename__ = "document_verification"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    key_id: Mapped[str | None] = mapped_column(String(16))  # the key that signed its token
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    holder: Mapped[str | None] = mapped_column(String(200))
    permit_type: Mapped[str | None] = mapped_column(String(40))
    # The permit type's own fields its token carries (field name -> text), as signed.
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # DIGANTI: the document (a renewal's or change's permit) that replaced this one, and when.
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    replaced_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    signed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(Text)  # the signed token itself (what a short code shows)


@dataclass(frozen=True)
class Token:
    token: str
    url: str
    short_code: str
    kid: str
    payload: tk.Payload | None = field(default=None, repr=False)  # what was signed
    fields: dict[str, str] = field(default_factory=dict)  # the payload's values by field name


@dataclass
class Verdict:
    status: str
    kind: str | None = None
    kind_title: str | None = None
    number: str | None = None
    holder: str | None = None
    permit_type: str | None = None  # the type's code
    permit_type_title: str | None = None  # "Surat Izin Praktik Bidan"
    fields: dict[str, str] = field(default_factory=dict)  # shown label -> value, as signed
    issued: dt.date | None = None
    valid_until: dt.date | None = None
    reason: str | None = None
    revoked_at: dt.datetime | None = None
    checked_online: bool = False
    key_id: str | None = None
    document_uid: str | None = None
    reason_code: str | None = None  # REGISTRY_MISMATCH, KEY_COMPROMISED, or None
    replaced_by: str | None = None  # REPLACED: the successor's number
    replaced_at: dt.datetime | None = None
    field_names: dict[str, str] = field(default_factory=dict, repr=False)  # field name -> value (compared)

    @property
    def valid(self) -> bool:
        return self.status == VALID

    def as_json(self) -> dict:
        data = asdict(self)
        del data["field_names"]
        for name in ("issued", "valid_until", "revoked_at", "replaced_at"):
            data[name] = data[name].isoformat() if data[name] else None
        if data["reason_code"] is None:  # present only when it says why a genuine code is TIDAK SAH
            del data["reason_code"]
        if data["replaced_by"] is None and data["replaced_at"] is None:
            del data["replaced_by"], data["replaced_at"]
        return data


# --------------------------------------------------------------------------- keys


def _load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SikroError(f"signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SikroError(f"signing key {path} is not an Ed25519 key")
    return key


def _key_files(ws: Workspace) -> list[Path]:
    return sorted(ws.keys_dir.glob("*.key"), key=lambda p: (p.stat().st_mtime, p.name))


def active_key_id(ws: Workspace) -> str:
    try:
        return (ws.keys_dir / ACTIVE_FILE).read_text("ascii").strip()
    except OSError:
        raise SikroError(f"no active signing key ({ws.keys_dir / ACTIVE_FILE} missing); "
                         "start one with: sikro keys rotate") from None


def active_signing_key(ws: Workspace) -> tuple[str, Ed25519PrivateKey]:
    kid = active_key_id(ws)
    key = _load_private(ws.keys_dir / f"{kid}.key")
    if key_id(key.public_key()) != kid:  # a renamed or swapped file must not sign
        raise SikroError(f"signing key file {kid}.key holds another key")
    state = ks.file_state(ws, kid)
    if state.status != ks.ACTIVE:  # keys/ACTIVE pointed back at a retired or compromised key
        raise SikroError(f"signing key {kid} is {state.status}; start a new one with: sikro keys rotate")
    return kid, key


def load_public_keys(ws: Workspace) -> dict[str, Ed25519PublicKey]:
    """Every key of the workspace, active or retired, by its id (derived, not the file name)."""
    files = tuple((str(p), p.stat().st_mtime_ns) for p in _key_files(ws))
    return dict(_public_keys(files))


@lru_cache(maxsize=16)
def _public_keys(files: tuple[tuple[str, int], ...]) -> tuple[tuple[str, Ed25519PublicKey], ...]:
    # Cached by file names and times: a web page verifying many codes parses each key file once,
    # and a rotation (a new file) is seen at once.
    publics = [_load_private(Path(name)).public_key() for name, _mtime in files]
    return tuple((key_id(public), public) for public in publics)


def export_public_keys(ws: Workspace) -> dict:
    """The public keys and their status as JSON data for offline verifiers (no secret in it)."""
    active = active_key_id(ws)
    with db.session(ws) as session:
        states = ks.load_states(ws, session)
    entries = []
    for path in _key_files(ws):
        public = _load_private(path).public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        created = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(microsecond=0)
        kid = key_id(public)
        state = states.get(kid, ks.KeyState(kid))
        entries.append({
            "kid": kid, "alg": ALGORITHM,
            "public_key": base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
            "created": created.isoformat(), "active": kid == active and state.status == ks.ACTIVE,
            **state.as_json(),
        })
    base_url = ws.profile.get("verification", {}).get("base_url", "")
    return {"format": KEYS_FORMAT, "issuer": ws.profile.get("office", {}).get("short_name", ""),
            "base_url": base_url, "keys": entries}


@dataclass(frozen=True)
class KeySet:
    """Public keys read from an export file: what an offline verifier has."""

    keys: dict[str, Ed25519PublicKey]
    base_url: str = ""
    states: dict[str, ks.KeyState] = field(default_factory=dict)  # retired / compromised keys


def load_keys_file(path: str | os.PathLike) -> KeySet:
    """Read `sikro keys export` output; UnusableInput when it is not such a file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
        keys, described = {}, []
        for entry in data["keys"]:
            if entry.get("alg") != ALGORITHM:
                continue
            raw = base64.urlsafe_b64decode(entry["public_key"] + "=" * (-len(entry["public_key"]) % 4))
            public = Ed25519PublicKey.from_public_bytes(raw)
            kid = key_id(public)  # the id is recomputed: a file cannot mislabel a key
            keys[kid] = public
            described.append({**entry, "kid": kid})
        states = ks.states_from_export(described)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise UnusableInput(f"{path}: not a key file written by `sikro keys export`") from None
    return KeySet(keys=keys, base_url=str(data.get("base_url") or ""), states=states)


# --------------------------------------------------------------------------- signing


def base_url(ws: Workspace) -> str:
    url = ws.profile.get("verification", {}).get("base_url", "")
    if not url.strip():
        raise SikroError("the office profile has no [verification] base_url; set it in sikro.toml")
    return url.strip()


def _field_text(fld: permit_types.Field | None, value) -> str:
    """A field's value as its QR code carries it (dates as the office writes them)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if fld is not None and fld.kind in ("date", "date_or_lifetime") and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return str(value)


def _qr_values(ptype: permit_types.PermitType, application: Application) -> tuple[str, ...]:
    """The application's values of the type's `qr_fields`, in the type's order."""
    by_name, facts = ptype.by_name, application.facts or {}
    values = []
    for name in ptype.qr_fields:
        fld = by_name.get(name)
        values.append(_field_text(fld, facts.get(fld.storage_key if fld else name)))
    return tuple(values)


def _payload_for(ws: Workspace, document: Document, application: Application,
                 valid_until: dt.date | None) -> tk.Payload:
    ptype = permit_types.get(ws, application.permit_type)
    if document.kind in tk.PROGRESS_KINDS:  # receipt: registration number, date, name; no fields
        return tk.Payload(kind=document.kind, number=application.registration_number,
                          issued=application.application_date, valid_until=None,
                          holder=application.name, uid=document.uid, permit_type=ptype.code)
    if not document.number:
        raise SikroError(f"document {document.uid} ({document.kind}) has no number to sign yet")
    return tk.Payload(kind=document.kind, number=document.number, issued=document.date,
                      valid_until=valid_until, holder=application.name, uid=document.uid,
                      permit_type=ptype.code, values=_qr_values(ptype, application))


def permit_valid_until(ws: Workspace, application: Application, issued: dt.date) -> dt.date | None:
    """The type's validity rule (e.g. five years, not beyond the STR) applied to this application."""
    from .. import registry  # late: registry imports the intake, which needs nothing of this

    ptype = permit_types.get(ws, application.permit_type)
    return ptype.validity.until(issued, registry.field_values(application, ptype))


def _url_budget(url_base: str, kind: str) -> int:
    return qr.MAX_URL_CHARS - len(tk.token_url(url_base, kind, ""))


def sign_document(ws: Workspace, document: Document, application: Application, *,
                  valid_until: dt.date | None = ..., session: Session | None = None,
                  record: bool = True) -> Token:
    """The signed token and URL of `document`, made with the workspace's ACTIVE key.

    A permit's `valid_until` defaults to its type's rule (`permit_valid_until`); pass it to use
    the date printed on the paper. Records key and validity in the registry
    (in `session` when given: the caller's write transaction); with
    record=False the caller does, later, with `record_signing`.
    """
    if valid_until is ...:
        valid_until = (permit_valid_until(ws, application, document.date)
                       if document.kind == "permit" else None)
    kid, private = active_signing_key(ws)
    url_base = base_url(ws)
    try:
        payload = tk.fit_payload(kid, _payload_for(ws, document, application, valid_until),
                                 _url_budget(url_base, document.kind))
        token = tk.make_token(private, kid, payload)
    except (tk.TokenError, ValueError) as exc:
        raise SikroError(f"document {document.number or document.uid} cannot be signed: {exc}") from None
    names = () if document.kind in tk.PROGRESS_KINDS else permit_types.get(ws, application.permit_type).qr_fields
    signed = Token(token=token, url=tk.token_url(url_base, document.kind, token),
                   short_code=tk.short_code(document.uid), kid=kid, payload=payload,
                   fields=payload.named(names))
    if record:
        _record_signing(ws, session, document.id, signed)
    return signed


def record_signing(session: Session, document_id: int, token: Token) -> None:
    """Record, in the caller's write transaction, what `sign_document(record=False)` signed
    for a document being issued (so it has no record yet)."""
    _record_signing(None, session, document_id, token, new=True)


def _record_signing(ws, session, document_id: int, signed: Token, new: bool = False) -> None:
    """What the token says, kept to compare with every later check (an edit shows as a mismatch)."""
    payload = signed.payload

    def record(sess: Session) -> None:
        row = None if new else sess.get(DocumentVerification, document_id)
        row = row or DocumentVerification(document_id=document_id)
        row.key_id, row.valid_until, row.signed_at = signed.kid, payload.valid_until, utcnow()
        row.holder, row.permit_type, row.fields = payload.holder, payload.permit_type, dict(signed.fields)
        row.token = signed.token
        sess.add(row)

    if session is not None:
        record(session)
        return
    with db.session(ws, write=True) as sess:
        record(sess)


# --------------------------------------------------------------------------- revoking


def revoke(session: Session, number: str, reason: str, *, actor: str = "sikro") -> Document:
    """Revoke the issued document numbered `number`; the reason shows in every later check."""
    if not (reason or "").strip():
        raise SikroError("a reason is required to revoke a document.")
    documents = session.scalars(select(Document).where(Document.number == number)).all()
    if not documents:
        raise SikroError(f"no document has the number {number}.")
    issued = [d for d in documents if d.status == "issued"]
    if len(issued) > 1:
        raise SikroError(f"{number} names more than one issued document; revoke cannot choose.")
    return revoke_document(session, issued[0] if issued else documents[0], reason, actor=actor)


def revoke_document(session: Session, document: Document, reason: str, *, actor: str = "sikro",
                    **details) -> Document:
    """DICABUT, for good: the reason and time recorded, chained and logged (`details` join the event)."""
    reason = (reason or "").strip()
    if not reason:
        raise SikroError("a reason is required to revoke a document.")
    if document.status != "issued":
        extra = f" ({document.reason})" if document.reason else ""
        raise SikroError(f"document {document.number} is {document.status}{extra}; "
                         "only an issued document can be revoked.")
    now = utcnow()
    row = session.get(DocumentVerification, document.id) or DocumentVerification(document_id=document.id)
    row.revoked_at, row.revoked_reason = now, reason
    document.status, document.reason, document.updated_at = "revoked", reason, now
    session.add(row)
    session.add(Event(application_id=document.application_id, actor=actor, action="document.revoked",
                      details={"kind": document.kind, "uid": document.uid, "number": document.number,
                               "reason": reason, **details}))
    chain_document(session, None, document, actor)  # the revocation, its reason and time, chained
    return document


class AlreadyFinal(SikroError):
    """A permit already replaced, revoked or voided cannot be replaced (DIGANTI and DICABUT are final)."""

    code = "permit-final"

    def __init__(self, number: str, status: str, successor: str | None = None):
        self.number, self.status, self.successor = number, status, successor
        extra = f" by {successor}" if successor else ""
        super().__init__(f"permit {number} is already {status}{extra}; it cannot be replaced again")


def replace(session: Session, document: Document, successor: Document, *, actor: str = "sikro") -> Document:
    """Mark `document` DIGANTI by `successor` (a renewal's or change's permit), for good.

    The record says by which document and when; the new state is chained (an
    edit of it is found by `sikro register verify`) and an event logged.
    """
    if document.id == successor.id:
        raise SikroError(f"permit {document.number} cannot replace itself")
    row = session.get(DocumentVerification, document.id) or DocumentVerification(document_id=document.id)
    if document.status != "issued" or row.replaced_by_id is not None:
        taken = session.get(Document, row.replaced_by_id) if row.replaced_by_id else None
        raise AlreadyFinal(document.number or document.uid, "replaced" if taken else document.status,
                           taken.number if taken else None)
    now = utcnow()
    row.replaced_by_id, row.replaced_at = successor.id, now
    document.status, document.reason, document.updated_at = REPLACED, f"diganti dengan {successor.number}", now
    session.add(row)
    session.add(Event(application_id=document.application_id, actor=actor, action="document.replaced",
                      details={"kind": document.kind, "uid": document.uid, "number": document.number,
                               "replaced_by": successor.number, "replaced_by_uid": successor.uid}))
    chain_document(session, None, document, actor)
    return document


# --------------------------------------------------------------------------- verifying


def kind_title(kind: str | None) -> str | None:
    spec = document_kinds().get(kind or "")
    return spec.title if spec else kind


def today(profile: dict) -> dt.date:
    """Today in the office's time zone (Asia/Jakarta): a permit expires at local midnight."""
    return clock.today(profile)


def verify_token(ws_or_keys, token: str, *, online: bool = True, session: Session | None = None) -> Verdict:
    """Judge `token`: signature first, then (online, with a workspace) the registry.

    `ws_or_keys` is a Workspace, a KeySet, or a dict kid -> Ed25519PublicKey;
    without a workspace the check is offline whatever `online` says.
    """
    ws = ws_or_keys if isinstance(ws_or_keys, Workspace) else None
    # The same work for every code (token.open_token): timing tells no forger what he got wrong.
    opened = tk.open_token(token, _keys_of(ws_or_keys), remembered=_VERIFIED)
    if opened.problem == tk.MALFORMED:
        return Verdict(INVALID, reason=f"not a valid verification code: {opened.detail}")
    if opened.problem is not None:
        return Verdict(UNKNOWN_KEY if opened.problem == tk.UNKNOWN_KEY else INVALID, key_id=opened.kid,
                       reason=opened.detail)
    payload, kid = opened.payload, opened.kid
    verdict = _verdict_from_payload(payload, kid, _catalogue(ws_or_keys))
    if ws is None or not online:
        profile = ws.profile if ws else {}
        state = _offline_key_states(ws_or_keys).get(kid)
        return _key_problem(verdict, state, None, profile) or _offline(verdict, profile)
    if session is not None:
        return _check_registry(ws, session, verdict, payload)
    with db.session(ws) as sess:
        return _check_registry(ws, sess, verdict, payload)


def _offline_key_states(ws_or_keys) -> dict[str, ks.KeyState]:
    """What an offline check knows of retired and compromised keys: the export file, or the workspace."""
    if isinstance(ws_or_keys, KeySet):
        return ws_or_keys.states
    if isinstance(ws_or_keys, Workspace):
        with db.session(ws_or_keys) as session:
            return ks.load_states(ws_or_keys, session)
    return {}


def _key_problem(verdict: Verdict, state: ks.KeyState | None, signed_at: dt.datetime | None,
                 profile: dict) -> Verdict | None:
    """The verdict when the signing key no longer vouches for this token, else None.

    A compromised key vouches for nothing. A retired key vouches for what it
    signed before its retirement: the token's issue date (offline), and the
    registry's signing time (online), must not be later.
    """
    if state is None:
        return None
    if state.status == ks.COMPROMISED:
        verdict.status, verdict.reason_code = INVALID, KEY_COMPROMISED
        verdict.reason = f"{COMPROMISED_TEXT} (kunci {state.kid}: {state.reason or 'tanpa alasan'})"
        return verdict
    if state.retired_at is None:
        return None
    retired_on = clock.local(state.retired_at, profile).date()
    late_issue = verdict.issued is not None and verdict.issued > retired_on
    late_signing = signed_at is not None and signed_at > state.retired_at
    if late_issue or late_signing:
        verdict.status = INVALID
        verdict.reason = (f"signed with key {state.kid} after its retirement on {retired_on.isoformat()}: "
                          "the code is forged")
        return verdict
    return None


# Tokens whose signature already verified, so that a page scanned again and
# again costs no Ed25519 check (a quarter of a verification's CPU). Only
# the signature is remembered: the registry (revocation) is read every time.
# A key id is derived from the key itself, so (kid, payload, signature)
# cannot verify under one key and be replayed under another.
_VERIFIED: dict[tuple[str, bytes, bytes], tk.Payload] = {}


def _keys_of(ws_or_keys) -> dict[str, Ed25519PublicKey]:
    if isinstance(ws_or_keys, Workspace):
        return load_public_keys(ws_or_keys)
    if isinstance(ws_or_keys, KeySet):
        return ws_or_keys.keys
    return dict(ws_or_keys)


# The catalogue a check names fields with, by workspace, looked at again after this many seconds:
# loading it checks every type folder's files, a tenth of a page's work when done for every request.
CATALOGUE_SECONDS = 2.0
_CATALOGUES: dict[str, tuple[float, permit_types.Catalogue]] = {}


def _catalogue(ws_or_keys) -> permit_types.Catalogue:
    """The permit types a check names fields with: the workspace's, else the built-in ones."""
    ws = ws_or_keys if isinstance(ws_or_keys, Workspace) else None
    key, now = str(ws.root) if ws else "", time.monotonic()
    cached = _CATALOGUES.get(key)
    if cached is not None and now - cached[0] < CATALOGUE_SECONDS:
        return cached[1]
    catalogue = permit_types.catalogue(ws)
    _CATALOGUES[key] = (now, catalogue)
    return catalogue


def legacy_type(catalogue: permit_types.Catalogue) -> permit_types.PermitType | None:
    """The type wire-v1 codes (printed before permit types existed) belong to: the one whose data
    names its `legacy_wire` fields."""
    return next((t for t in catalogue.types.values() if t.legacy_wire), None)


def _type_and_names(payload: tk.Payload, catalogue) -> tuple[permit_types.PermitType | None, tuple[str, ...]]:
    if payload.version == tk.LEGACY_VERSION:
        ptype = legacy_type(catalogue)
        return ptype, (ptype.legacy_wire if ptype else ())
    ptype = catalogue.find(payload.permit_type) if payload.permit_type else None
    return ptype, (ptype.qr_fields if ptype else ())


def _verdict_from_payload(payload: tk.Payload, kid: str, catalogue) -> Verdict:
    ptype, names = _type_and_names(payload, catalogue)
    by_name = ptype.by_name if ptype else {}
    # A code of a type this verifier does not know still shows its values, numbered.
    names = tuple(names) + tuple(f"data_{i + 1}" for i in range(len(names), len(payload.values)))
    named = payload.named(names)
    shown = {(by_name[n].shown_label if n in by_name else n): v for n, v in named.items() if v}
    # A permit is named by its type ("Surat Izin Praktik Bidan"); other documents by their kind.
    title = ptype.title if ptype and payload.kind == PERMIT_KIND else kind_title(payload.kind)
    return Verdict(
        VALID, kind=payload.kind, kind_title=title, number=payload.number,
        holder=payload.holder, permit_type=ptype.code if ptype else payload.permit_type,
        permit_type_title=ptype.title if ptype else None, fields=shown, field_names=named,
        issued=payload.issued, valid_until=payload.valid_until, key_id=kid, document_uid=payload.uid,
    )


def _offline(verdict: Verdict, profile: dict) -> Verdict:
    """Signature alone, plus the expiry the token itself states."""
    verdict.checked_online = False
    if verdict.valid_until and verdict.valid_until < today(profile):
        verdict.status, verdict.reason = EXPIRED, f"expired on {verdict.valid_until.isoformat()}"
        return verdict
    verdict.reason = "signature valid; current status (revocation) not checked: offline"
    return verdict


@dataclass(frozen=True)
class _Found:
    """What the registry holds of one document, read in one query."""

    document: Document
    record: DocumentVerification | None
    successor_number: str | None  # REPLACED: the number of the permit that took its place
    registration_number: str | None  # the application's (a receipt's token carries it)
    application_date: dt.date | None
    key_status_mark: int | None  # the key_status table's max id: when it moves, key states are re-read


_Successor = aliased(Document)


# Built once (its SQL is compiled once and cached): the page answers many checks a second.
_FIND = (
    select(Document, DocumentVerification, _Successor.number, Application.registration_number,
           Application.application_date, select(func.max(ks.KeyStatusRecord.id)).scalar_subquery())
    .outerjoin(DocumentVerification, DocumentVerification.document_id == Document.id)
    .outerjoin(_Successor, _Successor.id == DocumentVerification.replaced_by_id)
    .outerjoin(Application, Application.id == Document.application_id)
    .where(Document.uid == bindparam("uid")).limit(1)
)


def _find(session: Session, uid: str) -> _Found | None:
    """One query for everything a verdict needs: document, record, successor, application, key mark."""
    row = session.execute(_FIND, {"uid": uid}).first()
    return _Found(*row) if row is not None else None


# Key states (database and mirror file merged) by workspace, kept while neither changes: the
# mirror's (mtime, size) and the table's max id mark a change (every status change appends a row
# and rewrites the file).
_KEY_STATES: dict[str, tuple[tuple, dict[str, ks.KeyState]]] = {}


def _key_states(ws: Workspace, session: Session, table_mark: int | None) -> dict[str, ks.KeyState]:
    try:
        info = ks.status_file(ws).stat()
        file_mark = (info.st_mtime_ns, info.st_size)
    except OSError:
        file_mark = None
    mark = (table_mark, file_mark)
    cached = _KEY_STATES.get(str(ws.root))
    if cached is not None and cached[0] == mark:
        return cached[1]
    states = ks.load_states(ws, session)
    _KEY_STATES[str(ws.root)] = (mark, states)
    return states


def _check_registry(ws: Workspace, session: Session, verdict: Verdict, payload: tk.Payload) -> Verdict:
    verdict.checked_online = True
    found = _find(session, verdict.document_uid)
    if found is None:
        verdict.status, verdict.reason = NOT_FOUND, "genuine signature, but the document is not in the registry"
        return verdict
    document, record = found.document, found.record
    state = _key_states(ws, session, found.key_status_mark).get(verdict.key_id or "")
    problem = _key_problem(verdict, state, record.signed_at if record else None, ws.profile)
    if problem is not None:
        return problem
    differences = _differences(found, verdict, payload)
    if differences:
        _log_mismatch(ws, document, differences)
        verdict.status, verdict.reason_code = INVALID, REGISTRY_MISMATCH
        verdict.reason = f"{MISMATCH_TEXT} ({', '.join(differences)})"
        return verdict
    return _apply_status(ws, found, verdict)


def _filled(values: dict | None) -> dict:
    """The non-empty values (a receipt recorded before permit types holds empty ones)."""
    return {name: value for name, value in (values or {}).items() if value not in (None, "")}


def _differences(found: _Found, verdict: Verdict, payload: tk.Payload) -> list[str]:
    """The fields of the signed payload that the registry's record of the document does not match."""
    document, record = found.document, found.record
    if record is None:
        return ["no record of what was signed"]
    progress = document.kind in tk.PROGRESS_KINDS
    pairs = {
        "kind": (document.kind, payload.kind),
        "number": (found.registration_number if progress else document.number, payload.number),
        "issued": (found.application_date if progress else document.date, payload.issued),
        "valid_until": (record.valid_until, payload.valid_until),
        "holder": (record.holder or "", payload.holder or ""),
        "permit_type": (record.permit_type or "", verdict.permit_type or ""),
        "fields": (_filled(record.fields), _filled(verdict.field_names)),
        "key_id": (record.key_id, verdict.key_id),
    }
    return [name for name, (registry, signed) in pairs.items() if registry != signed]


def _log_mismatch(ws: Workspace, document: Document, differences: list[str]) -> None:
    """An event for each check that found the office's records changed behind the code's back."""
    from sqlalchemy.exc import OperationalError

    try:
        with db.session(ws, write=True) as sess:
            sess.add(Event(application_id=document.application_id, actor="sikro",
                           action="verification.mismatch",
                           details={"uid": document.uid, "kind": document.kind, "number": document.number,
                                    "fields": differences}))
    except OperationalError:  # a read-only database still gives the verdict
        pass


def _registry_number(session: Session, document: Document) -> str | None:  # a short code's fallback
    if document.kind in tk.PROGRESS_KINDS:
        application = session.get(Application, document.application_id)
        return application.registration_number if application else None
    return document.number


def _apply_status(ws: Workspace, found: _Found, verdict: Verdict) -> Verdict:
    document, record = found.document, found.record
    if document.status == VOID:
        verdict.status, verdict.reason = VOID, f"the number was voided: {document.reason or 'no reason given'}"
    elif document.status == REVOKED:
        verdict.status = REVOKED
        verdict.revoked_at = _office_time(ws.profile, record.revoked_at) if record else None
        verdict.reason = (record.revoked_reason if record else None) or document.reason
    elif document.status == REPLACED or (record is not None and record.replaced_by_id is not None):
        verdict.status, verdict.replaced_by = REPLACED, found.successor_number
        verdict.replaced_at = _office_time(ws.profile, record.replaced_at) if record else None
        verdict.reason = f"diganti dengan izin Nomor {found.successor_number or '-'}"
    elif document.status != "issued":
        verdict.status, verdict.reason = INVALID, f"the document is not issued ({document.status})"
    elif verdict.valid_until and verdict.valid_until < today(ws.profile):
        verdict.status, verdict.reason = EXPIRED, f"expired on {verdict.valid_until.isoformat()}"
    else:
        verdict.status, verdict.reason = VALID, None
    return verdict


def _office_time(profile: dict, moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time in office time, to the second."""
    if moment is None:
        return None
    return moment.astimezone(office_timezone(profile)).replace(microsecond=0)


def verify_uid(ws: Workspace, uid: str, *, session: Session | None = None) -> Verdict:
    """Judge a typed short code: the document's signed token from the registry, checked like a QR code.

    What is shown comes from that signed token, so an edited database row
    shows as a mismatch, never as the document's details.
    """
    if session is None:
        with db.session(ws) as sess:
            return verify_uid(ws, uid, session=sess)
    document = session.scalars(select(Document).where(Document.uid == uid)).first()
    if document is None:
        return Verdict(NOT_FOUND, checked_online=True, document_uid=uid,
                       reason="no document of this office has this code")
    record = session.get(DocumentVerification, document.id)
    if record is not None and record.token:
        verdict = verify_token(ws, record.token, online=True, session=session)
        if verdict.document_uid == uid or verdict.status in (INVALID, UNKNOWN_KEY):
            return verdict
    verdict = Verdict(INVALID, kind=document.kind, kind_title=kind_title(document.kind),
                      number=_registry_number(session, document), checked_online=True,
                      document_uid=uid, reason_code=REGISTRY_MISMATCH,
                      reason=f"{MISMATCH_TEXT} (no signed token is recorded for this document)")
    return verdict
