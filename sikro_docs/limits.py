"""Limits on what one input may cost, as profile settings.

    from sikro_docs.limits import limits, LimitReached
    bounds = limits(ws.profile, "workbook")      # {"rows": 20000, ...}
    raise LimitReached(path, "workbook", "rows", f"sheet 'Permohonan' has more than {n:,} rows")

The built-in defaults are the `[limits.SECTION]` tables of the default profile
(sikro_docs/data/profile.toml); a workspace's sikro.toml overrides any of them,
and a workspace made before a section existed still gets its defaults. Every
value is a positive whole number, except where the default is written with a
decimal point (`decode_seconds = 8.0`): those sizes and times may be fractional.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import EXIT_UNUSABLE, SikroError, UnusableInput


class LimitSettingInvalid(SikroError):
    """A `[limits.*]` value in sikro.toml that is not a positive whole number, or an unknown key."""

    exit_code = EXIT_UNUSABLE
    code = "limit_setting_invalid"

    def __init__(self, section: str, key: str, problem: str):
        self.section, self.key = section, key
        super().__init__(f"sikro.toml: [limits.{section}] {key}: {problem}")


class LimitReached(UnusableInput):
    """An input beyond one of the limits: `str()` names the file, what it holds and the limit."""

    code = "limit_reached"

    def __init__(self, path: Path | str, section: str, key: str, what: str):
        self.path, self.section, self.key, self.what = Path(path), section, key, what
        # the console words the limit from its section and key (`what` is English)
        self.values = MappingProxyType({"path": str(path), "section": section, "key": key, "what": what})
        super().__init__(f"{path}: {what} (limit [limits.{section}] {key})")


@functools.cache
def _defaults() -> dict[str, dict[str, int]]:
    text = resources.files("sikro_docs.data").joinpath("profile.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["limits"]


def limits(profile: dict[str, Any] | None, section: str) -> dict[str, int | float]:
    """The limits of `section`: the built-in defaults, overridden by the profile's `[limits.SECTION]`."""
    defaults = _defaults()
    if section not in defaults:
        raise KeyError(f"no built-in [limits.{section}] in the default profile")
    given = ((profile or {}).get("limits") or {}).get(section) or {}
    if not isinstance(given, dict):
        raise LimitSettingInvalid(section, "", "must be a table of numbers")
    merged = dict(defaults[section])
    for key, value in given.items():
        if key not in merged:
            known = ", ".join(sorted(merged))
            raise LimitSettingInvalid(section, key, f"unknown limit (known: {known})")
        merged[key] = _checked(section, key, value, fractional=isinstance(merged[key], float))
    return merged


def _checked(section: str, key: str, value: Any, *, fractional: bool) -> int | float:
    """A count must be a whole number; a size or a time whose default is written 8.0 may be 0.5."""
    if fractional:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise LimitSettingInvalid(section, key, f"must be a positive number, not {value!r}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LimitSettingInvalid(section, key, f"must be a positive whole number, not {value!r}")
    return value
