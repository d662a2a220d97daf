"""Every change of an account is an event and a link of the evidence chain, with who made it.

An event (`events`, no application) says what happened: `account.created`,
`account.roles`, `account.disabled`, `account.enabled`, `account.password`,
`account.unlocked`, `account.locked`, `account.login`, `account.logout`,
`account.token-created`, `account.token-revoked`, `account.sessions-ended`.
The chain's stream `account` holds each account's state after every change
(user name, name, roles, disabled, must change password, and a digest of the
password hash), so `sikro register verify` names an account edited in the
database behind the tool's back, and such an account cannot sign in
(`state_is_chained`): nobody gives himself a role or another user's password
by editing `sikro.db` alone.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import chain
from ..models import Event
from .models import User

ACCOUNT_STREAM = "account"
LABELS = {"roles": "roles", "disabled": "disabled", "credential": "password", "display_name": "name",
          "must_change_password": "must change password"}


def account_state(user: User) -> dict:
    """What the chain holds of an account (never the password, nor its hash: a digest of the hash)."""
    return {"username": user.username, "display_name": user.display_name, "roles": list(user.roles),
            "disabled": user.disabled, "must_change_password": bool(user.must_change_password),
            "credential": hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()}


def record(session: Session, ws, user: User, action: str, actor: str, details: dict | None = None,
           *, chained: bool = True) -> None:
    """The event of `action` on `user` by `actor`; with `chained`, the account's new state too.

    For a new account call this before adding the user to the session: the chain's first
    link then finds no account to adopt (chain.py's trust on first use is for older data).
    """
    if chained:
        chain.append(session, ws, ACCOUNT_STREAM, user.username, account_state(user), actor)
    session.add(Event(application_id=None, actor=actor, action=f"account.{action}",
                      details={"user": user.username, **(details or {})}))


def _accounts_now(session: Session) -> dict[str, dict]:
    return {u.username: account_state(u) for u in session.scalars(select(User))}


chain.track(ACCOUNT_STREAM, _accounts_now, lambda username, _state: f"account {username}", LABELS)


# --------------------------------------------------------------------------- signing in only as chained

_VERIFIED: dict[tuple[str, int], str] = {}  # (database, user id) -> digest of the state found chained


def state_is_chained(session: Session, ws, user: User) -> bool:
    """True when the account is as its newest chain link says and the stream lost no link.

    Checked at every sign-in and whenever an account's state changes between requests;
    the digest of the state last found chained is remembered, so a request costs nothing more.
    """
    state = chain.plain(account_state(user))
    digest = hashlib.sha256(chain.canonical_json(state).encode("utf-8")).hexdigest()
    key = (ws.db_url, user.id)
    if _VERIFIED.get(key) == digest:
        return True
    ok = _chained_as(session, ws, user.username, state)
    if ok:
        _VERIFIED[key] = digest
    return ok


def _chained_as(session: Session, ws, username: str, state: dict) -> bool:
    row = session.scalars(select(chain.ChainRow).where(chain.ChainRow.stream == ACCOUNT_STREAM,
                                                       chain.ChainRow.subject == username)
                          .order_by(chain.ChainRow.seq.desc()).limit(1)).first()
    if row is None or not chain.row_is_authentic(session, row, ws):
        return False
    try:
        chained = json.loads(row.content)
    except ValueError:
        return False
    if chained.get("subject") != username or chained.get("data") != state:
        return False
    count, last = session.execute(select(func.count(), func.max(chain.ChainRow.seq))
                                  .where(chain.ChainRow.stream == ACCOUNT_STREAM)).one()
    head = chain.read_head(ws)
    if head.problem or not head.exists:
        return False
    known = head.streams.get(f"chain:{ACCOUNT_STREAM}")
    # a link removed (a gap), or the newest links removed (the head outside the database is ahead)
    return count == last and (known is None or last >= known[0])
