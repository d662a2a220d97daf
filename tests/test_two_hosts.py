"""Two hosts share one office: two workspace folders that share only the PostgreSQL database,
the archive root and the keys. Leases are held locks in the database, so one host never voids
the other's numbers in flight, and a host killed with -9 leaves only its own pending numbers,
voided as "interrupted" by the next command of either host."""

from __future__ import annotations

import shutil
import signal

import pytest
from conftest import needs_postgresql, run_sikro
from pg_support import use_database
from registers_support import DOC_DATE, assert_series_complete, make_applications, sql, start_worker

from sikro_docs import db, numbering
from sikro_docs.workspace import PROFILE_NAME, init_workspace, open_workspace

KINDS = "recommendation-request,permit"


def two_hosts(tmp_path, url: str):
    """Host A and host B: their own folders, one database, one archive root, A's keys copied to B."""
    archive = tmp_path / "shared-archive"
    hosts = []
    for name in ("host-a", "host-b"):
        ws, _ = init_workspace(tmp_path / name)
        profile = ws.root / PROFILE_NAME
        text = profile.read_text("utf-8").replace("\n[archive]\n", f'\n[archive]\nroot = "{archive}"\n', 1)
        profile.write_text(text, "utf-8")
        hosts.append(use_database(ws.root, url))
    a, b = hosts
    db.migrate_once(a)  # A makes the schema and the chain's head; B gets A's keys, as an operator copies them
    shutil.rmtree(b.keys_dir)
    shutil.copytree(a.keys_dir, b.keys_dir)
    return a, open_workspace(b.root)


def verify(ws) -> None:
    result = run_sikro("register", "verify", "--workspace", str(ws.root), process=True)
    assert result.code == 0, result.out + result.err


