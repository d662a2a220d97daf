"""QR signing keys have a status: active, retired (verifies only what it signed before), compromised.

A leaked key is distrusted with `sikro keys revoke KID --reason …`: everything
it signed is TIDAK SAH "kunci dicabut — hubungi kantor", online and offline,
and un-compromising it in the database alone changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from registers_support import drop_append_only_triggers, sql_many
from test_verification_support import make_document, run

from sikro_docs import clock, db, numbering
from sikro_docs.cli import cli
from sikro_docs.errors import SikroError
from sikro_docs.models import Application
from sikro_docs.verification import load_keys_file, sign_document, verify_token
from sikro_docs.verification import token as tk
from sikro_docs.verification.verdict import _load_private

COMPROMISED_TEXT = "kunci dicabut — hubungi kantor"
RECENT = clock.today({}) - dt.timedelta(days=30)


def sikro(*args):
    """`sikro ARGS` in-process, so that clock.frozen applies."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def forged_token(ws, kid: str, issued: dt.date) -> str:
    """What a thief of the key file `kid` can make: a new, well-signed token dated `issued`."""
    private = _load_private(ws.keys_dir / f"{kid}.key")
    payload = tk.Payload(kind="permit", number="500.16.7.2/0999/SIKRO/DPMPTSPK/2026", issued=issued,
                         valid_until=issued + dt.timedelta(days=1800), holder="Pemegang Palsu",
                         permit_type="sikro", values=("RO 1", "Optik Palsu"), uid="A" * 16)
    return tk.make_token(private, kid, payload)


def test_a_retired_key_verifies_only_what_it_signed_before_its_retirement(workspace, tmp_path):
    ws_args = ["--workspace", workspace.root]
    with clock.frozen("2026-05-04T09:00:00+07:00"):
        old = make_document(workspace, on=dt.date(2026, 5, 4))
    with clock.frozen("2026-06-01T09:00:00+07:00"):
        rotated = sikro("keys", "rotate", *ws_args)
        assert rotated.exit_code == 0, rotated.output
        assert sikro("keys", "export", "-o", tmp_path / "keys.json", *ws_args).exit_code == 0
    keys = load_keys_file(tmp_path / "keys.json")
    retired = json.loads((tmp_path / "keys.json").read_text())["keys"]
    assert {k["kid"]: k["status"] for k in retired}[old.token.kid] == "retired"
    with clock.frozen("2026-07-01T09:00:00+07:00"):
        assert verify_token(workspace, old.token.token).status == "valid"  # signed before: still SAH
        assert verify_token(keys, old.token.token).status == "valid"
        later = forged_token(workspace, old.token.kid, dt.date(2026, 6, 20))
        for checker in (keys, workspace):
            verdict = verify_token(checker, later, online=False)
            assert verdict.status == "invalid" and "retire" in verdict.reason
        listed = sikro("keys", "list", *ws_args)
    assert listed.exit_code == 0 and f"{old.token.kid}  retired since 2026-06-01" in listed.output


def test_the_active_file_pointed_back_at_a_retired_key_cannot_sign(workspace):
    first = (workspace.keys_dir / "ACTIVE").read_text().strip()
    assert sikro("keys", "rotate", "--workspace", workspace.root).exit_code == 0
    (workspace.keys_dir / "ACTIVE").write_text(first + "\n")
    try:
        make_document(workspace, on=RECENT)
    except SikroError as err:
        assert "retired" in str(err)
    else:
        raise AssertionError("a retired key signed a new document")


