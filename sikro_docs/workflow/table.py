"""Plain-text tables of the SOP and of the status, for the terminal."""

from __future__ import annotations

import datetime as dt

from .sop import Sop


def sop_rows(sop: Sop) -> list[dict]:
    return [{
        "number": s.number, "activity": s.activity, "role": s.role, "role_name": sop.role_name(s.role),
        "kelengkapan": s.kelengkapan, "time": s.time.text, "output": s.output,
        "next": list(s.successors()), "documents": [*s.makes, *(f"{k} (draf)" for k in s.drafts),
                                                    *([f"{s.numbers} (bernomor)"] if s.numbers else []),
                                                    *([f"Buku Ekspedisi: {s.dispatch}"] if s.dispatch else []),
                                                    *(f"{k} (bila tidak lengkap)" for k in s.returns_with)],
        "dispatch": s.dispatch, "decision": s.decision, "ends": s.ends,
        "recorded_by": s.recorder, "task": s.task,  # who records it (the console offers it to them only)
    } for s in sop.steps.values()]


def _flow(sop: Sop, number: int) -> str:
    s = sop.step(number)
    if s.decision:
        return f"setuju→{s.on_approve} / tolak→{s.on_reject}"
    if s.ends:
        return f"selesai ({s.ends})"
    back = f" / tidak lengkap→{s.returns_to}" if s.returns_to else ""
    return f"→{s.next}{back}"


def _grid(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def sop_table(sop: Sop) -> list[str]:
    rows = []
    for row in sop_rows(sop):
        overridden = " *" if row["number"] in sop.overridden else ""
        rows.append([row["number"], row["activity"][:58], row["role_name"][:24], row["time"] + overridden,
                     row["output"][:26], ", ".join(row["documents"]), _flow(sop, row["number"])])
    lines = [sop.title, ""]
    lines += _grid(["No", "Kegiatan", "Pelaksana", "Waktu", "Output", "Dokumen", "Alur"], rows)
    if sop.overridden:
        lines.append("* changed by the workspace's sop.toml")
    lines += ["", "PERINGATAN:"] + [f"  {i}. {w}" for i, w in enumerate(sop.warnings, 1)]
    return lines


def _short(iso: str | None) -> str:
    if not iso:
        return "-"
    return dt.datetime.fromisoformat(iso).strftime("%a %d-%m-%Y %H:%M")


def _flag(row: dict) -> str:
    if row["overdue"]:
        return f"LATE {row['late_by']}"
    if row["due_soon"]:
        return f"due soon ({row['left']} left)"
    if row["outcome"] == "returned":
        return "with the applicant"
    return ""


def status_lines(data: dict) -> list[str]:
    lines = [f"{data['registration_number']}  {data['name']}  — {data['outcome']}"]
    if data["current_step"]:
        lines.append(f"  done:  step {data['current_step']} {data['current_activity']}"
                     f"{'  at ' + _short(data['last_done']) if data['last_done'] else ''}")
    if data["finished"]:
        lines.append("  finished: no step follows")
    else:
        lines.append(f"  next:  step {data['next_step']} {data['next_activity']}  [{data['role_name']}]")
        lines.append(f"  due:   {_short(data['due'])}  {_flag(data)}".rstrip())
        if data.get("missing"):
            lines.append(f"  missing: {', '.join(data['missing'])}")
        if data["at_risk"]:
            lines.append(f"  at risk: expected to finish {_short(data['expected_finish'])}, "
                         f"the SOP promised {_short(data['promised_finish'])}")
        if data["warning"]:
            lines.append(f"  PERINGATAN: {data['warning']}")
    if data.get("steps"):
        lines.append("")
        lines += ["  " + x for x in _grid(
            ["Step", "Done at", "By", "Standard", "Actual", ""],
            [[r["step"], _short(r["done_at"]), r["by"], r["standard"], r["actual"] or "-", "LATE" if r["late"] else ""]
             for r in data["steps"]])]
    return lines


def status_table(rows: list[dict], overdue_only: bool) -> list[str]:
    if not rows:
        return ["No late applications." if overdue_only else "No open applications."]
    body = [[r["registration_number"], r["name"][:28], r["current_step"], r["next_step"], (r["role_name"] or "")[:22],
             _short(r["due"]), _flag(r) + ("  at risk" if r["at_risk"] and not r["overdue"] else "")]
            for r in rows]
    return _grid(["Registrasi", "Nama", "Done", "Next", "Held by", "Due", ""], body)
