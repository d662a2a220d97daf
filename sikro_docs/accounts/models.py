"""The accounts' tables (migration 0009): users, their roles, sessions, API tokens, failed sign-ins.

Secrets are never stored as given: a password as its Argon2 hash, a session's
cookie and an API token as their SHA-256 (both are 256-bit random values, so a
fast hash suffices; whoever reads the database learns no live session).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base, utcnow
from ..timestamps import UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # lower case (users.normal_username)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)  # Argon2id, as argon2-cffi encodes it
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="UserRole.role")

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(sorted(r.role for r in self.role_rows))

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class UserSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())  # sign-in + session_hours
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(40))  # logout | disabled | password | admin | replaced
    client: Mapped[str] = mapped_column(String(64), default="")
    seal: Mapped[str] = mapped_column(String(64))  # HMAC of who and until when (seal.py): a row inserted by hand fails


class ApiToken(Base):
    """A per-user token for the JSON API (`Authorization: Bearer sikro_<prefix>_<secret>`)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists: which token it is, not the token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    seal: Mapped[str] = mapped_column(String(64))  # HMAC of who and until when (seal.py)


class LoginFailure(Base):
    """A wrong password (or unknown user name): counted per user name and per address for the
    lockout and the throttle; rows older than the lockout window are removed."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
