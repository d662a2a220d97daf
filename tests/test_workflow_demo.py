"""The demo: a month of the office in under five minutes, whose permits verify (one test, it is slow)."""

import time

import openpyxl
from workflow_support import sikro_wf


def test_demo_builds_a_month_whose_permits_verify(tmp_path):
    root = tmp_path / "demo"
    started = time.monotonic()
    r = sikro_wf("demo", root, timeout=400)
    elapsed = time.monotonic() - started
    assert r.code == 0, r.out + r.err
    assert elapsed < 300, f"the demo took {elapsed:.0f} s"
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
    verified = sikro_wf("register", "verify", "--workspace", root)  # every document and register chained
    assert verified.code == 0, verified.out + verified.err
    again = sikro_wf("demo", root)
    assert again.code == 0 and "already built" in again.out
