"""Registers: numbers for documents, bound once, never reused, tamper-evident.

The office keeps numbering registers (profile `[registers.NAME]`):
`registrasi` (application numbers), `surat-keluar` (Buku Agenda of outgoing
letters), `keputusan` (decrees), and each permit type's register of permits
(its `[numbering]`, unless the profile defines one of that name; or the one
`izin` of the profile with `[permit_types] registers = "shared"`). Which
register a document kind draws from is data (`data/document_kinds.toml`).

How a number stays honest:

* Allocation runs inside the caller's write transaction (BEGIN IMMEDIATE),
  so two processes never read the same "last number"; entries are never
  deleted, so `max(seq) + 1` leaves no gap.
* `issue_document` is two-phase. Transaction 1 records the document and its
  number as `pending`, owned by this process's lease (an exclusive flock on
  `<workspace>/locks/<lease>.lock` held for the life of the process); the
  caller then produces the files; transaction 2 marks both issued. If the
  process dies in between, the kernel drops the flock, and the next command
  that touches a register voids the entry with reason "interrupted".
* Every change appends a row to `register_log` (append-only by trigger);
  each row holds a canonical JSON snapshot of the entry and
  `hash = HMAC-SHA256(chain secret, prev_hash + content)` chaining it to the
  register's previous row; the secret sits owner-only in `keys/`, so whoever
  edits the database cannot simply recompute the chain. `verify_registers` recomputes the chains and replays the log against
  `register_entries`, so an edit made behind the tool's back shows.
* The Buku Ekspedisi (`dispatches`) is chained the same way.
* Each chain's newest link, and the highest number ever given per register
  and year, is also kept outside the database (`keys/chain.head`, see
  chain.py): removing the newest entries shows, and allocation refuses to
  give a number the head says was given already (it never reuses one; the
  office restores the database from a backup instead, and the refusal keeps
  the evidence that entries were removed).
* Every document's status (issued, void, revoked with reason and date) and
  what it was issued with (holder, STR, workplace, dates: what its QR code
  carries) is chained in the "document" stream of chain.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import string
import tomllib
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import chain, clock
from .db import session as db_session
from .errors import SikroError
from .keys import chain_secret
from .models import Application, Base, Event, utcnow
from .workspace import Workspace

INTERRUPTED = "interrupted"
GENESIS_HASH = "0" * 64
LOCKS_DIR = "locks"

# Placeholders a register's number pattern may use (documented in profile.toml).
PLACEHOLDERS = ("nomor", "klasifikasi", "unit", "bulan_romawi", "bulan", "tahun", "izin")
# Running numbers restart every year, so a number without its year would repeat.
REQUIRED_PLACEHOLDERS = ("nomor", "tahun")
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# The fields of an entry that the log snapshots and `verify` compares.
ENTRY_FIELDS = (
    "register", "year", "seq", "number", "status", "kind", "application_id",
    "document_id", "date", "subject", "addressee", "reason", "lease",
)


# --------------------------------------------------------------------------- tables


class Document(Base):
    """A document the office produced (minimal: the documents capability extends it)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)  # random: safe to print and share
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    register: Mapped[str | None] = mapped_column(String(40))
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(120), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|issued|void|revoked
    reason: Mapped[str | None] = mapped_column(Text)
    files: Mapped[list[Any]] = mapped_column(default=list)  # paths relative to the workspace
    lease: Mapped[str | None] = mapped_column(String(40))  # owner while pending
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegisterEntry(Base):
    """Current state of one number of a register (the replay of `register_log`)."""

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("register", "year", "seq", name="uq_register_year_seq"),
        UniqueConstraint("register", "number", name="uq_register_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|used|void
    kind: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(Text, default="")
    addressee: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text)
    lease: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegisterLogRow(Base):
    """Append-only, hash-chained history of a register (one chain per register)."""

    __tablename__ = "register_log"
    __table_args__ = (UniqueConstraint("register", "position", name="uq_register_log_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # allocate | confirm | void
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    content: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Dispatch(Base):
    """One line of the Buku Ekspedisi (append-only, hash-chained, running No per year)."""

    __tablename__ = "dispatches"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_dispatch_year_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    content: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.content)


# --------------------------------------------------------------------------- kinds and patterns


@dataclass(frozen=True)
class DocumentKind:
    key: str
    title: str
    register: str | None
    subject: str
    addressee: str
    final: bool
    applies: str = "any"
    # the application kinds (baru, perpanjangan ...) it is made for; empty: every kind
    application_kinds: tuple[str, ...] = ()
    # its number comes from the permit type's register (profile [permit_types] registers)
    type_register: bool = False
    in_place_of: str | None = None  # the kind it stands in for, for its application kinds

    def applies_to_kind(self, application_kind: str | None) -> bool:
        return not self.application_kinds or (application_kind or "baru") in self.application_kinds


KINDS_FILE = "document_kinds.toml"


@lru_cache(maxsize=1)
def document_kinds_data() -> dict:
    """`data/document_kinds.toml` as read: the ONE reading of the document kinds, for the
    numbering side (`document_kinds`) and the template side (`documents.get_kind`) alike."""
    text = resources.files("sikro_docs.data").joinpath(KINDS_FILE).read_text("utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def document_kinds() -> dict[str, DocumentKind]:
    """Every kind's numbering facts, from `data/document_kinds.toml`.

    The same table of a kind also holds its template facts (template, step, signer,
    variables ...), which `documents.get_kind` reads; this side ignores them.
    """
    return {
        key: DocumentKind(
            key=key,
            title=spec["title"],
            register=spec.get("register"),
            subject=spec.get("subject", ""),
            addressee=spec.get("addressee", ""),
            final=bool(spec.get("final", False)),
            applies=spec.get("applies", "any"),
            application_kinds=tuple(spec.get("application_kinds", ())),
            type_register=bool(spec.get("type_register", False)),
            in_place_of=spec.get("in_place_of"),
        )
        for key, spec in document_kinds_data()["kinds"].items()
    }


def document_kind(kind: str) -> DocumentKind:
    kinds = document_kinds()
    if kind not in kinds:
        raise SikroError(f"unknown document kind {kind!r}; known kinds: {', '.join(kinds)}")
    return kinds[kind]


def kind_for_application(kind: str, application_kind: str | None) -> str | None:
    """The kind made for an application of `application_kind` where the SOP says `kind`: itself
    when it is made for that kind, else the kind standing in for it (a pencabutan's revocation
    decree for its permit), else None (nothing is made)."""
    spec = document_kind(kind)
    if spec.applies_to_kind(application_kind):
        return kind
    for other in document_kinds().values():
        if other.in_place_of == kind and other.applies_to_kind(application_kind):
            return other.key
    return None


class KindNotForApplication(SikroError):
    """A document kind is not made for this kind of application (no new permit for a pencabutan)."""

    code = "kind_not_for_application"

    def __init__(self, kind: str, application_kind: str, kinds: tuple[str, ...]):
        self.kind, self.application_kind, self.kinds = kind, application_kind, kinds
        super().__init__(f"a {kind} is not made for a {application_kind} application "
                         f"(only for: {', '.join(kinds)})")


# --------------------------------------------------------------------------- placeholders


class _Keep(dict):
    def __missing__(self, key):  # an unknown placeholder stays as written
        return "{" + key + "}"


def placeholder_values(application, ws=None) -> dict[str, str]:
    """{nama} {registrasi} {izin} {tempat} {alamat} {kota} of an application (an Application row or
    the dict registry.describe gives): what subjects, addressees, hal and kepada may say."""
    from . import permit_types

    def get(name):
        if application is None:
            return None
        if isinstance(application, dict):
            return application.get(name)
        return getattr(application, name, None)

    facts = (application.facts or {}) if isinstance(application, Application) else (application or {})
    code = get("permit_type")
    ptype = permit_types.get(ws, code) if code else permit_types.default(ws)
    place = place_fields(ptype)
    profile = getattr(ws, "profile", None) or {}
    return {
        "nama": get("name") or "",
        "registrasi": get("registration_number") or "",
        "izin": ptype.short_name,
        "tempat": str(facts.get(place[0]) or "") if place[0] else "",
        "alamat": get("address") or "",
        "kota": profile.get("office", {}).get("city", ""),
    }


def place_fields(ptype) -> tuple[str | None, str | None]:
    """Storage keys of the type's place (its name, its address): `[documents.tempat]` of its data,
    else its rule's place field."""
    said = ptype.documents.get("tempat", {}) if isinstance(ptype.documents.get("tempat"), dict) else {}
    by_name = ptype.by_name

    def key(name):
        return by_name[name].storage_key if name in by_name else None

    return key(said.get("nama") or ptype.rules.place_field), key(said.get("alamat"))


def fill_placeholders(template: str, application=None, ws=None, values: dict | None = None) -> str:
    """The ONE filler of subject, addressee, hal and kepada (numbering, batch and documents)."""
    if not template:
        return ""
    if values is None:
        if application is None:
            return template
        values = placeholder_values(application, ws)
    return template.format_map(_Keep(values))


# --------------------------------------------------------------------------- registers


def _builtin_registers() -> dict:
    from .workspace import default_section

    return default_section("registers")


def registers_mode(profile: dict) -> str:
    mode = (profile or {}).get("permit_types", {}).get("registers", "per-type")
    if mode not in ("per-type", "shared"):
        raise SikroError(f'profile [permit_types] registers must be "per-type" or "shared", not {mode!r}')
    return mode


def permit_register(ws, ptype) -> str:
    """The register a permit of `ptype` is numbered from: its own ("per-type"), or `izin` ("shared")."""
    return ptype.register if registers_mode(getattr(ws, "profile", {}) or {}) == "per-type" else SHARED_REGISTER


SHARED_REGISTER = "izin"


def type_registers(ws) -> dict[str, dict]:
    """The registers the permit types define (title, pattern, classification), per-type mode only."""
    from . import permit_types

    profile = getattr(ws, "profile", None) or {}
    if registers_mode(profile) != "per-type":
        return {}
    out: dict[str, dict] = {}
    for ptype in permit_types.catalogue(ws).types.values():
        out.setdefault(ptype.register, {"title": ptype.register_title, "pattern": ptype.pattern,
                                        "classification": ptype.classification, "permit_type": ptype.code})
    return out


def all_registers(ws) -> dict[str, dict]:
    """Every register of the workspace: its profile's, then those the types define, then the built-in
    profile's (a register added to the tool after the workspace was made: `keputusan`)."""
    profile = getattr(ws, "profile", None) if not isinstance(ws, dict) else ws
    profile = profile or {}
    registers = dict(profile.get("registers", {}))
    if not isinstance(ws, dict):
        for name, settings in type_registers(ws).items():
            registers.setdefault(name, settings)
    for name, settings in _builtin_registers().items():
        registers.setdefault(name, settings)
    return registers


def register_settings(profile_or_ws, register: str) -> dict:
    """A register's settings. Given a Workspace, the permit types' registers count too."""
    registers = all_registers(profile_or_ws)
    if register not in registers:
        if isinstance(profile_or_ws, dict) or registers_mode(profile_or_ws.profile) == "shared":
            where = "the office profile" if register != SHARED_REGISTER else \
                'the office profile (needed by [permit_types] registers = "shared")'
        else:
            where = "the office profile and the permit types"
        raise SikroError(f"unknown register {register!r}; {where} define: {', '.join(registers)}")
    return registers[register]


def _parse_pattern(register: str, pattern: str) -> list[tuple[str, str | None, str]]:
    """(literal, placeholder, format spec) parts; a clear SikroError for anything unusable."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise SikroError(f"register {register}: number pattern {pattern!r} is malformed: {exc}") from None
    used = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            raise SikroError(
                f"register {register}: unknown placeholder {{{field}}} in number pattern "
                f"{pattern!r}; known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            )
        if conversion or "{" in (spec or ""):
            raise SikroError(f"register {register}: placeholder {{{field}}} uses an unsupported format in {pattern!r}")
        used.append(field)
    for required in REQUIRED_PLACEHOLDERS:
        if required not in used:
            raise SikroError(
                f"register {register}: number pattern {pattern!r} lacks {{{required}}} "
                "(numbers restart every year, so each number needs its running number and year)"
            )
    return [(literal, field, spec or "") for literal, field, spec, _ in parts]


def _short_name(ws, session: Session, application_id: int | None) -> str:
    """The short name of an application's permit type ("" without one, or for a type gone)."""
    from . import permit_types

    app = session.get(Application, application_id) if application_id is not None else None
    ptype = permit_types.catalogue(ws).find(app.permit_type) if app is not None else None
    return ptype.short_name if ptype else ""


def format_number(ws_or_profile, register: str, seq: int, on: dt.date, izin: str = "") -> str:
    """The number `seq` of `register` for a document dated `on`, per the office's pattern
    (a Workspace: the permit types' registers count too); `izin`: the short name of the
    application's permit type, for a register shared by every type (the registration numbers)."""
    settings = register_settings(ws_or_profile, register)
    ws_profile = ws_or_profile if isinstance(ws_or_profile, dict) else ws_or_profile.profile
    pattern = settings.get("pattern") or ""
    values = {
        "nomor": seq,
        "klasifikasi": settings.get("classification", ""),
        "unit": ws_profile.get("office", {}).get("unit_code", ""),
        "bulan_romawi": ROMAN_MONTHS[on.month - 1],
        "bulan": on.month,
        "tahun": on.year,
        "izin": izin,
    }
    out = []
    for literal, field, spec in _parse_pattern(register, pattern):
        out.append(literal)
        if field is None:
            continue
        try:
            out.append(format(values[field], spec))
        except (ValueError, TypeError) as exc:
            raise SikroError(
                f"register {register}: placeholder {{{field}:{spec}}} cannot be formatted: {exc}"
            ) from None
    return "".join(out)


# --------------------------------------------------------------------------- leases


@dataclass
class Lease:
    id: str
    path: Path
    fd: int


_LEASE_ID = re.compile(r"^[0-9a-f]{32}$")
_leases: dict[tuple[Path, int], Lease] = {}


def _lock_path(ws: Workspace, lease_id: str) -> Path:
    return ws.root / LOCKS_DIR / f"{lease_id}.lock"


def current_lease(ws: Workspace) -> Lease:
    """This process's lease on `ws`: an exclusive flock held until the process ends.

    Keyed by pid too: a forked child must not pass off its parent's lease as its own.
    """
    key = (ws.root, os.getpid())
    lease = _leases.get(key)
    if lease is None:
        lease_id = uuid.uuid4().hex
        path = _lock_path(ws, lease_id)
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # a fresh file: nobody else can hold it
        os.write(fd, f"pid {os.getpid()}\n".encode("ascii"))  # for a curious human only
        lease = _leases[key] = Lease(lease_id, path, fd)
    return lease


def lease_is_alive(ws: Workspace, lease_id: str | None) -> bool:
    """True while the process that owns the lease runs (its flock cannot be taken)."""
    if not lease_id or not _LEASE_ID.match(lease_id):
        return False
    own = _leases.get((ws.root, os.getpid()))
    if own is not None and own.id == lease_id:
        return True
    try:
        fd = os.open(_lock_path(ws, lease_id), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _forget_lease(ws: Workspace, lease_id: str) -> None:
    if _LEASE_ID.match(lease_id or ""):
        _lock_path(ws, lease_id).unlink(missing_ok=True)


# --------------------------------------------------------------------------- log and events


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(key: bytes, prev_hash: str, content: str) -> str:
    """HMAC-SHA256 of the previous hash and this row, keyed with the workspace's chain secret."""
    return hmac.new(key, (prev_hash + content).encode("utf-8"), hashlib.sha256).hexdigest()


def _chain_key(ws: Workspace) -> bytes:
    return chain_secret(ws.keys_dir)


def entry_snapshot(entry: RegisterEntry) -> dict[str, Any]:
    snap = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    snap["date"] = entry.date.isoformat() if entry.date else None
    return snap


def _append_log(session: Session, ws: Workspace, entry: RegisterEntry, action: str, actor: str) -> RegisterLogRow:
    # The last row is remembered per write transaction: while it holds the
    # write lock nobody else appends, and a chunk of documents appends many.
    remembered = session.info.setdefault("last_log_row", {})
    last = remembered.get(entry.register) or session.scalars(
        select(RegisterLogRow)
        .where(RegisterLogRow.register == entry.register)
        .order_by(RegisterLogRow.position.desc())
        .limit(1)
    ).first()
    prev_hash = last.hash if last else GENESIS_HASH
    content = canonical_json(
        {**entry_snapshot(entry), "action": action, "actor": actor, "at": utcnow().isoformat()}
    )
    row = RegisterLogRow(
        register=entry.register,
        position=(last.position + 1) if last else 1,
        action=action,
        year=entry.year,
        seq=entry.seq,
        number=entry.number,
        content=content,
        prev_hash=prev_hash,
        hash=chain_hash(chain.session_key(session, ws), prev_hash, content),
    )
    session.add(row)
    remembered[entry.register] = row
    chain.note_head(session, ws, f"register_log:{entry.register}", row.position, row.hash)
    if action == "allocate":
        chain.note_number(session, ws, entry.register, entry.year, entry.seq)
    return row


def _record_event(session: Session, application_id: int | None, action: str, actor: str, **details) -> None:
    if application_id is not None:
        session.add(Event(application_id=application_id, actor=actor, action=action, details=details))


def _entry_event(session: Session, entry: RegisterEntry, action: str, actor: str) -> None:
    _record_event(
        session, entry.application_id, action, actor,
        register=entry.register, number=entry.number, kind=entry.kind,
        status=entry.status, reason=entry.reason,
    )


# --------------------------------------------------------------------------- the document stream

DOCUMENT_STREAM = "document"
# What a problem calls each chained field, most telling first.
DOCUMENT_LABELS = {
    "status": "status", "reason": "reason", "revoked_at": "revocation time", "revoked_reason": "revocation reason",
    "number": "number", "kind": "kind", "date": "date issued", "holder": "holder name",
    "permit_type": "permit type", "fields": "signed fields", "valid_until": "valid until",
    "replaced_by_id": "successor", "replaced_at": "replacement time",
    "key_id": "signing key", "application_id": "application",
}


def _utc_text(moment: dt.datetime | None) -> str | None:
    """A stored time as UTC text (SQLite hands it back without its zone: it is UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def document_state(document: Document, record) -> dict[str, Any]:
    """What a verdict rests on: status, number, and what the QR code was signed with (as issued)."""
    state: dict[str, Any] = {
        "status": document.status, "reason": document.reason, "number": document.number,
        "kind": document.kind, "date": document.date, "application_id": document.application_id,
    }
    if record is not None:  # document_verification: what the signed QR code carries
        state.update(holder=record.holder, permit_type=record.permit_type, fields=record.fields or {},
                     valid_until=record.valid_until, key_id=record.key_id,
                     revoked_at=_utc_text(record.revoked_at), revoked_reason=record.revoked_reason)
        if record.replaced_by_id is not None:  # DIGANTI (issue 14): by which document, when
            state.update(replaced_by_id=record.replaced_by_id, replaced_at=_utc_text(record.replaced_at))
    return state


def _verification_records(session: Session, document_ids=None) -> dict[int, Any]:
    from .verification.verdict import DocumentVerification  # late: verification imports numbering

    query = select(DocumentVerification)
    if document_ids is not None:
        query = query.where(DocumentVerification.document_id.in_(list(document_ids)))
    return {r.document_id: r for r in session.scalars(query)}


def chain_document(session: Session, ws: Workspace | None, document: Document, actor: str = "sikro") -> None:
    """Chain the document's state now (issued, void, revoked ...), in the caller's transaction."""
    session.flush()
    record = _verification_records(session, [document.id]).get(document.id)
    chain.append(session, ws, DOCUMENT_STREAM, document.uid, document_state(document, record), actor)


def _documents_now(session: Session) -> dict[str, dict]:
    records = _verification_records(session)
    return {d.uid: document_state(d, records.get(d.id)) for d in session.scalars(select(Document))}


def _describe_document(uid: str, state: dict) -> str:
    spec = document_kinds().get(state.get("kind") or "")
    if state.get("number"):
        return f"{(spec.register if spec else None) or state.get('kind')} {state['number']}"
    return f"{state.get('kind')} {uid}"


chain.track(DOCUMENT_STREAM, _documents_now, _describe_document, DOCUMENT_LABELS,
            unchained_ok=lambda state: state.get("status") == "pending")


def _restate_documents() -> None:
    from .migrations import legacy_states  # the states as they read before permit types (0008)

    chain.restate_after(legacy_states.REVISION, DOCUMENT_STREAM, legacy_states.document_was_before)


_restate_documents()


# --------------------------------------------------------------------------- allocation


def _as_date(on: dt.date | dt.datetime) -> dt.date:
    return on.date() if isinstance(on, dt.datetime) else on


def _next_seq(session: Session, ws: Workspace, register: str, year: int) -> int:
    """max(seq) + 1 — unless the head outside the database knows of a higher number ever given.

    Then the newest entries were removed behind the tool's back. Giving
    max(db, head) + 1 and recording the lost numbers as void would go on
    working but overwrite the head, the only evidence left; so allocation
    refuses, with the numbers that are missing, until the database is restored.
    """
    last = session.scalar(
        select(func.max(RegisterEntry.seq)).where(
            RegisterEntry.register == register, RegisterEntry.year == year
        )
    ) or 0
    given = chain.given_max(session, ws, register, year)
    if given > last:
        raise NumbersLost(register, year, last, given)
    return last + 1


class NumbersLost(chain.ChainTampered):
    """Numbers the chain head says were given are missing from the register."""

    code = "numbers-lost"

    def __init__(self, register: str, year: int, last: int, given: int):
        self.register, self.year, self.last, self.given = register, year, last, given
        missing = f"no. {last + 1}" if given == last + 1 else f"no. {last + 1}-{given}"
        super().__init__(
            f"register {register} {year}: {missing} was given (keys/{chain.HEAD_FILE}) but is missing from "
            f"the database: entries were removed behind the tool's back; no number is given until sikro.db "
            "is restored from a backup (`sikro register verify` shows what differs)")


def _bind(document: Document, entry: RegisterEntry) -> None:
    document.register, document.year = entry.register, entry.year
    document.seq, document.number = entry.seq, entry.number
    document.updated_at = utcnow()


def allocate(
    session: Session,
    ws: Workspace,
    register: str,
    on: dt.date,
    *,
    kind: str,
    application_id: int | None,
    subject: str = "",
    addressee: str = "",
    actor: str = "sikro",
    pending: bool = False,
    document: Document | None = None,
) -> RegisterEntry:
    """Take the next number of `register` inside the caller's write session.

    pending=False binds it at once (registration numbers, allocated in the
    transaction that creates the application); pending=True leaves it owned
    by this process's lease until `issue_document` confirms it.
    """
    spec = document_kind(kind)
    expected = spec.register
    if spec.type_register and application_id is not None:
        expected = register_for(ws, spec, session.get(Application, application_id))
    if expected != register:
        raise SikroError(
            f"a {spec.title} ({kind}) takes its number from register {expected or '(none)'}, not {register}"
        )
    on = _as_date(on)
    recover_interrupted(session, ws)
    seq = _next_seq(session, ws, register, on.year)
    number = format_number(ws, register, seq, on, _short_name(ws, session, application_id))
    clash = session.scalar(
        select(RegisterEntry.id).where(RegisterEntry.register == register, RegisterEntry.number == number)
    )
    if clash is not None:
        raise SikroError(f"register {register}: pattern gives {number} again; make the pattern unique per year")
    entry = RegisterEntry(
        register=register, year=on.year, seq=seq, number=number,
        status="pending" if pending else "used", kind=kind, application_id=application_id,
        document_id=document.id if document is not None else None, date=on,
        subject=subject, addressee=addressee, reason=None,
        lease=current_lease(ws).id if pending else None,
    )
    session.add(entry)
    session.flush()
    if document is not None:
        _bind(document, entry)
    _append_log(session, ws, entry, "allocate", actor)
    _entry_event(session, entry, "number.allocated", actor)
    return entry


@dataclass(frozen=True)
class PendingRequest:
    """One pending number of `allocate_many`: the document it is for, its register line's subject, addressee."""
    document: Document
    subject: str = ""
    addressee: str = ""


def allocate_many(session: Session, ws: Workspace, register: str, on: dt.date, requests: list[PendingRequest],
                  *, kind: str, actor: str = "sikro") -> list[RegisterEntry]:
    """`allocate(..., pending=True, document=...)` for many documents of one register, in order.

    The same entries (consecutive numbers under this process's lease, each bound to its
    document), log links and events as calling `allocate` for each in turn; only one query
    for the next number, one for clashes and one flush for all of them (a batch's chunk).
    """
    if not requests:
        return []
    spec = document_kind(kind)
    for request in requests:
        application_id = request.document.application_id
        expected = spec.register
        if spec.type_register and application_id is not None:
            expected = register_for(ws, spec, session.get(Application, application_id))
        if expected != register:
            raise SikroError(
                f"a {spec.title} ({kind}) takes its number from register {expected or '(none)'}, not {register}")
    on = _as_date(on)
    recover_interrupted(session, ws)
    first, lease = _next_seq(session, ws, register, on.year), current_lease(ws).id
    numbers = [format_number(ws, register, first + i, on, _short_name(ws, session, r.document.application_id))
               for i, r in enumerate(requests)]
    _refuse_clashes(session, register, numbers)
    entries = [RegisterEntry(
        register=register, year=on.year, seq=first + i, number=number, status="pending", kind=kind,
        application_id=r.document.application_id, document_id=r.document.id, date=on,
        subject=r.subject, addressee=r.addressee, reason=None, lease=lease)
        for i, (r, number) in enumerate(zip(requests, numbers, strict=True))]
    session.add_all(entries)
    session.flush()
    for request, entry in zip(requests, entries, strict=True):
        _bind(request.document, entry)
        _append_log(session, ws, entry, "allocate", actor)
        _entry_event(session, entry, "number.allocated", actor)
    return entries


@dataclass(frozen=True)
class BlockRequest:
    """One number of a block: for which application, its register line's subject, its type's short name."""
    application_id: int
    subject: str = ""
    izin: str = ""


def allocate_block(session: Session, ws: Workspace, register: str, on: dt.date, requests: list[BlockRequest],
                   *, kind: str, actor: str = "sikro") -> list[str]:
    """`allocate` (bound at once) for many applications: consecutive numbers, one INSERT per table.

    An import registers a chunk of rows in one transaction; numbering them one by one was most of
    its time. Every number, log link and event is what `allocate` would have written in turn.
    Returns the numbers, in the order of `requests`.
    """
    if not requests:
        return []
    on = _as_date(on)
    recover_interrupted(session, ws)
    first = _next_seq(session, ws, register, on.year)
    numbers = [format_number(ws, register, first + i, on, r.izin) for i, r in enumerate(requests)]
    _refuse_clashes(session, register, numbers)
    entries = [{"register": register, "year": on.year, "seq": first + i, "number": number, "status": "used",
                "kind": kind, "application_id": r.application_id, "document_id": None, "date": on,
                "subject": r.subject, "addressee": "", "reason": None, "lease": None}
               for i, (r, number) in enumerate(zip(requests, numbers, strict=True))]
    session.execute(insert(RegisterEntry.__table__), entries)
    _append_log_many(session, ws, register, entries, "allocate", actor)
    session.execute(insert(Event.__table__), [
        {"application_id": e["application_id"], "actor": actor, "action": "number.allocated",
         "details": {"register": register, "number": e["number"], "kind": kind, "status": "used", "reason": None}}
        for e in entries])
    return numbers


def _refuse_clashes(session: Session, register: str, numbers: list[str]) -> None:
    clash = session.scalar(select(RegisterEntry.number).where(RegisterEntry.register == register,
                                                              RegisterEntry.number.in_(numbers)).limit(1))
    if clash is None and len(set(numbers)) < len(numbers):
        clash = next(n for n in numbers if numbers.count(n) > 1)
    if clash is not None:
        raise SikroError(f"register {register}: pattern gives {clash} again; make the pattern unique per year")


def _append_log_many(session: Session, ws: Workspace, register: str, entries: list[dict], action: str,
                     actor: str) -> None:
    """`_append_log` for entries written in bulk: the same links, in order, one INSERT."""
    remembered = session.info.setdefault("last_log_row", {})
    last = remembered.get(register) or session.scalars(
        select(RegisterLogRow).where(RegisterLogRow.register == register)
        .order_by(RegisterLogRow.position.desc()).limit(1)).first()
    position, prev = (last.position, last.hash) if last else (0, GENESIS_HASH)
    key, at, rows = chain.session_key(session, ws), utcnow().isoformat(), []
    for entry in entries:
        position += 1
        snapshot = {name: entry[name] for name in ENTRY_FIELDS}
        snapshot["date"] = entry["date"].isoformat()
        content = canonical_json({**snapshot, "action": action, "actor": actor, "at": at})
        prev_hash, prev = prev, chain_hash(key, prev, content)
        rows.append({"register": register, "position": position, "action": action, "year": entry["year"],
                     "seq": entry["seq"], "number": entry["number"], "content": content,
                     "prev_hash": prev_hash, "hash": prev})
    session.execute(insert(RegisterLogRow.__table__), rows)
    remembered[register] = RegisterLogRow(**rows[-1])
    chain.note_head(session, ws, f"register_log:{register}", position, prev)
    if action == "allocate":
        chain.note_number(session, ws, register, entries[-1]["year"], entries[-1]["seq"])


# --------------------------------------------------------------------------- two-phase issue


def new_uid() -> str:
    """16 base32 characters from 80 random bits: unguessable, QR-alphanumeric friendly."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def register_for(ws, spec: DocumentKind, application: Application) -> str | None:
    """The register `spec` numbers this application's document from (a permit: its type's)."""
    if not spec.type_register:
        return spec.register
    from . import permit_types

    return permit_register(ws, permit_types.get(ws, application.permit_type))


@dataclass(frozen=True)
class IssueRequest:
    """One document to issue: for which application, and its register line's subject and addressee."""
    application_id: int
    subject: str = ""
    addressee: str = ""


Produced = list | Exception  # a document's files, or why producing them failed
FinishHook = Callable[[Session, Document], None]


def _open_documents(ws, spec: DocumentKind, requests: list[IssueRequest], on, actor) -> list[Document]:
    """Transaction 1: the pending documents and (if their kind is numbered) their pending numbers.

    All of them at once: every request is checked first (any refusal writes nothing), then the
    documents are added with one flush and numbered per register in request order
    (`allocate_many`), as numbering them one by one would have.
    """
    with db_session(ws, write=True) as session:
        recover_interrupted(session, ws)
        ids = {r.application_id for r in requests}
        applications = {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}
        revoked = find_revoked_for(session, list(ids), spec.key)
        for request in requests:
            application = applications.get(request.application_id)
            if application is None:
                raise SikroError(f"no application with id {request.application_id}")
            if request.application_id in revoked:
                raise DocumentRevoked(revoked[request.application_id], application.registration_number)
            if not spec.applies_to_kind(application.application_kind):
                raise KindNotForApplication(spec.key, application.application_kind, spec.application_kinds)
        lease, date = current_lease(ws).id, _as_date(on)
        documents = [Document(uid=new_uid(), application_id=r.application_id, kind=spec.key, date=date,
                              status="pending", files=[], lease=lease) for r in requests]
        session.add_all(documents)
        session.flush()
        by_register: dict[str, list[PendingRequest]] = {}
        for request, document in zip(requests, documents, strict=True):
            application = applications[request.application_id]
            register = register_for(ws, spec, application)
            if register:
                by_register.setdefault(register, []).append(PendingRequest(
                    document, request.subject or fill_placeholders(spec.subject, application, ws),
                    request.addressee or fill_placeholders(spec.addressee, application, ws)))
        for register, pending in by_register.items():
            allocate_many(session, ws, register, on, pending, kind=spec.key, actor=actor)
        for document in documents:
            _record_event(session, document.application_id, "document.started", actor,
                          kind=spec.key, uid=document.uid, number=document.number)
        return documents


def _relative(ws: Workspace, path: Path) -> str:
    path = Path(path).resolve()
    try:
        return str(path.relative_to(ws.root))
    except ValueError:
        return str(path)


def _bound_entry(session: Session, document: Document) -> RegisterEntry | None:
    return session.scalars(select(RegisterEntry).where(RegisterEntry.document_id == document.id)).first()


def _close_documents(ws, document_ids: list[int], produced: dict[int, Produced], actor: str,
                     on_finish: FinishHook | None) -> list[Document | Exception]:
    """Transaction 2: each produced document issued with its number used; each failed one voided
    ("generation failed: ..."); each never produced (Ctrl-C) voided as interrupted."""
    results: list[Document | Exception] = []
    with db_session(ws, write=True) as session:
        # All at once: one query each, not one per document.
        documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(document_ids)))}
        entries = {e.document_id: e for e in session.scalars(
            select(RegisterEntry).where(RegisterEntry.document_id.in_(document_ids)))}
        # their applications too (held here: the session only keeps weak references), so that each
        # document's effect finds its own without a query, and so without a flush per document
        applications = session.scalars(select(Application).where(  # noqa: F841
            Application.id.in_({d.application_id for d in documents.values()} - {None}))).all()
        issued: list[Document] = []
        for document_id in document_ids:
            document = documents[document_id]
            outcome = produced.get(document_id)
            if isinstance(outcome, list) and document.status != "pending":
                outcome = SikroError(
                    f"document {document.number or document.uid} was voided while it was being "
                    f"produced ({document.reason}); its files were not recorded")
            elif isinstance(outcome, list):
                _finish(session, ws, document, entries.get(document_id), outcome, actor)
                if on_finish is not None:
                    on_finish(session, document)
                _application_kind_effect(session, document, actor)
                issued.append(document)
            elif document.status == "pending":
                reason = f"generation failed: {outcome}" if outcome is not None else INTERRUPTED
                _void_document(session, ws, document, reason, actor)
            results.append(document if isinstance(outcome, list) else outcome)
        _chain_issued(session, ws, issued, actor)
    return results


