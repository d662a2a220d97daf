"""Accounts: adding a user, their roles, disabling and enabling, passwords, unlocking.

Every function takes `actor` (who did it: the signed-in user in the console,
`--by` or the OS user in the CLI) and records the change as an event and a
chain link (audit.py) in the transaction that makes it. A user name is lower
case; roles are keys of the role book (roles.py), given by key or by name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import clock, db
from . import audit
from .errors import (
    BadUsername,
    DisplayNameInvalid,
    LastAdmin,
    NoRoles,
    PasswordsDiffer,
    PasswordUnchanged,
    UnknownUser,
    UserExists,
    WrongPassword,
)
from .models import LoginFailure, User, UserRole, UserSession
from .passwords import check_new_password, hash_password, password_matches
from .policy import AccountPolicy
from .roles import MANAGE_USERS, RoleBook, role_book

USERNAME_MIN, USERNAME_MAX = 3, 32
_USERNAME = re.compile(rf"^[a-z][a-z0-9._-]{{{USERNAME_MIN - 1},{USERNAME_MAX - 1}}}$")
DISPLAY_NAME_MAX = 200


@dataclass(frozen=True)
class UserView:
    """An account as lists and pages show it (never its password hash)."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    disabled: bool
    must_change_password: bool
    locked: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    sessions: int  # open sessions now

    def as_json(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "roles": list(self.roles),
                "disabled": self.disabled, "must_change_password": self.must_change_password,
                "locked": self.locked, "created_at": self.created_at.isoformat(),
                "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
                "sessions": self.sessions}


def normal_username(text: str) -> str:
    name = str(text or "").strip().lower()
    if not _USERNAME.match(name):
        raise BadUsername(username=str(text)[:40], minimum=USERNAME_MIN, maximum=USERNAME_MAX)
    return name


def _display_name(text: str) -> str:
    name = " ".join(str(text or "").split())
    if not name or len(name) > DISPLAY_NAME_MAX or not name.isprintable():
        raise DisplayNameInvalid(maximum=DISPLAY_NAME_MAX)
    return name


def _roles(book: RoleBook, roles) -> list[str]:
    keys = sorted({book.resolve(r) for r in roles})
    if not keys:
        raise NoRoles(known=", ".join(book.roles))
    return keys


def find_user(session: Session, username: str) -> User:
    name = str(username or "").strip().lower()
    user = session.scalars(select(User).where(User.username == name)).first()
    if user is None:
        raise UnknownUser(username=str(username)[:40])
    return user


def any_users(ws) -> bool:
    with db.session(ws) as session:
        return session.scalar(select(func.count()).select_from(User)) > 0


# --------------------------------------------------------------------------- adding, listing


def add_user(ws, username: str, display_name: str, roles, password: str, *, actor: str,
             temporary: bool = True) -> UserView:
    """A new account; `temporary`: the password is one to change at the first sign-in."""
    name, shown = normal_username(username), _display_name(display_name)
    keys = _roles(role_book(ws), roles)
    check_new_password(password, name, AccountPolicy.from_profile(ws.profile))
    hashed = hash_password(password)  # slow (Argon2): before the write lock is taken
    now = clock.utcnow()
    with db.session(ws, write=True) as session:
        if session.scalars(select(User.id).where(User.username == name)).first() is not None:
            raise UserExists(username=name)
        user = User(username=name, display_name=shown, password_hash=hashed, must_change_password=temporary,
                    created_at=now, updated_at=now, password_changed_at=now,
                    role_rows=[UserRole(role=k) for k in keys])
        audit.record(session, ws, user, "created", actor, {"roles": keys, "temporary_password": temporary})
        session.add(user)
        session.flush()
        return _view(session, user, AccountPolicy.from_profile(ws.profile))


def list_users(ws) -> list[UserView]:
    policy = AccountPolicy.from_profile(ws.profile)
    with db.session(ws) as session:
        return [_view(session, u, policy) for u in session.scalars(select(User).order_by(User.username))]


def user_view(ws, username: str) -> UserView:
    with db.session(ws) as session:
        return _view(session, find_user(session, username), AccountPolicy.from_profile(ws.profile))


def _view(session: Session, user: User, policy: AccountPolicy) -> UserView:
    now = clock.utcnow()
    from .signin import locked_until  # late: signin imports this module

    sessions = session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None), UserSession.expires_at > now))
    return UserView(user.username, user.display_name, user.roles, user.disabled, bool(user.must_change_password),
                    locked_until(session, user.username, policy, now) is not None, user.created_at,
                    user.last_login_at, int(sessions or 0))


# --------------------------------------------------------------------------- roles, disabling


def change_roles(ws, username: str, *, actor: str, add=(), remove=(), set_to=None) -> UserView:
    """Give roles (`add`), take them (`remove`), or make them exactly `set_to`; at least one stays."""
    book = role_book(ws)
    added, removed = {book.resolve(r) for r in add}, {book.resolve(r) for r in remove}
    wanted = set(_roles(book, set_to)) if set_to is not None else None
    with db.session(ws, write=True) as session:
        user = find_user(session, username)
        before = set(user.roles)
        after = wanted if wanted is not None else (before | added) - removed
        if not after:
            raise NoRoles(known=", ".join(book.roles))
        if after == before:
            return _view(session, user, AccountPolicy.from_profile(ws.profile))
        _keep_an_admin(session, book, user, after, disabled=user.disabled)
        user.role_rows = [r for r in user.role_rows if r.role in after] + [
            UserRole(role=k) for k in sorted(after - before)]
        user.updated_at = clock.utcnow()
        audit.record(session, ws, user, "roles", actor,
                     {"added": sorted(after - before), "removed": sorted(before - after), "roles": sorted(after)})
        session.flush()
        return _view(session, user, AccountPolicy.from_profile(ws.profile))


