"""Codes printed before permit types existed (wire format 1) still verify, offline and online.

tests/fixtures/wire_v1/ holds what the code of commit e092a27 printed (make_fixtures.py there
says how): the URLs and short codes, its public keys (`sikro keys export`), and its workspace
(database, profile, keys) in which the second permit was revoked.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from sikro_docs import clock, permit_types
from sikro_docs.verification import load_keys_file, verify_input, verify_token, verify_uid
from sikro_docs.verification.token import token_from_text
from sikro_docs.verification.verdict import legacy_type
from sikro_docs.workspace import open_workspace

FIXTURES = Path(__file__).parent / "fixtures" / "wire_v1"
EXPECTED = json.loads((FIXTURES / "tokens.json").read_text("utf-8"))
SOON_AFTER = "2026-09-01T10:00:00+07:00"  # while the old permits are in force (they end in 2031)


def expected_fields(entry: dict) -> dict[str, str]:
    """What the page shows of the legacy type's fields: its labels, the signed values."""
    ptype = legacy_type(permit_types.catalogue())
    values = dict(zip(ptype.legacy_wire, (entry["str_number"], entry["workplace"]), strict=True))
    return {ptype.by_name[name].shown_label: value for name, value in values.items() if value}


def assert_shows(verdict, entry: dict) -> None:
    assert verdict.kind == entry["kind"] and verdict.number == entry["number"]
    assert verdict.holder == entry["holder"] and verdict.document_uid == entry["uid"]
    assert verdict.issued == dt.date.fromisoformat(entry["issued"])
    assert verdict.valid_until == (dt.date.fromisoformat(entry["valid_until"]) if entry["valid_until"] else None)
    assert verdict.permit_type == legacy_type(permit_types.catalogue()).code
    assert verdict.permit_type_title == legacy_type(permit_types.catalogue()).title
    assert verdict.fields == expected_fields(entry)


def test_the_fixtures_are_the_old_format():
    kinds = sorted(e["kind"] for e in EXPECTED)
    assert kinds == ["permit", "permit", "receipt", "receipt"]
    for entry in EXPECTED:
        assert entry["token"].startswith("RIAU")  # CBOR array(10), version 1: 0x8A 0x01 0x45
        assert token_from_text(entry["url"]) == entry["token"]


@pytest.mark.parametrize("entry", EXPECTED, ids=lambda e: f"{e['kind']}-{e['number']}")
def test_an_old_code_verifies_offline_with_the_exported_keys(entry):
    keys = load_keys_file(FIXTURES / "keys.json")
    with clock.frozen(SOON_AFTER):
        verdict = verify_input(None, entry["url"], keys=keys)
    assert verdict.status == "valid" and not verdict.checked_online, verdict
    assert_shows(verdict, entry)


@pytest.fixture(scope="module")
def old_workspace(tmp_path_factory):
    """The old workspace, copied: the first session migrates it (0008) as an office's would be."""
    root = tmp_path_factory.mktemp("old") / "ws"
    shutil.copytree(FIXTURES / "workspace", root)
    for path in (root, root / "keys"):
        path.chmod(0o700)
    return open_workspace(root)


@pytest.mark.parametrize("entry", EXPECTED, ids=lambda e: f"{e['kind']}-{e['number']}")
def test_an_old_code_verifies_online_against_the_migrated_registry(old_workspace, entry):
    with clock.frozen(SOON_AFTER):
        verdict = verify_token(old_workspace, entry["token"])
        typed = verify_uid(old_workspace, entry["uid"])
    assert verdict.checked_online and verdict.status == entry["online_status"], verdict
    assert_shows(verdict, entry)
    assert typed.status == entry["online_status"]
    if entry["online_status"] == "revoked":
        assert verdict.reason == "izin dicabut atas permintaan pemegang"


def test_an_old_record_edited_after_migration_is_a_mismatch(old_workspace):
    import sqlite3

    entry = next(e for e in EXPECTED if e["kind"] == "permit" and e["online_status"] == "valid")
    con = sqlite3.connect(old_workspace.db_path)
    try:
        con.execute("update document_verification set fields = json_set(fields, '$.no_str', 'RO0') "
                    "where document_id = (select id from documents where uid = ?)", (entry["uid"],))
        con.commit()
        with clock.frozen(SOON_AFTER):
            verdict = verify_token(old_workspace, entry["token"])
    finally:
        con.execute("update document_verification set fields = json_set(fields, '$.no_str', ?) "
                    "where document_id = (select id from documents where uid = ?)",
                    (entry["str_number"], entry["uid"]))
        con.commit()
        con.close()
    assert verdict.status == "invalid" and verdict.reason_code == "registry-mismatch"
    assert "fields" in verdict.reason
