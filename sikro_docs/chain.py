"""The evidence chain: an HMAC-chained, append-only log of everything a verdict rests on.

One table, `chain_log`, holds any number of *streams* (e.g. "document",
"application"). Each row says "this is now the state of SUBJECT" (a document
uid, a registration number...) as canonical JSON, and is chained to the
previous row of its stream by `HMAC-SHA256(chain secret, prev_hash + content)`,
keyed with the owner-only secret of `keys/` (keys.chain_secret): whoever edits
the database cannot recompute the chain.

To chain a table, call `append(session, ws, stream, subject, content)` in the
transaction that changes it, and (so that `verify` can compare) register how
to read the table's current state with `track(stream, current)`. `verify`
replays every stream, takes each subject's last chained state and compares it
with the tables: the first field that differs is named.

The chain's head sits outside the database, in `keys/chain.head` beside the
secret (0600, MAC'd with it, written atomically with fsync): the last seq and
hash of every stream (also of the older chains register_log and dispatches,
which note theirs with `note_head`), and the highest number ever given per
register and year (`note_number`). So removing the newest rows of a chain,
even with its triggers dropped, is seen, and a number once given is never
given again (numbering asks `given_max`).

Commit order and the crash window: the head is written only *after* the
database commit succeeded (SQLite commits durably: synchronous=FULL). A crash
between the two leaves the head *behind* the database by one transaction:
the database's chain then still holds the head's row (same seq, same hash)
and merely goes on after it, which `verify` accepts; the next write of that
stream, or a `register verify` that finds everything intact, moves the head
up (heads are merged by taking, per stream, the higher seq). A head can
never be legitimately *ahead* of the database, so ahead means rows were
removed; rows removed inside the crash window itself (committed, head not
yet written) cannot be told from rows never written — that window is one
transaction long. Two processes writing heads in either order cannot move a
head back: the merge runs under an flock and keeps the higher seq.

A workspace from before this chain existed has no head and empty streams:
its state is adopted ("baseline" rows, trust on first use) the first time a
stream is appended to.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, event, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .errors import SikroError
from .fsutil import atomic_write_bytes
from .keys import chain_secret
from .models import Base, utcnow
from .workspace import Workspace

GENESIS_HASH = "0" * 64
HEAD_FILE = "chain.head"
HEAD_FORMAT = "sikro-chain-head/1"


class ChainRow(Base):
    """One link of a stream: SUBJECT's state from now on (append-only by trigger)."""

    __tablename__ = "chain_log"
    __table_args__ = (UniqueConstraint("stream", "seq", name="uq_chain_stream_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(120), index=True)
    content: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """`data` as it reads back from the chain (dates as ISO text)."""
    return json.loads(canonical_json(data))


def link_hash(key: bytes, prev_hash: str, content: str) -> str:
    return hmac.new(key, (prev_hash + content).encode("utf-8"), hashlib.sha256).hexdigest()


def workspace_of(session: Session, ws: Workspace | None = None) -> Workspace:
    ws = ws or session.info.get("workspace")
    if ws is None:
        raise SikroError("internal: a chained change needs its workspace (db.session(ws) provides it)")
    return ws


# --------------------------------------------------------------------------- tracked tables


@dataclass(frozen=True)
class Tracked:
    """How to read a stream's subjects from the tables, to compare with the chain."""

    current: Callable[[Session], dict[str, dict]]  # subject -> state (same shape as `append`'s content)
    describe: Callable[[str, dict], str] = lambda subject, _state: subject
    # field -> how a problem names it; the first listed differing field is the one reported
    labels: dict[str, str] = field(default_factory=dict)
    # a subject the chain never saw that may be so (e.g. a document still pending)
    unchained_ok: Callable[[dict], bool] = lambda _state: False


_TRACKED: dict[str, Tracked] = {}


def track(stream: str, current, describe=None, labels: dict[str, str] | None = None,
          unchained_ok=None) -> None:
    """Register how to read `stream`'s subjects from the tables (see Tracked); one call per table."""
    _TRACKED[stream] = Tracked(current, describe or (lambda subject, _state: subject), labels or {},
                               unchained_ok or (lambda _state: False))


# --------------------------------------------------------------------------- appending


def append(session: Session, ws: Workspace | None, stream: str, subject: str, content: dict,
           actor: str = "sikro") -> ChainRow:
    """Chain `content` as SUBJECT's state in `stream`, in the caller's (write) transaction."""
    ws = workspace_of(session, ws)
    _adopt_if_new(session, ws, stream)
    return _append(session, ws, stream, subject, content, actor)


def _append(session: Session, ws: Workspace, stream: str, subject: str, content: dict, actor: str,
            baseline: bool = False) -> ChainRow:
    last = _last_row(session, ws, stream)
    seq = (last.seq if last else 0) + 1
    body = {"stream": stream, "seq": seq, "subject": subject, "data": plain(content),
            "actor": actor, "at": utcnow().isoformat()}
    if baseline:
        body["baseline"] = True
    text = canonical_json(body)
    prev = last.hash if last else GENESIS_HASH
    row = ChainRow(stream=stream, seq=seq, subject=subject, content=text, prev_hash=prev,
                   hash=link_hash(_session_key(session, ws), prev, text))
    session.add(row)
    session.info.setdefault("chain_last", {})[stream] = row
    note_head(session, ws, f"chain:{stream}", seq, row.hash)
    return row


def append_many(session: Session, ws: Workspace | None, stream: str, items: list[tuple[str, dict]],
                actor: str = "sikro") -> None:
    """`append` for many subjects at once (an import's chunk): the same links, one INSERT.

    The links are made in order exactly as `append` would make them one by one; only the
    writing is batched. The newest is remembered as a detached row, as `append` remembers its own.
    """
    if not items:
        return
    ws = workspace_of(session, ws)
    _adopt_if_new(session, ws, stream)
    last = _last_row(session, ws, stream)
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    key, at, rows = _session_key(session, ws), utcnow().isoformat(), []
    for subject, content in items:
        seq += 1
        # canonical_json writes dates as `plain` would: the same text without the round trip.
        text = canonical_json({"stream": stream, "seq": seq, "subject": subject, "data": content,
                               "actor": actor, "at": at})
        prev_hash, prev = prev, link_hash(key, prev, text)
        rows.append({"stream": stream, "seq": seq, "subject": subject, "content": text,
                     "prev_hash": prev_hash, "hash": prev})
    session.execute(insert(ChainRow.__table__), rows)
    session.info.setdefault("chain_last", {})[stream] = ChainRow(**rows[-1])
    note_head(session, ws, f"chain:{stream}", seq, prev)


def adopt_if_new(session: Session, ws: Workspace | None, stream: str) -> None:
    """Adopt the tables of a workspace from before the chain now, before this transaction adds to
    them: what the tool itself writes next is chained as written, not adopted."""
    _adopt_if_new(session, workspace_of(session, ws), stream)


def session_key(session: Session, ws: Workspace) -> bytes:
    """The chain secret, read once per transaction."""
    return _session_key(session, ws)


def _session_key(session: Session, ws: Workspace) -> bytes:
    """The chain secret, read once per transaction (an import chains every row it writes)."""
    key = session.info.get("chain_key")
    if key is None:
        key = session.info["chain_key"] = chain_secret(ws.keys_dir)
    return key


def row_is_authentic(session: Session, row: ChainRow, ws: Workspace | None = None) -> bool:
    """The row's own HMAC holds: it was written by the tool (its place in the chain is `verify`'s)."""
    key = _session_key(session, workspace_of(session, ws))
    return hmac.compare_digest(link_hash(key, row.prev_hash, row.content), row.hash)


def lock_stream(session: Session, stream: str) -> None:
    """Hold `stream`'s lock to the end of the transaction (a no-op on SQLite: see db.lock)."""
    from .db import lock  # late: db imports chain when it migrates

    lock(session, f"chain:{stream}")


def _last_row(session: Session, ws: Workspace, stream: str) -> ChainRow | None:
    remembered = session.info.setdefault("chain_last", {})
    if stream in remembered:
        return remembered[stream]
    lock_stream(session, stream)  # the tail is read to be written on: one appender at a time
    last = session.scalars(select(ChainRow).where(ChainRow.stream == stream)
                           .order_by(ChainRow.seq.desc()).limit(1)).first()
    head = session_head(session, ws).streams.get(f"chain:{stream}")
    if head is not None and (last is None or last.seq < head[0]):
        # Appending now would give a seq the head already holds: the newest rows were removed.
        raise ChainTampered(f"chain {stream}: the head (keys/{HEAD_FILE}) records link {head[0]} but the "
                            f"database ends at {last.seq if last else 0}: its newest entries were removed; "
                            "nothing more is recorded until this is resolved (restore sikro.db from a backup; "
                            "`sikro register verify` shows what differs)")
    remembered[stream] = last
    return last


def _adopt_if_new(session: Session, ws: Workspace, stream: str) -> None:
    """A workspace from before the chain: chain the tables' current state once (trust on first use)."""
    if session.info.setdefault("chain_adopted", set()).__contains__(stream):
        return
    session.info["chain_adopted"].add(stream)
    tracked = _TRACKED.get(stream)
    if tracked is None or f"chain:{stream}" in session_head(session, ws).streams:
        return
    if session.scalar(select(ChainRow.id).where(ChainRow.stream == stream).limit(1)) is not None:
        return
    for subject, state in sorted(tracked.current(session).items()):
        if state is not None:
            _append(session, ws, stream, subject, state, "sikro (adopted)", baseline=True)


class ChainTampered(SikroError):
    """The database lost entries its chain head says were written."""

    code = "chain-tampered"


# --------------------------------------------------------------------------- the head (outside the database)


@dataclass
class Head:
    streams: dict[str, tuple[int, str]] = field(default_factory=dict)  # stream -> (last seq, its hash)
    numbers: dict[str, int] = field(default_factory=dict)  # "register:year" -> highest seq ever given
    problem: str | None = None  # the file exists but was edited / cannot be read
    exists: bool = False


def head_path(ws: Workspace) -> Path:
    return Path(ws.keys_dir) / HEAD_FILE


def _head_mac(ws: Workspace, body: dict) -> str:
    return hmac.new(chain_secret(ws.keys_dir), canonical_json(body).encode("utf-8"), hashlib.sha256).hexdigest()


def read_head(ws: Workspace) -> Head:
    path = head_path(ws)
    try:
        data = json.loads(path.read_text("utf-8"))
        body = {"format": data["format"], "streams": data["streams"], "numbers": data["numbers"]}
        mac = data["mac"]
    except FileNotFoundError:
        return Head()
    except (OSError, ValueError, KeyError, TypeError):
        return Head(problem=f"keys/{HEAD_FILE} cannot be read (damaged or edited)", exists=True)
    if not hmac.compare_digest(_head_mac(ws, body), str(mac)):
        return Head(problem=f"keys/{HEAD_FILE} was edited (its MAC does not match)", exists=True)
    return Head(streams={k: (int(v[0]), str(v[1])) for k, v in body["streams"].items()},
                numbers={k: int(v) for k, v in body["numbers"].items()}, exists=True)


def _pending(session: Session, ws: Workspace) -> Head:
    """What this transaction moves the head to; written once it has committed."""
    pending = session.info.get("chain_head_pending")
    if pending is None:
        pending = session.info["chain_head_pending"] = Head()
        if not session.info.get("chain_listening"):
            session.info["chain_listening"] = True
            event.listen(session, "after_commit", lambda sess: _write_after_commit(sess, ws))
            event.listen(session, "after_rollback", lambda sess: sess.info.pop("chain_head_pending", None))
    return pending


def note_head(session: Session, ws: Workspace, stream: str, seq: int, hash_: str) -> None:
    """A chain's newest link (any chained table: register_log, dispatches, chain_log streams)."""
    _pending(session, ws).streams[stream] = (seq, hash_)


def note_number(session: Session, ws: Workspace, register: str, year: int, seq: int) -> None:
    pending = _pending(session, ws).numbers
    key = f"{register}:{year}"
    pending[key] = max(pending.get(key, 0), seq)


def session_head(session: Session, ws: Workspace) -> Head:
    """The head as this transaction found it (read once per transaction).

    Nothing is chained or numbered without it: a head that is missing was removed
    (it is created with the chain, see create_head), and writing on would let the
    newest entries and the numbers they gave be forgotten.
    """
    head = session.info.get("chain_head")
    if head is None:
        head = read_head(ws)
        if not head.exists:
            raise ChainTampered(f"{head_path(ws)} is missing: the chain's head outside the database was removed; "
                                "nothing more is recorded until it is restored from a backup "
                                "(`sikro register verify` shows what differs)")
        session.info["chain_head"] = head
    return head


def create_head(ws: Workspace) -> None:
    """An empty head beside the secret, when the chain is created (a new or upgraded workspace)."""
    if not head_path(ws).exists():
        merge_head(ws, Head(), create=True)


def given_max(session: Session, ws: Workspace, register: str, year: int) -> int:
    """The highest number of `register` in `year` ever given, as the head outside the database knows."""
    return session_head(session, ws).numbers.get(f"{register}:{year}", 0)


def _write_after_commit(session: Session, ws: Workspace) -> None:
    pending = session.info.pop("chain_head_pending", None)
    if pending is None or not (pending.streams or pending.numbers):
        return
    try:
        merge_head(ws, pending)
    except OSError as err:  # the commit stands; the head stays behind, which the next write repairs
        warnings.warn(f"keys/{HEAD_FILE} not updated: {err}", stacklevel=2)


def merge_head(ws: Workspace, update: Head, *, create: bool = False) -> None:
    """Move the head forward (never back), under a lock, atomically (write, fsync, rename, fsync dir).

    Only `create_head` makes a head where there is none: a head removed behind the tool's
    back stays missing (and is reported) rather than being silently rebuilt.
    """
    path = head_path(ws)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path.with_name(HEAD_FILE + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        head = read_head(ws)
        if head.problem or (not head.exists and not create):  # never paper over tampering: keep the evidence
            return
        for stream, (seq, hash_) in update.streams.items():
            if stream not in head.streams or seq >= head.streams[stream][0]:
                head.streams[stream] = (seq, hash_)
        for key, seq in update.numbers.items():
            head.numbers[key] = max(head.numbers.get(key, 0), seq)
        body = {"format": HEAD_FORMAT, "streams": {k: list(v) for k, v in sorted(head.streams.items())},
                "numbers": dict(sorted(head.numbers.items()))}
        data = canonical_json({**body, "mac": _head_mac(ws, body)})
        atomic_write_bytes(path, data.encode("utf-8"), mode=0o600)
    finally:
        os.close(fd)


def head_problems(ws: Workspace, stream: str, links: dict[int, str], what: str) -> list[str]:
    """A chain whose links (seq -> hash) lost what the head says was written."""
    head = read_head(ws).streams.get(stream)
    if head is None:
        return []
    seq, hash_ = head
    if seq not in links:
        last = max(links, default=0)
        return [f"{what}: the chain head (keys/{HEAD_FILE}) records entry {seq}, but the database ends at "
                f"{last}: the newest entries were removed"]
    if not hmac.compare_digest(links[seq], hash_):
        return [f"{what}: entry {seq} is not the one the chain head (keys/{HEAD_FILE}) recorded (rewritten)"]
    return []


# --------------------------------------------------------------------------- restating after an upgrade


@dataclass(frozen=True)
class Restate:
    """After `revision`, a subject whose chained state is its current state as it read before the
    revision (`was_before(chained, current)`) is chained again with the current state, so the new
    shape of a stream does not read as an edit; one that does not match is left for `verify`."""

    revision: str
    stream: str
    was_before: Callable[[dict, dict], bool]
    actor: str


_RESTATES: list[Restate] = []


def restate_after(revision: str, stream: str, was_before: Callable[[dict, dict], bool]) -> None:
    """Register a restate of `stream` run once by db.migrate when it applies `revision`."""
    if not any((r.revision, r.stream) == (revision, stream) for r in _RESTATES):
        _RESTATES.append(Restate(revision, stream, was_before, f"sikro (migration {revision.split('_')[0]})"))


def restates_for(revisions) -> list[Restate]:
    wanted = set(revisions)
    return [r for r in _RESTATES if r.revision in wanted]


def restate(session: Session, ws: Workspace, item: Restate) -> list[str]:
    """Chain again every subject of the stream whose chained state is its pre-revision state."""
    tracked = _TRACKED.get(item.stream)
    if tracked is None:
        return []
    chained = latest(session, item.stream)
    restated = []
    for subject, state in sorted(tracked.current(session).items()):
        then = chained.get(subject)
        if state is None or then is None:
            continue
        now = plain(state)
        if then != now and item.was_before(then, now):
            _append(session, ws, item.stream, subject, state, item.actor)
            restated.append(subject)
    return restated


# --------------------------------------------------------------------------- verifying


def verify(session: Session, ws: Workspace | None = None) -> list[str]:
    """Problems of every stream: broken links, a head the database lost, tables that differ."""
    ws = workspace_of(session, ws)
    head = read_head(ws)
    problems = [head.problem] if head.problem else []
    if not head.exists:
        problems.append(f"keys/{HEAD_FILE} is missing: the chain's head outside the database was removed "
                        "(the newest entries and the numbers they gave cannot be checked)")
    rows = session.scalars(select(ChainRow).order_by(ChainRow.stream, ChainRow.seq, ChainRow.id)).all()
    streams = sorted({r.stream for r in rows} | set(_TRACKED))
    for stream in streams:
        own = [r for r in rows if r.stream == stream]
        link_problems, state = _verify_links(chain_secret(ws.keys_dir), stream, own)
        problems += link_problems
        problems += head_problems(ws, f"chain:{stream}", {r.seq: r.hash for r in own}, f"chain {stream}")
        if stream in _TRACKED and (own or f"chain:{stream}" in head.streams):
            problems += _compare(stream, _TRACKED[stream], state, session)
    return problems


def walk_links(key: bytes, rows, *, where: Callable[[Any], str], noun: str,
               position: Callable[[Any], int] | None = None) -> Iterator[tuple[Any, str, dict | None, list[str]]]:
    """Walk one hash chain in order: each row with where it is, its content read, and its link's problems.

    The one walker of every chained table (these streams, the registers' logs, the Buku
    Ekspedisi): each link must follow the previous one (`prev_hash`), carry its own HMAC, hold
    JSON, and, when the table numbers its rows (`position`), come next in the count. What the
    content must say is the caller's (it knows its columns).
    """
    prev, expected = GENESIS_HASH, 1
    for row in rows:
        at, problems = where(row), []
        if position is not None:
            if position(row) != expected:
                problems.append(f"{at}: {noun} {expected} is missing (removed)")
            expected = position(row) + 1
        if row.prev_hash != prev:
            problems.append(f"{at}: does not follow the previous {noun} (removed or inserted)")
        if not hmac.compare_digest(link_hash(key, row.prev_hash, row.content), row.hash):
            problems.append(f"{at}: {noun} was edited (hash mismatch)")
        prev = row.hash
        try:
            body = json.loads(row.content)
        except ValueError:
            problems.append(f"{at}: {noun} content is not JSON (edited)")
            body = None
        yield row, at, body, problems


def _verify_links(key: bytes, stream: str, rows: list[ChainRow]) -> tuple[list[str], dict[str, dict]]:
    problems: list[str] = []
    state: dict[str, dict] = {}
    for row, at, body, link_problems in walk_links(key, rows, noun="entry", position=lambda r: r.seq,
                                                   where=lambda r: f"chain {stream} entry {r.seq} ({r.subject})"):
        problems += link_problems
        if body is None:
            continue
        if (body.get("stream"), body.get("seq"), body.get("subject")) != (row.stream, row.seq, row.subject):
            problems.append(f"{at}: its columns differ from its content (edited)")
        state[body.get("subject")] = body.get("data") or {}
    return problems, state


def _compare(stream: str, tracked: Tracked, chained: dict[str, dict], session: Session) -> list[str]:
    current = {k: plain(v) for k, v in tracked.current(session).items() if v is not None}
    problems = []
    for subject in sorted(chained.keys() | current.keys()):
        now, then = current.get(subject), chained.get(subject)
        label = tracked.describe(subject, now or then)
        if now is None:
            problems.append(f"{label}: in the chain but missing from the database (deleted)")
        elif then is None and tracked.unchained_ok(now):
            continue
        elif then is None:
            problems.append(f"{label}: in the database but not in the chain (written behind the tool's back)")
        else:
            order = list(tracked.labels)
            for name in sorted(then.keys() | now.keys(), key=lambda n: (order.index(n) if n in order else len(order), n)):
                if then.get(name) != now.get(name):
                    shown = tracked.labels.get(name, name)
                    problems.append(f"{label}: {shown} in database {now.get(name)!r}, chained {then.get(name)!r}")
                    break  # the first difference names the subject; the rest follow from it
    return problems


def tips(session: Session) -> dict[str, tuple[int, str]]:
    """Each stream's newest link in the database: (seq, hash)."""
    out: dict[str, tuple[int, str]] = {}
    for row in session.scalars(select(ChainRow).order_by(ChainRow.stream, ChainRow.seq)):
        out[row.stream] = (row.seq, row.hash)
    return out


def latest(session: Session, stream: str) -> dict[str, dict]:
    """Each subject's last chained state in `stream` (links not checked: `verify` does that)."""
    out: dict[str, dict] = {}
    for row in session.scalars(select(ChainRow).where(ChainRow.stream == stream).order_by(ChainRow.seq)):
        try:
            out[row.subject] = json.loads(row.content).get("data") or {}
        except ValueError:
            continue
    return out
