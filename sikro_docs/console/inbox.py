"""A person's inbox: the applications waiting on a step their roles record, and the home page's tiles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import permit_types
from ..accounts import RoleBook, SignedIn
from ..workflow.inbox import waiting_on

# The tiles of the home page, in order: everything waiting, then by the kind of work.
TILES = ("all", "paraf", "sign", "handover", "overdue")


@dataclass
class Inbox:
    rows: list[dict]
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[str, int]] = field(default_factory=list)  # (the SOP's warning, applications)
    has_steps: bool = True
    roles_shown: int = 1  # how many of the person's roles record SOP steps (the page shows a role column for 2+)


def tiles_of(book: RoleBook, row: dict) -> set[str]:
    """The tiles a waiting application counts in, from its next step's SOP data (task, dispatch)."""
    step = book.sop.step(row["next_step"])
    found = {"all"}
    if step.task == "paraf":
        found.add("paraf")
    if step.task == "sign":
        found.add("sign")
    if step.dispatch:
        found.add("handover")
    if row["overdue"]:
        found.add("overdue")
    return found


def inbox_of(ws, book: RoleBook, who: SignedIn, *, as_of: dt.datetime | None = None) -> Inbox:
    steps = [s.number for s in book.steps_of(who.roles)]
    if not steps:
        return Inbox([], {tile: 0 for tile in TILES}, has_steps=False)
    rows = waiting_on(ws, steps, as_of=as_of)
    counts = {tile: 0 for tile in TILES}
    warnings: dict[str, int] = {}
    types = permit_types.catalogue(ws)
    for row in rows:
        row["recorder"] = book.sop.step(row["next_step"]).recorder
        row["permit_type_name"] = _type_name(types, row["permit_type"])
        row["tiles"] = tiles_of(book, row)
        for tile in row["tiles"]:
            counts[tile] += 1
        if row["warning"]:
            warnings[row["warning"]] = warnings.get(row["warning"], 0) + 1
    lanes = {step.recorder for step in book.steps_of(who.roles)}
    return Inbox(rows, counts, sorted(warnings.items()), roles_shown=len(lanes))


def _type_name(types, code: str) -> str:
    found = types.find(code)
    return found.short_name if found else code  # a type no longer defined: its code