def _keep_an_admin(session: Session, book: RoleBook, user: User, roles_after: set, *, disabled: bool) -> None:
    """Refuse to leave the office without an enabled account that manages accounts."""
    managers = book.holders_of(MANAGE_USERS)
    if not (set(user.roles) & managers) or user.disabled:
        return  # the user is no manager now: the change cannot remove the last one
    if not disabled and roles_after & managers:
        return
    others = session.scalar(select(func.count(func.distinct(User.id))).join(UserRole).where(
        User.id != user.id, User.disabled_at.is_(None), UserRole.role.in_(managers)))
    if not others:
        role = sorted(set(user.roles) & managers)[0]
        raise LastAdmin(username=user.username, role=book.name(role))


def disable_user(ws, username: str, *, actor: str) -> UserView:
    """The account can no longer sign in; its sessions end now (its API tokens stop working)."""
    book = role_book(ws)
    with db.session(ws, write=True) as session:
        user = find_user(session, username)
        if user.disabled:
            return _view(session, user, AccountPolicy.from_profile(ws.profile))
        _keep_an_admin(session, book, user, set(user.roles), disabled=True)
        user.disabled_at = user.updated_at = clock.utcnow()
        ended = end_sessions(session, user.id, "disabled")
        audit.record(session, ws, user, "disabled", actor, {"sessions_ended": ended})
        session.flush()
        return _view(session, user, AccountPolicy.from_profile(ws.profile))


def enable_user(ws, username: str, *, actor: str) -> UserView:
    with db.session(ws, write=True) as session:
        user = find_user(session, username)
        if user.disabled:
            user.disabled_at, user.updated_at = None, clock.utcnow()
            audit.record(session, ws, user, "enabled", actor)
            session.flush()
        return _view(session, user, AccountPolicy.from_profile(ws.profile))


def end_sessions(session: Session, user_id: int, reason: str, *, keep: str | None = None) -> int:
    """End every open session of the user (but `keep`, a session's token hash); how many ended."""
    now = clock.utcnow()
    ended = 0
    for row in session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                         UserSession.ended_at.is_(None))):
        if row.token_hash != keep:
            row.ended_at, row.end_reason = now, reason
            ended += 1
    return ended


def end_all_sessions(ws, username: str, *, actor: str) -> int:
    with db.session(ws, write=True) as session:
        user = find_user(session, username)
        ended = end_sessions(session, user.id, "admin")
        audit.record(session, ws, user, "sessions-ended", actor, {"sessions_ended": ended}, chained=False)
        return ended


# --------------------------------------------------------------------------- passwords


def set_password(ws, username: str, password: str, *, actor: str, temporary: bool = True) -> UserView:
    """A new password set for the user (by an admin: `temporary`, to change at the next sign-in);
    the user's sessions end and a lock from wrong passwords is lifted."""
    policy = AccountPolicy.from_profile(ws.profile)
    with db.session(ws) as session:
        name = find_user(session, username).username
    check_new_password(password, name, policy)
    hashed = hash_password(password)
    with db.session(ws, write=True) as session:
        user = find_user(session, name)
        _store_password(session, ws, user, hashed, actor, temporary=temporary)
        _clear_failures(session, user.username)
        session.flush()
        return _view(session, user, policy)


def change_own_password(ws, user_id: int, current: str, new: str, repeated: str, *, keep: str | None) -> None:
    """The signed-in user's own change: the current password, the new one twice. Every other
    session of the user ends (`keep`: this session's token hash)."""
    policy = AccountPolicy.from_profile(ws.profile)
    with db.session(ws) as session:
        user = session.get(User, user_id)
        if user is None:
            raise UnknownUser(username=str(user_id))
        name, old_hash = user.username, user.password_hash
    if not password_matches(old_hash, current):
        raise WrongPassword()
    if new != repeated:
        raise PasswordsDiffer()
    if password_matches(old_hash, new):
        raise PasswordUnchanged()
    check_new_password(new, name, policy)
    hashed = hash_password(new)
    with db.session(ws, write=True) as session:
        user = session.get(User, user_id)
        _store_password(session, ws, user, hashed, user.username, temporary=False, keep=keep)


def _store_password(session: Session, ws, user: User, hashed: str, actor: str, *, temporary: bool,
                    keep: str | None = None) -> None:
    user.password_hash, user.must_change_password = hashed, temporary
    user.password_changed_at = user.updated_at = clock.utcnow()
    ended = end_sessions(session, user.id, "password", keep=keep)
    audit.record(session, ws, user, "password", actor, {"temporary": temporary, "sessions_ended": ended})


def unlock_user(ws, username: str, *, actor: str) -> UserView:
    """Lift the lock of repeated wrong passwords (the count starts again)."""
    with db.session(ws, write=True) as session:
        user = find_user(session, username)
        removed = _clear_failures(session, user.username)
        audit.record(session, ws, user, "unlocked", actor, {"failures_cleared": removed}, chained=False)
        return _view(session, user, AccountPolicy.from_profile(ws.profile))


def _clear_failures(session: Session, username: str) -> int:
    return session.execute(delete(LoginFailure).where(LoginFailure.username == username)).rowcount or 0