def _application_kind_effect(session: Session, document: Document, actor: str) -> None:
    """A renewal's permit makes the previous one DIGANTI, a revocation decree DICABUT (issue 14)."""
    from .application_kinds import on_issued  # late: application_kinds imports this module

    on_issued(session, document, actor)


def _chain_issued(session: Session, ws: Workspace, documents: list[Document], actor: str) -> None:
    """Chain the issued documents with what their QR codes were signed with (one query for all)."""
    if not documents:
        return
    session.flush()
    records = _verification_records(session, [d.id for d in documents])
    for document in documents:
        chain.append(session, ws, DOCUMENT_STREAM, document.uid, document_state(document, records.get(document.id)),
                     actor)


def _finish(session: Session, ws: Workspace, document: Document, entry: RegisterEntry | None,
            paths: list[Path], actor: str) -> None:
    document.files = [_relative(ws, p) for p in paths]
    document.status, document.lease, document.updated_at = "issued", None, utcnow()
    if entry is not None:
        entry.status, entry.updated_at = "used", utcnow()
        _append_log(session, ws, entry, "confirm", actor)
        _entry_event(session, entry, "number.confirmed", actor)
    _record_event(session, document.application_id, "document.issued", actor,
                  kind=document.kind, uid=document.uid, number=document.number,
                  files=document.files)


