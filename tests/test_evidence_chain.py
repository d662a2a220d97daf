"""Everything a verdict rests on is chained, and the chain's head lives outside the database.

Tampering is done as an insider with sqlite3 on sikro.db would: triggers dropped, rows
updated or deleted. `sikro register verify` must say so (exit 1), naming what differs.
"""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner
from registers_support import DOC_DATE, drop_append_only_triggers, foreign_keys_off, make_applications, sql, sql_many
from sqlalchemy import inspect

from sikro_docs import clock, db, numbering, verification
from sikro_docs.cli import cli
from sikro_docs.models import Application

FROZEN = "2025-03-10T10:00:00+07:00"  # the documents are dated DOC_DATE (2025-03-07)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(FROZEN):
        yield


def issue_signed(ws, app_id: int, kind: str = "permit"):
    """A document issued as the batch issues it: numbered, its QR token signed and recorded."""
    def sign(session, document):
        application = session.get(Application, document.application_id)
        token = verification.sign_document(ws, document, application, record=False)
        verification.record_signing(session, document.id, token)

    [document] = numbering.issue_documents(
        ws, kind=kind, requests=[numbering.IssueRequest(app_id)], on=DOC_DATE,
        produce=lambda _document: [], on_finish=sign)
    return document


@pytest.fixture
def permits(workspace):
    ids = make_applications(workspace, 3)
    return workspace, [issue_signed(workspace, app_id) for app_id in ids]


def run(ws, *args):
    return CliRunner().invoke(cli, [*map(str, args), "--workspace", str(ws.root)])


def verify_problems(ws) -> list[str]:
    result = run(ws, "register", "verify")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output.splitlines()


def drop_triggers(ws, *tables):
    for table in tables:
        drop_append_only_triggers(ws, table)


def test_intact_workspace_verifies(permits):
    ws, _ = permits
    result = run(ws, "register", "verify")
    assert result.exit_code == 0, result.output
    assert "all registers intact" in result.output


def test_unrevoking_a_permit_in_the_database_is_found(permits):
    ws, docs = permits
    revoked = docs[1]
    assert run(ws, "revoke", revoked.number, "--reason", "STR dicabut oleh konsil").exit_code == 0
    sql(ws, "update documents set status = 'issued', reason = null where id = ?", (revoked.id,))
    sql(ws, "update document_verification set revoked_at = null, revoked_reason = null where document_id = ?",
        (revoked.id,))
    problems = verify_problems(ws)
    assert f"izin {revoked.number}: status in database 'issued', chained 'revoked'" in problems


def test_changed_holder_name_is_found(permits):
    ws, docs = permits
    sql(ws, "update document_verification set holder = 'Orang Lain' where document_id = ?", (docs[0].id,))
    problems = verify_problems(ws)
    assert any(p.startswith(f"izin {docs[0].number}: holder name in database 'Orang Lain', chained 'Pemohon 1'")
               for p in problems), problems


def test_changed_applicant_name_is_found(permits):
    ws, docs = permits
    with db.session(ws) as session:
        ref = session.get(Application, docs[0].application_id).registration_number
    sql(ws, "update applications set name = 'Orang Lain' where id = ?", (docs[0].application_id,))
    assert f"application {ref}: holder name in database 'Orang Lain', chained 'Pemohon 1'" in verify_problems(ws)


def test_changed_validity_is_found(permits):
    ws, docs = permits
    sql(ws, "update document_verification set valid_until = '2099-12-31' where document_id = ?", (docs[2].id,))
    problems = verify_problems(ws)
    assert any(p.startswith(f"izin {docs[2].number}: valid until in database '2099-12-31'") for p in problems), problems


def delete_newest_permit(ws, document):
    """What an insider does to make a permit disappear: triggers off, its rows gone everywhere."""
    drop_triggers(ws, "register_log", "chain_log", "events")
    statements = [foreign_keys_off(ws),
                  ("delete from register_log where register = 'izin' and number = ?", (document.number,)),
                  ("delete from register_entries where number = ?", (document.number,))]
    if "chain_log" in inspect(db.engine_for(ws)).get_table_names():
        statements.append(("delete from chain_log where subject = ?", (document.uid,)))
    statements += [("delete from document_verification where document_id = ?", (document.id,)),
                   ("delete from documents where id = ?", (document.id,))]
    sql_many(ws, statements)


def test_deleting_the_newest_entries_is_found_and_the_number_never_given_again(permits):
    ws, docs = permits
    newest = docs[-1]
    delete_newest_permit(ws, newest)
    problems = verify_problems(ws)
    assert "izin 2025: no. 3 was given (keys/chain.head) but is missing from the register (removed)" in problems
    assert any(p.startswith("register izin log: the chain head") and "newest entries were removed" in p
               for p in problems), problems
    assert any(p.startswith("chain document: the chain head") for p in problems), problems

    [app_id] = make_applications(ws, 1, name="Pemohon Baru")
    with pytest.raises(numbering.NumbersLost, match=r"register izin 2025: no\. 3 was given"):
        issue_signed(ws, app_id)
    numbers = [n for (n,) in sql(ws, "select number from register_entries where register = 'izin'")]
    assert newest.number not in numbers and len(numbers) == 2


