"""A large file is read ahead by a child process (intake/read_ahead.py) while the registry writes:
the outcome is the one of reading in-process, errors arrive as themselves, and no reader outlives
its import."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from test_import_speed import long_list, record
from test_intake_support import make_workbook, valid_record
from test_intake_unusable import damaged_deep_inside

from sikro_docs import chain, clock, db, importing, numbering, registry
from sikro_docs.errors import SikroError, UnusableInput
from sikro_docs.intake import read_ahead


@pytest.fixture
def forks(monkeypatch):
    """Every file is read ahead; the readers started are counted (real forks)."""
    started = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(read_ahead, "READ_AHEAD_BYTES", 0)
    monkeypatch.setattr(os, "fork", fork)
    return started


def no_children_left() -> bool:
    """No reader still running or left unreaped."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def mixed_rows(rows: int) -> list[dict]:
    """Valid rows with, here and there, an invalid one and a duplicate of an earlier row."""
    records = []
    for i in range(rows):
        rec = {**record(i), "no_registrasi": None}
        if i % 97 == 5:
            rec["nik"] = rec["nik"][:15]  # 15 digits
        if i % 211 == 7:
            rec = {**records[i - 3]}  # the same applicant and date again
        records.append(rec)
    return records


def outcome(report: registry.ImportReport) -> tuple:
    return (report.imported, report.updated, report.unchanged, report.applications,
            [(p.row, p.column, p.message) for p in report.invalid])


def test_a_file_read_ahead_imports_exactly_as_read_in_process(tmp_path, forks, monkeypatch, new_workspace):
    book = make_workbook(tmp_path / "campur.xlsx", mixed_rows(1_203))
    results = {}
    for how, threshold in (("ahead", 0), ("in-process", 1 << 40)):
        monkeypatch.setattr(read_ahead, "READ_AHEAD_BYTES", threshold)
        ws = new_workspace(tmp_path / f"ws-{how}")
        with clock.frozen("2026-03-02T10:00:00+07:00"):
            report = registry.import_file(ws, book)
        with db.session(ws) as sess:
            assert numbering.verify_registers(sess, ws) == [] and chain.verify(sess, ws) == []
            numbers = [a.registration_number for a in registry.list_applications(sess)]
        results[how] = (outcome(report), numbers)
    assert len(forks) == 1  # the first import had a reader, the second read in-process
    assert results["ahead"] == results["in-process"]
    (imported, _u, _c, _apps, invalid), _numbers = results["ahead"]
    assert imported > 1_100 and any("duplicate of row" in p[2] for p in invalid) and \
        any(p[1] == "NIK" for p in invalid)
    assert no_children_left()


def test_damage_the_reader_finds_stops_the_import_with_the_same_message(tmp_path, forks, workspace):
    path = damaged_deep_inside(tmp_path)
    with pytest.raises(UnusableInput, match=r"rusak-dalam.xlsx: the workbook is damaged near row \d+"):
        registry.import_file(workspace, path)
    assert len(forks) == 1 and no_children_left()
    with db.session(workspace) as sess:
        assert registry.list_applications(sess) == []  # rows read before the damage: not saved either


def test_a_failure_while_registering_stops_and_reaps_the_reader(tmp_path, forks, workspace, monkeypatch):
    book = long_list(tmp_path / "daftar.xlsx", 2_000)
    calls = []
    real_add = importing.ChunkedImport.add_chunk

    def add_then_fail(self, rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise SikroError("the disk is full")
        real_add(self, rows)

    monkeypatch.setattr(importing.ChunkedImport, "add_chunk", add_then_fail)
    with pytest.raises(SikroError, match="the disk is full"):
        registry.import_file(workspace, book)
    assert calls == [importing.IMPORT_CHUNK] * 2 and len(forks) == 1 and no_children_left()
    with db.session(workspace) as sess:
        assert registry.list_applications(sess) == []


def test_an_error_the_reader_cannot_send_as_itself_keeps_its_message_and_exit_code():
    class Odd(SikroError):
        exit_code = 2

        def __init__(self, where, what):  # not rebuilt from its args: does not unpickle
            super().__init__(f"{where}: {what}")

    sent = read_ahead._portable(Odd("baris 7", "rusak"))
    assert isinstance(sent, read_ahead.ReaderFailed) and (str(sent), sent.exit_code) == ("baris 7: rusak", 2)
    bug = read_ahead._portable(KeyError("x"))
    assert isinstance(bug, KeyError)  # a plain error travels as itself


def test_kill_9_during_a_read_ahead_import_saves_nothing_and_leaves_no_reader(tmp_path, workspace, ws_args):
    book = long_list(tmp_path / "besar.xlsx", 20_000)
    assert book.stat().st_size >= read_ahead.READ_AHEAD_BYTES
    child = subprocess.Popen([sys.executable, "-m", "sikro_docs", "import", str(book), *map(str, ws_args)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    readers = _wait_for_reader(child.pid)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 30
    while readers and time.monotonic() < deadline:  # its next write fails: it ends by itself
        readers = [pid for pid in readers if _alive(pid)]
        time.sleep(0.1)
    assert readers == []
    with db.session(workspace) as sess:
        assert registry.list_applications(sess) == []
        assert numbering.verify_registers(sess, workspace) == [] and chain.verify(sess, workspace) == []
    again = registry.import_file(workspace, book)  # and the office just imports it again
    assert again.imported == 20_000 and again.invalid == []


def _children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def _wait_for_reader(pid: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if children := _children_of(pid):
            time.sleep(1.0)  # well into the file: rows read and sent, some registered
            return children
        time.sleep(0.05)
    raise AssertionError("the import never started a reader")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_small_file_is_read_in_process(tmp_path, workspace, monkeypatch):
    started = []
    monkeypatch.setattr(os, "fork", lambda: started.append(1) or os.getpid())  # would be wrong if called
    book = make_workbook(tmp_path / "kecil.xlsx", [valid_record(no_registrasi=None,
                                                                tanggal_permohonan=dt.date(2026, 3, 2))])
    report = registry.import_file(workspace, book)
    assert report.imported == 1 and started == []
