"""`sikro verify`, `sikro revoke` and `sikro keys`: verdicts, exit codes, rotation, offline key files."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest
from registers_support import sql
from test_verification_support import ISSUED, assert_one_line_error, make_document, run

from sikro_docs import clock, db
from sikro_docs.documents.context import permit_validity
from sikro_docs.models import Event
from sikro_docs.verification import verify_token

JSON_KEYS = {"status", "kind", "number", "holder", "valid_until", "reason", "checked_online"}
# Issued a month ago, whatever the year: the permit is valid now (no time bomb).
RECENT = clock.today({}) - dt.timedelta(days=30)


@pytest.fixture
def permit(workspace):
    return make_document(workspace, on=RECENT)


def valid_until(workspace, on=RECENT) -> str:
    return permit_validity(workspace.profile, on, None).isoformat()


def test_valid_permit_plain_and_json(workspace, permit, ws_args):
    plain = run("verify", permit.token.url, *ws_args)
    assert plain.code == 0, plain.err
    assert plain.out.startswith(f"VALID — Surat Izin Kerja Refraksionis Optisien {permit.number}, holder ")
    assert f"valid until {valid_until(workspace)}" in plain.out and "checked online" in plain.out
    data = run("verify", permit.token.url.lower(), "--json", *ws_args).json()
    assert JSON_KEYS <= set(data)
    assert data["status"] == "valid" and data["kind"] == "permit" and data["checked_online"] is True
    assert data["valid_until"] == valid_until(workspace) and data["number"] == permit.number


def test_issued_on_the_fixed_date_is_valid_until_five_years_later(workspace):
    """The office rule on a fixed date, judged at a fixed time: true in any year the suite runs."""
    fixed = make_document(workspace)  # issued 2026-03-07
    with clock.frozen("2027-01-15T10:00:00+07:00"):
        verdict = verify_token(workspace, fixed.token.token)
    assert verdict.status == "valid" and verdict.valid_until == dt.date(2031, 3, 6)
    with clock.frozen("2031-03-07T00:00:01+07:00"):  # the day after its last day, office time
        assert verify_token(workspace, fixed.token.token).status == "expired"


def test_short_code_is_checked_online(permit, ws_args):
    typed = permit.token.short_code.lower().replace("-", " ")
    result = run("verify", typed, "--json", *ws_args)
    assert result.code == 0, result.err
    assert result.json()["number"] == permit.number
    offline = run("verify", permit.token.short_code, "--offline", *ws_args)
    assert_one_line_error(offline, 1)
    assert "online" in offline.err


def test_revoked_permit_says_so_with_reason_and_date(workspace, permit, ws_args):
    revoked = run("revoke", permit.number, "--reason", "STR dicabut oleh KTKI", "--by", "kabid", *ws_args)
    assert revoked.code == 0, revoked.err
    for text in (permit.token.url, permit.token.short_code):
        result = run("verify", text, "--json", *ws_args)
        assert result.code == 1
        data = result.json()
        assert data["status"] == "revoked" and data["reason"] == "STR dicabut oleh KTKI"
        jakarta_today = clock.today({}).isoformat()  # the office's date (Asia/Jakarta)
        assert data["revoked_at"][:10] in (jakarta_today, (clock.today({}) - dt.timedelta(days=1)).isoformat())
        assert data["revoked_at"].endswith("+07:00")
    plain = run("verify", permit.token.url, *ws_args)
    assert plain.out.startswith("REVOKED") and "STR dicabut oleh KTKI" in plain.out
    with db.session(workspace) as session:
        events = session.query(Event).filter(Event.action == "document.revoked").all()
    assert len(events) == 1 and events[0].actor == "kabid" and events[0].details["number"] == permit.number


def test_revoke_refuses_unknown_void_and_already_revoked(workspace, permit, ws_args):
    assert run("revoke", permit.number, "--reason", "x", *ws_args).code == 0
    again = run("revoke", permit.number, "--reason", "x", *ws_args)
    assert_one_line_error(again, 1)
    assert "revoked" in again.err
    unknown = run("revoke", "500.16.7.2/9999/SIKRO/DPMPTSPK/2026", "--reason", "x", *ws_args)
    assert_one_line_error(unknown, 1)
    other = make_document(workspace)
    assert run("register", "void", "izin", other.number, "--reason", "salah ketik", *ws_args).code == 0
    void = run("revoke", other.number, "--reason", "x", *ws_args)
    assert_one_line_error(void, 1)
    assert "void" in void.err
    assert verify_token(workspace, other.token.token).status == "void"


def test_expired_permit_says_so_online_and_offline(workspace, ws_args):
    old = make_document(workspace, on=dt.date(2019, 2, 1))  # valid 5 years: until 2024-01-31
    for extra in ((), ("--offline",)):
        result = run("verify", old.token.url, "--json", *extra, *ws_args)
        assert result.code == 1
        assert result.json()["status"] == "expired" and result.json()["valid_until"] == "2024-01-31"


def test_permit_validity_follows_the_office_rule_and_the_str(workspace):
    from sikro_docs.documents import permit_valid_until as printed_rule  # what the paper prints

    limited = make_document(workspace, str_valid_until=dt.date(2028, 12, 31))
    assert verify_token(workspace, limited.token.token).valid_until == dt.date(2028, 12, 31)
    plain = make_document(workspace)
    assert verify_token(workspace, plain.token.token).valid_until == printed_rule(workspace, ISSUED, {})


def test_offline_says_status_not_checked(workspace, permit, ws_args):
    assert run("revoke", permit.number, "--reason", "dicabut", *ws_args).code == 0
    result = run("verify", permit.token.url, "--offline", *ws_args)
    assert result.code == 0  # the signature is genuine; revocation is exactly what offline cannot see
    assert result.out.startswith("VALID SIGNATURE (current status not checked: offline)")
    assert "NOT checked" in result.out
    assert run("verify", permit.token.url, "--offline", "--json", *ws_args).json()["checked_online"] is False


def test_document_deleted_from_the_registry_is_not_found(workspace, ws_args):
    gone = make_document(workspace, kind="permit", numbered="plain")
    gone_number = gone.number
    sql(workspace, "delete from document_verification where document_id = ?", (gone.document_id,))
    sql(workspace, "delete from documents where id = ?", (gone.document_id,))
    result = run("verify", gone.token.url, "--json", *ws_args)
    assert result.code == 1 and result.json()["status"] == "not-found", (result.out, gone_number)


def test_token_of_another_office_is_unknown_key(tmp_path, permit, ws_args):
    from sikro_docs.workspace import init_workspace

    other, _ = init_workspace(tmp_path / "other-office")
    foreign = make_document(other)
    result = run("verify", foreign.token.token, "--json", *ws_args)
    assert result.code == 1 and result.json()["status"] == "unknown-key"


def test_rotation_keeps_old_tokens_valid_and_export_verifies_offline(workspace, tmp_path, permit, ws_args):
    rotated = run("keys", "rotate", *ws_args)
    assert rotated.code == 0, rotated.err
    newer = make_document(workspace, on=RECENT)
    assert newer.token.kid != permit.token.kid and newer.token.kid in rotated.out
    for doc in (permit, newer):
        assert verify_token(workspace, doc.token.token).status == "valid"
    keys_file = tmp_path / "keys.json"
    exported = run("keys", "export", "-o", keys_file, *ws_args)
    assert exported.code == 0, exported.err
    data = json.loads(keys_file.read_text())
    assert [k["active"] for k in data["keys"]].count(True) == 1
    assert {k["kid"] for k in data["keys"]} == {permit.token.kid, newer.token.kid}
    assert all(k["alg"] == "Ed25519" and "PRIVATE" not in json.dumps(k) for k in data["keys"])
    assert not list(tmp_path.glob("*.key"))
    # An offline verifier: no workspace at all, only the exported key file.
    elsewhere = {"SIKRO_WORKSPACE": str(tmp_path / "no-workspace-here")}
    for doc in (permit, newer):
        result = run("verify", doc.token.url, "--keys", keys_file, "--json", env=elsewhere)
        assert result.code == 0, result.err
        assert result.json()["status"] == "valid" and result.json()["checked_online"] is False
    assert stat.S_IMODE((workspace.keys_dir / f"{newer.token.kid}.key").stat().st_mode) == 0o600


def test_key_file_without_the_signing_key_says_unknown_key(tmp_path, permit, ws_args):
    from sikro_docs.workspace import init_workspace

    other, _ = init_workspace(tmp_path / "other-office")
    keys_file = tmp_path / "other-keys.json"
    assert run("keys", "export", "-o", keys_file, "--workspace", other.root).code == 0
    result = run("verify", permit.token.url, "--keys", keys_file, "--json")
    assert result.code == 1 and result.json()["status"] == "unknown-key"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_one_line_error(run("verify", permit.token.url, "--keys", broken), 2)


def test_garbage_text_is_invalid_not_a_crash(ws_args):
    for text in ("hello", "HTTPS://EXAMPLE.ORG/V/ABC", "A" * 500):
        result = run("verify", text, "--json", *ws_args)
        assert result.code == 1 and result.json()["status"] == "invalid"
        assert "Traceback" not in result.err
