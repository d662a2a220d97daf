"""PostgreSQL: the schema from the one migration history, numbering, append-only evidence, concurrency.

Every test runs on a real PostgreSQL server the session starts itself (tests/pg_support.py);
in CI a missing server fails rather than skips.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import threading
import time

import psycopg
import pytest
from conftest import needs_postgresql
from registers_support import DOC_DATE, _pg_sql, assert_series_complete, make_applications, sql, start_worker
from sqlalchemy import text
from test_intake_support import make_workbook, valid_record

from sikro_docs import clock, db, numbering

pytestmark = needs_postgresql


def test_migrations_upgrade_to_head_on_postgresql(pg_workspace):
    from sqlalchemy import inspect

    current, head = db._current_and_head(pg_workspace)
    assert current == head is not None
    engine = db.engine_for(pg_workspace)
    assert engine.dialect.name == "postgresql"
    tables = set(inspect(engine).get_table_names())
    assert {"applications", "register_entries", "register_log", "chain_log", "disposal_decisions"} <= tables


APPEND_ONLY = ("events", "register_log", "dispatches", "archive_events", "step_records", "chain_log",
               "issued_files", "key_status", "disposal_proposals", "disposal_items", "disposal_decisions")


def raw(url: str, statement: str, params=()) -> list[tuple]:
    """Run SQL on the database directly, as someone with psql could (no sikro code in between)."""
    return _pg_sql(url, statement, params)


def test_every_evidence_table_has_its_triggers_on_postgresql(pg_workspace, pg_url):
    rows = raw(pg_url, "SELECT event_object_table, trigger_name FROM information_schema.triggers")
    got = {(t, name) for t, name in rows}
    for table in APPEND_ONLY:
        assert {(table, f"{table}_no_update"), (table, f"{table}_no_delete")} <= got, table
    truncating = raw(pg_url, "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%_no_truncate'")
    assert {t for (t,) in truncating} == set(APPEND_ONLY)


def test_update_delete_and_truncate_of_evidence_fail_on_postgresql(pg_workspace, pg_url):
    make_applications(pg_workspace, 2)
    assert raw(pg_url, "SELECT count(*) FROM register_log")[0][0] == 2
    for statement in ("UPDATE register_log SET number = 'X'", "DELETE FROM register_log",
                      "TRUNCATE register_log", "UPDATE events SET actor = 'someone else'",
                      "DELETE FROM chain_log"):
        with pytest.raises(psycopg.errors.RestrictViolation, match="is append-only"):
            raw(pg_url, statement)
    assert raw(pg_url, "SELECT count(*) FROM register_log")[0][0] == 2
    # Tables that are not evidence change as ever.
    raw(pg_url, "UPDATE applications SET phone = '0813'")


def test_migrations_go_down_and_up_again_on_postgresql(pg_workspace):
    from alembic import command
    from sqlalchemy import inspect

    cfg = db._alembic_config(pg_workspace)
    command.downgrade(cfg, "base")
    engine = db.engine_for(pg_workspace)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    current, head = db._current_and_head(pg_workspace)
    assert current == head


def held_elsewhere(url: str, name: str) -> bool:
    """Whether another connection holds the advisory lock `name` of db.lock (tried, never waited for)."""
    [(got,)] = raw(url, "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", (db.LOCK_SPACE, name))
    return not got


def test_a_write_session_holds_the_writers_lock_until_it_commits(pg_workspace, pg_url):
    assert not held_elsewhere(pg_url, db.WRITERS_LOCK)
    with db.session(pg_workspace) as session:  # reading takes no lock
        session.execute(text("SELECT 1"))
        assert not held_elsewhere(pg_url, db.WRITERS_LOCK)
    with db.session(pg_workspace, write=True) as session:
        assert held_elsewhere(pg_url, db.WRITERS_LOCK)
        db.lock(session, "register:izin:2025")
        assert held_elsewhere(pg_url, "register:izin:2025")
        assert not held_elsewhere(pg_url, "register:izin:2026")
    assert not held_elsewhere(pg_url, db.WRITERS_LOCK)
    assert not held_elsewhere(pg_url, "register:izin:2025")
    with pytest.raises(RuntimeError), db.session(pg_workspace, write=True):
        raise RuntimeError("a failed write")
    assert not held_elsewhere(pg_url, db.WRITERS_LOCK)  # a rollback lets go too


def test_a_second_writer_waits_for_the_first_to_commit(pg_workspace, pg_url):
    """Across connections (as across processes): the second waits for the lock, then reads what the first wrote."""
    seen = []

    def other_writer():
        with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql")) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (db.LOCK_SPACE, db.WRITERS_LOCK))
            seen.append(conn.execute("SELECT count(*) FROM register_entries").fetchone()[0])

    with db.session(pg_workspace, write=True) as session:
        allocate_one_registration(session, pg_workspace)
        thread = threading.Thread(target=other_writer)
        thread.start()
        wait_for(lambda: raw(pg_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                 == [(1,)])  # the other writer is at its lock, waiting
        assert not seen
    thread.join(30)
    assert seen == [1]  # it read after the first's commit


def wait_for(condition, limit: float = 30.0) -> None:
    """Poll `condition` until it holds (a bound against hanging, never a timed assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def allocate_one_registration(session, ws) -> None:
    """An application and its registration number, in `session` (the caller's write transaction)."""
    from sikro_docs.models import Application

    app = Application(registration_number="(pending)", application_date=DOC_DATE, name="Pemohon",
                      nik="1211010101900001", birth_place="Sidikalang", birth_date=dt.date(1990, 1, 1), sex="L",
                      address="Jl. Sudirman 1", phone="0812", education="D3", checklist={}, status="open",
                      current_step=2, permit_type="sikro", application_kind="baru", place_key="",
                      facts={"str_number": "STR-1", "str_valid_until": None, "workplace_name": "Optik",
                             "workplace_address": "Jl. Pahlawan 2"})
    session.add(app)
    session.flush()
    app.registration_number = numbering.allocate(session, ws, "registrasi", DOC_DATE, kind="registration",
                                                 application_id=app.id).number


def write_number_file(ws):
    def produce(document):
        path = ws.out_dir / f"{document.uid}.txt"
        path.write_text(f"Nomor: {document.number}")
        return [path]
    return produce


def test_a_workspace_on_postgresql_imports_issues_and_verifies(pg_workspace, sikro, tmp_path):
    ws, args = pg_workspace, ["--workspace", str(pg_workspace.root)]
    year = clock.today({}).year
    records = [valid_record(no_registrasi=None),
               valid_record(no_registrasi=None, nama="Hotman Simanjuntak, A.Md.RO", nik="1211012111880003",
                            tanggal_lahir="21-11-1988", jenis_kelamin="L")]
    result = sikro("import", make_workbook(tmp_path / "p.xlsx", records), "--json", *args)
    assert result.code == 0, result.err
    assert result.json()["imported"] == 2
    listed = sikro("list", "--json", *args).json()
    assert [a["registration_number"] for a in listed] == [f"REG/00001/SIKRO/{year}", f"REG/00002/SIKRO/{year}"]
    app_ids = [row[0] for row in sql(ws, "SELECT id FROM applications ORDER BY id")]

    letter = numbering.issue_document(ws, kind="recommendation-request", application_id=app_ids[0],
                                      on=DOC_DATE, produce=write_number_file(ws))
    assert (letter.status, letter.number) == ("issued", "500.16.7.2/0001/DPMPTSPK/III/2025")
    assert (ws.root / letter.files[0]).read_text() == f"Nomor: {letter.number}"
    permits = numbering.issue_documents(ws, kind="permit", on=DOC_DATE, produce=write_number_file(ws),
                                        requests=[numbering.IssueRequest(application_id=i) for i in app_ids])
    assert [p.status for p in permits] == ["issued", "issued"]
    with db.session(ws, write=True) as session:
        numbering.void(session, ws, "izin", permits[1].number, "salah ketik nama")
    rows = assert_series_complete(ws, "izin")
    assert [(r[1], r[3]) for r in rows] == [(1, "used"), (2, "void")]
    with db.session(ws) as session:
        assert numbering.verify_registers(session, ws) == []
    assert sikro("register", "verify", *args).code == 0
    # What is kept as timestamptz comes back as an aware time.
    [(at,)] = sql(ws, "SELECT created_at FROM register_entries WHERE register = 'surat-keluar'")
    assert at.tzinfo is not None


KINDS = "recommendation-request,permit"


def test_two_processes_issue_numbers_on_postgresql_without_duplicate_or_gap(pg_workspace, sikro):
    ws = pg_workspace
    make_applications(ws, 60)
    workers = [start_worker(ws, 1, 30, KINDS), start_worker(ws, 31, 60, KINDS)]
    outputs = [w.communicate(timeout=180) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert len(out.splitlines()) == 60 and all(line.startswith("issued ") for line in out.splitlines())
    for register in ("surat-keluar", "izin"):
        rows = assert_series_complete(ws, register)
        assert len(rows) == 60 and {r[3] for r in rows} == {"used"}
        got = [{line.split()[2] for line in out.splitlines()} for out, _ in outputs]
        seqs = [sorted(r[1] for r in rows if r[2] in mine) for mine in got]
        assert seqs[0][0] < seqs[1][-1] and seqs[1][0] < seqs[0][-1]  # they really drew at the same time
    assert len(sql(ws, "SELECT id FROM documents WHERE status = 'issued'")) == 120
    result = sikro("register", "verify", "--workspace", str(ws.root))
    assert result.code == 0, result.out + result.err
    assert "all registers intact: 180 entries" in result.out


def test_sikro_database_url_names_the_database_of_a_new_workspace(pg_url, sikro, tmp_path):
    """$SIKRO_DATABASE_URL wins over the profile; a plain postgresql:// URL means psycopg 3."""
    from sqlalchemy.engine import make_url

    from sikro_docs.cli.workspace_cmds import _database_shown
    from sikro_docs.workspace import Workspace, open_workspace

    secret = Workspace(tmp_path, {"database": {"url": "postgresql://sikro:rahasia@db.kantor:5432/sikro"}})
    assert _database_shown(secret) == "postgresql+psycopg://sikro:***@db.kantor:5432/sikro"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    result = sikro("init", tmp_path / "kantor", env={"SIKRO_DATABASE_URL": plain})
    assert result.code == 0, result.err
    assert f"database:       {make_url(pg_url).render_as_string()}" in result.out
    assert ("alembic_version",) in raw(pg_url, "SELECT table_name FROM information_schema.tables")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SIKRO_DATABASE_URL", plain)
        assert open_workspace(tmp_path / "kantor").db_url == pg_url
    assert open_workspace(tmp_path / "kantor").db_url.startswith("sqlite:///")  # the profile names none


def test_kill_9_mid_batch_on_postgresql_leaves_every_number_explained(pg_workspace, sikro):
    """A killed writer's connection goes, and the server lets go of its lock with it: the other goes on."""
    ws = pg_workspace
    make_applications(ws, 40)
    rng = random.Random(20251203)
    for _round in range(3):
        workers = [start_worker(ws, 1, 20, KINDS, slow=0.01), start_worker(ws, 21, 40, KINDS, slow=0.01)]
        for worker in workers:
            worker.stdout.readline()  # it is in the middle of its batch
        time.sleep(rng.uniform(0.0, 0.25))
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            assert worker.returncode == -signal.SIGKILL
    issued = sql(ws, "SELECT uid, number FROM documents WHERE status = 'issued'")
    assert issued, "the workers issued nothing before being killed"

    result = sikro("register", "verify", "--workspace", str(ws.root))  # the next command touching the registers
    assert result.code == 0, result.out + result.err
    voids = [r for reg in ("surat-keluar", "izin") for r in assert_series_complete(ws, reg) if r[3] == "void"]
    assert {r[4] for r in voids} <= {"interrupted"}
    assert not sql(ws, "SELECT id FROM documents WHERE status = 'pending'")

    finish = [start_worker(ws, 1, 20, KINDS), start_worker(ws, 21, 40, KINDS)]
    outs = [w.communicate(timeout=180)[0] for w in finish]
    assert all(w.returncode == 0 for w in finish)
    assert len([line for out in outs for line in out.splitlines() if line.startswith("reused ")]) == len(issued)
    assert len(sql(ws, "SELECT id FROM documents WHERE status = 'issued'")) == 80
    for register in ("surat-keluar", "izin"):
        assert_series_complete(ws, register)
    with db.session(ws) as session:
        assert numbering.verify_registers(session, ws) == []


def test_two_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path, pg_url):
    """The console and the worker started together: the second waits for the first's migration, then finds it done."""
    import os
    import subprocess
    import sys

    from pg_support import use_database

    from sikro_docs.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "ws")
    use_database(ws.root, pg_url)
    command = [sys.executable, "-m", "sikro_docs", "register", "verify", "--workspace", str(ws.root)]
    env = {k: v for k, v in os.environ.items() if k != "SIKRO_DEBUG"}
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
        assert "Traceback" not in err
    assert len(raw(pg_url, "SELECT version_num FROM alembic_version")) == 1


