"""Per-user API tokens: `sikro_<prefix>_<secret>`, shown once, kept as SHA-256 with a seal.

A token acts for its user with the user's roles as they are at each request;
it stops working when it is revoked, when it expires, or while its user is
disabled. Creating and revoking one is an event of the account.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from .. import clock, db
from . import audit
from .errors import UnknownToken
from .models import ApiToken, User
from .seal import seal, sealed, secret_digest
from .sessions import TOUCH_EVERY, SignedIn, signed_in
from .users import find_user

TOKEN = "token"
PREFIX = "sikro_"
MAX_TOKEN_CHARS = 100
NAME_MAX = 100


@dataclass(frozen=True)
class TokenView:
    id: int
    username: str
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked: bool

    def as_json(self) -> dict:
        moment = lambda t: t.isoformat() if t else None  # noqa: E731
        return {"id": self.id, "user": self.username, "name": self.name, "prefix": self.prefix,
                "created_at": moment(self.created_at), "expires_at": moment(self.expires_at),
                "last_used_at": moment(self.last_used_at), "revoked": self.revoked}


def _view(token: ApiToken, username: str) -> TokenView:
    return TokenView(token.id, username, token.name, token.prefix, token.created_at,
                     token.expires_at, token.last_used_at, token.revoked_at is not None)


def create_token(ws, username: str, name: str, *, actor: str, days: int | None = None) -> tuple[TokenView, str]:
    """A new token of the user; returns it with its text (shown this once, never stored)."""
    label = " ".join(str(name or "").split())[:NAME_MAX] or "API"
    prefix = secrets.token_hex(4)
    text = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = clock.utcnow()
    expires = now + dt.timedelta(days=days) if days else None
    with db.session(ws, write=True) as session:
        user = find_user(session, username)
        digest = secret_digest(text)
        row = ApiToken(user_id=user.id, name=label, prefix=prefix, token_hash=digest, created_at=now,
                       expires_at=expires, seal=seal(ws, TOKEN, digest, user.id, now, expires))
        session.add(row)
        session.flush()
        audit.record(session, ws, user, "token-created", actor,
                     {"token": row.id, "name": label, "prefix": prefix,
                      "expires_at": expires.isoformat() if expires else None}, chained=False)
        return _view(row, user.username), text


def list_tokens(ws, username: str | None = None) -> list[TokenView]:
    with db.session(ws) as session:
        query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
        if username:
            query = query.where(ApiToken.user_id == find_user(session, username).id)
        return [_view(token, name) for token, name in session.execute(query)]


def revoke_token(ws, token_id: int, *, actor: str) -> TokenView:
    with db.session(ws, write=True) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise UnknownToken(token_id=token_id)
        user = session.get(User, row.user_id)
        if row.revoked_at is None:
            row.revoked_at = clock.utcnow()
            audit.record(session, ws, user, "token-revoked", actor, {"token": row.id, "name": row.name},
                         chained=False)
        return _view(row, user.username)


def token_user(ws, text: str | None) -> SignedIn | None:
    """The account an API token acts for, or None (unknown, revoked, expired, not sealed, its user
    disabled or not as chained)."""
    if not text or not text.startswith(PREFIX) or len(text) > MAX_TOKEN_CHARS:
        return None
    now = clock.utcnow()
    with db.session(ws) as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == secret_digest(text))).first()
        if row is None or row.revoked_at is not None or not sealed(ws, TOKEN, row):
            return None
        if row.expires_at is not None and now >= row.expires_at:
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled or not audit.state_is_chained(session, ws, user):
            return None
        stale = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
        who = signed_in(user, f"token:{row.id}", via=TOKEN)
    if stale:
        with db.session(ws, write=True) as session:
            session.get(ApiToken, int(who.credential.split(":")[1])).last_used_at = now
    return who
