"""The demo's accounts: one user per role, each with a one-time password printed once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .. import db
from .models import User
from .passwords import one_time_password
from .roles import role_book
from .users import add_user

ACTOR = "demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    password: str | None  # None: the user was there already (its password was printed before)


def demo_username(role_key: str) -> str:
    return role_key.replace("_", "-")


def create_demo_users(ws) -> list[DemoUser]:
    """A user per role of the role book (named after the role); existing ones are left as they are."""
    book = role_book(ws)
    with db.session(ws) as session:
        existing = set(session.scalars(select(User.username)))
    made = []
    for key, role in book.roles.items():
        username = demo_username(key)
        if username in existing:
            made.append(DemoUser(username, role.name, key, None))
            continue
        password = one_time_password()
        add_user(ws, username, f"{role.name} (demo)", [key], password, actor=ACTOR, temporary=True)
        made.append(DemoUser(username, f"{role.name} (demo)", key, password))
    return made
