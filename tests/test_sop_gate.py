"""The SOP gates what is issued: a permit only after the recommendation was received (step 16),
a rejection letter only after the decision to reject; a workbook row's decision is recorded as steps."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from registers_support import sql
from test_intake_support import make_workbook, valid_record
from workflow_support import import_and_advance

from sikro_docs import clock, db, registry
from sikro_docs.cli import cli
from sikro_docs.models import Application, Event
from sikro_docs.workflow import StepRecord

FROZEN = "2026-09-01T10:00:00+07:00"
APPROVED = dict(no_registrasi=None, keputusan="Disetujui", nomor_rekomendasi="440/0122/DINKES/VIII/2026",
                tanggal_rekomendasi="20-08-2026")
REJECTED = dict(no_registrasi=None, nik="1211123001900004", nama="Jonni Solin, A.Md.RO", tanggal_lahir="30-01-1990",
                jenis_kelamin="L", keputusan="Ditolak", alasan_penolakan="Tempat kerja belum memiliki izin optik")


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(FROZEN):
        yield


def run(ws, *args):
    result = CliRunner().invoke(cli, [*map(str, args), "--workspace", str(ws.root)])
    assert "Traceback" not in result.output, result.output
    return result


def documents(result) -> list[dict]:
    return json.loads(result.output)["documents"]


def count(ws, register: str) -> int:
    return sql(ws, "select count(*) from register_entries where register = ?", (register,))[0][0]


def test_a_workbook_saying_disetujui_issues_no_permit_at_step_2(tmp_path, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(**APPROVED)])
    result = run(workspace, "batch", book, "--doc", "permit", "--json")
    assert result.exit_code == 0, result.output
    [doc] = documents(result)
    assert doc["status"] == "waiting" and doc["number"] is None
    assert doc["message"] == "menunggu langkah 3 (Memberikan Resi Penerimaan Berkas)"
    assert count(workspace, "izin") == 0


def test_a_workbook_saying_ditolak_issues_no_rejection_at_step_2(tmp_path, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(**REJECTED)])
    [doc] = documents(run(workspace, "batch", book, "--doc", "rejection", "--json"))
    assert doc["status"] == "waiting" and doc["message"].startswith("menunggu langkah 3")
    assert count(workspace, "surat-keluar") == 0


def test_the_rows_decision_is_recorded_as_steps_by_the_clerk_then_the_permit_issued(tmp_path, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(**APPROVED)])
    [ref] = import_and_advance(workspace, book)
    result = run(workspace, "batch", book, "--doc", "permit", "--json", "--by", "Rina (Ksb. Umum)")
    assert result.exit_code == 0, result.output
    [doc] = documents(result)
    assert doc["status"] == "issued" and doc["number"].startswith("500.16.7.2/0001/")
    with db.session(workspace) as session:
        app = registry.find_application(session, ref)
        steps = session.query(StepRecord).filter_by(application_id=app.id).order_by(StepRecord.id).all()
        assert [(s.step, s.by, s.decision) for s in steps[-2:]] == [
            (8, "Rina (Ksb. Umum)", "approve"), (16, "Rina (Ksb. Umum)", None)]
        assert (app.current_step, app.status) == (16, "approved")
        assert app.recommendation_number == "440/0122/DINKES/VIII/2026"
        assert app.recommendation_date.isoformat() == "2026-08-20"
        events = session.query(Event).filter_by(application_id=app.id, action="step.done").all()
        sources = {(e.details["step"], e.source_file, e.source_row) for e in events if e.details["step"] in (8, 16)}
        assert sources == {(8, str(book.resolve()), 2), (16, str(book.resolve()), 2)}


def test_the_rejection_follows_the_rows_decision_to_reject(tmp_path, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(**REJECTED)])
    import_and_advance(workspace, book)
    [doc] = documents(run(workspace, "batch", book, "--doc", "rejection", "--json", "--by", "Ksb. Umum"))
    assert doc["status"] == "issued", doc
    with db.session(workspace) as session:
        app = session.query(Application).one()
        assert (app.current_step, app.status) == (8, "rejected")


def test_a_row_without_the_decision_waits_and_records_nothing(tmp_path, workspace):
    record = valid_record(**{**APPROVED, "nomor_rekomendasi": None, "tanggal_rekomendasi": None})
    book = make_workbook(tmp_path / "p.xlsx", [record])
    import_and_advance(workspace, book)
    [doc] = documents(run(workspace, "batch", book, "--doc", "permit", "--json"))
    assert doc["status"] == "waiting" and doc["message"] == "menunggu langkah 8 (Pemberian Rekomendasi)"
    assert sql(workspace, "select max(step) from step_records") == [(7,)]


def test_a_rejected_application_gets_no_permit_whatever_the_workbook_says(tmp_path, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(**REJECTED)])
    import_and_advance(workspace, book)
    run(workspace, "batch", book, "--doc", "rejection")
    changed = make_workbook(tmp_path / "q.xlsx", [valid_record(**{**REJECTED, **APPROVED, "alasan_penolakan": None})])
    [doc] = documents(run(workspace, "batch", changed, "--doc", "permit", "--json"))
    assert doc["status"] == "waiting" and "rejected" in doc["message"]
    assert count(workspace, "izin") == 0


def test_a_permit_is_issued_from_step_16_on(tmp_path, workspace):
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(**APPROVED)])
    [ref] = import_and_advance(workspace, book)
    for step, extra in ((8, ["--decision", "approve"]), (16, [])):
        assert run(workspace, "step", ref, str(step), "--by", "tester", *extra).exit_code == 0
    [doc] = documents(run(workspace, "generate", "permit", ref, "--json"))
    assert doc["status"] == "issued"