def issue_documents(
    ws: Workspace,
    *,
    kind: str,
    requests: list[IssueRequest],
    on: dt.date,
    produce: Callable[[Document], list[Path]],
    actor: str = "sikro",
    on_finish: FinishHook | None = None,
) -> list[Document | Exception]:
    """Number (if their kind is numbered), produce and record documents of one kind, in request order.

    Two transactions for all of them, whatever their number: one opens every
    document with a pending number under this process's lease, one records
    every outcome. A document whose `produce` raised comes back as that
    exception, its number voided ("generation failed: ..."); the others are
    issued. If the process dies in between, the next command voids the
    pending numbers ("interrupted"); on Ctrl-C the produced ones are issued
    and the rest voided. `on_finish(session, document)` runs in the second
    transaction for each issued document (e.g. to record its QR signature).
    """
    spec = document_kind(kind)
    documents = _open_documents(ws, spec, requests, on, actor)
    produced: dict[int, Produced] = {}
    try:
        for document in documents:
            try:
                produced[document.id] = list(produce(document) or [])
            except Exception as exc:
                produced[document.id] = exc
    except BaseException:  # Ctrl-C, SystemExit: keep what was made, void the rest
        _close_documents(ws, [d.id for d in documents], produced, actor, on_finish)
        raise
    return _close_documents(ws, [d.id for d in documents], produced, actor, on_finish)


