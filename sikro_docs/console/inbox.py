"""A person's inbox: the applications waiting on a step their roles record, and the home page's tiles.

The tiles are counted by the database (workflow.inbox.waiting_counts, grouped by step) and only
one page of rows is described, so the inbox costs the same at 100 applications as at 100,000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import permit_types
from ..accounts import RoleBook, SignedIn
from ..workflow.inbox import waiting_counts, waiting_on

# The tiles of the home page, in order: everything waiting, then by the kind of work.
TILES = ("all", "paraf", "sign", "handover", "overdue")
PAGE_SIZE = 50
MAX_PAGE = 100_000


@dataclass
class Inbox:
    rows: list[dict]
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[tuple[str, int]] = field(default_factory=list)  # (the SOP's warning, applications)
    has_steps: bool = True
    roles_shown: int = 1  # how many of the person's roles record SOP steps (the page shows a role column for 2+)
    page: int = 1
    pages: int = 1
    total: int = 0  # the rows of the tile shown, on every page


def step_tiles(book: RoleBook, number: int) -> set[str]:
    """The tiles an application waiting on step `number` counts in, from the SOP data (task, dispatch)."""
    step = book.sop.step(number)
    found = {"all"}
    if step.task in ("paraf", "sign"):
        found.add(step.task)
    if step.dispatch:
        found.add("handover")
    return found


def inbox_of(ws, book: RoleBook, who: SignedIn, *, as_of: dt.datetime | None = None,
             tile: str | None = None, page: int = 1) -> Inbox:
    """The counts of every tile, and page `page` of the rows of `tile` (None: all)."""
    steps = [s.number for s in book.steps_of(who.roles)]
    if not steps:
        return Inbox([], {tile: 0 for tile in TILES}, has_steps=False)
    counts, warnings = _counts(book, waiting_counts(ws, steps, as_of=as_of))
    shown = [n for n in steps if tile in (None, "all", "overdue") or tile in step_tiles(book, n)]
    total = counts[tile or "all"]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = waiting_on(ws, shown, as_of=as_of, overdue_only=tile == "overdue",
                      limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    types = permit_types.catalogue(ws)
    for row in rows:
        row["recorder"] = book.sop.step(row["next_step"]).recorder
        row["permit_type_name"] = _type_name(types, row["permit_type"])
        row["tiles"] = step_tiles(book, row["next_step"]) | ({"overdue"} if row["overdue"] else set())
    lanes = {step.recorder for step in book.steps_of(who.roles)}
    return Inbox(rows, counts, warnings, roles_shown=len(lanes), page=page, pages=pages, total=total)


def _counts(book: RoleBook, by_step) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Every tile's count, and how many late or nearly late applications each SOP warning concerns."""
    counts = {tile: 0 for tile in TILES}
    warnings: dict[str, int] = {}
    for number, waiting in by_step.items():
        for tile in step_tiles(book, number):
            counts[tile] += waiting.waiting
        counts["overdue"] += waiting.overdue
        role = book.sop.roles.get(book.sop.step(number).role)
        if role is not None and role.warning and waiting.warned:
            warnings[role.warning] = warnings.get(role.warning, 0) + waiting.warned
    return counts, sorted(warnings.items())


def _type_name(types, code: str) -> str:
    found = types.find(code)
    return found.short_name if found else code  # a type no longer defined: its code
