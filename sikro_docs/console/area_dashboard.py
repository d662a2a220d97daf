"""The dashboard area: the month at a glance for the office's managers.

    GET /dashboard              this month (office time zone; ?month=YYYY-MM) by permit type and status,
                                service time per SOP step and per role against the SOP's standard
                                (inline SVG bar charts with the same figures as tables), the overdue list
    GET /dashboard/sla.xlsx     the SLA report of the month (`sikro report sla`, formula-safe workbook)
    GET /api/v1/dashboard       the same figures as JSON (?month=YYYY-MM)
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

from sqlalchemy import select
from starlette.responses import Response

from .. import db, permit_types
from ..accounts.roles import VIEW_DASHBOARD
from ..models import Application
from ..workflow import sla
from ..workflow.records import histories
from ..workflow.status import Clock, describe_status
from .area import ApiCall, ApiRefusal, Area, Endpoint, MenuItem

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAR_WIDTH = 360  # px of the longest bar


def month_of(text: str | None, today: dt.date) -> dt.date | None:
    """The first day of the month asked for (this month without one); None when the text is no month."""
    if not text:
        return today.replace(day=1)
    found = MONTH.match(text)
    return dt.date(int(found.group(1)), int(found.group(2)), 1) if found else None


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def figures(ws, first: dt.date, as_of: dt.datetime | None = None) -> dict:
    """Everything the dashboard shows for the month starting at `first`, as plain data."""
    last = month_end(first)
    clock = Clock(ws, as_of)
    types = permit_types.catalogue(ws)
    by_type: dict[str, dict[str, int]] = {}
    overdue = []
    with db.session(ws) as session:
        apps = list(session.scalars(select(Application).order_by(Application.id)))
        records = histories(session)
        for app in apps:
            if first <= app.application_date <= last:
                row = by_type.setdefault(app.permit_type, {})
                row[app.status] = row.get(app.status, 0) + 1
            status = describe_status(clock, app, records.get(app.id, []))
            if status["overdue"] and not status["finished"]:
                overdue.append({"id": app.id, "registration_number": app.registration_number,
                                "name": app.name, "next_step": status["next_step"],
                                "role_name": status["role_name"], "due": status["due"],
                                "late_by": status["late_by"]})
    data = sla.collect(ws, first, last)
    return {"month": f"{first:%Y-%m}", "by_type": _type_rows(types, by_type), "steps": _step_rows(data),
            "roles": _role_rows(data), "overdue": overdue, "applications": len(data["applications"])}


def _type_rows(types, by_type: dict) -> list[dict]:
    rows = []
    for code in sorted(by_type):
        found = types.find(code)
        counts = by_type[code]
        rows.append({"permit_type": code, "name": found.short_name if found else code,
                     "statuses": dict(sorted(counts.items())), "total": sum(counts.values())})
    return rows


def _step_rows(data: dict) -> list[dict]:
    sop = data["clock"].sop
    steps: dict[int, dict] = {}
    for a in data["applications"]:
        for r in a["steps"]:
            if r["actual_minutes"] is None:
                continue  # the first step has no start to measure from
            s = steps.setdefault(r["step"], {"step": r["step"], "activity": r["activity"],
                                             "role_name": sop.role_name(r["role"]), "count": 0,
                                             "standard_hours": 0.0, "actual_hours": 0.0, "late": 0})
            s["count"] += 1
            s["standard_hours"] += r["standard_minutes"] / 60
            s["actual_hours"] += r["actual_minutes"] / 60
            s["late"] += r["late"]
    return [_rounded(steps[n]) for n in sorted(steps)]


def _role_rows(data: dict) -> list[dict]:
    return [_rounded({"role": t["role"], "role_name": t["name"], "count": t["steps"], "standard_hours": t["standard"],
                      "actual_hours": t["actual"], "late": t["late"]})
            for t in sla.role_totals(data) if t["steps"]]


def _rounded(row: dict) -> dict:
    row["standard_hours"] = round(row["standard_hours"], 2)
    row["actual_hours"] = round(row["actual_hours"], 2)
    return row


def bars(rows: list[dict], label_key: str) -> dict:
    """Geometry of a horizontal bar chart (standard against actual) for the template's inline SVG."""
    top = max([max(r["standard_hours"], r["actual_hours"]) for r in rows] or [0]) or 1
    items = []
    for index, r in enumerate(rows):
        y = 8 + index * 44
        items.append({"label": str(r[label_key]), "y": y, "standard": r["standard_hours"], "actual": r["actual_hours"],
                      "sw": round(BAR_WIDTH * r["standard_hours"] / top, 1),
                      "aw": round(BAR_WIDTH * r["actual_hours"] / top, 1), "late": r["actual_hours"] > r["standard_hours"]})
    return {"bars": items, "height": 16 + 44 * len(rows), "width": BAR_WIDTH + 320}