@needs_postgresql
def test_concurrent_batches_from_two_hosts_give_no_duplicate_and_no_gap(tmp_path, pg_url):
    a, b = two_hosts(tmp_path, pg_url)
    make_applications(a, 80)
    workers = [start_worker(a, 1, 40, KINDS), start_worker(b, 41, 80, KINDS)]
    outputs = [w.communicate(timeout=180) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert len(out.splitlines()) == 80 and all(line.startswith("issued ") for line in out.splitlines())
    for register in ("surat-keluar", "izin"):
        rows = assert_series_complete(a, register)
        assert len(rows) == 80 and {r[3] for r in rows} == {"used"}
    verify(a)
    verify(b)


def pending_number(ws) -> str:
    [app_id] = make_applications(ws, 1)
    with db.session(ws, write=True) as session:
        return numbering.allocate(session, ws, "izin", DOC_DATE, kind="permit",
                                  application_id=app_id, pending=True).number


def status_seen_by(ws, number: str) -> tuple:
    listed = run_sikro("register", "list", "izin", "--json", "--workspace", str(ws.root), process=True)
    assert listed.code == 0, listed.err
    return next((e["status"], e["reason"]) for e in listed.json() if e["number"] == number)


def check_live_lease_is_left_alone(a, b) -> None:
    number = pending_number(a)  # this test process is host A, its number in flight
    [(host, pid)] = sql(a, "select host, pid from leases")
    assert pid == __import__("os").getpid() and host
    assert status_seen_by(b, number) == ("pending", None)  # another process (host B) leaves it alone
    numbering.leases._end_lease(a)  # host A's process ends
    assert status_seen_by(b, number) == ("void", "interrupted")
    verify(b)


@needs_postgresql
def test_a_pending_number_of_a_live_host_is_not_voided_by_the_other_host(tmp_path, pg_url):
    check_live_lease_is_left_alone(*two_hosts(tmp_path, pg_url))


def test_on_sqlite_a_pending_number_of_a_live_process_is_not_voided_by_another(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")  # one host, two processes: the flock lease
    check_live_lease_is_left_alone(ws, ws)


@needs_postgresql
def test_kill_9_of_one_host_mid_batch_leaves_the_other_hosts_work_untouched(tmp_path, pg_url):
    a, b = two_hosts(tmp_path, pg_url)
    make_applications(a, 60)
    victim = start_worker(a, 1, 30, KINDS, slow=0.05)
    victim.stdout.readline()  # host A is in the middle of its batch
    other = start_worker(b, 31, 60, KINDS)
    out, err = other.communicate(timeout=180)
    assert other.returncode == 0, err
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    lines = out.splitlines()
    assert len(lines) == 60 and all(line.startswith("issued ") for line in lines)  # B's whole batch

    verify(b)  # the next command: A's pending numbers are voided as interrupted
    voids = [r for reg in ("surat-keluar", "izin") for r in assert_series_complete(a, reg) if r[3] == "void"]
    assert {r[4] for r in voids} <= {"interrupted"}
    b_numbers = {line.split()[2] for line in lines}
    assert not b_numbers & {r[2] for r in voids}  # nothing of B's was voided
    issued_b = sql(a, "select count(*) from documents where status = 'issued' and application_id > 30")
    assert issued_b == [(60,)]
    assert not sql(a, "select id from documents where status = 'pending'")
    verify(a)


@pytest.fixture(autouse=True)
def _own_leases_end():
    yield
    for key in [k for k in numbering.leases._leases]:
        numbering.leases._leases.pop(key).held.release()


def check_held_lock(ws) -> None:
    """db.hold: seen by is_held, refused to a second taker that will not wait, gone once released."""
    name = "archive:berkas:2025/503/REG-00001"
    assert not db.is_held(ws, name)
    held = db.hold(ws, name)
    assert db.is_held(ws, name)
    assert db.hold(ws, name, wait=False) is None  # another holder (a connection, a file of its own) waits
    db.close_connections()  # the pooled connections go (the tests' in-process CLI): the lock stays
    assert db.is_held(ws, name)
    held.release()
    assert not db.is_held(ws, name)
    again = db.hold(ws, name, wait=False)
    assert again is not None
    again.release()


@needs_postgresql
def test_a_held_lock_on_postgresql(pg_workspace):
    check_held_lock(pg_workspace)


def test_a_held_lock_on_sqlite(workspace):
    check_held_lock(workspace)


# --------------------------------------------------------------------------- the shared archive


def registrations(ws, count: int) -> list[str]:
    ids = make_applications(ws, count)
    return [sql(ws, f"select registration_number from applications where id = {i}")[0][0] for i in ids]


def file_by_hand(ws, tmp_path, ref: str, text: str):
    from sikro_docs.archive.filing import FILED, file_by_ref

    paper = tmp_path / f"{text}.txt"
    paper.write_text(f"surat {text}\n", "utf-8")
    [outcome] = file_by_ref(ws, paper, ref).files
    assert outcome.status == FILED, outcome.message
    return outcome


def in_thread(work):
    import threading

    done: list = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    return thread, done


@needs_postgresql
def test_two_hosts_file_into_different_berkas_at_once_and_take_turns_on_the_same(tmp_path, pg_url):
    from archive_support import assert_all_bags_valid, assert_index_matches_bags

    from sikro_docs.archive.filing import meta_for_ref
    from sikro_docs.archive.locking import filing_lock

    a, b = two_hosts(tmp_path, pg_url)
    first, second = registrations(a, 2)
    berkas_of_first = meta_for_ref(a, first)[0].rel_path
    with filing_lock(a, [berkas_of_first]):  # host A is filing into the first berkas
        thread, done = in_thread(lambda: file_by_hand(b, tmp_path, second, "kedua"))
        thread.join(timeout=60)
        assert done, "host B waited for host A although they file into different berkas"
        thread, done = in_thread(lambda: file_by_hand(b, tmp_path, first, "pertama"))
        thread.join(timeout=2)
        assert not done  # the same berkas: B waits for A
    thread.join(timeout=60)
    assert done and done[0].berkas == meta_for_ref(b, first)[0].berkas_number
    assert_all_bags_valid(b)
    assert_index_matches_bags(b)


@needs_postgresql
def test_a_live_hosts_staging_is_left_alone_and_a_dead_hosts_is_cleaned_up(tmp_path, pg_url):
    from sikro_docs.archive.bags import new_staging
    from sikro_docs.archive.filing import meta_for_ref, recover
    from sikro_docs.archive.locking import filing_lock

    a, b = two_hosts(tmp_path, pg_url)
    [ref] = registrations(a, 1)
    berkas = meta_for_ref(a, ref)[0].rel_path
    with filing_lock(a, [berkas]):  # host A is building the berkas's next version: no intent yet
        staging = new_staging(a.archive_dir, berkas)
        (staging / "bag" / "data").mkdir(parents=True)
        recover(b)
        assert staging.is_dir()  # host B sees a writer at work, not a leftover
    recover(b)  # host A is gone (its lock went with its connection): B discards what it left
    assert not staging.exists()
    file_by_hand(b, tmp_path, ref, "sesudah")