def issue_document(
    ws: Workspace,
    *,
    kind: str,
    application_id: int,
    on: dt.date,
    subject: str = "",
    addressee: str = "",
    produce: Callable[[Document], list[Path]],
    actor: str = "sikro",
) -> Document:
    """Number (if its kind is numbered), produce and record one document.

    If `produce` raises, the number is voided ("generation failed: ...") and
    the exception re-raised; if the process dies, the next command voids it
    ("interrupted"). Callers re-running a batch use `find_issued` first.
    """
    [outcome] = issue_documents(ws, kind=kind, requests=[IssueRequest(application_id, subject, addressee)],
                                on=on, produce=produce, actor=actor)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def find_issued_for(session: Session, application_ids: list[int], kind: str) -> dict[int, Document]:
    """Each application's latest issued document of `kind`, by application id."""
    found: dict[int, Document] = {}
    for document in session.scalars(
            select(Document)
            .where(Document.application_id.in_(application_ids), Document.kind == kind,
                   Document.status == "issued")
            .order_by(Document.id)):
        found[document.application_id] = document
    return found


def find_revoked_for(session: Session, application_ids: list[int], kind: str) -> dict[int, Document]:
    """Each application's revoked document that bars a new `kind`: one of that kind, or a final one
    (a permit). A revocation is final: a new document needs a new application."""
    kinds = {kind} | {k.key for k in document_kinds().values() if k.final}
    found: dict[int, Document] = {}
    for document in session.scalars(
            select(Document)
            .where(Document.application_id.in_(application_ids), Document.kind.in_(kinds),
                   Document.status == "revoked")
            .order_by(Document.id)):
        found.setdefault(document.application_id, document)
    return found


