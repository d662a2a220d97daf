"""workflow.inbox: the applications waiting on a set of steps, asked of the database by the stored
waiting position (applications.next_step, due_at), which must always agree with describe_status."""

from __future__ import annotations

import pytest
from console_support import NOW, office
from sqlalchemy import select, update

from sikro_docs import clock, db
from sikro_docs.models import UNSCHEDULED, Application
from sikro_docs.workflow import load_sop
from sikro_docs.workflow.inbox import waiting_counts, waiting_on
from sikro_docs.workflow.schedule import ensure_scheduled, reschedule
from sikro_docs.workflow.status import list_status
from sikro_docs.workflow.table import sop_rows


def test_waiting_on_agrees_with_the_status_of_every_open_application(workspace):
    office(workspace)
    sop = load_sop()
    with clock.frozen(NOW):
        everything = list_status(workspace)
        for steps in ([5], [7], [18, 20], [1, 22], [s.number for s in sop.steps.values()]):
            found = [r["registration_number"] for r in waiting_on(workspace, steps)]
            expected = [r["registration_number"] for r in everything if r["next_step"] in steps]
            assert sorted(found) == sorted(expected), steps
            dues = [r["due"] for r in waiting_on(workspace, steps) if r["due"]]
            assert dues == sorted(dues)  # the earliest due first


def test_the_counts_agree_with_the_status_of_every_open_application(workspace):
    office(workspace)
    every_step = [s.number for s in load_sop().steps.values()]
    with clock.frozen(NOW):
        everything = list_status(workspace)
        counts = waiting_counts(workspace, every_step)
    assert counts, "the office has applications waiting"
    for step in every_step:
        waiting = [r for r in everything if r["next_step"] == step]
        found = counts.get(step)
        assert (found.waiting if found else 0) == len(waiting), step
        assert (found.overdue if found else 0) == sum(r["overdue"] for r in waiting), step
        assert (found.warned if found else 0) == sum(r["overdue"] or r["due_soon"] for r in waiting), step


def test_pages_of_the_waiting_are_consecutive_slices_of_the_whole(workspace):
    office(workspace)
    every_step = [s.number for s in load_sop().steps.values()]
    with clock.frozen(NOW):
        whole = [r["registration_number"] for r in waiting_on(workspace, every_step)]
        paged = [r["registration_number"] for start in range(0, len(whole), 2)
                 for r in waiting_on(workspace, every_step, limit=2, offset=start)]
        late = [r for r in waiting_on(workspace, every_step, overdue_only=True)]
    assert len(whole) > 2 and paged == whole
    assert late and all(r["overdue"] for r in late)


def test_unscheduled_rows_are_worked_out_before_they_are_read(workspace):
    """Rows from before migration 0011 (and after `reschedule`) carry UNSCHEDULED: the next read works
    them out to exactly what a recorded step stores."""
    office(workspace)  # registrations are UNSCHEDULED until read; recorded steps store their position
    ensure_scheduled(workspace)
    with db.session(workspace) as session:
        stored = {a.id: (a.next_step, a.due_at) for a in session.scalars(select(Application))}
    assert all(step != UNSCHEDULED for step, _ in stored.values())
    with db.session(workspace, write=True) as session:
        session.execute(update(Application).values(next_step=UNSCHEDULED, due_at=None))
    assert ensure_scheduled(workspace) == len(stored)
    assert ensure_scheduled(workspace) == 0  # nothing left to do: a read, no write
    with db.session(workspace) as session:
        assert {a.id: (a.next_step, a.due_at) for a in session.scalars(select(Application))} == stored
    finished = sum(step is None for step, _ in stored.values())
    assert reschedule(workspace) == len(stored) - finished


def test_sop_show_says_who_records_each_step():
    rows = {row["number"]: row for row in sop_rows(load_sop())}
    assert (rows[1]["role"], rows[1]["recorded_by"]) == ("pemohon", "front_office")
    assert rows[18]["task"] == "paraf" and rows[20]["task"] == "sign" and rows[5]["task"] is None


def test_sop_reschedule_works_every_waiting_application_out_again(workspace, capsys):
    from sqlalchemy import func

    from sikro_docs.cli import main

    office(workspace)
    with pytest.raises(SystemExit) as done:
        main(["sop", "reschedule", "--workspace", str(workspace.root)])
    assert done.value.code == 0
    with db.session(workspace) as session:
        waiting = session.scalar(select(func.count()).where(Application.next_step.is_not(None)))
    assert capsys.readouterr().out == f"{waiting} application(s) rescheduled.\n" and waiting > 0