@needs_postgresql
def test_issuers_of_different_registers_do_not_wait_for_each_other(pg_workspace):
    """No global lock for numbers: while one issuing transaction holds register `registrasi`, another
    takes and commits a number of `surat-keluar`; a third, on `registrasi`, waits for the first."""
    done: dict[str, int] = {}
    ids = make_applications(pg_workspace, 1)

    def issue(register: str, kind: str) -> None:
        with db.session(pg_workspace, write=True, alongside=True) as session:
            done[register] = numbering.allocate(session, pg_workspace, register, DOC_DATE, kind=kind,
                                                application_id=ids[0]).seq

    with db.session(pg_workspace, write=True, alongside=True) as session:
        first = numbering.allocate(session, pg_workspace, "registrasi", DOC_DATE, kind="registration",
                                   application_id=None)
        other = threading.Thread(target=issue, args=("surat-keluar", "rejection"))
        other.start()
        other.join(30)
        assert done == {"surat-keluar": 1}  # committed while this transaction still holds registrasi
        same = threading.Thread(target=issue, args=("registrasi", "registration"))
        same.start()
        wait_for(lambda: raw_waiting(pg_workspace) == 1)  # at registrasi's lock
        assert "registrasi" not in done
    same.join(30)
    assert done["registrasi"] == first.seq + 1
    with db.session(pg_workspace) as session:
        assert numbering.verify_registers(session, pg_workspace) == []


