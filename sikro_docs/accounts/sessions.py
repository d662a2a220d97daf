"""Server-side sessions: the browser holds a random token, the table its SHA-256 and a seal.

A session ends when its user signs out, after `session_idle` without a
request, `session_max` after sign-in, when the user is disabled, when the
password changes (every other session of the user), or when an admin ends
it. Whatever the cookie says, only a row that is open, sealed, of an enabled
user whose account is as the evidence chain says (audit.state_is_chained)
signs a request in.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, db
from .audit import state_is_chained
from .models import User, UserSession
from .policy import AccountPolicy
from .seal import seal, sealed, secret_digest

SESSION = "session"
# last_seen_at is written at most this often (a page view is a read, not a write, most of the time)
TOUCH_EVERY = dt.timedelta(seconds=60)
MAX_TOKEN_CHARS = 100  # a cookie longer than any token the console makes is not looked up


@dataclass(frozen=True)
class SignedIn:
    """Who a request comes from: the account, and the session (or API token) it came with."""

    user_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    must_change_password: bool
    credential: str  # the session's token hash (the CSRF token is made from it), or "token:<id>"
    via: str = SESSION  # "session" | "token"


def signed_in(user: User, credential: str, via: str = SESSION) -> SignedIn:
    return SignedIn(user.id, user.username, user.display_name, user.roles, bool(user.must_change_password),
                    credential, via)


def start_session(session: Session, ws, user: User, client: str, policy: AccountPolicy) -> str:
    """A new session of `user` (in the caller's write transaction); returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = clock.utcnow()
    digest = secret_digest(token)
    expires = now + policy.session_max
    session.add(UserSession(token_hash=digest, user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=expires, client=client[:64],
                            seal=seal(ws, SESSION, digest, user.id, now, expires)))
    return token


def _open_row(session: Session, ws, token: str, policy: AccountPolicy, now: dt.datetime) -> UserSession | None:
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    row = session.scalars(select(UserSession).where(UserSession.token_hash == secret_digest(token))).first()
    if row is None or row.ended_at is not None or not sealed(ws, SESSION, row):
        return None
    if now >= row.expires_at or now >= row.last_seen_at + policy.session_idle:
        return None
    return row


def session_user(ws, token: str | None, policy: AccountPolicy) -> SignedIn | None:
    """The account a session cookie signs in, or None (no such session, ended, expired, idle too
    long, its user disabled or not as chained). A session past its time is marked ended."""
    now = clock.utcnow()
    with db.session(ws) as session:
        row = _open_row(session, ws, token or "", policy, now)
        if row is None:
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled or not state_is_chained(session, ws, user):
            return None
        stale = now - row.last_seen_at >= TOUCH_EVERY
        who = signed_in(user, row.token_hash)
    if stale:
        _touch(ws, who.credential, now)
    return who


def _touch(ws, token_hash: str, now: dt.datetime) -> None:
    with db.session(ws, write=True) as session:
        row = session.scalars(select(UserSession).where(UserSession.token_hash == token_hash)).first()
        if row is not None and row.ended_at is None:
            row.last_seen_at = now


def end_session(ws, token: str | None, reason: str) -> SignedIn | None:
    """End the session of `token` (sign-out, or replaced at sign-in); who it was, if open."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    with db.session(ws, write=True) as session:
        row = session.scalars(select(UserSession).where(UserSession.token_hash == secret_digest(token))).first()
        if row is None or row.ended_at is not None:
            return None
        row.ended_at, row.end_reason = clock.utcnow(), reason
        user = session.get(User, row.user_id)
        return signed_in(user, row.token_hash) if user else None


def rotate_session(ws, token: str, client: str, policy: AccountPolicy) -> str | None:
    """A fresh token for the session of `token` (after a password change): the old one ends."""
    with db.session(ws, write=True) as session:
        row = _open_row(session, ws, token, policy, clock.utcnow())
        if row is None:
            return None
        row.ended_at, row.end_reason = clock.utcnow(), "rotated"
        return start_session(session, ws, session.get(User, row.user_id), client, policy)
