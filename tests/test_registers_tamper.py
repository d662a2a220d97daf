"""Edits made behind the tool's back (sqlite3 or psql on the database) are found by `sikro register verify`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import assert_no_traceback
from registers_support import DOC_DATE, drop_append_only_triggers, foreign_keys_off, make_applications, sql, sql_many

from sikro_docs import db, numbering
from sikro_docs.keys import chain_secret


def produce_nothing(_document):
    return []


@pytest.fixture
def books(workspace):
    """Three applications, four outgoing letters (no. 3 void), one permit, one dispatch."""
    ids = make_applications(workspace, 3)
    for app_id in ids:
        numbering.issue_document(workspace, kind="recommendation-request", application_id=app_id,
                                 on=DOC_DATE, produce=produce_nothing)
    numbering.issue_document(workspace, kind="rejection", application_id=ids[0], on=DOC_DATE,
                             produce=produce_nothing)
    permit = numbering.issue_document(workspace, kind="permit", application_id=ids[1], on=DOC_DATE,
                                      produce=produce_nothing)
    with db.session(workspace, write=True) as session:
        numbering.void(session, workspace, "surat-keluar", number(workspace, 3), "salah ketik")
        numbering.record_dispatch(session, workspace, permit.number, to="Pemohon 2",
                                  received_by="Pemohon 2", at=dt.datetime(2025, 3, 10, 9, 0))
    return workspace


def number(ws, seq, register="surat-keluar"):
    return sql(ws, "select number from register_entries where register = ? and seq = ?", (register, seq))[0][0]


def insider_key(ws):
    """The chain secret: only a forger who can read keys/ could recompute a chain."""
    return chain_secret(ws.keys_dir)


def drop_triggers(ws, table):
    drop_append_only_triggers(ws, table)


def verify_fails(sikro, ws, *expected):
    result = sikro("register", "verify", "--workspace", ws.root)
    assert_no_traceback(result)
    assert result.code == 1, result.out
    first = result.err.strip()
    assert first.startswith("sikro: error: registers NOT intact") and "\n" not in first
    problems = result.out.splitlines()
    # all in one problem line (the first line of stderr names only the first problem)
    assert any(all(text in line for text in expected) for line in problems), result.out
    return result


def test_intact_books_verify(books, sikro):
    result = sikro("register", "verify", "--workspace", books.root)
    assert result.code == 0, result.out + result.err
    assert result.out.strip() == "all registers intact: 8 entries, 1 dispatches"


def test_triggers_refuse_rewriting_the_log(books):
    with pytest.raises(Exception, match="append-only"):
        sql(books, "update register_log set number = 'x'")
    with pytest.raises(Exception, match="append-only"):
        sql(books, "delete from dispatches")


def test_changed_number_is_found(books, sikro):
    sql(books, "update register_entries set number = '500.16.7.2/0099/DPMPTSPK/III/2025' "
               "where register = 'surat-keluar' and seq = 2")
    verify_fails(sikro, books, "surat-keluar 2025 no. 2", "number")


def test_changed_reason_is_found(books, sikro):
    sql(books, "update register_entries set reason = 'dibatalkan pemohon' where status = 'void'")
    verify_fails(sikro, books, "surat-keluar 2025 no. 3", "reason", "salah ketik")


def test_reason_rewritten_in_the_log_is_found(books, sikro):
    drop_triggers(books, "register_log")
    sql(books, "update register_log set content = replace(content, 'salah ketik', 'dibatalkan') "
               "where action = 'void'")
    verify_fails(sikro, books, "surat-keluar 2025 no. 3", "edited (hash mismatch)")


def test_log_row_deleted_after_dropping_the_trigger_is_found(books, sikro):
    drop_triggers(books, "register_log")
    sql(books, "delete from register_log where register = 'surat-keluar' and seq = 2 and action = 'confirm'")
    verify_fails(sikro, books, "surat-keluar", "removed")


def test_last_log_row_deleted_is_found(books, sikro):
    drop_triggers(books, "register_log")
    sql(books, "delete from register_log where action = 'void'")  # the newest row: chain still links
    verify_fails(sikro, books, "surat-keluar 2025 no. 3", "status is 'void' in the register but 'used' in the log")


def test_inserted_entry_is_found(books, sikro):
    sql(books, "insert into register_entries (register, year, seq, number, status, kind, date, subject, "
               "addressee, created_at, updated_at) values ('surat-keluar', 2025, 5, 'X/0005', 'used', "
               "'rejection', '2025-03-07', '', '', '2025-03-07', '2025-03-07')")
    verify_fails(sikro, books, "surat-keluar 2025 no. 5 (X/0005)", "not in the log")


def test_deleted_entry_is_found(books, sikro):
    gone = number(books, 4)
    sql(books, "delete from register_entries where register = 'surat-keluar' and seq = 4")
    verify_fails(sikro, books, f"surat-keluar 2025 no. 4 ({gone})", "missing from the register")


def test_properly_chained_duplicate_allocation_is_found(books, sikro):
    """Someone who appends a row with a correct hash still cannot hand out a number twice."""
    last = sql(books, "select position, hash from register_log where register = 'izin' "
                      "order by position desc limit 1")[0]
    content = sql(books, "select content from register_log where register = 'izin' and action = 'allocate'")[0][0]
    sql(books, "insert into register_log (register, position, action, year, seq, number, content, "
               "prev_hash, hash) select register, ?, action, year, seq, number, content, ?, ? "
               "from register_log where register = 'izin' and action = 'allocate'",
        (last[0] + 1, last[1], numbering.chain_hash(insider_key(books), last[1], content)))
    verify_fails(sikro, books, "izin 2025 no. 1", "allocated twice (duplicate)")


def test_number_removed_with_a_rebuilt_chain_leaves_a_gap(books, sikro):
    """A careful forger deletes no. 2 and recomputes every hash: the series still shows the hole."""
    drop_triggers(books, "register_log")
    sql_many(books, [foreign_keys_off(books),
                     "delete from register_entries where register = 'surat-keluar' and seq = 2",
                     "delete from register_log where register = 'surat-keluar' and seq = 2"])
    rows = sql(books, "select id, content from register_log where register = 'surat-keluar' order by position")
    prev = numbering.GENESIS_HASH
    for position, (row_id, content) in enumerate(rows, start=1):
        digest = numbering.chain_hash(insider_key(books), prev, content)
        sql(books, "update register_log set position = ?, prev_hash = ?, hash = ? where id = ?",
            (position, prev, digest, row_id))
        prev = digest
    result = verify_fails(sikro, books, "surat-keluar 2025: no. 2 missing from the series (gap)")
    assert "its document does not carry this number" in result.out or "which the register does not give it" in result.out


def test_edited_dispatch_line_is_found(books, sikro):
    drop_triggers(books, "dispatches")
    content = json.loads(sql(books, "select content from dispatches")[0][0])
    content["received_by"] = "Orang Lain"
    sql(books, "update dispatches set content = ?", (json.dumps(content),))
    verify_fails(sikro, books, "ekspedisi 2025 no. 1", "hash mismatch")


def test_chain_recomputed_without_the_secret_is_found(books, sikro):
    """An outsider who edits a reason and recomputes a plain sha256 chain is still caught."""
    import hashlib

    drop_triggers(books, "register_log")
    rows = sql(books, "select id, content from register_log where register = 'surat-keluar' order by position")
    prev = numbering.GENESIS_HASH
    for row_id, content in rows:
        content = content.replace("salah ketik", "dibatalkan")
        digest = hashlib.sha256((prev + content).encode()).hexdigest()
        sql(books, "update register_log set content = ?, prev_hash = ?, hash = ? where id = ?",
            (content, prev, digest, row_id))
        prev = digest
    verify_fails(sikro, books, "log row was edited (hash mismatch)")


def test_counter_lowered_behind_the_tool_is_found_and_no_number_is_given(books, sikro):
    """The counter row must say the register's last number: lowered, `verify` names it and
    the next number is refused (giving it would hand out no. 5 again)."""
    sql(books, "update register_counters set last_seq = 3 where register = 'surat-keluar' and year = 2025")
    verify_fails(sikro, books, "surat-keluar 2025", "the counter says no. 3 was the last given", "holds 4")
    with pytest.raises(numbering.CounterBehind, match="no. 4-4, which its counter"):
        numbering.issue_document(books, kind="rejection", application_id=1, on=DOC_DATE, produce=produce_nothing)
    assert sql(books, "select max(seq) from register_entries where register = 'surat-keluar'") == [(4,)]


def test_newest_entries_removed_with_their_log_are_refused_by_the_counter(books, sikro):
    """Entry no. 4 and its log rows removed, the chain still linking: the counter still says 4."""
    drop_triggers(books, "register_log")
    sql_many(books, [foreign_keys_off(books),
                     "delete from register_log where register = 'surat-keluar' and seq = 4",
                     "delete from register_entries where register = 'surat-keluar' and seq = 4"])
    verify_fails(sikro, books, "surat-keluar 2025", "the counter says no. 4 was the last given", "holds 3")
    with pytest.raises(numbering.NumbersLost, match="no. 4 was given"):
        numbering.issue_document(books, kind="rejection", application_id=1, on=DOC_DATE, produce=produce_nothing)
