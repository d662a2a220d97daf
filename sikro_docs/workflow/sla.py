"""`sikro report sla`: service time against the SOP's standard, as an Excel workbook.

Sheets: Ringkasan (per application: total service time against the standard
of its path), Per Langkah (every step done: standard and actual working time,
late steps highlighted), Per Peran (totals per role, with a bar chart of
where the time goes) and Standar SOP (the standard totals of both paths,
computed from the SOP data). Hours are working hours. Every value goes
through `excel_safe.write_row`.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill

from .. import db
from ..errors import SikroError
from ..excel_safe import write_row
from ..fsutil import atomic_write_bytes
from ..models import Application
from .records import histories
from .sop import DECISION_OUTCOME, DECISIONS
from .status import Clock, step_rows
from .steps import _decision_taken

BOLD = Font(bold=True)
LATE_FILL = PatternFill("solid", start_color="F4CCCC", end_color="F4CCCC")
HOURS = "0.00"
PATH_TITLE = {"approve": "Disetujui (izin terbit)", "reject": "Ditolak (surat penolakan)"}


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


def _naive_local(iso: str | None) -> dt.datetime | None:
    # Excel has no time zones: write office time (WIB) as it reads on the wall clock.
    return dt.datetime.fromisoformat(iso).replace(tzinfo=None) if iso else None


def _in_range(started: dt.date, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    return (date_from is None or started >= date_from) and (date_to is None or started <= date_to)


def collect(ws, date_from: dt.date | None = None, date_to: dt.date | None = None) -> dict:
    """Everything the report shows, as plain data (tests read this too)."""
    clock = Clock(ws)
    with db.session(ws) as session:
        apps = {a.id: a for a in session.query(Application).order_by(Application.id)}
        records = histories(session)
    applications = []
    for app_id, recs in records.items():
        app = apps[app_id]
        started = clock.wt.local(recs[0].done_at)
        if not _in_range(started.date(), date_from, date_to):
            continue
        applications.append(_application_summary(clock, app, recs, started))
    return {"clock": clock, "applications": applications, "standards": standards(clock)}


def _application_summary(clock: Clock, app: Application, recs, started: dt.datetime) -> dict:
    rows = step_rows(clock, app, recs)
    # the decision recorded on the way (the status says "issued" once the path is done)
    decision = next((r.decision for r in recs if r.decision), None) or _decision_taken(app)
    actual = sum(r["actual_minutes"] or 0 for r in rows)
    standard = clock.sop.standard_total(decision or "approve", clock.wt.day_length).total_seconds() / 60
    finished = app.status in {s.ends for s in clock.sop.steps.values() if s.ends}
    return {
        "registration_number": app.registration_number, "name": app.name, "outcome": app.status,
        "path": decision, "started": started.isoformat(), "finished": finished,
        "ended": rows[-1]["done_at"] if finished else None, "steps": rows,
        "actual_minutes": actual, "standard_minutes": standard if decision else None,
        "late_steps": sum(1 for r in rows if r["late"]),
    }


def standards(clock: Clock) -> list[dict]:
    """The standard service time of each path, summed from the SOP data."""
    out = []
    for decision in DECISIONS:
        days, minutes = clock.sop.standard_days_and_minutes(decision)
        total = clock.sop.standard_total(decision, clock.wt.day_length)
        out.append({"decision": decision, "outcome": DECISION_OUTCOME[decision], "days": days,
                    "minutes": minutes, "text": _sop_words(days, minutes),
                    "working_hours": total.total_seconds() / 3600,
                    "steps": [s.number for s in clock.sop.path(decision)]})
    return out


def _sop_words(days: float, minutes: float) -> str:
    """As the SOP would add up its column: days and hours kept apart ("4 Hari 15 Jam 45 Menit")."""
    hours, rest = divmod(int(round(minutes)), 60)
    parts = [f"{days:g} Hari" if days else "", f"{hours} Jam" if hours else "", f"{rest} Menit" if rest else ""]
    return " ".join(p for p in parts if p)


# --------------------------------------------------------------------------- sheets


def _header(sheet, headers: list[str], widths: list[int]) -> None:
    write_row(sheet, headers, font=BOLD, alignment=Alignment(wrap_text=True, vertical="top"))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    sheet.freeze_panes = "A2"


def _summary_sheet(sheet, data: dict) -> None:
    clock = data["clock"]
    sheet.title = "Ringkasan"
    _header(sheet, ["No Registrasi", "Nama", "Hasil", "Mulai", "Selesai", "Standar SOP (jam kerja)",
                    "Aktual (jam kerja)", "Selisih (jam)", "Standar", "Aktual", "Langkah terlambat"],
            [24, 30, 11, 18, 18, 14, 14, 12, 22, 22, 12])
    for a in data["applications"]:
        standard, actual = _hours(a["standard_minutes"]), _hours(a["actual_minutes"])
        late = standard is not None and a["finished"] and actual > standard
        write_row(sheet, [
            a["registration_number"], a["name"], a["outcome"], _naive_local(a["started"]),
            _naive_local(a["ended"]), standard, actual,
            round(actual - standard, 2) if standard is not None and a["finished"] else None,
            clock.fmt(dt.timedelta(minutes=a["standard_minutes"])) if a["standard_minutes"] else None,
            clock.fmt(dt.timedelta(minutes=a["actual_minutes"])), a["late_steps"],
        ], **({"fill": LATE_FILL} if late else {}))
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=5):
        for cell in row:
            cell.number_format = "dd-mm-yyyy hh:mm"


def _steps_sheet(sheet, data: dict) -> int:
    sop = data["clock"].sop
    _header(sheet, ["No Registrasi", "Langkah", "Kegiatan", "Pelaksana", "Selesai", "Oleh",
                    "Standar (jam)", "Aktual (jam)", "Standar", "Aktual", "Terlambat"],
            [24, 8, 48, 26, 18, 16, 10, 10, 14, 16, 10])
    late = 0
    for a in data["applications"]:
        for r in a["steps"]:
            late += r["late"]
            write_row(sheet, [
                a["registration_number"], r["step"], r["activity"], sop.role_name(r["role"]),
                _naive_local(r["done_at"]), r["by"], _hours(r["standard_minutes"]), _hours(r["actual_minutes"]),
                r["standard"], r["actual"], "TERLAMBAT" if r["late"] else "",
            ], **({"fill": LATE_FILL} if r["late"] else {}))
    for row in sheet.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = "dd-mm-yyyy hh:mm"
    return late


def role_totals(data: dict) -> list[dict]:
    sop = data["clock"].sop
    totals = {key: {"role": key, "name": role.name, "steps": 0, "standard": 0.0, "actual": 0.0, "late": 0}
              for key, role in sop.roles.items()}
    for a in data["applications"]:
        for r in a["steps"]:
            if r["actual_minutes"] is None:
                continue  # the first step has no start to measure from
            t = totals[r["role"]]
            t["steps"] += 1
            t["standard"] += r["standard_minutes"] / 60
            t["actual"] += r["actual_minutes"] / 60
            t["late"] += r["late"]
    return list(totals.values())


def _roles_sheet(sheet, data: dict) -> None:
    _header(sheet, ["Peran", "Langkah", "Standar (jam kerja)", "Aktual (jam kerja)", "Terlambat"],
            [34, 10, 18, 18, 12])
    roles = role_totals(data)
    for t in roles:
        write_row(sheet, [t["name"], t["steps"], round(t["standard"], 2), round(t["actual"], 2), t["late"]],
                  **({"fill": LATE_FILL} if t["actual"] > t["standard"] else {}))
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=4):
        for cell in row:
            cell.number_format = HOURS
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Ke mana waktu layanan pergi (jam kerja per peran)"
    chart.y_axis.title = "jam kerja"
    chart.height, chart.width = 9, 18
    chart.add_data(Reference(sheet, min_col=3, max_col=4, min_row=1, max_row=len(roles) + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(roles) + 1))
    sheet.add_chart(chart, "G2")


def _standards_sheet(sheet, data: dict) -> None:
    _header(sheet, ["Jalur", "Langkah", "Standar (SOP)", "Jam kerja"], [28, 50, 26, 12])
    for s in data["standards"]:
        write_row(sheet, [PATH_TITLE[s["decision"]], " → ".join(map(str, s["steps"])), s["text"],
                          round(s["working_hours"], 2)])
    wt = data["clock"].wt
    write_row(sheet, [])
    write_row(sheet, [f"1 Hari = {wt.day_length.total_seconds() / 3600:g} jam kerja "
                      f"({wt.opens:%H:%M}–{wt.closes:%H:%M}); libur nasional dan cuti bersama tidak dihitung."])


def write_sla_report(ws, output: Path, date_from: dt.date | None = None, date_to: dt.date | None = None) -> dict:
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise SikroError(f"the SLA report is an Excel workbook: name it .xlsx, not {output.name}")
    data = collect(ws, date_from, date_to)
    book = Workbook()
    _summary_sheet(book.active, data)
    late = _steps_sheet(book.create_sheet("Per Langkah"), data)
    _roles_sheet(book.create_sheet("Per Peran"), data)
    _standards_sheet(book.create_sheet("Standar SOP"), data)
    buffer = io.BytesIO()
    book.save(buffer)
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output, buffer.getvalue())
    return {"path": output, "applications": len(data["applications"]), "late_steps": late}
