"""Jobs: long work queued (huey, SQLite storage), run by a real `sikro worker` process, followed,
cancelled, and run again after a worker dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from registers_support import sql
from test_import_speed import long_list
from test_intake_support import make_workbook, valid_record

from sikro_docs import chain, db, jobs, numbering, registry
from sikro_docs.cli import main
from sikro_docs.jobs import runner


@pytest.fixture
def worker(workspace):
    """Start `sikro worker` on the workspace (call it again to start another); stopped at the end."""
    started = []

    def start():
        proc = subprocess.Popen([sys.executable, "-m", "sikro_docs", "worker", "--workspace", str(workspace.root)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(ws, job_id, until, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.status(ws, job_id)
        if until(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never got there: {jobs.status(ws, job_id)}")


def finished(job):
    return job.status in jobs.FINISHED


def applications(ws):
    with db.session(ws) as sess:
        return registry.list_applications(sess)


def test_a_job_queued_without_a_worker_runs_once_a_worker_starts(tmp_path, workspace, worker, capsys):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)])
    with pytest.raises(SystemExit) as exit_:
        main(["jobs", "import", str(book), "--by", "fo.rina", "--json", "--workspace", str(workspace.root)])
    assert exit_.value.code == 0
    job_id = json.loads(capsys.readouterr().out)["id"]
    assert len(job_id) == 32 and jobs.status(workspace, job_id).status == jobs.QUEUED
    time.sleep(0.5)
    assert applications(workspace) == []  # nothing runs it yet: the queue keeps it on disk
    worker()
    job = wait_for(workspace, job_id, finished)
    assert (job.status, job.created_by, job.attempts, job.done) == (jobs.DONE, "fo.rina", 1, 1)
    assert job.result["imported"] == 1 and job.result["invalid"] == []
    [app] = applications(workspace)
    with db.session(workspace) as sess:
        assert [e["actor"] for e in registry.history(sess, app)] == ["fo.rina", "fo.rina"]


def test_a_running_import_shows_its_progress_and_cancelling_it_saves_nothing(tmp_path, workspace, worker):
    book = long_list(tmp_path / "besar.xlsx", 20_000)
    job = jobs.submit(workspace, "import", {"path": str(book)}, actor="fo.rina")
    worker()
    seen = wait_for(workspace, job.id, lambda j: j.status == jobs.RUNNING and j.done >= 500)
    assert seen.message == "baris dibaca"
    jobs.cancel(workspace, job.id, actor="kasi.budi")
    done = wait_for(workspace, job.id, finished)
    assert done.status == jobs.CANCELLED and done.cancel_requested and 500 <= done.done < 20_000
    assert applications(workspace) == []
    with db.session(workspace) as sess:
        assert numbering.verify_registers(sess, workspace) == [] and chain.verify(sess, workspace) == []


def test_a_cancelled_queued_job_never_starts(tmp_path, workspace, worker):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)])
    first = jobs.submit(workspace, "import", {"path": str(book)}, actor="fo.rina")
    assert jobs.cancel(workspace, first.id, actor="fo.rina").status == jobs.CANCELLED
    second = jobs.submit(workspace, "import", {"path": str(book)}, actor="fo.rina")
    worker()
    assert wait_for(workspace, second.id, finished).status == jobs.DONE
    assert jobs.status(workspace, first.id).attempts == 0 and len(applications(workspace)) == 1


def test_a_job_whose_worker_was_killed_runs_again_when_a_worker_starts(tmp_path, workspace, worker):
    book = long_list(tmp_path / "besar.xlsx", 20_000)
    job = jobs.submit(workspace, "import", {"path": str(book)}, actor="fo.rina")
    first = worker()
    wait_for(workspace, job.id, lambda j: j.status == jobs.RUNNING and j.done >= 500)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert jobs.status(workspace, job.id).status == jobs.RUNNING  # left behind by the dead worker
    worker()
    done = wait_for(workspace, job.id, finished, timeout=300)
    assert (done.status, done.attempts, done.result["imported"]) == (jobs.DONE, 2, 20_000)
    with db.session(workspace) as sess:
        assert numbering.verify_registers(sess, workspace) == [] and chain.verify(sess, workspace) == []
    seqs = [seq for (seq,) in sql(workspace, "select seq from register_entries where register = 'registrasi' "
                                             "order by seq")]
    assert seqs == list(range(1, 20_001))  # nothing given twice, nothing skipped


def test_a_failing_job_ends_failed_with_its_one_line_error(tmp_path, workspace, capsys):
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    job = jobs.submit(workspace, "import", {"path": str(broken)}, actor="fo.rina")
    runner.run_job(str(workspace.root), job.id)  # what the worker's task does, in-process
    failed = jobs.status(workspace, job.id)
    assert failed.status == jobs.FAILED and failed.error_code == "intake.not-a-zip"
    assert "rusak.xlsx" in failed.error and "\n" not in failed.error
    with pytest.raises(SystemExit) as exit_:
        main(["jobs", "show", job.id, "--workspace", str(workspace.root)])
    assert exit_.value.code == 1 and "failed" in capsys.readouterr().out


def test_a_bug_in_a_job_is_recorded_and_the_next_job_still_runs(tmp_path, workspace):
    def explode(ws, params, ctx):
        raise ZeroDivisionError("division by zero")

    jobs.register(jobs.JobKind("explode", "Percobaan", explode))
    try:
        bad = jobs.submit(workspace, "explode", {}, actor="admin")
        runner.run_job(str(workspace.root), bad.id)
    finally:
        del jobs.KINDS["explode"]
    assert (jobs.status(workspace, bad.id).status, jobs.status(workspace, bad.id).error_code) == \
        (jobs.FAILED, "internal")
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)])
    good = jobs.submit(workspace, "import", {"path": str(book)}, actor="fo.rina")
    runner.run_job(str(workspace.root), good.id)
    assert jobs.status(workspace, good.id).status == jobs.DONE
    runner.run_job(str(workspace.root), good.id)  # delivered again: a finished job is not run twice
    assert jobs.status(workspace, good.id).attempts == 1


def test_bad_submissions_are_refused_at_once(tmp_path, workspace):
    with pytest.raises(jobs.UnknownJobKind, match=r"unknown job kind 'export'; known: (.+, )?batch, (.+, )?import"):
        jobs.submit(workspace, "export", {}, actor="x")
    with pytest.raises(jobs.JobParamsInvalid, match="is not a file"):
        jobs.submit(workspace, "import", {"path": str(tmp_path / "missing.xlsx")}, actor="x")
    book = make_workbook(tmp_path / "p.xlsx", [valid_record()])
    with pytest.raises(Exception, match="SIPX"):
        jobs.submit(workspace, "import", {"path": str(book), "permit_type": "SIPX"}, actor="x")
    with pytest.raises(jobs.JobNotFound):
        jobs.status(workspace, "0" * 32)
    assert jobs.list_jobs(workspace) == []


def test_a_batch_job_makes_the_permits_with_progress_and_again_issues_nothing_new(tmp_path, workspace, worker):
    from test_batch import APPLIED, RECOMMENDATION
    from workflow_support import import_and_advance

    records = [valid_record(no_registrasi=None, nama=f"Pemohon {n}, A.Md.RO", nik=f"12110145039100{n:02d}",
                            tanggal_lahir="05-03-1991", jenis_kelamin="P", keputusan="Disetujui",
                            tanggal_permohonan=APPLIED, **RECOMMENDATION) for n in range(1, 4)]
    book = make_workbook(tmp_path / "setuju.xlsx", records)
    import_and_advance(workspace, book)
    worker()
    first = jobs.submit(workspace, "batch", {"path": str(book), "doc": "permit", "pdf": True}, actor="kasi.budi")
    done = wait_for(workspace, first.id, finished, timeout=300)
    assert done.status == jobs.DONE and done.done == 3, done
    statuses = [d["status"] for d in done.result["documents"]]
    assert statuses == ["issued"] * 3 and all(d["pdf"] for d in done.result["documents"])
    again = wait_for(workspace, jobs.submit(workspace, "batch", {"path": str(book), "doc": "permit"},
                                            actor="kasi.budi").id, finished, timeout=300)
    assert [d["status"] for d in again.result["documents"]] == ["existing"] * 3  # idempotent
    with db.session(workspace) as sess:
        assert numbering.verify_registers(sess, workspace) == [] and chain.verify(sess, workspace) == []