class DashboardArea(Area):
    name = "dashboard"
    menu = [MenuItem("nav_dashboard", "/dashboard", VIEW_DASHBOARD)]
    words = {
        "id": {
            "nav_dashboard": "Dasbor",
            "dash_heading": "Dasbor bulan {month}",
            "dash_month": "Bulan", "dash_show": "Tampilkan",
            "dash_by_type": "Permohonan bulan ini menurut jenis izin dan keadaan",
            "dash_type": "Jenis izin", "dash_total": "Jumlah", "dash_none": "Tidak ada data untuk bulan ini.",
            "dash_steps": "Waktu layanan per langkah SOP (jam kerja)",
            "dash_roles": "Waktu layanan per peran (jam kerja)",
            "dash_step": "Langkah", "dash_role": "Peran", "dash_count": "Dicatat",
            "dash_standard": "Standar SOP", "dash_actual": "Aktual", "dash_late": "Terlambat",
            "dash_chart_desc": "Batang abu-abu: standar SOP; batang biru: waktu aktual (merah bila melewati standar).",
            "dash_overdue": "Permohonan yang melewati batas waktu",
            "dash_overdue_none": "Tidak ada permohonan yang terlambat.",
            "dash_reg": "No. registrasi", "dash_name": "Nama", "dash_next": "Langkah berikut",
            "dash_late_by": "Terlambat", "dash_download": "Unduh laporan SLA bulan ini (Excel)",
            "dash_bad_month": "Bulan tidak dikenal (tulis TTTT-BB, misalnya 2027-08).",
        },
        "en": {
            "nav_dashboard": "Dashboard",
            "dash_heading": "Dashboard for {month}",
            "dash_month": "Month", "dash_show": "Show",
            "dash_by_type": "This month's applications by permit type and status",
            "dash_type": "Permit type", "dash_total": "Total", "dash_none": "No data for this month.",
            "dash_steps": "Service time per SOP step (working hours)",
            "dash_roles": "Service time per role (working hours)",
            "dash_step": "Step", "dash_role": "Role", "dash_count": "Recorded",
            "dash_standard": "SOP standard", "dash_actual": "Actual", "dash_late": "Late",
            "dash_chart_desc": "Grey bars: the SOP standard; blue bars: the actual time (red when over the standard).",
            "dash_overdue": "Applications past their due time",
            "dash_overdue_none": "No application is overdue.",
            "dash_reg": "Registration no.", "dash_name": "Name", "dash_next": "Next step",
            "dash_late_by": "Late by", "dash_download": "Download this month's SLA report (Excel)",
            "dash_bad_month": "Unknown month (write YYYY-MM, e.g. 2027-08).",
        },
    }

    def pages(self):
        return [self.page("/dashboard", self.index, VIEW_DASHBOARD),
                self.page("/dashboard/sla.xlsx", self.download, VIEW_DASHBOARD)]

    def endpoints(self):
        return [Endpoint("GET", "/api/v1/dashboard", self.api_show, VIEW_DASHBOARD,
                         "The month's counts by permit type and status, service times per step and role, overdue")]

    def first_day(self, text: str | None) -> dt.date | None:
        return month_of(text, Clock(self.ws).as_of.date())

    def index(self, ctx) -> Response:
        first = self.first_day(ctx.request.query_params.get("month"))
        if first is None:
            return self.console.error_page(ctx, 400)
        data = figures(self.ws, first)
        statuses = sorted({s for r in data["by_type"] for s in r["statuses"]})
        return self.console.page(ctx, "dashboard.html", data=data, statuses=statuses,
                                 step_chart=bars(data["steps"], "step"), role_chart=bars(data["roles"], "role_name"))

    def download(self, ctx) -> Response:
        first = self.first_day(ctx.request.query_params.get("month"))
        if first is None:
            return self.console.error_page(ctx, 400)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sla.xlsx"
            sla.write_sla_report(self.ws, out, first, month_end(first))
            body = out.read_bytes()
        return Response(body, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="laporan-sla-{first:%Y-%m}.xlsx"'})

    def api_show(self, call: ApiCall) -> dict:
        first = self.first_day(call.query.get("month"))
        if first is None:
            raise ApiRefusal(400, "bad-month")
        return figures(self.ws, first)
