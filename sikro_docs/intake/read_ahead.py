"""Reading an input file ahead, in a child process, while the caller registers what was read.

Reading and checking a row (unzipping, parsing the XML, validating each cell) costs about
as much as registering it; one after the other, an import of a large workbook uses one core
of two. So for a large file a forked child reads the rows, chunk by chunk, and sends them
through a pipe while the parent registers the chunk before. The rows are the same objects
`Intake.rows()` gives, in the same order; an error while reading reaches the parent as the
same error, where the reading would have raised it, after the rows read before it.

The child never touches the database: it is forked before the caller opens its transaction
and leaves with os._exit (no clean-up of the parent's objects). If the parent stops early
(an error while registering, Ctrl-C, kill -9) the child's next write fails and it ends; the
parent also kills and reaps it on the way out. A small file, a process with threads (forking
one is unsafe) or a system without fork reads in-process, as before.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Iterable, Iterator
from itertools import islice

from ..errors import SikroError
from .model import Intake, Row
from .refusals import refused

# Below this size, reading in-process is quicker than starting a reader (about 5,000 rows of a workbook).
READ_AHEAD_BYTES = 512 * 1024
_DONE, _ROWS, _ERROR = "done", "rows", "error"


def chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ReaderFailed(SikroError):
    """An error of the reader that could not travel as itself: its message and exit code."""

    def __init__(self, message: str, exit_code: int, code: str = "error"):
        super().__init__(message)
        self.exit_code, self.code = exit_code, code

    def __reduce__(self):
        return ReaderFailed, (str(self), self.exit_code, self.code)


def _worth_a_reader(intake: Intake) -> bool:
    try:
        size = os.path.getsize(intake.path)
    except OSError:
        return False
    return size >= READ_AHEAD_BYTES and hasattr(os, "fork") and threading.active_count() == 1


@contextlib.contextmanager
def read_ahead(intake: Intake, size: int) -> Iterator[Iterator[list[Row]]]:
    """`intake`'s rows in chunks of `size`, read by a child process when the file is large.

    Enter it before opening a database transaction: the child is forked on entry."""
    if not _worth_a_reader(intake):
        yield chunks(intake.rows(), size)
        return
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the reader
        os.close(readable)
        _read_into(intake, size, writable)  # never returns
    os.close(writable)
    try:
        with os.fdopen(readable, "rb") as source:
            yield _received(intake, source)
    finally:
        _stop(pid)


def _read_into(intake: Intake, size: int, fd: int) -> None:
    code = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for chunk in chunks(intake.rows(), size):
                    pickle.dump((_ROWS, [_as_tuple(row) for row in chunk]), out, pickle.HIGHEST_PROTOCOL)
                message = (_DONE, None)
            except BaseException as err:  # noqa: BLE001 - every failure goes to the parent, which decides
                message = (_ERROR, _portable(err))
            pickle.dump(message, out, pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - the parent went away: nothing left to tell
        code = 1
    finally:
        os._exit(code)


def _as_tuple(row: Row) -> tuple:
    # Plain tuples: unpickling a dataclass per row cost more than reading the row.
    return row.number, row.raw, row.values, row.problems, row.missing


def _portable(err: BaseException) -> BaseException:
    """`err` if it survives pickling as itself; else its message and exit code (or, for a bug,
    its traceback: it is reported, not lost)."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:  # noqa: BLE001 - any failure to pickle means "send a copy"
        pass
    if isinstance(err, SikroError):
        return ReaderFailed(str(err), err.exit_code, getattr(err, "code", "error"))
    return RuntimeError("".join(traceback.format_exception(err)))


def _received(intake: Intake, source) -> Iterator[list[Row]]:
    while True:
        try:
            kind, payload = pickle.load(source)
        except (EOFError, pickle.UnpicklingError):
            raise refused(intake.path, "reading-stopped") from None
        if kind == _ROWS:
            yield [Row(*fields) for fields in payload]
        elif kind == _ERROR:
            raise payload
        else:
            return


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # done already, or not needed any more
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
