"""Seals: an HMAC (keyed with the workspace's chain secret, keys/chain.secret) over the fields of
a session or API token row that say whose it is and until when.

Whoever can write `sikro.db` but not read `keys/` cannot insert a session or a
token of his own for another user's account: its seal would not match, and
the row is not accepted (sessions.py, tokens.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from functools import lru_cache
from pathlib import Path

from ..keys import chain_secret


@lru_cache(maxsize=8)
def _key(keys_dir: str) -> bytes:
    # a key of its own, derived from the chain secret: a seal is never a valid chain link
    return hmac.new(chain_secret(Path(keys_dir)), b"sikro accounts seal v1", hashlib.sha256).digest()


def seal(ws, kind: str, token_hash: str, user_id: int, created: dt.datetime, expires: dt.datetime | None) -> str:
    parts = [kind, token_hash, str(user_id), created.astimezone(dt.UTC).isoformat(),
             expires.astimezone(dt.UTC).isoformat() if expires else "-"]
    return hmac.new(_key(str(ws.keys_dir)), "|".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()


def sealed(ws, kind: str, row) -> bool:
    """The row's seal matches its fields (sessions and tokens: token_hash, user_id, created_at, expires_at)."""
    wanted = seal(ws, kind, row.token_hash, row.user_id, row.created_at, row.expires_at)
    return hmac.compare_digest(wanted, row.seal or "")


def secret_digest(secret: str) -> str:
    """How a session's cookie or an API token is kept: SHA-256 (it is 256 random bits)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
