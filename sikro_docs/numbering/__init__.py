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
  number as `pending`, owned by this process's lease (the lock `lease:<id>`
  held for the life of the process, see leases.py: on PostgreSQL a
  session-level advisory lock every host sharing the database sees, on SQLite
  an flock on `<workspace>/locks/<lease>.lock`; the `leases` table names its
  host and pid); the caller then produces the files; transaction 2 marks both
  issued. If the process dies in between, its lock goes with it (the server
  or the kernel drops it), and the next command that touches a register, on
  any host, voids the entry with reason "interrupted".
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


The modules, each of one concern (this package re-exports their public names):
tables, kinds, placeholders, registers, leases, log, document_stream,
allocation, issue (two-phase), voiding (and recovery), verification, listing,
dispatch (the Buku Ekspedisi).
"""

from __future__ import annotations

from .allocation import (
    BlockRequest,
    CounterBehind,
    NumbersLost,
    PendingRequest,
    allocate,
    allocate_block,
    allocate_many,
)
from .dispatch import list_dispatches, record_dispatch, resolve_dispatch_ref, verify_dispatches
from .document_stream import DOCUMENT_LABELS, DOCUMENT_STREAM, chain_document, document_state
from .issue import (
    DocumentRevoked,
    FinishHook,
    IssueRequest,
    Produced,
    find_issued,
    find_issued_for,
    find_revoked_for,
    issue_document,
    issue_documents,
    new_uid,
    revocation_of,
)
from .kinds import (
    KINDS_FILE,
    DocumentKind,
    KindNotForApplication,
    document_kind,
    document_kinds,
    document_kinds_data,
    kind_for_application,
)
from .leases import (
    LOCKS_DIR,
    Lease,
    current_lease,
    lease_is_alive,
)
from .listing import list_entries
from .log import ENTRY_FIELDS, GENESIS_HASH, canonical_json, chain_hash, entry_snapshot
from .placeholders import (
    PLACEHOLDERS,
    REQUIRED_PLACEHOLDERS,
    ROMAN_MONTHS,
    fill_placeholders,
    place_fields,
    placeholder_values,
)
from .registers import (
    SHARED_REGISTER,
    all_registers,
    format_number,
    permit_register,
    register_for,
    register_settings,
    registers_mode,
    type_registers,
)
from .tables import INTERRUPTED, Dispatch, Document, RegisterEntry, RegisterLogRow
from .verification import verify_registers
from .voiding import recover_interrupted, void, void_document

__all__ = [
    "BlockRequest",
    "DOCUMENT_LABELS",
    "DOCUMENT_STREAM",
    "Dispatch",
    "Document",
    "DocumentKind",
    "DocumentRevoked",
    "ENTRY_FIELDS",
    "FinishHook",
    "GENESIS_HASH",
    "INTERRUPTED",
    "IssueRequest",
    "KINDS_FILE",
    "KindNotForApplication",
    "LOCKS_DIR",
    "Lease",
    "NumbersLost",
    "CounterBehind",
    "PLACEHOLDERS",
    "PendingRequest",
    "Produced",
    "REQUIRED_PLACEHOLDERS",
    "ROMAN_MONTHS",
    "RegisterEntry",
    "RegisterLogRow",
    "SHARED_REGISTER",
    "all_registers",
    "allocate",
    "allocate_block",
    "allocate_many",
    "canonical_json",
    "chain_document",
    "chain_hash",
    "current_lease",
    "document_kind",
    "document_kinds",
    "document_kinds_data",
    "document_state",
    "entry_snapshot",
    "fill_placeholders",
    "find_issued",
    "find_issued_for",
    "find_revoked_for",
    "format_number",
    "issue_document",
    "issue_documents",
    "kind_for_application",
    "lease_is_alive",
    "list_dispatches",
    "list_entries",
    "new_uid",
    "permit_register",
    "place_fields",
    "placeholder_values",
    "record_dispatch",
    "recover_interrupted",
    "register_for",
    "register_settings",
    "registers_mode",
    "resolve_dispatch_ref",
    "revocation_of",
    "type_registers",
    "verify_dispatches",
    "verify_registers",
    "void",
    "void_document",
]
