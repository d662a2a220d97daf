"""Registers under real concurrency and real kill -9: no duplicate, no gap, nothing unexplained."""

from __future__ import annotations

import random
import signal
import time

from conftest import assert_no_traceback
from registers_support import (
    DOC_DATE,
    assert_series_complete,
    entries,
    json_value,
    make_applications,
    sql,
    start_worker,
)

from sikro_docs import db, numbering

KINDS = "recommendation-request,permit"


def issued_documents(ws) -> dict[str, tuple]:
    return {uid: (app, kind, number) for uid, app, kind, number in sql(
        ws, "select uid, application_id, kind, number from documents where status = 'issued'")}


def test_two_processes_issue_400_documents_without_duplicate_or_gap(workspace, sikro, ws_args):
    make_applications(workspace, 200)
    workers = [start_worker(workspace, 1, 100, KINDS), start_worker(workspace, 101, 200, KINDS)]
    outputs = [w.communicate(timeout=120) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert len(out.splitlines()) == 200 and all(line.startswith("issued ") for line in out.splitlines())
    for register in ("surat-keluar", "izin"):
        rows = assert_series_complete(workspace, register)
        assert len(rows) == 200 and {r[3] for r in rows} == {"used"}
        got = [{line.split()[2] for line in out.splitlines()} for out, _ in outputs]
        # Both processes really drew from the same series at the same time.
        seqs = [sorted(r[1] for r in rows if r[2] in mine) for mine in got]
        assert seqs[0][0] < seqs[1][-1] and seqs[1][0] < seqs[0][-1]
    files = sql(workspace, "select files, number from documents where status = 'issued'")
    assert len(files) == 400
    for files_json, number in files[:20]:
        [relative] = json_value(files_json)
        path = workspace.root / relative
        assert number in path.read_text()
    result = sikro("register", "verify", *ws_args)
    assert result.code == 0, result.out + result.err
    assert "all registers intact: 600 entries" in result.out


def test_kill_9_at_random_points_leaves_every_number_explained(workspace, sikro, ws_args):
    make_applications(workspace, 120)
    rng = random.Random(20250307)
    for _round in range(6):
        workers = [start_worker(workspace, 1, 60, KINDS, slow=0.01),
                   start_worker(workspace, 61, 120, KINDS, slow=0.01)]
        for worker in workers:
            worker.stdout.readline()  # it is in the middle of its batch
        time.sleep(rng.uniform(0.0, 0.25))
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            assert worker.returncode == -signal.SIGKILL
    before = issued_documents(workspace)
    assert before, "the workers issued nothing before being killed"

    result = sikro("register", "verify", *ws_args)  # the next command touching the registers
    assert result.code == 0, result.out + result.err
    assert_no_traceback(result)
    voids = [r for reg in ("surat-keluar", "izin") for r in assert_series_complete(workspace, reg)
             if r[3] == "void"]
    assert voids and {r[4] for r in voids} == {"interrupted"}
    assert not sql(workspace, "select id from documents where status = 'pending'")

    # Re-running the batch finishes it and renumbers nothing already issued.
    finish = [start_worker(workspace, 1, 60, KINDS), start_worker(workspace, 61, 120, KINDS)]
    outs = [w.communicate(timeout=120)[0] for w in finish]
    assert all(w.returncode == 0 for w in finish)
    reused = [line for out in outs for line in out.splitlines() if line.startswith("reused ")]
    assert len(reused) == len(before)
    after = issued_documents(workspace)
    assert {uid: after[uid] for uid in before} == before
    assert sorted((app, kind) for app, kind, _ in after.values()) == sorted(
        (app, kind) for app in range(1, 121) for kind in KINDS.split(","))
    for register in ("surat-keluar", "izin"):
        used = [r for r in assert_series_complete(workspace, register) if r[3] == "used"]
        assert len(used) == 120
    assert sikro("register", "verify", *ws_args).code == 0


def test_kill_between_the_two_transactions_is_voided_by_the_next_command(workspace, sikro, ws_args):
    make_applications(workspace, 5)
    worker = start_worker(workspace, 1, 5, "recommendation-request", die_at=3)
    out, _ = worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    assert len(out.splitlines()) == 2
    rows = entries(workspace, "surat-keluar")
    assert [r[3] for r in rows] == ["used", "used", "pending"]  # left behind by the dead process

    listed = sikro("register", "list", "surat-keluar", "--json", *ws_args)
    assert listed.code == 0, listed.err
    third = listed.json()[2]
    assert (third["seq"], third["status"], third["reason"]) == (3, "void", "interrupted")
    assert sql(workspace, "select status, reason from documents where number = ?", (third["number"],)) \
        == [("void", "interrupted")]
    log = sql(workspace, "select action from register_log where register='surat-keluar' and seq=3")
    assert [a for (a,) in log] == ["allocate", "void"]  # recorded in the chain like any void
    events = sql(workspace, "select action from events where application_id = 3 and action = 'number.voided'")
    assert events == [("number.voided",)]

    rerun = start_worker(workspace, 1, 5, "recommendation-request")
    out, _ = rerun.communicate(timeout=60)
    assert [line.split()[0] for line in out.splitlines()] == ["reused", "reused", "issued", "issued", "issued"]
    assert [(r[1], r[3]) for r in entries(workspace, "surat-keluar")] == [
        (1, "used"), (2, "used"), (3, "void"), (4, "used"), (5, "used"), (6, "used")]
    assert sikro("register", "verify", *ws_args).code == 0


def test_pending_number_of_a_live_process_is_left_alone_until_it_dies(workspace, sikro, ws_args):
    [app_id] = make_applications(workspace, 1)
    with db.session(workspace, write=True) as session:
        entry = numbering.allocate(session, workspace, "izin", DOC_DATE,
                                   kind="permit", application_id=app_id, pending=True)
    listed = sikro("register", "list", "izin", "--json", *ws_args)
    assert [e["status"] for e in listed.json()] == ["pending"]  # our lease is alive

    refused = sikro("register", "void", "izin", entry.number, "--reason", "x", *ws_args)
    assert refused.code == 1 and "running process" in refused.err

    lease = numbering.leases._end_lease(workspace)  # what this process's end does: the lock is gone
    listed = sikro("register", "list", "izin", "--json", *ws_args)
    assert [(e["status"], e["reason"]) for e in listed.json()] == [("void", "interrupted")]
    assert not db.lock_file(workspace, numbering.leases.lock_name(lease.id)).exists()
