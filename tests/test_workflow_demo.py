"""The demo: a month of the office with every permit type, whose permits verify
(one test, it is slow)."""

import datetime as dt
import json
from collections import Counter

import openpyxl
import pytest
from conftest import ON_TEST_SERVER
from workflow_support import sikro_wf

from sikro_docs import permit_types, samples
from sikro_docs.cli import main
from sikro_docs.demo import DONE_MARKER, MIXED_NAME, PLAN, REVOCATION_REASON
from sikro_docs.workspace import DB_NAME, init_workspace


def test_demo_builds_a_month_whose_permits_verify(tmp_path, database_env):
    root = tmp_path / "demo"
    r = sikro_wf("demo", root, timeout=400)
    assert r.code == 0, r.out + r.err
    assert (root / DB_NAME).exists() is not ON_TEST_SERVER  # in the PostgreSQL pass the month is on the server
    verify_line = next(line for line in r.out.splitlines() if line.strip().startswith("sikro verify "))
    permit = verify_line.split()[2]
    assert f"sikro serve --workspace {root.resolve()}" in r.out
    v = sikro_wf("verify", permit, "--workspace", root)
    assert v.code == 0, v.out + v.err
    assert "VALID" in v.out
    # the month: permits issued, rejections, a returned file, a late technical team
    assert (root / "out" / "permit").is_dir() and len(list((root / "out" / "permit").glob("*.pdf"))) >= 8
    assert len(list((root / "out" / "rejection").glob("*.pdf"))) >= 1
    assert len(list((root / "out" / "checklist-return").glob("*.pdf"))) >= 1
    for book in ("registrasi", "surat-keluar", "izin", "ekspedisi"):
        assert (root / "demo-hasil" / "buku" / f"{book}.xlsx").is_file()
    sla = openpyxl.load_workbook(root / "demo-hasil" / "laporan-sla.xlsx")
    late = [row for row in sla["Per Langkah"].iter_rows(min_row=2) if row[10].value == "TERLAMBAT"]
    assert any(row[3].value == "Tim Teknis" for row in late), "the slow technical team shows as late"
    as_of = r.out.split('--as-of "')[1].split('"')[0]
    s = sikro_wf("status", "--overdue", "--as-of", as_of, "--json", "--workspace", root)
    assert s.code == 0 and any(row["role"] == "tim_teknis" for row in s.json()), s.out
    done = json.loads((root / "demo-selesai.json").read_text("utf-8"))
    counts = Counter((a["permit_type"], a["application_kind"], a["status"])
                     for a in sikro_wf("list", "--json", "--workspace", root).json())
    _assert_every_step_done(r.out, done)
    _assert_the_default_type(counts)
    _assert_the_other_types(counts)
    _assert_replaced_and_revoked(root, done)
    verified = sikro_wf("register", "verify", "--workspace", root)  # every document and register chained
    assert verified.code == 0, verified.out + verified.err
    again = sikro_wf("demo", root)
    assert again.code == 0 and "already built" in again.out


def _assert_every_step_done(out: str, done: dict) -> None:
    """No step is skipped: each is announced, and the marker keeps no parts or skips."""
    for number, (_key, title) in enumerate(PLAN, start=1):
        assert f"[{number}/{len(PLAN)}] {title}" in out
    assert "skipped" not in out and "note:" not in out
    assert not {"parts", "skipped"} & set(done)


def _assert_the_default_type(counts: Counter) -> None:
    assert counts["sikro", "baru", "issued"] >= 8
    assert counts["sikro", "baru", "rejected"] >= 1
    assert counts["sikro", "baru", "returned"] >= 1
    # this month's permit renewed, and one from before the toolkit (number and date typed in)
    assert counts["sikro", "perpanjangan", "issued"] >= 2
    assert counts["sikro", "perubahan", "issued"] >= 2  # this month's, and one from before
    revocations = sum(n for (code, kind, _status), n in counts.items() if (code, kind) == ("sikro", "pencabutan"))
    assert revocations >= 2 and counts["sikro", "pencabutan", "issued"] == revocations  # SK Pencabutan issued


def _assert_the_other_types(counts: Counter) -> None:
    for code in ("sipb", "sipa"):
        assert counts[code, "baru", "issued"] >= 1
        assert counts[code, "baru", "rejected"] >= 1
        assert counts[code, "baru", "returned"] + counts[code, "baru", "open"] >= 1
        assert counts[code, "perpanjangan", "issued"] >= 1


def _assert_replaced_and_revoked(root, done: dict) -> None:
    """The effects of application_kinds.py (not the demo) made them DIGANTI and DICABUT."""
    checks = done["checks"]
    replaced = sikro_wf("verify", checks["replaced"]["pdf"], "--workspace", root)
    assert replaced.code == 1 and "DIGANTI" in replaced.out, replaced.out
    assert checks["replaced"]["status"] == "replaced" and checks["replaced"]["successor"]
    assert checks["replaced"]["successor"] in replaced.out, replaced.out
    revoked = sikro_wf("verify", checks["revoked"]["pdf"], "--workspace", root)
    assert revoked.code == 1 and "DICABUT" in revoked.out, revoked.out
    assert checks["revoked"]["status"] == "revoked"
    on = dt.date.fromisoformat(revoked.out.split("revoked on ")[1][:10])
    assert on <= dt.datetime.fromisoformat(done["now"]).date(), revoked.out  # in the demo's month, not today
    assert REVOCATION_REASON in revoked.out, revoked.out  # the reason the SK Pencabutan recorded
    assert checks["revoked"]["successor"] and list((root / "out" / "revocation-decree").glob("*.pdf"))


def test_a_failing_step_stops_the_demo_with_one_line(tmp_path, capsys):
    """A step that goes wrong is an error naming the step, never a skip: here the other types'
    workbook (left from an earlier run, then spoiled by hand) has a row with a wrong NIK."""
    root = tmp_path / "demo"
    ws, _ = init_workspace(root)
    others = [code for code in permit_types.catalogue(ws).codes() if code != permit_types.default(ws).code]
    mixed = samples.write_mixed_workbook(root / MIXED_NAME, ws, others)
    book = openpyxl.load_workbook(mixed)
    sheet = book["Permohonan"]
    headers = [c.value for c in sheet[samples.HEADER_ROW]]
    sheet.cell(samples.FIRST_DATA_ROW, headers.index("NIK") + 1).value = "123"
    book.save(mixed)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", str(root)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"demo step 3/{len(PLAN)} (New applications of the other types) failed: {MIXED_NAME}" in err, err
    assert not (root / DONE_MARKER).exists()