def revocation_of(session: Session, document: Document) -> tuple[dt.datetime | None, str]:
    """When (UTC) and why `document` was revoked."""
    record = _verification_records(session, [document.id]).get(document.id)
    at = record.revoked_at if record is not None and record.revoked_at else document.updated_at
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at, (record.revoked_reason if record is not None else None) or document.reason or ""


class DocumentRevoked(SikroError):
    """A new document for an application whose permit was revoked."""

    code = "revoked"

    def __init__(self, document: Document, registration_number: str):
        self.number, self.registration_number = document.number, registration_number
        super().__init__(f"{registration_number}: {document.kind} {document.number or document.uid} was revoked "
                         f"({document.reason}); a revocation is final: a new one needs a new application")


def find_issued(session: Session, application_id: int, kind: str) -> Document | None:
    """The application's latest issued document of `kind` (to reuse instead of re-numbering)."""
    return session.scalars(
        select(Document)
        .where(Document.application_id == application_id, Document.kind == kind,
               Document.status == "issued")
        .order_by(Document.id.desc())
        .limit(1)
    ).first()


# --------------------------------------------------------------------------- voiding and recovery


def _void_entry(session: Session, ws: Workspace, entry: RegisterEntry, reason: str, actor: str) -> RegisterEntry:
    entry.status, entry.reason, entry.updated_at = "void", reason, utcnow()
    _append_log(session, ws, entry, "void", actor)
    _entry_event(session, entry, "number.voided", actor)
    if entry.document_id is not None:
        document = session.get(Document, entry.document_id)
        if document is not None and document.status != "void":
            document.status, document.reason, document.updated_at = "void", reason, utcnow()
            chain_document(session, ws, document, actor)
    return entry


