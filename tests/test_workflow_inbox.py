"""workflow.inbox: the applications waiting on a set of steps, asked of the database by position."""

from __future__ import annotations

from console_support import NOW, office

from sikro_docs import clock
from sikro_docs.workflow import load_sop
from sikro_docs.workflow.inbox import positions_before, waiting_on
from sikro_docs.workflow.status import list_status
from sikro_docs.workflow.table import sop_rows


def test_the_positions_before_a_step_come_from_the_sop_data():
    sop = load_sop()
    assert (4, "open") in positions_before(sop, [5]) and {n for n, _ in positions_before(sop, [5])} == {4}
    assert (0, "open") in positions_before(sop, [1])  # not yet at any step: the SOP's first
    assert (2, "returned") in positions_before(sop, [1])  # a returned file, handed in again
    assert positions_before(sop, [16]) == [(8, "approved")] and positions_before(sop, [9]) == [(8, "rejected")]
    assert positions_before(sop, [999]) == []


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


def test_sop_show_says_who_records_each_step():
    rows = {row["number"]: row for row in sop_rows(load_sop())}
    assert (rows[1]["role"], rows[1]["recorded_by"]) == ("pemohon", "front_office")
    assert rows[18]["task"] == "paraf" and rows[20]["task"] == "sign" and rows[5]["task"] is None
