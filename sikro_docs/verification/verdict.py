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
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .. import clock, db
from .. import key_status as ks
from ..documents.context import permit_validity
from ..errors import SikroError, UnusableInput
from ..keys import ACTIVE_FILE, key_id
from ..models import Application, Base, Event, utcnow
from ..numbering import Document, chain_document, document_kinds, office_timezone
from ..workspace import Workspace
from . import qr
from . import token as tk

ALGORITHM = "Ed25519"
KEYS_FORMAT = "sikro-verification-keys"

# Verdict statuses (the `status` of --json); only VALID exits 0.
VALID, REVOKED, EXPIRED, VOID = "valid", "revoked", "expired", "void"
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
    replaced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(Text)  # the signed token itself (what a short code shows)


@dataclass(frozen=True)
class Token:
    token: str
    url: str
    short_code: str
    kid: str
    payload: tk.Payload | None = field(default=None, repr=False)  # what was signed


@dataclass
class Verdict:
    status: str
    kind: str | None = None
    kind_title: str | None = None
    number: str | None = None
    holder: str | None = None
    str_number: str | None = None
    workplace: str | None = None
    issued: dt.date | None = None
    valid_until: dt.date | None = None
    reason: str | None = None
    revoked_at: dt.datetime | None = None
    checked_online: bool = False
    key_id: str | None = None
    document_uid: str | None = None
    reason_code: str | None = None  # REGISTRY_MISMATCH, KEY_COMPROMISED, or None

    @property
    def valid(self) -> bool:
        return self.status == VALID

    def as_json(self) -> dict:
        data = asdict(self)
        for name in ("issued", "valid_until", "revoked_at"):
            data[name] = data[name].isoformat() if data[name] else None
        if data["reason_code"] is None:  # present only when it says why a genuine code is TIDAK SAH
            del data["reason_code"]
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


def _payload_for(ws: Workspace, document: Document, application: Application,
                 valid_until: dt.date | None) -> tk.Payload:
    if document.kind in tk.PROGRESS_KINDS:  # receipt: registration number, date, name; no STR/workplace
        return tk.Payload(kind=document.kind, number=application.registration_number,
                          issued=application.application_date, valid_until=None,
                          holder=application.name, str_number="", workplace="", uid=document.uid)
    if not document.number:
        raise SikroError(f"document {document.uid} ({document.kind}) has no number to sign yet")
    return tk.Payload(kind=document.kind, number=document.number, issued=document.date,
                      valid_until=valid_until, holder=application.name,
                      str_number=application.facts.get("str_number") or "",
                      workplace=application.facts.get("workplace_name") or "", uid=document.uid)


def _url_budget(url_base: str, kind: str) -> int:
    return qr.MAX_URL_CHARS - len(tk.token_url(url_base, kind, ""))


def sign_document(ws: Workspace, document: Document, application: Application, *,
                  valid_until: dt.date | None = ..., session: Session | None = None,
                  record: bool = True) -> Token:
    """The signed token and URL of `document`, made with the workspace's ACTIVE key.

    A permit's `valid_until` defaults to the office's rule (`permit_validity`); pass it to use
    the date printed on the paper. Records key and validity in the registry
    (in `session` when given: the caller's write transaction); with
    record=False the caller does, later, with `record_signing`.
    """
    if valid_until is ...:
        valid_until = (permit_validity(ws.profile, document.date, application.str_valid_until)
                       if document.kind == "permit" else None)
    kid, private = active_signing_key(ws)
    url_base = base_url(ws)
    try:
        payload = tk.fit_payload(kid, _payload_for(ws, document, application, valid_until),
                                 _url_budget(url_base, document.kind))
        token = tk.make_token(private, kid, payload)
    except (tk.TokenError, ValueError) as exc:
        raise SikroError(f"document {document.number or document.uid} cannot be signed: {exc}") from None
    if record:
        _record_signing(ws, session, document.id, kid, payload, token)
    return Token(token=token, url=tk.token_url(url_base, document.kind, token),
                 short_code=tk.short_code(document.uid), kid=kid, payload=payload)


def record_signing(session: Session, document_id: int, token: Token) -> None:
    """Record, in the caller's write transaction, what `sign_document(record=False)` signed
    for a document being issued (so it has no record yet)."""
    _record_signing(None, session, document_id, token.kid, token.payload, token.token, new=True)


def _record_signing(ws, session, document_id: int, kid: str, payload: tk.Payload, token: str,
                    new: bool = False) -> None:
    def record(sess: Session) -> None:
        row = None if new else sess.get(DocumentVerification, document_id)
        row = row or DocumentVerification(document_id=document_id)
        row.key_id, row.valid_until, row.signed_at = kid, payload.valid_until, utcnow()
        row.holder = payload.holder
        row.fields = {"no_str": payload.str_number, "nama_tempat_kerja": payload.workplace}
        row.token = token
        sess.add(row)

    if session is not None:
        record(session)
        return
    with db.session(ws, write=True) as sess:
        record(sess)


# --------------------------------------------------------------------------- revoking