def test_the_cli_refuses_the_number_with_one_line(permits, tmp_path):
    ws, docs = permits
    delete_newest_permit(ws, docs[-1])
    [app_id] = make_applications(ws, 1, name="Pemohon Baru")
    with db.session(ws) as session:
        ref = session.get(Application, app_id).registration_number
    sql(ws, "update applications set status = 'approved', current_step = 20, decision = 'Disetujui', "
            "recommendation_number = '440/1/DINKES/2025', recommendation_date = '2025-03-06' where id = ?", (app_id,))
    result = run(ws, "generate", "permit", ref, "--json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)["documents"][0]
    assert doc["status"] == "failed" and "no. 3 was given" in doc["message"]


def test_the_head_is_owner_only_and_an_edited_head_is_found(permits):
    from sikro_docs import chain

    ws, _ = permits
    path = ws.keys_dir / chain.HEAD_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(path.read_text())
    data["numbers"]["izin:2025"] = 1
    path.write_text(json.dumps(data))
    assert "keys/chain.head was edited (its MAC does not match)" in verify_problems(ws)


def test_a_head_one_transaction_behind_is_a_crash_not_tampering(permits):
    """The head is written after the commit: a crash in between leaves it behind, which is fine."""
    from sikro_docs import chain

    ws, _ = permits
    path = ws.keys_dir / chain.HEAD_FILE
    before = path.read_bytes()
    [app_id] = make_applications(ws, 1, name="Pemohon Empat")
    issue_signed(ws, app_id)
    path.write_bytes(before)  # as if the process died between the commit and the head
    assert chain.read_head(ws).numbers["izin:2025"] == 3
    assert run(ws, "register", "verify").exit_code == 0
    assert chain.read_head(ws).numbers["izin:2025"] == 4  # caught up by the check
    [app_id] = make_applications(ws, 1, name="Pemohon Lima")
    issue_signed(ws, app_id)  # the next write moves the head on
    assert chain.read_head(ws).numbers["izin:2025"] == 5
    assert run(ws, "register", "verify").exit_code == 0


def as_before_the_chain(ws) -> None:
    """The workspace as the release before the chain left it: schema 0005, no head."""
    from alembic import command

    from sikro_docs import chain

    command.downgrade(db._alembic_config(ws), "0005")
    (ws.keys_dir / chain.HEAD_FILE).unlink()
    db._migrated.discard(ws.db_url)  # the next session upgrades it again, as a new release would


def test_a_workspace_from_before_the_chain_is_adopted(permits):
    """An older workspace (schema before the chain, no head) is chained from its next write."""
    from sikro_docs import chain

    ws, docs = permits
    as_before_the_chain(ws)
    assert run(ws, "register", "verify").exit_code == 0
    assert (ws.keys_dir / chain.HEAD_FILE).exists()  # born with the chain
    assert run(ws, "revoke", docs[0].number, "--reason", "atas permintaan pemegang").exit_code == 0
    subjects = {s for (s,) in sql(ws, "select subject from chain_log where stream = 'document'")}
    assert {d.uid for d in docs} <= subjects
    assert run(ws, "register", "verify").exit_code == 0
    sql(ws, "update documents set status = 'issued' where id = ?", (docs[0].id,))
    assert f"izin {docs[0].number}: status in database 'issued', chained 'revoked'" in verify_problems(ws)


def test_a_removed_head_is_found_and_nothing_more_is_numbered(permits):
    """Removing the head with the newest entries and the whole chain must not pass for an old workspace."""
    from sikro_docs import chain

    ws, docs = permits
    delete_newest_permit(ws, docs[-1])
    drop_triggers(ws, "chain_log")
    sql(ws, "delete from chain_log")
    (ws.keys_dir / chain.HEAD_FILE).unlink()
    problems = verify_problems(ws)
    assert any("keys/chain.head is missing" in p for p in problems), problems
    with pytest.raises(chain.ChainTampered, match="chain.head is missing"):
        with db.session(ws, write=True) as session:
            chain.append(session, ws, "document", "x", {"status": "issued"})
    assert not (ws.keys_dir / chain.HEAD_FILE).exists()  # never silently rebuilt


def test_deleting_the_newest_dispatch_line_is_found(permits):
    ws, docs = permits
    with db.session(ws, write=True) as session:
        numbering.record_dispatch(session, ws, docs[0].number, to="Pemohon 1", received_by="Pemohon 1")
    assert run(ws, "register", "verify").exit_code == 0
    drop_triggers(ws, "dispatches")
    sql(ws, "delete from dispatches")
    assert any(p.startswith("ekspedisi: the chain head (keys/chain.head) records entry 1")
               for p in verify_problems(ws))


def test_an_upgraded_workspace_chains_its_signed_documents_in_the_new_shape(tmp_path):
    """A workspace of the release before permit types: its signed permits verify after the upgrade,
    and from then on an edit of what their QR code carries (now the type's `fields`) is found."""
    from old_workspace import build_old_workspace, old_code

    from sikro_docs.workspace import open_workspace

    root, numbers = build_old_workspace(old_code(tmp_path / "old-code"), tmp_path / "ws", permits=1)
    ws = open_workspace(root)
    assert run(ws, "register", "verify").exit_code == 0
    [(fields,)] = sql(ws, "select fields from document_verification")
    edited = {name: "diubah" for name in json.loads(fields)}
    sql(ws, "update document_verification set fields = ?", (json.dumps(edited),))
    problems = verify_problems(ws)
    assert any(numbers[0] in line and "signed fields" in line for line in problems), problems
