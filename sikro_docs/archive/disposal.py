"""Carrying out the retention schedule (JRA): move to inactive, dispose (pemusnahan), hand over (penyerahan).

Each action checks every berkas first and writes nothing if any is
refused: retention not yet due, a JRA final fate other than the action's
(dispose only "Musnah", hand over only "Permanen"), or already closed.
`force` (a reason, recorded in the event) overrides the first two, never
the third. Then, berkas by berkas, one atomic bag change records a PREMIS
event and the new stage (the same `file_into` every archive change uses),
and the index follows.

Disposal and the electronic copy: the paper original is destroyed by
people (with the berita acara); the bag keeps its files, marked "musnah",
unless `delete_files`. Then the same bag change also drops every payload
file from data/ and the manifest, with a PREMIS "deletion" event naming
each path and SHA-256: the bag stays a valid BagIt bag, its metadata,
event log and index rows stay (search, locate, berita acara keep
working), and the audit sees no missing file because none is listed.
Running `dispose --delete-files` again with the same decision number on a
berkas disposed without it deletes the payload then.

Re-running an action with the same decision number on berkas it already
carried out reports them as done and changes nothing (a list interrupted
half-way can simply be run again).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select

from .. import clock, db
from ..errors import SikroError
from ..fsutil import atomic_write_bytes, fsync_dir
from ..workspace import Workspace
from .bags import INTENT, discard_staging, new_staging, read_bag, swap_in
from .berkas import BerkasMeta, location_line
from .events import DEACCESSION, DELETION, RETENTION_ACTION, TRANSFER, new_event
from .filing import file_into, recover
from .index import index_bag
from .locations import find_berkas
from .locking import filing_lock
from .retention import CLOSED_STAGES, STAGE_DISPOSED, STAGE_HANDED_OVER, STAGE_INACTIVE
from .tables import Berkas

MOVE_INACTIVE, DISPOSE, HAND_OVER = "move-inactive", "dispose", "hand-over"
DONE, WOULD, ALREADY, REFUSED, NOT_DONE = "done", "would", "already", "refused", "not-done"


@dataclass(frozen=True)
class Action:
    name: str
    event_type: str
    stage: str  # the stage it sets
    fate: str | None  # the JRA final fate it carries out (None: any)
    what: str  # in messages: "disposed", ...
    verb: str  # "dispose", ...


ACTIONS = {
    MOVE_INACTIVE: Action(MOVE_INACTIVE, RETENTION_ACTION, STAGE_INACTIVE, None,
                          "moved to inactive storage", "move to inactive storage"),
    DISPOSE: Action(DISPOSE, DEACCESSION, STAGE_DISPOSED, "Musnah", "disposed (musnah)", "dispose"),
    HAND_OVER: Action(HAND_OVER, TRANSFER, STAGE_HANDED_OVER, "Permanen",
                      "handed over (diserahkan)", "hand over"),
}
# The action that closed a berkas, by its final stage (to tell "already done" from "refused").
CLOSED_BY = {STAGE_DISPOSED: DEACCESSION, STAGE_HANDED_OVER: TRANSFER}


@dataclass
class Outcome:
    ref: str
    berkas: str = ""
    registration_number: str = ""
    status: str = REFUSED
    message: str = ""
    deleted: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.registration_number or self.ref

    def line(self) -> str:
        return f"{self.status:<9} {self.label}: {self.message}"

    def as_json(self) -> dict:
        return {"ref": self.ref, "berkas": self.berkas, "registration_number": self.registration_number,
                "status": self.status, "message": self.message, "deleted": self.deleted}


@dataclass
class _Plan:
    outcome: Outcome
    berkas: Berkas | None = None
    meta: BerkasMeta | None = None
    overridden: list[str] = field(default_factory=list)  # refusals --force overrode
    payload: dict[str, str] = field(default_factory=dict)  # manifest of the bag (what --delete-files removes)
    delete_only: bool = False  # already disposed under this decision; only the payload goes


def default_agent() -> str:
    """Who carries out the action, when --by is not given: the login name."""
    try:
        return getpass.getuser() or "sikro-docs"
    except (OSError, KeyError):
        return "sikro-docs"


def carry_out(ws: Workspace, action_name: str, refs: list[str], *, decision_number: str | None = None,
              reason: str | None = None, to: str | None = None, agent: str | None = None,
              force: str | None = None, delete_files: bool = False, dry_run: bool = False,
              on: dt.date | None = None, record: dict | None = None) -> list[Outcome]:
    """Check every berkas REFS names, then (unless any is refused, or dry_run) carry out the action.

    Returns one Outcome per distinct berkas; if any is REFUSED, the others
    are NOT_DONE and nothing was written. `record`: more detail for the
    PREMIS events (a disposal's proposal, its proposer and approver).
    """
    action = ACTIONS[action_name]
    decision_number = _clean(decision_number)
    reason, to, force = _clean(reason), _clean(to), _clean(force) if force is not None else None
    if action_name in (DISPOSE, HAND_OVER) and not decision_number:
        raise SikroError(f"{action.verb}: give the decision number (--decision-number), e.g. the "
                         "nomor of the berita acara or of the head's approval")
    if action_name == DISPOSE and not reason:
        raise SikroError("dispose: give the reason (--reason), e.g. \"retensi habis sesuai JRA\"")
    if action_name == HAND_OVER and not to:
        raise SikroError("hand-over: give the receiving institution (--to), or set [archive] institution "
                         "in sikro.toml")
    if force is not None and not force:
        raise SikroError("--force needs a reason: --force \"why the schedule is overridden\"")
    if delete_files and action_name != DISPOSE:
        raise SikroError("--delete-files is for dispose only")
    if not refs:
        raise SikroError("name at least one berkas")
    agent = _clean(agent) or default_agent()
    on = on or clock.today(ws.profile)
    recover(ws)
    plans = _plans(ws, action, refs, decision_number, force, delete_files, on)
    if any(p.outcome.status == REFUSED for p in plans):
        for plan in plans:
            if plan.outcome.status != REFUSED:
                plan.outcome.status = NOT_DONE
                plan.outcome.message = "nothing written: another berkas of this command was refused"
        return [p.outcome for p in plans]
    for plan in plans:
        if plan.outcome.status == ALREADY and not plan.delete_only:
            continue
        if dry_run:
            plan.outcome.status = WOULD
            plan.outcome.message = _would(action, plan, delete_files)
            continue
        _apply(ws, action, plan, decision_number=decision_number, reason=reason, to=to, agent=agent,
               force=force, delete_files=delete_files, record=record or {})
    return [p.outcome for p in plans]


def _clean(text: str | None) -> str | None:
    return " ".join(str(text).split()) if text is not None else None


# --------------------------------------------------------------------------- checking


def _plans(ws: Workspace, action: Action, refs: list[str], decision_number, force, delete_files,
           on: dt.date) -> list[_Plan]:
    plans, seen = [], set()
    with db.session(ws) as session:
        for ref in refs:
            berkas = find_berkas(session, ref)
            if berkas is not None and berkas.id in seen:
                continue  # named twice (registration and permit number): once is enough
            plan = _Plan(Outcome(ref=ref.strip()))
            plans.append(plan)
            if berkas is None:
                plan.outcome.message = "no berkas in the archive has this number"
                continue
            seen.add(berkas.id)
            plan.berkas = berkas
            plan.outcome.berkas, plan.outcome.registration_number = berkas.berkas_number, berkas.registration_number
            bag = ws.archive_dir / berkas.path
            if not (bag / "bagit.txt").is_file():
                plan.outcome.message = f"its folder {berkas.path} is missing (run sikro archive audit)"
                continue
            content = read_bag(bag)
            plan.meta, plan.payload = BerkasMeta.from_bag(content), dict(content.manifest)
            if plan.meta.rel_path != berkas.path:
                plan.outcome.message = f"its folder {berkas.path} does not match its metadata (run sikro archive reindex)"
                continue
            _check(session, action, plan, decision_number, force, delete_files, on)
    return plans


def _check(session, action: Action, plan: _Plan, decision_number, force, delete_files, on: dt.date) -> None:
    meta, outcome = plan.meta, plan.outcome
    if meta.stage in CLOSED_STAGES or (action.name == MOVE_INACTIVE and meta.stage == STAGE_INACTIVE):
        done = _closing_event(session, meta.berkas_number, CLOSED_BY.get(meta.stage, action.event_type))
        same = done is not None and done.get("decision_number") == decision_number and (
            CLOSED_BY.get(meta.stage) == action.event_type
            or (action.name == MOVE_INACTIVE and meta.stage == STAGE_INACTIVE))
        if same:
            outcome.status = ALREADY
            outcome.message = f"already {action.what} under {decision_number or 'an earlier command'}"
            if delete_files and plan.payload:
                plan.delete_only = True
                outcome.message += f"; its {len(plan.payload)} electronic file(s) will now be deleted"
            return
        if meta.stage in CLOSED_STAGES:
            under = f" under {done['decision_number']}" if done and done.get("decision_number") else ""
            outcome.message = f"already closed: stage {meta.stage}{under}; nothing more can be done with it"
        else:
            outcome.message = f"already in inactive storage (stage {meta.stage})"
        return
    problems = []
    if action.name == MOVE_INACTIVE:
        if on <= meta.active_until:
            problems.append(f"its active period runs until {meta.active_until.isoformat()}")
    else:
        if on <= meta.inactive_until:
            problems.append(f"retention is not yet due: inactive until {meta.inactive_until.isoformat()}")
        if meta.final_fate != action.fate:
            problems.append(f"its JRA final fate is {meta.final_fate}, not {action.fate}")
    if problems and force is None:
        outcome.message = "; ".join(problems) + " (override only with --force REASON)"
        return
    plan.overridden = problems
    outcome.status = WOULD  # provisional: checked and may go ahead


def _closing_event(session, berkas_number: str, event_type: str) -> dict | None:
    """The detail of the latest event of `event_type` of the berkas (None: none)."""
    from .tables import ArchiveEvent

    row = session.scalars(select(ArchiveEvent).where(ArchiveEvent.berkas_number == berkas_number,
                                                     ArchiveEvent.type == event_type)
                          .order_by(ArchiveEvent.at.desc(), ArchiveEvent.id.desc())).first()
    return dict(row.detail or {}, at=row.at.isoformat(), agent=row.agent) if row is not None else None


def closing_detail(session, berkas: Berkas) -> dict | None:
    """What closed a disposed or handed-over berkas (decision, date, by whom), for locate and search."""
    event_type = CLOSED_BY.get(berkas.stage)
    return _closing_event(session, berkas.berkas_number, event_type) if event_type else None


# --------------------------------------------------------------------------- doing


def _would(action: Action, plan: _Plan, delete_files: bool) -> str:
    if plan.delete_only:
        return f"would delete its {len(plan.payload)} electronic file(s)"
    text = f"would be {action.what}"
    if action.name == DISPOSE:
        text += (f"; its {len(plan.payload)} electronic file(s) would be deleted" if delete_files
                 else "; its electronic files would be kept, marked musnah")
    if plan.overridden:
        text += f" (forced over: {'; '.join(plan.overridden)})"
    return text


def _apply(ws: Workspace, action: Action, plan: _Plan, *, decision_number, reason, to, agent, force,
           delete_files, record: dict) -> None:
    meta, outcome = plan.meta, plan.outcome
    expected_stage = meta.stage
    detail = {"action": action.name, "decision_number": decision_number, "reason": reason,
              "stage_before": meta.stage, "stage": action.stage, "final_fate": meta.final_fate,
              "active_until": meta.active_until.isoformat(), "inactive_until": meta.inactive_until.isoformat(),
              "location_before": meta.location}
    if action.name == HAND_OVER:
        detail["to"] = to
    detail["items"] = sum(1 for rel in plan.payload if not rel.startswith("data/text/"))
    if action.name == DISPOSE:
        detail["electronic_copy"] = "deleted" if delete_files else "kept"
    if plan.overridden:
        detail["forced"] = {"reason": force, "overridden": plan.overridden}
    detail.update(record)
    events = [] if plan.delete_only else [
        new_event(action.event_type, agent=agent, objects=["berkas", "paper original"], **detail)]

    def update(current: BerkasMeta) -> BerkasMeta:
        wanted = STAGE_DISPOSED if plan.delete_only else expected_stage
        if current.stage != wanted:  # another process changed it since the check
            raise SikroError(f"{meta.registration_number}: its stage changed to {current.stage} meanwhile; "
                             "run the command again")
        if plan.delete_only:
            return current
        # the paper leaves its box (destroyed, or handed over): the location moves into the event
        location = current.location if action.name == MOVE_INACTIVE else None
        return replace(current, stage=action.stage, location=location)

    if delete_files:
        deleted = _swap_without_payload(ws, meta, events, update, agent=agent,
                                        decision_number=decision_number, reason=reason, record=record)
        outcome.deleted = deleted
    else:
        file_into(ws, meta, [], agent=agent, events=events, update=update)
        # file_into reports a failed events-only change by returning nothing: check what the bag says
        written = BerkasMeta.from_bag(read_bag(ws.archive_dir / meta.rel_path))
        if written.stage != action.stage:
            raise SikroError(f"{meta.registration_number}: the berkas folder could not be updated "
                             "(see sikro archive audit); nothing was recorded for it")
    outcome.status = DONE
    if plan.delete_only:
        outcome.message = f"deleted its {len(outcome.deleted)} electronic file(s) under {decision_number}"
        return
    outcome.message = f"{action.what}" + (f" under {decision_number}" if decision_number else "")
    if action.name == HAND_OVER:
        outcome.message += f" to {to}"
    if action.name == DISPOSE:
        outcome.message += (f"; {len(outcome.deleted)} electronic file(s) deleted" if delete_files
                            else "; electronic files kept, marked musnah")
    if meta.location and action.name != MOVE_INACTIVE:
        outcome.message += f"; paper was at {location_line(meta.location)}"


def _swap_without_payload(ws: Workspace, meta: BerkasMeta, events: list[dict], update, *, agent: str,
                          decision_number: str, reason: str | None, record: dict | None = None) -> list[str]:
    """One atomic bag change that records `events`, applies `update` and drops every payload file.

    The same protocol as bags.stage_and_swap (a complete new version in
    .staging, fsynced, the intent file as commit point, an atomic exchange,
    then the index), so a crash at any point leaves the old version or the
    new one, and `recover` finishes it. Payload files nobody listed
    (unexpected, an audit finding) are kept for a person to look at.
    """
    from .bags import (  # the bag writer's own helpers: same tag files, same Oxum
        _oxum,
        _write_tag_files,
    )

    root = ws.archive_dir
    with filing_lock(ws, [meta.rel_path]) as hold:
        recover(ws, hold)
        target = root / meta.rel_path
        content = read_bag(target)
        current = update(BerkasMeta.from_bag(content))
        removed = sorted(content.manifest)
        sizes = {rel: (target / rel).stat().st_size if (target / rel).is_file() else None for rel in removed}
        deletion = new_event(DELETION, agent=agent, objects=removed, decision_number=decision_number,
                             reason=reason, files=[{"path": rel, "sha256": content.manifest[rel], "size": sizes[rel]}
                                                   for rel in removed], **(record or {}))
        version = uuid.uuid4().hex
        staging = new_staging(root, meta.rel_path)
        bag = staging / "bag"
        bag.mkdir(parents=True)
        try:
            _link_tree_except(target / "data", bag / "data", set(removed))
            info = current.to_info(ws.profile, version)
            info = [item for item in info if item[0] != "Payload-Oxum"] + [("Payload-Oxum", _oxum(bag / "data"))]
            _write_tag_files(bag, info, {}, content.events + events + [deletion], target)
            fsync_dir(staging)
            intent = {"target": meta.rel_path, "version": version}
            atomic_write_bytes(staging / INTENT, json.dumps(intent).encode())  # the commit point
        except BaseException:
            discard_staging(staging)
            raise
        swap_in(root, staging)
        with db.session(ws, write=True) as session:
            index_bag(session, root, target)
        discard_staging(staging)  # the old version's links go with it: the bytes are gone
    return removed


def _link_tree_except(old_data: Path, new_data: Path, skip: set[str]) -> None:
    """Hard-link every file under old data/ except the `skip` paths ("data/..."); folders as they were."""
    new_data.mkdir()
    if not old_data.is_dir():
        return
    for folder, dirs, files in os.walk(old_data):
        rel = Path(folder).relative_to(old_data)
        for name in dirs:
            (new_data / rel / name).mkdir()
        for name in files:
            if f"data/{(rel / name).as_posix()}" in skip:
                continue
            os.link(Path(folder) / name, new_data / rel / name)
    for folder, _dirs, _files in os.walk(new_data):
        fsync_dir(Path(folder))
