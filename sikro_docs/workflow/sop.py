"""The SOP as data: steps, roles and the paths between them (`data/sop.toml`).

A workspace may override a step's role, standard time or recording role in
`<workspace>/sop.toml` (`[steps.N] role = "..."`, `time = "2 Hari"`,
`recorded_by = "..."`). Everything that depends on the order of the steps asks
a `Sop` object; no code names a step by its number.

Which staff role may record a step (the console offers it to that role only,
and refuses it to any other) is `Step.recorder`: the step's `recorded_by`, else
its `role`. A role with `staff = false` (the applicant) has no account, so
each of its steps names the staff role that records it.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import SikroError

OVERRIDE_NAME = "sop.toml"
# Which step fields a workspace may change: who does it, who records it and how long it may take.
OVERRIDABLE = ("role", "time", "recorded_by")
# The kinds of work a step may be (`task`), for the console's tiles.
TASKS = ("paraf", "sign")
DECISIONS = ("approve", "reject")
# The outcome an application has after a decision (its Application.status).
DECISION_OUTCOME = {"approve": "approved", "reject": "rejected"}

_TIME = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(jam|menit|hari)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StandardTime:
    """A standard time as the SOP writes it; `Hari` is a working day, not 24 hours."""

    text: str
    days: float = 0
    minutes: float = 0

    def working(self, day_length: dt.timedelta) -> dt.timedelta:
        return self.days * day_length + dt.timedelta(minutes=self.minutes)


def parse_standard_time(text: str) -> StandardTime:
    match = _TIME.match(str(text))
    if not match:
        raise SikroError(f'cannot read the standard time "{text}"; write e.g. "1 Jam", "30 Menit" or "1 Hari"')
    amount, unit = float(match.group(1).replace(",", ".")), match.group(2).lower()
    if unit == "hari":
        return StandardTime(text, days=amount)
    return StandardTime(text, minutes=amount * (60 if unit == "jam" else 1))


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    english: str = ""
    warning: str = ""
    staff: bool = True  # False: the applicant, who has no account (their steps name `recorded_by`)


@dataclass(frozen=True)
class Step:
    number: int
    activity: str
    role: str
    kelengkapan: str
    time: StandardTime
    output: str
    next: int | None = None
    start: bool = False
    check: str | None = None
    returns_to: int | None = None
    returns_with: tuple[str, ...] = ()
    decision: bool = False
    on_approve: int | None = None
    on_reject: int | None = None
    makes: tuple[str, ...] = ()
    drafts: tuple[str, ...] = ()
    numbers: str | None = None
    dispatch: str | None = None
    ends: str | None = None
    recorded_by: str | None = None
    task: str | None = None

    @property
    def recorder(self) -> str:
        """The staff role that records this step (and the only one allowed to)."""
        return self.recorded_by or self.role

    def successors(self) -> tuple[int, ...]:
        """Every step that may follow this one, on any path."""
        found = (self.next, self.on_approve, self.on_reject, self.returns_to)
        return tuple(n for n in found if n is not None)


@dataclass(frozen=True)
class Sop:
    title: str
    steps: dict[int, Step]
    roles: dict[str, Role]
    warnings: tuple[str, ...] = ()
    record_keeping: str = ""
    overridden: dict[int, dict] = field(default_factory=dict)

    def step(self, number: int) -> Step:
        if number not in self.steps:
            raise SikroError(f"the SOP has no step {number}; its steps are {min(self.steps)} to {max(self.steps)}")
        return self.steps[number]

    @property
    def start(self) -> Step:
        return next(s for s in self.steps.values() if s.start)

    def role_name(self, key: str) -> str:
        return self.roles[key].name if key in self.roles else key

    def decision_step(self) -> Step:
        return next(s for s in self.steps.values() if s.decision)

    def path(self, decision: str) -> list[Step]:
        """The steps of a whole application that gets `decision` (no return to the applicant)."""
        steps, number = [], self.start.number
        while number is not None:
            step = self.step(number)
            steps.append(step)
            number = step.on_approve if (step.decision and decision == "approve") else (
                step.on_reject if step.decision else step.next)
        return steps

    def standard_total(self, decision: str, day_length: dt.timedelta) -> dt.timedelta:
        return sum((s.time.working(day_length) for s in self.path(decision)), dt.timedelta())

    def standard_days_and_minutes(self, decision: str) -> tuple[float, float]:
        """The total as the SOP states it: days and minutes summed separately (4 Hari + 15 Jam 45 Menit)."""
        path = self.path(decision)
        return sum(s.time.days for s in path), sum(s.time.minutes for s in path)

    def step_for_kind(self, kind: str, *, draft: bool = False) -> int:
        """The step that makes `kind`: its draft, or its final (numbered) version."""
        wanted = [s for s in self.steps.values() if kind in s.drafts] if draft else (
            [s for s in self.steps.values() if s.numbers == kind]
            or [s for s in self.steps.values() if kind in s.makes or kind in s.returns_with])
        if not wanted:
            from ..numbering import document_kind  # a kind standing in for another is made at its steps

            stands_for = document_kind(kind).in_place_of if kind in _kinds() else None
            if stands_for:
                return self.step_for_kind(stands_for, draft=draft)
            made = "drafted" if draft else "made"
            raise SikroError(f"no SOP step makes a {kind!r} document ({made}); see `sikro sop show`")
        return wanted[0].number

    def lanes(self) -> list[Role]:
        return list(self.roles.values())

    def staff_roles(self) -> dict[str, Role]:
        """The lanes whose people have accounts (every lane but the applicant's)."""
        return {key: role for key, role in self.roles.items() if role.staff}

    def steps_recorded_by(self, roles) -> list[Step]:
        """The steps any of `roles` (role keys) records, in the SOP's order."""
        wanted = set(roles)
        return [s for s in self.steps.values() if s.recorder in wanted]


def _step_from(spec: dict) -> Step:
    values = dict(spec)
    values["time"] = parse_standard_time(values["time"])
    for key in ("makes", "drafts", "returns_with"):
        values[key] = tuple(values.get(key, ()))
    known = set(Step.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise SikroError(f"SOP step {spec.get('number')}: unknown keys {', '.join(sorted(unknown))}")
    return Step(**values)


@lru_cache(maxsize=1)
def _builtin() -> dict:
    text = resources.files("sikro_docs.data").joinpath("sop.toml").read_text("utf-8")
    return tomllib.loads(text)


def _override(path: Path) -> dict[int, dict]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SikroError(f"{path}: not valid TOML: {exc}") from None
    out = {}
    for key, changes in data.get("steps", {}).items():
        if not str(key).isdigit() or not isinstance(changes, dict):
            raise SikroError(f'{path}: write a step override as [steps.N] with N the step number, not "{key}"')
        bad = set(changes) - set(OVERRIDABLE)
        if bad:
            raise SikroError(f"{path}: step {key} may only change {', '.join(OVERRIDABLE)}, not {', '.join(sorted(bad))}")
        out[int(key)] = changes
    return out


def _apply(steps: dict[int, Step], roles: dict[str, Role], overrides: dict[int, dict], source) -> dict[int, Step]:
    for number, changes in overrides.items():
        if number not in steps:
            raise SikroError(f"{source}: the SOP has no step {number}")
        for key in ("role", "recorded_by"):
            if key in changes and changes[key] not in roles:
                raise SikroError(f"{source}: step {number}: unknown {key} {changes[key]!r}; roles are {', '.join(roles)}")
        new = dict(changes)
        if "time" in new:
            new["time"] = parse_standard_time(new["time"])
        steps[number] = replace(steps[number], **new)
    return steps


def load_sop(workspace_root: Path | None = None) -> Sop:
    """The built-in SOP, with the workspace's overrides (if any) applied."""
    override_path = Path(workspace_root) / OVERRIDE_NAME if workspace_root else None
    return _load_sop(override_path, _stamp(override_path))


def _stamp(path: Path | None) -> tuple | None:
    """What changes when the office edits its sop.toml (so the cache never serves a stale SOP)."""
    try:
        stat = path.stat() if path else None
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino) if stat else None


@lru_cache(maxsize=16)
def _load_sop(override_path: Path | None, _stamp: tuple | None) -> Sop:
    data = _builtin()
    roles = {key: Role(key, spec["name"], spec.get("english", ""), spec.get("warning", ""), spec.get("staff", True))
             for key, spec in data["roles"].items()}
    steps = {spec["number"]: _step_from(spec) for spec in data["steps"]}
    overrides = _override(override_path) if override_path else {}
    steps = _apply(steps, roles, overrides, override_path)
    _check_recorders(steps, roles, override_path or "sop.toml")
    return Sop(data.get("title", "SOP"), steps, roles, tuple(data.get("warnings", ())),
               data.get("record_keeping", ""), overrides)


def _check_recorders(steps: dict[int, Step], roles: dict[str, Role], source) -> None:
    """Every step is recorded by a staff role (else nobody could record it), and its task is known."""
    for step in steps.values():
        if step.recorded_by is not None and step.recorded_by not in roles:
            raise SikroError(f"{source}: step {step.number}: unknown recorded_by {step.recorded_by!r}; "
                             f"roles are {', '.join(roles)}")
        recorder = roles.get(step.recorder)
        if recorder is None or not recorder.staff:
            raise SikroError(f"{source}: step {step.number}: its role {step.recorder!r} has no accounts "
                             "(staff = false): give the step recorded_by = a staff role")
        if step.task is not None and step.task not in TASKS:
            raise SikroError(f"{source}: step {step.number}: task {step.task!r} is not one of {', '.join(TASKS)}")


def sop_for(ws) -> Sop:
    return load_sop(ws.root if ws is not None else None)


def _kinds():
    from ..numbering import document_kinds

    return document_kinds()
