"""Recording steps: both paths, the return path, and every kind of illegal step (nothing recorded)."""

import datetime as dt

import pytest
from registers_support import database_errors, sql
from workflow_support import complete_file, make_application, walk, wib

from sikro_docs import db, registry
from sikro_docs.errors import SikroError
from sikro_docs.models import Event
from sikro_docs.workflow import history, load_sop, record_step, step_for_kind

APPROVED = [3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23]
REJECTED = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
START = wib(2027, 8, 2, 8, 30)


def state(ws, ref):
    with db.session(ws) as session:
        app = registry.find_application(session, ref)
        return app.current_step, app.status, [r.step for r in history(session, app.id)], app.decision


def events(ws, ref):
    with db.session(ws) as session:
        app = registry.find_application(session, ref)
        return [e for e in session.query(Event).filter_by(application_id=app.id, action="step.done")]


def test_approved_path_ends_issued(workspace):
    ref = make_application(workspace)
    results = walk(workspace, ref, APPROVED, START)
    assert [r.outcome for r in results][-3:] == ["approved", "approved", "issued"]
    assert results[-1].next_step is None
    assert state(workspace, ref) == (23, "issued", APPROVED, "Disetujui")
    assert len(events(workspace, ref)) == len(APPROVED)


def test_rejected_path_ends_rejected_with_reason(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, REJECTED, START, decision="reject", reason="STR tidak berlaku")
    assert state(workspace, ref) == (15, "rejected", REJECTED, "Ditolak")
    with db.session(workspace) as session:
        assert registry.find_application(session, ref).rejection_reason == "STR tidak berlaku"


def test_intake_steps_may_be_recorded_with_their_real_times(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, [1, 2, 3], START)
    assert state(workspace, ref)[:3] == (3, "open", [1, 2, 3])


def test_return_path_incomplete_file_goes_back_and_reenters_at_step_1(workspace):
    ref = make_application(workspace, complete=False)
    with pytest.raises(SikroError, match="returned to the applicant as incomplete"):
        record_step(workspace, ref, 3, by="x", at=START)
    walk(workspace, ref, [1, 2], START)  # handed in again, still incomplete
    assert state(workspace, ref)[:2] == (2, "returned")
    complete_file(workspace, ref)
    walk(workspace, ref, [1, 2, 3], START + dt.timedelta(days=1))
    assert state(workspace, ref)[:3] == (3, "open", [1, 2, 1, 2, 3])


def assert_refused(ws, ref, step, message, code=None, **kwargs):
    before = state(ws, ref)
    kwargs.setdefault("at", START + dt.timedelta(days=3))
    with pytest.raises(SikroError, match=message) as info:
        record_step(ws, ref, step, by="x", **kwargs)
    assert "\n" not in str(info.value) and "--" not in str(info.value), "one line, naming no CLI flag"
    if code:  # the code and values each front end words in its own language
        assert info.value.code == code and info.value.values["step"] == step
    assert state(ws, ref) == before, "a refused step must record nothing"


def test_illegal_steps_are_refused_and_nothing_is_recorded(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, [3, 4, 5, 6, 7], START)
    assert_refused(workspace, ref, 5, "out of order", "step.out-of-order")  # done already
    assert_refused(workspace, ref, 16, "out of order")             # skips the decision
    assert_refused(workspace, ref, 99, "no step 99")
    assert_refused(workspace, ref, 8, "needs a decision", "step.needs-decision")  # decision missing
    assert_refused(workspace, ref, 8, "needs its reason", "step.needs-reason", decision="reject")
    assert_refused(workspace, ref, 8, "needs its reason", decision="reject", reason="   ")
    assert_refused(workspace, ref, 8, "earlier than step 7", "step.too-early", decision="approve", at=START)
    record_step(workspace, ref, 8, by="x", at=START + dt.timedelta(days=2), decision="approve")
    assert_refused(workspace, ref, 9, "belongs to the rejected path", "step.other-path")
    assert_refused(workspace, ref, 16, "takes no decision", "step.takes-no-decision", decision="approve")


def test_rejected_application_refuses_the_approved_path_and_finished_refuses_all(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, REJECTED[:6], START, decision="reject", reason="Tempat kerja belum berizin")
    assert_refused(workspace, ref, 16, "belongs to the approved path")
    walk(workspace, ref, REJECTED[6:], START + dt.timedelta(days=2))
    assert_refused(workspace, ref, 15, "is finished")


def test_step_records_are_append_only(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, [3], START)
    for statement in ("update step_records set step = 9", "delete from step_records"):
        with pytest.raises(database_errors(), match="append-only"):
            sql(workspace, statement)


def test_step_for_kind_reads_the_sop_data():
    assert step_for_kind("receipt") == 3
    assert step_for_kind("disposition") == 4
    assert step_for_kind("recommendation-request") == 6
    assert step_for_kind("task-order") == step_for_kind("inspection-report") == 7
    assert step_for_kind("rejection", draft=True) == 9 and step_for_kind("rejection") == 13
    assert step_for_kind("permit", draft=True) == 17 and step_for_kind("permit") == 21
    with pytest.raises(SikroError):
        step_for_kind("registration")


def test_workspace_override_changes_role_and_time(workspace):
    (workspace.root / "sop.toml").write_text('[steps.7]\nrole = "back_office"\ntime = "2 Hari"\n')
    sop = load_sop(workspace.root)
    assert sop.step(7).role == "back_office" and sop.step(7).time.days == 2
    assert load_sop().step(7).role == "tim_teknis"
    (workspace.root / "sop.toml").write_text('[steps.7]\nnext = 9\n')
    with pytest.raises(SikroError, match="may only change"):
        load_sop(workspace.root)


def test_the_cli_adds_the_flag_that_fixes_a_refused_step(workspace, capsys):
    """The library's refusal names no flag; `sikro step` (in-process) adds the one that fixes it."""
    from sikro_docs.cli import main

    ref = make_application(workspace)
    walk(workspace, ref, [3, 4, 5, 6, 7], START)
    with pytest.raises(SystemExit) as refused:
        main(["step", ref, "8", "--no-documents", "--workspace", str(workspace.root)])
    err = capsys.readouterr().err
    assert refused.value.code == 1 and err.count("\n") == 1
    assert "needs a decision: approve or reject. Give --decision approve or --decision reject." in err
