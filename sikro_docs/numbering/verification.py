"""`verify_registers`: recompute every chain, replay the log against the entries, check the series."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import chain
from ..workspace import Workspace
from .dispatch import verify_dispatches
from .log import ENTRY_FIELDS, _chain_key, _check_series, entry_snapshot
from .tables import Dispatch, Document, RegisterCounter, RegisterEntry, RegisterLogRow


def _describe(register: str, year, seq, number) -> str:
    return f"{register} {year} no. {seq} ({number})"


def _verify_chain(key: bytes, register: str, rows: list[RegisterLogRow]) -> tuple[list[str], dict]:
    """Check one register's chain; return its problems and the replayed state."""
    problems: list[str] = []
    state: dict[tuple[int, int], dict] = {}
    for row, where, content, link_problems in chain.walk_links(
            key, rows, noun="log row", position=lambda r: r.position,
            where=lambda r: f"{_describe(register, r.year, r.seq, r.number)}, log position {r.position}"):
        problems += link_problems
        if content is None:
            continue
        problems += _check_log_columns(where, row, content)
        problems += _replay(where, state, content)
    return problems, state


def _check_log_columns(where: str, row: RegisterLogRow, content: dict) -> list[str]:
    columns = ("register", "action", "year", "seq", "number")
    return [f"{where}: log column {name} was edited" for name in columns
            if getattr(row, name) != content.get(name)]


def _replay(where: str, state: dict, content: dict) -> list[str]:
    key = (content.get("year"), content.get("seq"))
    problems = []
    if content.get("action") == "allocate" and key in state:
        problems.append(f"{where}: number allocated twice (duplicate)")
    elif content.get("action") != "allocate" and key not in state:
        problems.append(f"{where}: log row for a number never allocated (inserted)")
    state[key] = {name: content.get(name) for name in ENTRY_FIELDS}
    return problems


def _compare_state(register: str, state: dict, entries: list[RegisterEntry]) -> list[str]:
    table = {(e.year, e.seq): entry_snapshot(e) for e in entries}
    problems = []
    for key in sorted(state.keys() | table.keys(), key=lambda k: (k[0] or 0, k[1] or 0)):
        logged, current = state.get(key), table.get(key)
        shown = current or logged
        where = _describe(register, key[0], key[1], shown["number"])
        if current is None:
            problems.append(f"{where}: in the log but missing from the register (deleted)")
        elif logged is None:
            problems.append(f"{where}: in the register but not in the log (inserted behind the tool's back)")
        else:
            problems += [
                f"{where}: {name} is {current[name]!r} in the register but {logged[name]!r} in the log (edited)"
                for name in ENTRY_FIELDS if current[name] != logged[name]
            ]
    return problems


def _verify_documents(entries: list[RegisterEntry], documents: list[Document]) -> list[str]:
    """A document's number and its register entry must point at each other."""
    problems = []
    docs = {d.id: d for d in documents}
    by_number = {(e.register, e.number): e for e in entries}
    for e in entries:
        if e.document_id is None:
            continue
        doc = docs.get(e.document_id)
        if doc is None or doc.number != e.number:
            problems.append(f"{_describe(e.register, e.year, e.seq, e.number)}: its document does not carry this number")
    for doc in documents:
        if doc.number is None:
            continue
        entry = by_number.get((doc.register, doc.number))
        if entry is None or entry.document_id != doc.id:
            problems.append(f"document {doc.uid} ({doc.kind}) carries {doc.register} number {doc.number}, which the register does not give it")
    return problems


