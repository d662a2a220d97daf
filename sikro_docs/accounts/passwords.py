"""Passwords: Argon2id hashes (argon2-cffi, RFC 9106's low-memory profile), the office's rules
for a new password, and one-time passwords an admin hands over.

A password is never stored, logged or put in an event: only its hash is kept,
and the evidence chain holds a digest of that hash (audit.py).
"""

from __future__ import annotations

import os
import secrets
import threading
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import PasswordLikeUsername, PasswordTooLong, PasswordTooPlain, PasswordTooShort
from .policy import AccountPolicy

HASHER = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4: about 0.1 s a check on an office PC
# Hashes computed at once in this process: each takes 64 MiB, so a flood of sign-ins waits here
# (one per core) instead of taking the server's memory.
_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# A password needs this many different characters ("aaaaaaaaaa" is not one).
MIN_DISTINCT = 5
# One-time passwords: groups of letters and digits that cannot be mistaken for each other when read aloud.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ONE_TIME_GROUPS, ONE_TIME_GROUP_LENGTH = 4, 4


def normal(password: str) -> str:
    """The same password typed on any keyboard (NFC): what is hashed and checked."""
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    with _SLOTS:
        return HASHER.hash(normal(password))


def password_matches(password_hash: str, password: str) -> bool:
    try:
        with _SLOTS:
            return HASHER.verify(password_hash, normal(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than HASHER's (re-hashed at sign-in)."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def waste_a_check(password: str) -> None:
    """The work of one check, for a user name that does not exist: the answer takes as long."""
    password_matches(_dummy_hash(), password)


def check_new_password(password: str, username: str, policy: AccountPolicy) -> None:
    """Raise the rule a new password breaks (PasswordTooShort...), or return."""
    password = normal(password)
    if len(password) < policy.password_min:
        raise PasswordTooShort(minimum=policy.password_min)
    if len(password) > policy.password_max:
        raise PasswordTooLong(maximum=policy.password_max)
    if username and username.casefold() in password.casefold():
        raise PasswordLikeUsername()
    if len(set(password.casefold())) < MIN_DISTINCT:
        raise PasswordTooPlain(minimum=MIN_DISTINCT)


def one_time_password() -> str:
    """A random password to hand over once ("k7qm-x3vd-p9ta-h2we": about 79 bits)."""
    groups = ("".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_GROUP_LENGTH))
              for _ in range(ONE_TIME_GROUPS))
    return "-".join(groups)