def raw_waiting(ws) -> int:
    """How many sessions wait for an advisory lock right now."""
    with db.session(ws) as session:
        return session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))


def test_an_offices_own_role_that_only_owns_its_database_runs_the_office(pg_server, sikro, tmp_path):
    """The README's setup: a login role that is no superuser and may create neither databases nor
    roles, owner of the office's database. It migrates it, imports, issues and verifies; and the
    evidence stays append-only against that very role (its triggers, not its privileges, refuse)."""
    pg_server.admin("CREATE ROLE kantor LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    pg_server.admin("CREATE DATABASE dairi OWNER kantor")
    url = f"postgresql://kantor@/dairi?host={pg_server.socket_dir}"
    result = sikro("init", tmp_path / "kantor", env={"SIKRO_DATABASE_URL": url})
    assert result.code == 0, result.err
    args, env = ["--workspace", str(tmp_path / "kantor")], {"SIKRO_DATABASE_URL": url}
    result = sikro("import", make_workbook(tmp_path / "p.xlsx", [valid_record(no_registrasi=None)]), "--json",
                   *args, env=env)
    assert result.code == 0, result.err
    assert result.json()["imported"] == 1
    assert sikro("register", "verify", *args, env=env).code == 0
    [(owner,)] = raw(url, "SELECT tableowner FROM pg_tables WHERE tablename = 'events'")
    assert owner == "kantor"
    assert raw(url, "SELECT count(*) FROM events")[0][0] >= 1
    with pytest.raises(psycopg.Error, match="append-only"):
        raw(url, "UPDATE events SET actor = 'orang dalam'")
