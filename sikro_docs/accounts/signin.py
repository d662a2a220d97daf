"""Signing in: the password checked, wrong ones counted, a user name locked, an address throttled.

`lockout_after` wrong passwords for one user name within `lockout` lock that
name for `lockout` (counted from the wrong passwords: the lock lifts when
enough of them are older than that); `address_failures` from one address
within `lockout` refuse that address as long. A locked or throttled attempt
checks no password and counts nothing. An unknown user name, a wrong
password and a disabled account get one answer (LoginFailed) after the same
work (one Argon2 check), and an unknown name is counted and locked like a
known one, so the answers tell nobody which names exist.

The Argon2 check runs outside any transaction; the counting and the new
session are one short write transaction each.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import clock, db
from . import audit
from .errors import AccountTampered, BadUsername, LoginFailed, LoginLocked, LoginThrottled
from .models import LoginFailure, User
from .passwords import hash_password, needs_rehash, password_matches, waste_a_check
from .policy import AccountPolicy
from .seal import secret_digest
from .sessions import SignedIn, end_session, signed_in, start_session
from .users import normal_username

MAX_PASSWORD_CHARS = 1024  # a longer "password" is not hashed (the form's limit is far below)


@dataclass(frozen=True)
class Signed:
    who: SignedIn
    token: str  # the new session's cookie


def _minutes(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def _failures(session: Session, column, value: str, since: dt.datetime) -> list[dt.datetime]:
    rows = session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > since)
                           .order_by(LoginFailure.at.desc()))
    return [at for at in rows]


def locked_until(session: Session, username: str, policy: AccountPolicy, now: dt.datetime) -> dt.datetime | None:
    """When the lock of `username` lifts, or None when it is not locked."""
    recent = _failures(session, LoginFailure.username, username, now - policy.lockout)
    if len(recent) < policy.lockout_after:
        return None
    return recent[policy.lockout_after - 1] + policy.lockout


def _throttled_until(session: Session, client: str, policy: AccountPolicy, now: dt.datetime) -> dt.datetime | None:
    recent = _failures(session, LoginFailure.client, client, now - policy.lockout)
    if len(recent) < policy.address_failures:
        return None
    return recent[policy.address_failures - 1] + policy.lockout


def sign_in(ws, username: str, password: str, client: str, *, replacing: str | None = None) -> Signed:
    """A new session for `username` with `password` from `client` (an address); the session of
    `replacing` (a cookie the browser still had) ends: the session id is new at every sign-in."""
    policy = AccountPolicy.from_profile(ws.profile)
    client = (client or "unknown")[:64]
    try:
        name = normal_username(username)
    except BadUsername:
        name = str(username or "").strip().lower()[:64]
    now = clock.utcnow()
    with db.session(ws) as session:
        _refuse_if_held(session, name, client, policy, now)
        user = session.scalars(select(User).where(User.username == name)).first()
        stored = user.password_hash if user is not None else None
    if len(password or "") > MAX_PASSWORD_CHARS:
        right = False
    elif stored is None:
        waste_a_check(password or "")
        right = False
    else:
        right = password_matches(stored, password)
    if not right or user.disabled:
        _count_failure(ws, name, client, policy)
    _refuse_if_tampered(ws, name, client)
    rehashed = hash_password(password) if needs_rehash(stored) else None
    with db.session(ws, write=True) as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        if user is None or user.disabled or user.password_hash != stored:
            raise LoginFailed()  # changed meanwhile: sign in again
        session.execute(delete(LoginFailure).where(LoginFailure.username == name))
        if rehashed:
            user.password_hash = rehashed
            audit.record(session, ws, user, "password", user.username, {"rehashed": True})
        user.last_login_at = now
        token = start_session(session, ws, user, client, policy)
        audit.record(session, ws, user, "login", user.username, {"client": client}, chained=False)
        who = signed_in(user, secret_digest(token))
    if replacing:
        end_session(ws, replacing, "replaced")
    return Signed(who, token)


def _refuse_if_tampered(ws, name: str, client: str) -> None:
    """The right password of an account edited behind the tool's back: refused, and the refusal kept."""
    with db.session(ws) as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        if audit.state_is_chained(session, ws, user):
            return
    with db.session(ws, write=True) as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        audit.record(session, ws, user, "login-refused", user.username,
                     {"client": client, "why": "the account differs from its chained state"}, chained=False)
    raise AccountTampered(username=name)


def _refuse_if_held(session: Session, name: str, client: str, policy: AccountPolicy, now: dt.datetime) -> None:
    throttled = _throttled_until(session, client, policy, now)
    if throttled:
        raise LoginThrottled(minutes=_minutes(throttled, now))
    locked = locked_until(session, name, policy, now)
    if locked:
        raise LoginLocked(minutes=_minutes(locked, now))


def _count_failure(ws, name: str, client: str, policy: AccountPolicy):
    """Count a wrong password; raise LoginLocked when it locks the name, else LoginFailed."""
    now = clock.utcnow()
    with db.session(ws, write=True) as session:
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - policy.lockout))
        session.add(LoginFailure(username=name, client=client, at=now))
        session.flush()
        until = locked_until(session, name, policy, now)
        user = session.scalars(select(User).where(User.username == name)).first()
        if until and user is not None and len(_failures(session, LoginFailure.username, name,
                                                        now - policy.lockout)) == policy.lockout_after:
            audit.record(session, ws, user, "locked", "sikro", {"client": client, "until": until.isoformat()},
                         chained=False)
    if until:
        raise LoginLocked(minutes=_minutes(until, now))
    raise LoginFailed()