def _void_document(session: Session, ws: Workspace, document: Document, reason: str, actor: str) -> None:
    entry = _bound_entry(session, document)
    if entry is not None and entry.status != "void":
        _void_entry(session, ws, entry, reason, actor)  # voids and chains the document too
    if (document.status, document.reason) != ("void", reason):
        document.status, document.reason, document.updated_at = "void", reason, utcnow()
        chain_document(session, ws, document, actor)
    _record_event(session, document.application_id, "document.voided", actor,
                  kind=document.kind, uid=document.uid, number=document.number, reason=reason)


def void_document(session: Session, ws: Workspace, document: Document, reason: str,
                  actor: str = "sikro") -> None:
    """Void a document and the number it carries (if any); used when it is made again."""
    reason = (reason or "").strip()
    if not reason:
        raise SikroError("a reason is required to void a document.")
    _void_document(session, ws, document, reason, actor)


def recover_interrupted(session: Session, ws: Workspace) -> list[RegisterEntry]:
    """Void every pending entry (and pending document) whose lease is dead: "interrupted".

    Once per transaction is enough: while this transaction holds the write
    lock no other process can leave anything new behind.
    """
    if session.info.get("recovered"):
        return []
    session.info["recovered"] = True
    pending_entries = session.scalars(
        select(RegisterEntry).where(RegisterEntry.status == "pending").order_by(RegisterEntry.id)
    ).all()
    pending_documents = session.scalars(
        select(Document).where(Document.status == "pending").order_by(Document.id)
    ).all()
    leases = {e.lease for e in pending_entries} | {d.lease for d in pending_documents}
    dead = {lease for lease in leases if not lease_is_alive(ws, lease)}
    voided = []
    for entry in pending_entries:
        if entry.lease in dead:
            voided.append(_void_entry(session, ws, entry, INTERRUPTED, "sikro (recovery)"))
    for document in pending_documents:
        if document.lease in dead and document.status == "pending":
            _void_document(session, ws, document, INTERRUPTED, "sikro (recovery)")
    for lease in dead:
        _forget_lease(ws, lease)
    return voided


def void(session: Session, ws: Workspace, register: str, number: str, reason: str,
         actor: str = "sikro") -> RegisterEntry:
    """Void a number (and its document); it is never given out again."""
    reason = (reason or "").strip()
    if not reason:
        raise SikroError("a reason is required to void a number.")
    register_settings(ws, register)
    recover_interrupted(session, ws)
    entry = session.scalars(
        select(RegisterEntry).where(RegisterEntry.register == register, RegisterEntry.number == number)
    ).first()
    if entry is None:
        raise SikroError(f"register {register} has no number {number}.")
    if entry.status == "void":
        raise SikroError(f"number {number} of register {register} is already void ({entry.reason}).")
    if entry.status == "pending":
        raise SikroError(f"number {number} is being issued by a running process right now; void it when that ends.")
    _void_entry(session, ws, entry, reason, actor)
    if entry.document_id is not None:
        document = session.get(Document, entry.document_id)
        _record_event(session, document.application_id, "document.voided", actor,
                      kind=document.kind, uid=document.uid, number=document.number, reason=reason)
    return entry


# --------------------------------------------------------------------------- verification


def _describe(register: str, year, seq, number) -> str:
    return f"{register} {year} no. {seq} ({number})"


