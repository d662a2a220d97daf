"""The batch's pipeline: what makes it fast must not change what it makes."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text
from workflow_support import make_application

from sikro_docs import batch, db


def test_a_writing_thread_starts_as_soon_as_the_writer_before_it_commits(workspace):
    """Threads of one batch (gating, numbering, filing) write in turn. SQLite's busy handler
    sleeps 1, 2, 5, ... 100 ms between tries, so a writer that waited 360 ms started up to
    ~90 ms after the lock was free; LibreOffice waited with it."""
    db.migrate_once(workspace)
    committed, started = [], []
    holding = threading.Event()

    def first():
        with db.session(workspace, write=True) as sess:
            sess.execute(text("select 1"))
            holding.set()
            time.sleep(0.36)
        committed.append(time.monotonic())

    def second():
        holding.wait()
        with db.session(workspace, write=True) as sess:
            sess.execute(text("select 1"))  # BEGIN IMMEDIATE: it has the write lock
            started.append(time.monotonic())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert started[0] - committed[0] < 0.045, f"the second writer started {started[0] - committed[0]:.3f} s late"


def test_an_application_named_in_two_chunks_gets_one_document(workspace, monkeypatch):
    """Chunks are gated one ahead of the one being made; a later chunk naming an application
    again must see the document the earlier one issued (no second one)."""
    monkeypatch.setattr(batch, "CHUNK", 1)
    first, second = make_application(workspace, nik_seq=1), make_application(workspace, name="Hotman", nik_seq=2)
    report = batch.generate(workspace, "receipt", [first, second, first, second, first], batch.Options())
    statuses = [(d.application, d.status) for d in report.documents]
    assert statuses == [(first, "issued"), (second, "issued"), (first, "existing"), (second, "existing"),
                        (first, "existing")]
    ids = [d.document_id for d in report.documents]
    assert ids[0] == ids[2] == ids[4] and ids[1] == ids[3] and ids[0] != ids[1] and None not in ids


def test_an_error_while_gating_ahead_reaches_the_caller(workspace, monkeypatch):
    """A bug in the gate thread is raised where the batch runs, not lost in the thread."""
    ref = make_application(workspace)

    def broken(*args):
        raise RuntimeError("gate broke")

    monkeypatch.setattr(batch, "_look_up", broken)
    try:
        batch.generate(workspace, "receipt", [ref], batch.Options())
    except RuntimeError as err:
        assert str(err) == "gate broke"
    else:
        raise AssertionError("the gate's error was lost")
