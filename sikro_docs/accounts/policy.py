"""The accounts' rules from the profile: `[limits.console]` (sessions, sign-in, passwords)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..limits import limits


@dataclass(frozen=True)
class AccountPolicy:
    session_idle: dt.timedelta  # a session ends after this long without a request
    session_max: dt.timedelta  # ... and this long after sign-in at the latest
    lockout_after: int  # wrong passwords for one user name within `lockout` lock it
    lockout: dt.timedelta
    address_failures: int  # wrong passwords from one address within `lockout` refuse the address
    password_min: int
    password_max: int

    @classmethod
    def from_profile(cls, profile: dict | None) -> AccountPolicy:
        values = limits(profile, "console")  # the one loader of [limits.*]: checked, with the defaults
        return cls(session_idle=dt.timedelta(minutes=values["session_idle_minutes"]),
                   session_max=dt.timedelta(hours=values["session_hours"]),
                   lockout_after=int(values["lockout_after"]),
                   lockout=dt.timedelta(minutes=values["lockout_minutes"]),
                   address_failures=int(values["address_failures"]),
                   password_min=int(values["password_min_length"]),
                   password_max=int(values["password_max_length"]))