def _verify_chain(key: bytes, register: str, rows: list[RegisterLogRow]) -> tuple[list[str], dict]:
    """Check one register's chain; return its problems and the replayed state."""
    problems: list[str] = []
    state: dict[tuple[int, int], dict] = {}
    prev_hash, expected_position = GENESIS_HASH, 1
    for row in rows:
        where = f"{_describe(register, row.year, row.seq, row.number)}, log position {row.position}"
        if row.position != expected_position:
            problems.append(f"{where}: log position {expected_position} is missing (a log row was removed)")
        if row.prev_hash != prev_hash:
            problems.append(f"{where}: does not follow the previous log row (a log row was removed or inserted)")
        if not hmac.compare_digest(chain_hash(key, row.prev_hash, row.content), row.hash):
            problems.append(f"{where}: log row was edited (hash mismatch)")
        prev_hash, expected_position = row.hash, row.position + 1
        try:
            content = json.loads(row.content)
        except ValueError:
            problems.append(f"{where}: log row content is not JSON (edited)")
            continue
        problems += _check_log_columns(where, row, content)
        problems += _replay(where, state, content)
    return problems, state


def _check_log_columns(where: str, row: RegisterLogRow, content: dict) -> list[str]:
    columns = ("register", "action", "year", "seq", "number")
    return [f"{where}: log column {name} was edited" for name in columns
            if getattr(row, name) != content.get(name)]


def _replay(where: str, state: dict, content: dict) -> list[str]:
    key = (content.get("year"), content.get("seq"))
    problems = []
    if content.get("action") == "allocate" and key in state:
        problems.append(f"{where}: number allocated twice (duplicate)")
    elif content.get("action") != "allocate" and key not in state:
        problems.append(f"{where}: log row for a number never allocated (inserted)")
    state[key] = {name: content.get(name) for name in ENTRY_FIELDS}
    return problems


def _compare_state(register: str, state: dict, entries: list[RegisterEntry]) -> list[str]:
    table = {(e.year, e.seq): entry_snapshot(e) for e in entries}
    problems = []
    for key in sorted(state.keys() | table.keys(), key=lambda k: (k[0] or 0, k[1] or 0)):
        logged, current = state.get(key), table.get(key)
        shown = current or logged
        where = _describe(register, key[0], key[1], shown["number"])
        if current is None:
            problems.append(f"{where}: in the log but missing from the register (deleted)")
        elif logged is None:
            problems.append(f"{where}: in the register but not in the log (inserted behind the tool's back)")
        else:
            problems += [
                f"{where}: {name} is {current[name]!r} in the register but {logged[name]!r} in the log (edited)"
                for name in ENTRY_FIELDS if current[name] != logged[name]
            ]
    return problems


def _check_series(register: str, keys, numbers: list[str]) -> list[str]:
    """Each year's series runs 1..max without holes; no number appears twice."""
    problems = []
    by_year: dict[int, set[int]] = defaultdict(set)
    for year, seq in keys:
        by_year[year].add(seq)
    for year in sorted(by_year, key=lambda y: y or 0):
        seqs = by_year[year]
        missing = sorted(set(range(1, max(seqs) + 1)) - seqs)
        if missing:
            problems.append(f"{register} {year}: no. {', '.join(map(str, missing))} missing from the series (gap)")
    for number, count in Counter(numbers).items():
        if count > 1:
            problems.append(f"{register}: number {number} appears {count} times (duplicate)")
    return problems


def _verify_documents(entries: list[RegisterEntry], documents: list[Document]) -> list[str]:
    """A document's number and its register entry must point at each other."""
    problems = []
    docs = {d.id: d for d in documents}
    by_number = {(e.register, e.number): e for e in entries}
    for e in entries:
        if e.document_id is None:
            continue
        doc = docs.get(e.document_id)
        if doc is None or doc.number != e.number:
            problems.append(f"{_describe(e.register, e.year, e.seq, e.number)}: its document does not carry this number")
    for doc in documents:
        if doc.number is None:
            continue
        entry = by_number.get((doc.register, doc.number))
        if entry is None or entry.document_id != doc.id:
            problems.append(f"document {doc.uid} ({doc.kind}) carries {doc.register} number {doc.number}, which the register does not give it")
    return problems


def verify_registers(session: Session, ws: Workspace) -> list[str]:
    """Problems found in the registers and the dispatch book; empty when intact."""
    rows = session.scalars(select(RegisterLogRow).order_by(RegisterLogRow.register, RegisterLogRow.position, RegisterLogRow.id)).all()
    entries = session.scalars(select(RegisterEntry).order_by(RegisterEntry.register, RegisterEntry.year, RegisterEntry.seq)).all()
    from . import issued_files, key_status, registry  # noqa: F401  (they register their chained streams)
    from .archive import events  # noqa: F401

    problems: list[str] = []
    head = chain.read_head(ws)
    in_head = {s.split(":", 1)[1] for s in head.streams if s.startswith("register_log:")}
    for register in sorted({r.register for r in rows} | {e.register for e in entries} | in_head):
        own_rows = [r for r in rows if r.register == register]
        own_entries = [e for e in entries if e.register == register]
        chain_problems, state = _verify_chain(_chain_key(ws), register, own_rows)
        problems += chain_problems
        problems += chain.head_problems(ws, f"register_log:{register}", {r.position: r.hash for r in own_rows},
                                        f"register {register} log")
        problems += _compare_state(register, state, own_entries)
        keys = {(e.year, e.seq) for e in own_entries} | set(state)
        problems += _check_series(register, keys, [e.number for e in own_entries])
    problems += _numbers_lost(head, entries)
    problems += _verify_documents(entries, session.scalars(select(Document)).all())
    problems += verify_dispatches(session, ws)
    problems += chain.verify(session, ws)
    if not problems:
        _catch_up_head(session, ws, rows, entries)
    return problems


def _catch_up_head(session: Session, ws: Workspace, rows: list[RegisterLogRow], entries: list[RegisterEntry]) -> None:
    """An intact database whose head is behind (a crash between commit and head): move the head up now,
    rather than at the stream's next write, so that the window stays one transaction wide."""
    head = chain.Head()
    for row in rows:  # in position order per register: the last one wins
        head.streams[f"register_log:{row.register}"] = (row.position, row.hash)
    for entry in entries:
        key = f"{entry.register}:{entry.year}"
        head.numbers[key] = max(head.numbers.get(key, 0), entry.seq)
    last_dispatch = session.scalars(select(Dispatch).order_by(Dispatch.id.desc()).limit(1)).first()
    if last_dispatch is not None:
        head.streams["dispatches"] = (last_dispatch.id, last_dispatch.hash)
    for stream, (seq, hash_) in chain.tips(session).items():
        head.streams[f"chain:{stream}"] = (seq, hash_)
    if head.streams or head.numbers:
        chain.merge_head(ws, head)


def _numbers_lost(head: chain.Head, entries: list[RegisterEntry]) -> list[str]:
    """Numbers the head says were given that the register no longer has."""
    last: dict[str, int] = defaultdict(int)
    for e in entries:
        key = f"{e.register}:{e.year}"
        last[key] = max(last[key], e.seq)
    problems = []
    for key, given in sorted(head.numbers.items()):
        if given > last[key]:
            register, year = key.rsplit(":", 1)
            missing = f"no. {last[key] + 1}" if given == last[key] + 1 else f"no. {last[key] + 1}-{given}"
            problems.append(f"{register} {year}: {missing} was given (keys/{chain.HEAD_FILE}) but is missing "
                            "from the register (removed)")
    return problems


# --------------------------------------------------------------------------- listing


def _applications(session: Session, ids) -> dict[int, Application]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Application).where(Application.id.in_(ids)))}


