"""How chained states read before migration 0008 (permit types), for the restate that follows it.

The chain (sikro_docs/chain.py) keeps each subject's state as the tool wrote it. Revision 0008 gave
the states new keys; db.migrate then chains the new state of every subject whose chained state is
its current state as it read before (chain.Restate). These functions say what "as it read before"
means; they name the old keys, which exist only in workspaces made before 0008.
"""

from __future__ import annotations

REVISION = "0008_permit_types"

# The application stream: 0008 added the permit type, the application kind and the previous permit.
APPLICATION_KEYS_ADDED = ("permit_type", "application_kind", "previous_number", "previous_date")

# The document stream: before 0008 a signed document's state named the two facts its QR code
# carried so; 0008 moved them into `fields` (the type's field names) beside `permit_type`.
DOCUMENT_KEYS_V1 = {"str_number": "no_str", "workplace": "nama_tempat_kerja"}
DOCUMENT_KEYS_ADDED = ("permit_type", "fields", "replaced_by_id", "replaced_at", "replaced_by")


def application_was_before(chained: dict, current: dict) -> bool:
    """The chained state is the current one without the keys 0008 added."""
    return chained == {k: v for k, v in current.items() if k not in APPLICATION_KEYS_ADDED}


def document_was_before(chained: dict, current: dict) -> bool:
    """The chained state is the current one with the QR facts under their keys of before 0008."""
    if not set(DOCUMENT_KEYS_V1) <= chained.keys() or "fields" not in current:
        return False
    fields = current.get("fields") or {}
    for old, name in DOCUMENT_KEYS_V1.items():
        if (chained[old] or "") != (fields.get(name) or ""):
            return False
    rest_then = {k: v for k, v in chained.items() if k not in DOCUMENT_KEYS_V1}
    rest_now = {k: v for k, v in current.items() if k not in DOCUMENT_KEYS_ADDED}
    added_unset = all(current.get(k) is None for k in DOCUMENT_KEYS_ADDED if k not in ("permit_type", "fields"))
    return rest_then == rest_now and added_unset
