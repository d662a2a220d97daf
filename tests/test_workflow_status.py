"""Status (due, overdue, due soon, at risk) and the SLA report, through the API and the CLI."""

import datetime as dt

import openpyxl
from workflow_support import make_application, sikro_wf, walk, wib

from sikro_docs.workflow.sla import collect, write_sla_report
from sikro_docs.workflow.status import application_status, list_status

START = wib(2027, 8, 12, 8)


def test_due_time_is_previous_step_plus_standard_in_working_time(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, [3, 4], START)
    record = walk(workspace, ref, [5], wib(2027, 8, 16, 10))[-1]
    assert record.next_step == 6
    # the example: step 5 done Mon 16 Aug 2027 10:00, 6 (1 Hari) due Wed 18 Aug 10:00
    data = application_status(workspace, ref, as_of=wib(2027, 8, 16, 11))
    assert data["due"] == "2027-08-18T10:00:00+07:00"
    assert (data["next_step"], data["role"], data["overdue"], data["due_soon"]) == (6, "back_office", False, False)
    assert data["outcome"] == "open"
    soon = application_status(workspace, ref, as_of=wib(2027, 8, 18, 8, 30))
    assert soon["due_soon"] and not soon["overdue"] and soon["left"] == "1 Jam 30 Menit"
    late = application_status(workspace, ref, as_of=wib(2027, 8, 18, 11))
    assert late["overdue"] and late["late_by"] == "1 Jam" and late["at_risk"]


def test_late_technical_team_shows_the_sops_warning(workspace):
    ref = make_application(workspace)
    walk(workspace, ref, [3, 4, 5, 6], START)
    data = application_status(workspace, ref, as_of=wib(2027, 8, 20, 15))
    assert data["role"] == "tim_teknis" and data["overdue"]
    assert "Tim Teknis terlambat" in data["warning"]


def test_list_shows_open_applications_and_overdue_filter(workspace):
    late = make_application(workspace, nik_seq=1, name="Lambat")
    fresh = make_application(workspace, nik_seq=2, name="Baru")
    done = make_application(workspace, nik_seq=3, name="Selesai")
    returned = make_application(workspace, nik_seq=4, name="Kurang", complete=False)
    walk(workspace, late, [3], START)
    walk(workspace, fresh, [3], wib(2027, 8, 13, 15))
    walk(workspace, done, [3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23], START)
    as_of = wib(2027, 8, 13, 15, 30)
    rows = {r["registration_number"]: r for r in list_status(workspace, as_of=as_of)}
    assert set(rows) == {late, fresh, returned}
    assert rows[returned]["outcome"] == "returned" and rows[returned]["due"] is None
    assert not rows[returned]["overdue"]
    overdue = [r["registration_number"] for r in list_status(workspace, overdue_only=True, as_of=as_of)]
    assert overdue == [late]


def test_status_cli_json_and_errors(workspace, ws_args):
    ref = make_application(workspace)
    r = sikro_wf("step", ref, "3", "--at", "2027-08-12 08:00", "--no-documents", *ws_args)
    assert r.code == 0, r.err
    r = sikro_wf("step", ref, "5", "--at", "2027-08-12 09:00", "--no-documents", *ws_args)
    assert r.code == 1 and "out of order" in r.err and "Traceback" not in r.err
    r = sikro_wf("status", ref, "--json", "--as-of", "2027-08-12 09:00", *ws_args)
    data = r.json()
    assert data["current_step"] == 3 and data["next_step"] == 4
    assert data["due"] == "2027-08-12T11:00:00+07:00" and data["overdue"] is False
    r = sikro_wf("status", "--overdue", "--json", "--as-of", "2027-08-13 08:00", *ws_args)
    assert [row["registration_number"] for row in r.json()] == [ref]
    for row in r.json():
        assert {"registration_number", "current_step", "next_step", "due", "overdue", "outcome"} <= set(row)
    r = sikro_wf("status", *ws_args)
    assert r.code == 0 and ref in r.out


def test_sla_report_totals_and_late_steps(workspace, tmp_path):
    on_time = make_application(workspace, nik_seq=1)
    slow = make_application(workspace, nik_seq=2, name="Lambat")
    walk(workspace, on_time, [1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23], START,
         every=dt.timedelta(minutes=15))
    walk(workspace, slow, [1, 2, 3], START)
    walk(workspace, slow, [4], wib(2027, 8, 13, 10))  # 3 Jam standard; 12 Aug 08:40 -> 13 Aug 10:00 is 7 h 20 + 2 h
    data = collect(workspace)
    standards = {s["decision"]: s for s in data["standards"]}
    assert standards["approve"]["text"] == "4 Hari 15 Jam 45 Menit"
    assert standards["reject"]["text"] == "3 Hari 18 Jam 45 Menit"
    apps = {a["registration_number"]: a for a in data["applications"]}
    assert apps[on_time]["actual_minutes"] == 15 * 15 and apps[on_time]["late_steps"] == 0
    assert apps[on_time]["standard_minutes"] == (4 * 8 + 15.75) * 60
    late = [s for s in apps[slow]["steps"] if s["late"]]
    assert [(s["step"], s["actual_minutes"]) for s in late] == [(4, 9 * 60 + 20)]
    out = tmp_path / "sla.xlsx"
    r = sikro_wf("report", "sla", "-o", out, "--workspace", workspace.root)
    assert r.code == 0, r.err
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Ringkasan", "Per Langkah", "Per Peran", "Standar SOP"]
    steps = book["Per Langkah"]
    late_rows = [row for row in steps.iter_rows(min_row=2) if row[10].value == "TERLAMBAT"]
    assert len(late_rows) == 1 and late_rows[0][0].fill.start_color.rgb.endswith("F4CCCC")
    assert book["Per Peran"]._charts, "the chart of where time goes"
    none = tmp_path / "none.xlsx"
    write_sla_report(workspace, none, date_from=dt.date(2030, 1, 1))
    assert openpyxl.load_workbook(none)["Ringkasan"].max_row == 1


def test_sop_show_and_diagram(tmp_path):
    r = sikro_wf("sop", "show")
    assert r.code == 0 and "Pemberian Rekomendasi" in r.out and "setuju→16 / tolak→9" in r.out
    svg = tmp_path / "sop.svg"
    r = sikro_wf("sop", "diagram", "-o", svg)
    assert r.code == 0, r.err
    text = svg.read_text()
    assert text.count("<polygon points=") >= 1 and "Tim Teknis" in text and "Kadis" in text
    pdf = tmp_path / "sop.pdf"
    r = sikro_wf("sop", "diagram", "-o", pdf)
    assert r.code == 0, r.err
    assert pdf.read_bytes().startswith(b"%PDF")
    r = sikro_wf("sop", "diagram", "-o", tmp_path / "sop.png")
    assert r.code == 2 or r.code == 1
    assert "svg or .pdf" in r.err