def list_entries(session: Session, ws: Workspace, register: str, year: int | None = None) -> list[dict]:
    """The register's entries as plain dicts (what `register list` and the books show)."""
    register_settings(ws, register)
    query = select(RegisterEntry).where(RegisterEntry.register == register)
    if year is not None:
        query = query.where(RegisterEntry.year == year)
    entries = session.scalars(query.order_by(RegisterEntry.year, RegisterEntry.seq)).all()
    apps = _applications(session, (e.application_id for e in entries))
    return [_entry_row(e, apps.get(e.application_id), ws) for e in entries]


def _entry_row(entry: RegisterEntry, app: Application | None, ws=None) -> dict:
    return {
        "year": entry.year,
        "seq": entry.seq,
        "number": entry.number,
        "status": entry.status,
        "document": {"kind": entry.kind, "application": app.registration_number if app else None},
        "date": entry.date.isoformat(),
        "subject": entry.subject,
        "addressee": entry.addressee,
        "reason": entry.reason,
        "applicant_name": app.name if app else "",
        **_permit_facts(app, ws),
    }


def _permit_facts(app: Application | None, ws) -> dict:
    """What a register line says of the permit: its type, its place, and the type's permit rows."""
    from . import permit_types

    if app is None:
        return {"permit_type": "", "tempat": "", "rincian": ""}
    try:
        ptype = permit_types.get(ws, app.permit_type)
    except SikroError:  # a type the workspace no longer has: the line still lists
        return {"permit_type": app.permit_type or "", "tempat": "", "rincian": ""}
    facts = app.facts or {}
    name, address = place_fields(ptype)
    place = ", ".join(str(facts[k]) for k in (name, address) if k and facts.get(k))
    by_name = ptype.by_name
    rows = [f"{label}: {facts.get(by_name[field].storage_key)}" for label, field in ptype.permit_rows
            if by_name[field].storage_key not in (name, address) and facts.get(by_name[field].storage_key)]
    return {"permit_type": ptype.short_name, "tempat": place, "rincian": "; ".join(rows)}


# --------------------------------------------------------------------------- Buku Ekspedisi


def office_timezone(profile: dict) -> ZoneInfo:
    return clock.office_timezone(profile)


def parse_time(text: str, tz: ZoneInfo) -> dt.datetime:
    """ISO 8601 or dd-mm-yyyy HH:MM; a time without a zone is office time (WIB)."""
    text = text.strip()
    parsed = None
    for fmt in ("%d-%m-%Y %H:%M", "%d-%m-%Y %H.%M", "%d-%m-%Y"):
        try:
            parsed = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            pass
    if parsed is None:
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise SikroError(f"cannot read the time {text!r}; use ISO (2025-03-07T14:30) or dd-mm-yyyy HH:MM") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _final_document_of(session: Session, application: Application) -> Document:
    finals = [k.key for k in document_kinds().values() if k.final]
    document = session.scalars(
        select(Document)
        .where(Document.application_id == application.id, Document.kind.in_(finals),
               Document.status == "issued")
        .order_by(Document.date.desc(), Document.id.desc())
        .limit(1)
    ).first()
    if document is None:
        titles = " or ".join(document_kinds()[k].title for k in finals)
        raise SikroError(f"application {application.registration_number} has no issued {titles} to deliver.")
    return document


def resolve_dispatch_ref(session: Session, ref: str) -> Document:
    """REF is a document number, or a registration number meaning its final document."""
    documents = session.scalars(select(Document).where(Document.number == ref)).all()
    application = session.scalars(select(Application).where(Application.registration_number == ref)).first()
    issued = [d for d in documents if d.status == "issued"]
    if len(issued) > 1 or (issued and application is not None):
        raise SikroError(f"{ref} is ambiguous: it names more than one document; give the number of one.")
    if issued:
        return issued[0]
    if application is not None:
        return _final_document_of(session, application)
    if documents:
        raise SikroError(f"document {ref} is {documents[0].status}, it cannot be delivered.")
    raise SikroError(f"no document or application has the number {ref}.")


def record_dispatch(session: Session, ws: Workspace, ref: str, *, to: str, received_by: str,
                    at: dt.datetime | None = None, actor: str = "sikro") -> Dispatch:
    """Add a line to the Buku Ekspedisi: document REF delivered to `to`, signed for by `received_by`."""
    if not to.strip() or not received_by.strip():
        raise SikroError("a dispatch needs the addressee (--to) and who signed for it (--received-by).")
    tz = office_timezone(ws.profile)
    recover_interrupted(session, ws)
    document = resolve_dispatch_ref(session, ref)
    entry = _bound_entry(session, document)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=tz)  # a time without a zone is office time (WIB), not the server's
    delivered = (at or clock.now(ws.profile)).astimezone(tz).replace(microsecond=0)
    last = session.scalars(select(Dispatch).order_by(Dispatch.id.desc()).limit(1)).first()
    seq = (session.scalar(select(func.max(Dispatch.seq)).where(Dispatch.year == delivered.year)) or 0) + 1
    content = canonical_json({
        "year": delivered.year, "seq": seq, "document_id": document.id, "document_uid": document.uid,
        "number": document.number, "document_date": document.date.isoformat(), "kind": document.kind,
        "subject": entry.subject if entry else "", "addressee": to.strip(),
        "received_by": received_by.strip(), "delivered_at": delivered.isoformat(),
        "actor": actor, "recorded_at": utcnow().isoformat(),
    })
    prev_hash = last.hash if last else GENESIS_HASH
    row = Dispatch(year=delivered.year, seq=seq, document_id=document.id, content=content,
                   prev_hash=prev_hash, hash=chain_hash(_chain_key(ws), prev_hash, content))
    session.add(row)
    session.flush()
    chain.note_head(session, ws, "dispatches", row.id, row.hash)
    _record_event(session, document.application_id, "document.dispatched", actor,
                  number=document.number, kind=document.kind, to=to.strip(),
                  received_by=received_by.strip(), delivered_at=delivered.isoformat(),
                  ekspedisi=f"{seq}/{delivered.year}")
    return row


def verify_dispatches(session: Session, ws: Workspace) -> list[str]:
    rows = session.scalars(select(Dispatch).order_by(Dispatch.id)).all()
    document_ids = set(session.scalars(select(Document.id)))
    problems, prev_hash, keys = [], GENESIS_HASH, set()
    for row in rows:
        where = f"ekspedisi {row.year} no. {row.seq}"
        if row.prev_hash != prev_hash:
            problems.append(f"{where}: does not follow the previous line (a line was removed or inserted)")
        if not hmac.compare_digest(chain_hash(_chain_key(ws), row.prev_hash, row.content), row.hash):
            problems.append(f"{where}: line was edited (hash mismatch)")
        prev_hash = row.hash
        try:
            data = json.loads(row.content)
        except ValueError:
            data = {}  # reported below as columns that differ from the line
        if (data.get("year"), data.get("seq"), data.get("document_id")) != (row.year, row.seq, row.document_id):
            problems.append(f"{where}: columns differ from the recorded line (edited)")
        if row.document_id not in document_ids:
            problems.append(f"{where}: its document is missing")
        keys.add((row.year, row.seq))
    problems += chain.head_problems(ws, "dispatches", {row.id: row.hash for row in rows}, "ekspedisi")
    return problems + _check_series("ekspedisi", keys, [])


def list_dispatches(session: Session, year: int | None = None) -> list[dict]:
    query = select(Dispatch)
    if year is not None:
        query = query.where(Dispatch.year == year)
    rows = session.scalars(query.order_by(Dispatch.year, Dispatch.seq)).all()
    return [{**row.data, "status": "used", "date": row.data["document_date"]} for row in rows]
