"""The retention schedule (JRA) as data, and what falls due when."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import SikroError

FATES = ("Musnah", "Permanen", "Dinilai Kembali")
# What `due` tells the archivist to do when the inactive period ends, per fate.
FATE_ACTIONS = {
    "Musnah": "destroy (usul musnah)",
    "Permanen": "hand over as permanent (serah ke lembaga kearsipan daerah)",
    "Dinilai Kembali": "re-assess (dinilai kembali)",
}
# Stages a berkas goes through; `due` compares the stage with the dates.
STAGE_ACTIVE, STAGE_INACTIVE = "aktif", "inaktif"
# Final stages, set by `sikro archive dispose` (pemusnahan) and `hand-over`
# (penyerahan arsip statis); "permanen" and "dinilai-kembali" are older names
# a bag may still carry.
STAGE_DISPOSED, STAGE_HANDED_OVER = "musnah", "diserahkan"
CLOSED_STAGES = {STAGE_DISPOSED, STAGE_HANDED_OVER, "permanen", "dinilai-kembali"}


@dataclass(frozen=True)
class RetentionRule:
    code: str
    description: str
    active_years: int
    inactive_years: int
    fate: str


@lru_cache(maxsize=1)
def schedule() -> dict[str, RetentionRule]:
    text = resources.files("sikro_docs.data").joinpath("retention.toml").read_text("utf-8")
    data = tomllib.loads(text)
    rules = {code: _rule(code, spec) for code, spec in data.get("codes", {}).items()}
    rules[""] = _rule("", data["default"])
    return rules


def _rule(code: str, spec: dict) -> RetentionRule:
    if spec["fate"] not in FATES:
        raise SikroError(f"retention.toml: code {code or 'default'} has fate {spec['fate']!r}; use one of {FATES}")
    return RetentionRule(code, spec["description"], int(spec["active_years"]),
                         int(spec["inactive_years"]), spec["fate"])


def rule_for(code: str) -> RetentionRule:
    """The rule of `code`, else of its nearest parent code, else the default."""
    rules = schedule()
    parts = code.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in rules:
            return rules[candidate]
        parts.pop()
    return rules[""]


def retention_dates(code: str, closing: dt.date) -> tuple[dt.date, dt.date, str]:
    """(active until, inactive until, fate): years counted from the end of the closing year."""
    rule = rule_for(code)
    active_end = dt.date(closing.year + rule.active_years, 12, 31)
    inactive_end = dt.date(closing.year + rule.active_years + rule.inactive_years, 12, 31)
    return active_end, inactive_end, rule.fate


@dataclass(frozen=True)
class DueItem:
    berkas_number: str
    registration_number: str
    action: str  # move-inactive | destroy | permanent | reassess
    what: str
    since: dt.date


FATE_KEYS = {"Musnah": "destroy", "Permanen": "permanent", "Dinilai Kembali": "reassess"}


def due_action(stage: str, active_until: dt.date, inactive_until: dt.date, fate: str,
               on: dt.date) -> tuple[str, str, dt.date] | None:
    """What the berkas is due for on `on`, or None: (key, description, due since)."""
    if stage in CLOSED_STAGES:
        return None
    if on > inactive_until:
        return FATE_KEYS[fate], FATE_ACTIONS[fate], inactive_until + dt.timedelta(days=1)
    if stage == STAGE_ACTIVE and on > active_until:
        return "move-inactive", "move to inactive storage (pindah ke record center)", active_until + dt.timedelta(days=1)
    return None
