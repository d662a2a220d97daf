"""A revocation is final: a revoked permit's application gets nothing more from a batch."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from registers_support import sql
from test_intake_support import make_workbook, valid_record
from workflow_support import import_and_advance

from sikro_docs import clock
from sikro_docs.cli import cli

FROZEN = "2026-09-01T10:00:00+07:00"
APPROVED = dict(no_registrasi=None, keputusan="Disetujui", nomor_rekomendasi="440/0122/DINKES/VIII/2026",
                tanggal_rekomendasi="20-08-2026")


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(FROZEN):
        yield


def run(ws, *args):
    result = CliRunner().invoke(cli, [*map(str, args), "--workspace", str(ws.root)])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def revoked(tmp_path, workspace):
    """One permit issued through the SOP, then revoked."""
    book = make_workbook(tmp_path / "permohonan.xlsx", [valid_record(**APPROVED)])
    [ref] = import_and_advance(workspace, book)
    first = run(workspace, "batch", book, "--doc", "permit", "--json", "--by", "Ksb. Umum")
    assert first.exit_code == 0, first.output
    [doc] = json.loads(first.output)["documents"]
    assert doc["status"] == "issued"
    assert run(workspace, "revoke", doc["number"], "--reason", "STR dicabut oleh konsil").exit_code == 0
    return workspace, book, ref, doc["number"]


def izin_numbers(ws) -> list[str]:
    return [n for (n,) in sql(ws, "select number from register_entries where register = 'izin'")]


@pytest.mark.parametrize("extra", [[], ["--reissue"]])
def test_a_rerun_after_a_revocation_issues_nothing(revoked, extra):
    ws, book, _ref, number = revoked
    result = run(ws, "batch", book, "--doc", "permit", "--json", *extra)
    assert result.exit_code == 0, result.output
    [doc] = json.loads(result.output)["documents"]
    assert doc["status"] == "revoked" and doc["number"] is None
    assert doc["message"].startswith(f"dicabut: permit {number} dicabut pada 2026-09-01 (STR dicabut oleh konsil)")
    assert doc["revoked"] == {"kind": "permit", "number": number, "date": "2026-09-01",
                              "reason": "STR dicabut oleh konsil"}
    assert izin_numbers(ws) == [number]
    sheet = load_workbook(json.loads(result.output)["results_file"]).active
    values = [c.value for c in sheet[2]]
    assert "revoked" in values and any(str(v).startswith("dicabut") for v in values)


def test_the_text_report_says_dicabut_with_date_and_reason(revoked):
    ws, book, _ref, number = revoked
    result = run(ws, "batch", book, "--doc", "permit")
    assert result.exit_code == 0, result.output
    assert f"revoked: dicabut: permit {number} dicabut pada 2026-09-01 (STR dicabut oleh konsil)" in result.output


def test_generate_after_a_revocation_issues_nothing(revoked):
    ws, _book, ref, number = revoked
    for extra in ([], ["--reissue"]):
        result = run(ws, "generate", "permit", ref, "--json", *extra)
        [doc] = json.loads(result.output)["documents"]
        assert doc["status"] == "revoked", doc
    assert izin_numbers(ws) == [number]
    assert run(ws, "register", "verify").exit_code == 0


def test_other_documents_of_a_revoked_application_are_not_made_either(revoked):
    ws, _book, ref, _number = revoked
    result = run(ws, "generate", "rejection", ref, "--json")
    [doc] = json.loads(result.output)["documents"]
    assert doc["status"] == "revoked"
    assert sql(ws, "select count(*) from register_entries where register = 'surat-keluar'") == [(0,)]