def revoke(session: Session, number: str, reason: str, *, actor: str = "sikro") -> Document:
    """Revoke the issued document numbered `number`; the reason shows in every later check."""
    reason = (reason or "").strip()
    if not reason:
        raise SikroError("a reason is required to revoke a document.")
    documents = session.scalars(select(Document).where(Document.number == number)).all()
    if not documents:
        raise SikroError(f"no document has the number {number}.")
    issued = [d for d in documents if d.status == "issued"]
    if not issued:
        doc = documents[0]
        extra = f" ({doc.reason})" if doc.reason else ""
        raise SikroError(f"document {number} is {doc.status}{extra}; only an issued document can be revoked.")
    if len(issued) > 1:
        raise SikroError(f"{number} names more than one issued document; revoke cannot choose.")
    document, now = issued[0], utcnow()
    row = session.get(DocumentVerification, document.id) or DocumentVerification(document_id=document.id)
    row.revoked_at, row.revoked_reason = now, reason
    document.status, document.reason, document.updated_at = "revoked", reason, now
    session.add(row)
    session.add(Event(application_id=document.application_id, actor=actor, action="document.revoked",
                      details={"kind": document.kind, "uid": document.uid, "number": number,
                               "reason": reason}))
    chain_document(session, None, document, actor)  # the revocation, its reason and time, chained
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
    verdict = _verdict_from_payload(payload, kid)
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
    late_signing = signed_at is not None and ks.as_utc(signed_at) > state.retired_at
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


def _verdict_from_payload(payload: tk.Payload, kid: str) -> Verdict:
    return Verdict(
        VALID, kind=payload.kind, kind_title=kind_title(payload.kind), number=payload.number,
        holder=payload.holder, str_number=payload.str_number or None,
        workplace=payload.workplace or None, issued=payload.issued,
        valid_until=payload.valid_until, key_id=kid, document_uid=payload.uid,
    )


def _offline(verdict: Verdict, profile: dict) -> Verdict:
    """Signature alone, plus the expiry the token itself states."""
    verdict.checked_online = False
    if verdict.valid_until and verdict.valid_until < today(profile):
        verdict.status, verdict.reason = EXPIRED, f"expired on {verdict.valid_until.isoformat()}"
        return verdict
    verdict.reason = "signature valid; current status (revocation) not checked: offline"
    return verdict


def _check_registry(ws: Workspace, session: Session, verdict: Verdict, payload: tk.Payload) -> Verdict:
    verdict.checked_online = True
    document = session.scalars(select(Document).where(Document.uid == verdict.document_uid)).first()
    if document is None:
        verdict.status, verdict.reason = NOT_FOUND, "genuine signature, but the document is not in the registry"
        return verdict
    record = session.get(DocumentVerification, document.id)
    state = ks.load_states(ws, session).get(verdict.key_id or "")
    problem = _key_problem(verdict, state, record.signed_at if record else None, ws.profile)
    if problem is not None:
        return problem
    differences = _differences(session, document, record, payload, verdict.key_id)
    if differences:
        _log_mismatch(ws, document, differences)
        verdict.status, verdict.reason_code = INVALID, REGISTRY_MISMATCH
        verdict.reason = f"{MISMATCH_TEXT} ({', '.join(differences)})"
        return verdict
    return _apply_status(ws, document, record, verdict)


def _differences(session: Session, document: Document, record: DocumentVerification | None,
                 payload: tk.Payload, kid: str | None) -> list[str]:
    """The fields of the signed payload that the registry's record of the document does not match."""
    if record is None:
        return ["no record of what was signed"]
    issued = document.date
    if document.kind in tk.PROGRESS_KINDS:
        application = session.get(Application, document.application_id)
        issued = application.application_date if application else None
    pairs = {
        "kind": (document.kind, payload.kind),
        "number": (_registry_number(session, document), payload.number),
        "issued": (issued, payload.issued),
        "valid_until": (record.valid_until, payload.valid_until),
        "holder": (record.holder or "", payload.holder or ""),
        "str_number": ((record.fields or {}).get("no_str") or "", payload.str_number or ""),
        "workplace": ((record.fields or {}).get("nama_tempat_kerja") or "", payload.workplace or ""),
        "key_id": (record.key_id, kid),
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


def _registry_number(session: Session, document: Document) -> str | None:
    if document.kind in tk.PROGRESS_KINDS:
        application = session.get(Application, document.application_id)
        return application.registration_number if application else None
    return document.number


def _apply_status(ws: Workspace, document: Document, record: DocumentVerification | None,
                  verdict: Verdict) -> Verdict:
    if document.status == VOID:
        verdict.status, verdict.reason = VOID, f"the number was voided: {document.reason or 'no reason given'}"
    elif document.status == REVOKED:
        verdict.status = REVOKED
        verdict.revoked_at = _office_time(ws.profile, record.revoked_at) if record else None
        verdict.reason = (record.revoked_reason if record else None) or document.reason
    elif document.status != "issued":
        verdict.status, verdict.reason = INVALID, f"the document is not issued ({document.status})"
    elif verdict.valid_until and verdict.valid_until < today(ws.profile):
        verdict.status, verdict.reason = EXPIRED, f"expired on {verdict.valid_until.isoformat()}"
    else:
        verdict.status, verdict.reason = VALID, None
    return verdict


def _office_time(profile: dict, moment: dt.datetime | None) -> dt.datetime | None:
    """A stored time (SQLite returns it without its zone: it is UTC) in office time, to the second."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
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