def test_revoking_a_key_makes_what_it_signed_tidak_sah_and_lists_it(workspace, ws_args, tmp_path):
    first = make_document(workspace, on=RECENT, name="Rosmawati Br. Sitanggang")
    second = make_document(workspace, on=RECENT, name="Maria Simanjuntak")
    kid = first.token.kid
    revoked = run("keys", "revoke", kid, "--reason", "berkas kunci bocor", "--by", "kadis", *ws_args)
    assert revoked.code == 0, revoked.err
    for doc, holder in ((first, "Rosmawati Br. Sitanggang"), (second, "Maria Simanjuntak")):
        assert f"permit\t{doc.number}\t{holder}" in revoked.out
    assert "new signing key" in revoked.out
    for text in (first.token.url, first.token.short_code):
        result = run("verify", text, "--json", *ws_args)
        assert result.code == 1, result.out
        assert result.json()["status"] == "invalid" and result.json()["reason"].startswith(COMPROMISED_TEXT)
    offline = run("verify", second.token.url, "--offline", "--json", *ws_args)
    assert offline.code == 1 and offline.json()["reason"].startswith(COMPROMISED_TEXT)
    keys_file = tmp_path / "keys.json"
    assert run("keys", "export", "-o", keys_file, *ws_args).code == 0
    exported = {k["kid"]: k for k in json.loads(keys_file.read_text())["keys"]}
    assert exported[kid]["status"] == "compromised" and exported[kid]["active"] is False
    elsewhere = run("verify", first.token.url, "--keys", keys_file, "--json",
                    env={"SIKRO_WORKSPACE": str(tmp_path / "nowhere")})
    assert elsewhere.code == 1 and elsewhere.json()["reason"].startswith(COMPROMISED_TEXT)
    fresh = make_document(workspace, on=RECENT)  # the office goes on with the new key
    assert fresh.token.kid != kid and verify_token(workspace, fresh.token.token).status == "valid"


def test_the_page_says_the_key_was_revoked(workspace):
    from sikro_docs.web.app import Office, Pages, public_verdict, render_verdict

    doc = make_document(workspace, on=RECENT)
    assert sikro("keys", "revoke", doc.token.kid, "--reason", "bocor", "--workspace", workspace.root).exit_code == 0
    pages = Pages(workspace, Office.from_profile(workspace.profile))
    page = render_verdict(pages, public_verdict(verify_token(workspace, doc.token.token)), "id")
    assert "TIDAK SAH" in page and COMPROMISED_TEXT in page


def test_uncompromising_the_key_in_the_database_alone_changes_nothing(workspace, ws_args):
    doc = make_document(workspace, on=RECENT)
    kid = doc.token.kid
    assert run("keys", "revoke", kid, "--reason", "bocor", *ws_args).code == 0
    drop_append_only_triggers(workspace, "key_status")
    sql_many(workspace, [
        f"DELETE FROM key_status WHERE kid = '{kid}' AND status = 'compromised'",
        f"INSERT INTO key_status (kid, status, since, reason, actor, mac) "
        f"VALUES ('{kid}', 'active', '2030-01-01 00:00:00', NULL, 'orang dalam', '{'0' * 64}')"])
    result = run("verify", doc.token.url, "--json", *ws_args)
    assert result.code == 1 and result.json()["reason"].startswith(COMPROMISED_TEXT)
    listed = run("keys", "list", *ws_args)
    assert listed.code == 1
    assert "missing from the database" in listed.err and "behind the tool's back" in listed.err


def test_removing_the_status_file_alone_changes_nothing(workspace, ws_args):
    doc = make_document(workspace, on=RECENT)
    assert run("keys", "revoke", doc.token.kid, "--reason", "bocor", *ws_args).code == 0
    (workspace.keys_dir / "key-status.json").unlink()
    assert run("verify", doc.token.url, "--json", *ws_args).json()["reason"].startswith(COMPROMISED_TEXT)
    assert run("keys", "list", *ws_args).code == 1


def test_revoke_refuses_an_unknown_key_and_a_second_time(workspace, ws_args):
    kid = (workspace.keys_dir / "ACTIVE").read_text().strip()
    unknown = run("keys", "revoke", "AAAAAAAA", "--reason", "x", *ws_args)
    assert unknown.code == 1 and "not a signing key" in unknown.err
    assert run("keys", "revoke", kid, "--reason", "x", *ws_args).code == 0
    again = run("keys", "revoke", kid, "--reason", "x", *ws_args)
    assert again.code == 1 and "already revoked" in again.err


def test_a_compromised_key_is_not_accepted_for_signing(workspace):
    doc = make_document(workspace, on=RECENT)
    assert sikro("keys", "revoke", doc.token.kid, "--reason", "bocor", "--workspace", workspace.root).exit_code == 0
    (workspace.keys_dir / "ACTIVE").write_text(doc.token.kid + "\n")
    with db.session(workspace, write=True) as session:
        document = session.get(numbering.Document, doc.document_id)
        application = session.get(Application, document.application_id)
        try:
            sign_document(workspace, document, application, session=session)
        except SikroError as err:
            assert "compromised" in str(err)
        else:
            raise AssertionError("a compromised key signed")