def verify_registers(session: Session, ws: Workspace) -> list[str]:
    """Problems found in the registers and the dispatch book; empty when intact."""
    rows = session.scalars(select(RegisterLogRow).order_by(RegisterLogRow.register, RegisterLogRow.position, RegisterLogRow.id)).all()
    entries = session.scalars(select(RegisterEntry).order_by(RegisterEntry.register, RegisterEntry.year, RegisterEntry.seq)).all()
    from .. import issued_files, key_status, registry  # noqa: F401  (they register their chained streams)
    from ..archive import events  # noqa: F401

    problems: list[str] = []
    head = chain.read_head(ws)
    in_head = {s.split(":", 1)[1] for s in head.streams if s.startswith("register_log:")}
    for register in sorted({r.register for r in rows} | {e.register for e in entries} | in_head):
        own_rows = [r for r in rows if r.register == register]
        own_entries = [e for e in entries if e.register == register]
        chain_problems, state = _verify_chain(_chain_key(ws), register, own_rows)
        problems += chain_problems
        problems += chain.head_problems(ws, f"register_log:{register}", {r.position: r.hash for r in own_rows},
                                        f"register {register} log")
        problems += _compare_state(register, state, own_entries)
        keys = {(e.year, e.seq) for e in own_entries} | set(state)
        problems += _check_series(register, keys, [e.number for e in own_entries])
    problems += _numbers_lost(head, entries)
    problems += _counters_disagree(session.scalars(select(RegisterCounter)).all(), entries)
    problems += _verify_documents(entries, session.scalars(select(Document)).all())
    problems += verify_dispatches(session, ws)
    problems += chain.verify(session, ws)
    if not problems:
        _catch_up_head(session, ws, rows, entries)
    return problems


def _catch_up_head(session: Session, ws: Workspace, rows: list[RegisterLogRow], entries: list[RegisterEntry]) -> None:
    """An intact database whose head is behind (a crash between commit and head): move the head up now,
    rather than at the stream's next write, so that the window stays one transaction wide."""
    head = chain.Head()
    for row in rows:  # in position order per register: the last one wins
        head.streams[f"register_log:{row.register}"] = (row.position, row.hash)
    for entry in entries:
        key = f"{entry.register}:{entry.year}"
        head.numbers[key] = max(head.numbers.get(key, 0), entry.seq)
    last_dispatch = session.scalars(select(Dispatch).order_by(Dispatch.id.desc()).limit(1)).first()
    if last_dispatch is not None:
        head.streams["dispatches"] = (last_dispatch.id, last_dispatch.hash)
    for stream, (seq, hash_) in chain.tips(session).items():
        head.streams[f"chain:{stream}"] = (seq, hash_)
    if head.streams or head.numbers:
        chain.merge_head(ws, head)


def _numbers_lost(head: chain.Head, entries: list[RegisterEntry]) -> list[str]:
    """Numbers the head says were given that the register no longer has."""
    last: dict[str, int] = defaultdict(int)
    for e in entries:
        key = f"{e.register}:{e.year}"
        last[key] = max(last[key], e.seq)
    problems = []
    for key, given in sorted(head.numbers.items()):
        if given > last[key]:
            register, year = key.rsplit(":", 1)
            missing = f"no. {last[key] + 1}" if given == last[key] + 1 else f"no. {last[key] + 1}-{given}"
            problems.append(f"{register} {year}: {missing} was given (keys/{chain.HEAD_FILE}) but is missing "
                            "from the register (removed)")
    return problems


def _counters_disagree(counters: list[RegisterCounter], entries: list[RegisterEntry]) -> list[str]:
    """Each register's counter row must say the last number its entries hold, per year."""
    last: dict[tuple[str, int], int] = defaultdict(int)
    for e in entries:
        last[(e.register, e.year)] = max(last[(e.register, e.year)], e.seq)
    counted = {(c.register, c.year): c.last_seq for c in counters}
    problems = []
    for key in sorted(last.keys() | counted.keys()):
        given, held = counted.get(key), last.get(key, 0)
        if given is None:
            problems.append(f"{key[0]} {key[1]}: the register holds no. 1-{held} but has no counter row (removed)")
        elif given != held:
            problems.append(f"{key[0]} {key[1]}: the counter says no. {given} was the last given, the register "
                            f"holds {held} (edited behind the tool's back)")
    return problems
