"""Carrying out the retention schedule: move-inactive, dispose (pemusnahan), hand-over (penyerahan),
the usul musnah / usul serah lists and the berita acara; search, locate and audit of closed berkas."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from archive_support import assert_all_bags_valid, assert_index_matches_bags, make_permit, run_here
from openpyxl import load_workbook
from registers_support import json_value, sql

from sikro_docs import clock

# The office's clock is frozen for every command of this file: the lists, the due dates and the
# berita acara depend on "today", and the host's date (or hour, or zone) must not matter.
NOW = "2026-06-15T10:00:00+07:00"
TODAY = dt.date(2026, 6, 15)


def run(*args):
    return run_here(*args, at=NOW)


PROPOSER = "Petugas Arsip"


def dispose(ws_args, *args, by: str = "Kepala Dinas"):
    """The two-person pemusnahan: the archivist proposes (`args`: berkas and the proposal's options),
    `by` approves; the approval's result (or the refused proposal's)."""
    proposed = run("archive", "dispose", "propose", *args, "--by", PROPOSER, "--json", *ws_args)
    if proposed.code != 0:
        return proposed
    return run("archive", "dispose", "approve", proposed.json()["id"], "--by", by, *ws_args)


MUSNAH, PERMANEN = "000.5.2", "500.16.7.2"  # JRA: 2 + 3 years, Musnah; 3 + 7 years, Permanen


def _classification(ws, code: str) -> None:
    """File new berkas of this workspace under `code` (the [archive] classification of sikro.toml)."""
    mine = "  # set by the test"
    lines = [line for line in ws.profile_path.read_text("utf-8").splitlines() if not line.endswith(mine)]
    if "[archive]" not in lines:
        lines += ["", "[archive]"]
    lines.insert(lines.index("[archive]") + 1, f'classification = "{code}"{mine}')
    ws.profile_path.write_text("\n".join(lines) + "\n", "utf-8")


def _berkas(ws, tmp_path, ws_args, *, code: str, on: dt.date, name: str, place: str | None = None) -> str:
    """A berkas of classification `code` holding one file dated `on`; its registration number."""
    _classification(ws, code)
    permit = make_permit(ws, name=name, workplace=f"Optik {name[:5]}", on=on)
    note = tmp_path / f"catatan-{permit.registration_number.replace('/', '-')}.txt"
    note.write_text(f"Catatan berkas {name}\n", "utf-8")
    args = ws_args
    assert run("archive", "add", note, "--ref", permit.registration_number, "--kind", "catatan", *args).code == 0
    if place:
        assert run("archive", "place", permit.registration_number, "--room", "Ruang Arsip 1", "--cabinet", "2",
                   "--shelf", "3", "--box", place, "--folder", "4", *args).code == 0
    return permit.registration_number


@pytest.fixture
def archive(workspace, tmp_path, ws_args):
    """due: Musnah, retention ended; young: Musnah, not yet due; permanent: Permanen, retention ended."""
    with clock.frozen(NOW):
        return _archive(workspace, tmp_path, ws_args)


def _archive(workspace, tmp_path, ws_args):
    regs = {
        "due": _berkas(workspace, tmp_path, ws_args, code=MUSNAH, on=dt.date(2019, 3, 7),
                       name="=HYPERLINK(\"http://x\")", place="12"),
        "young": _berkas(workspace, tmp_path, ws_args, code=MUSNAH, on=TODAY, name="Dewi Lubis"),
        "permanent": _berkas(workspace, tmp_path, ws_args, code=PERMANEN, on=dt.date(2014, 5, 2),
                             name="Hotman Simanjuntak", place="13"),
    }
    return workspace, regs


def _bag(ws, registration: str) -> Path:
    [bag] = [p.parent for p in ws.archive_dir.glob("*/*/*/bagit.txt")
             if p.parent.name == registration.replace("/", "-")]
    return bag


def _snapshot(ws) -> dict[str, str]:
    """Every file under the archive (not the lock) and the archive tables, by content hash."""
    files = {str(p.relative_to(ws.archive_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in ws.archive_dir.rglob("*") if p.is_file() and p.name != ".lock"}
    for table in ("archive_berkas", "archive_events", "archive_files", "archive_locations"):
        files[table] = hashlib.sha256(repr(sql(ws, f"select * from {table} order by 1")).encode()).hexdigest()
    return files


def _events(ws, event_type: str) -> list[tuple]:
    rows = sql(ws, "select berkas_number, agent, detail from archive_events where type = ?", (event_type,))
    return [(b, a, json_value(d)) for b, a, d in rows]


def _stage(ws, registration: str) -> str:
    [(stage,)] = sql(ws, "select stage from archive_berkas where registration_number = ?", (registration,))
    return stage


def test_refusals_are_one_line_exit_1_and_write_nothing(archive, ws_args):
    ws, regs = archive
    before = _snapshot(ws)
    cases = [
        (("dispose", regs["young"]), regs["young"], "retention is not yet due"),
        (("dispose", regs["permanent"]), regs["permanent"], "final fate is Permanen, not Musnah"),
        (("hand-over", regs["due"], "--to", "Dinas Perpustakaan dan Kearsipan"), regs["due"],
         "final fate is Musnah, not Permanen"),
        (("dispose", "REG/99999/SIKRO/2019"), "REG/99999/SIKRO/2019", "no berkas in the archive"),
        (("move-inactive", regs["young"]), regs["young"], "active period runs until"),
    ]
    for args, who, why in cases:
        extra = ("--reason", "retensi habis", "--decision-number", "045/BA-MUS/2026") if args[0] == "dispose" \
            else ("--decision-number", "046/BA-SERAH/2026") if args[0] == "hand-over" else ()
        args = ("dispose", "propose", *args[1:]) if args[0] == "dispose" else args
        result = run("archive", *args, *extra, *ws_args)
        assert result.code == 1, (args, result.out, result.err)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and who in lines[0] and why in lines[0], result.err
        assert result.out == ""
    # one refused berkas among several: nothing is written for any of them
    mixed = run("archive", "dispose", "propose", regs["due"], regs["young"], "--reason", "retensi habis",
                "--decision-number", "045/BA-MUS/2026", *ws_args)
    assert mixed.code == 1 and regs["young"] in mixed.err and "not proposed" in mixed.err
    assert regs["due"] not in mixed.err  # only the refused one is named
    # the one-step form of before: a usage error that says how it goes now
    old_form = run("archive", "dispose", regs["due"], "--reason", "x", "--decision-number", "1", *ws_args)
    assert old_form.code == 2 and "dispose propose" in old_form.err and "approve" in old_form.err
    blank = run("archive", "dispose", "propose", regs["due"], "--reason", "  ", *ws_args)
    assert blank.code == 1 and len(blank.err.strip().splitlines()) == 1 and "--reason" in blank.err
    no_reason = run("archive", "dispose", "propose", regs["young"], "--reason", "x", "--decision-number", "1",
                    "--force", " ", *ws_args)
    assert no_reason.code == 1 and "--force needs a reason" in no_reason.err
    no_to = run("archive", "hand-over", regs["permanent"], "--decision-number", "1", *ws_args)
    assert no_to.code == 1 and "--to" in no_to.err
    dry = run("archive", "dispose", "propose", regs["due"], "--reason", "retensi habis", "--decision-number",
              "045/BA-MUS/2026", "--dry-run", *ws_args)
    assert dry.code == 0 and dry.out.startswith("would") and "electronic files would be kept" in dry.out
    assert _snapshot(ws) == before


def test_dispose_keeps_the_files_marked_musnah(archive, ws_args):
    ws, regs = archive
    reg = regs["due"]
    files_before = sorted(p.name for p in (_bag(ws, reg) / "data").rglob("*") if p.is_file())
    result = dispose(ws_args, reg, "--reason", "retensi habis sesuai JRA", "--decision-number",
                     "045/BA-MUS/2026", by="Budi Santoso")
    assert result.code == 0, result.err
    assert result.out.startswith("done") and "electronic files kept" in result.out
    assert "paper was at Ruang Arsip 1" in result.out
    bag = _bag(ws, reg)
    assert "Sikro-Stage: musnah" in (bag / "bag-info.txt").read_text()
    assert "Sikro-Location-Box" not in (bag / "bag-info.txt").read_text()  # the paper left its box
    assert sorted(p.name for p in (bag / "data").rglob("*") if p.is_file()) == files_before
    [(berkas, agent, detail)] = _events(ws, "deaccession")
    assert berkas == reg.replace("/", "-") and agent == "Budi Santoso"
    assert detail["decision_number"] == "045/BA-MUS/2026" and detail["electronic_copy"] == "kept"
    assert detail["location_before"]["box"] == "12" and "forced" not in detail
    assert (detail["proposed_by"], detail["approved_by"]) == (PROPOSER, "Budi Santoso")
    assert '"eventType": "deaccession"' in (bag / "premis-events.jsonl").read_text()
    assert _stage(ws, reg) == "musnah"
    assert_all_bags_valid(ws)
    assert_index_matches_bags(ws)

    # no longer due, not in the inactive list, nor on the box label
    due = run("archive", "due", "--json", *ws_args).json()["due"]
    assert reg not in [d["registration_number"] for d in due]
    empty = run("archive", "labels", "--box", "12", "-o", ws.root / "l.pdf", *ws_args)
    assert empty.code == 1
    # search, locate and audit keep working
    hits = run("archive", "search", "HYPERLINK", *ws_args)
    assert hits.code == 0 and "musnah (disposed" in hits.out and "045/BA-MUS/2026" in hits.out
    located = run("archive", "locate", reg, *ws_args)
    assert located.code == 0 and "musnah" in located.out and "paper was at Ruang Arsip 1" in located.out
    assert run("archive", "locate", reg, "--json", *ws_args).json()["stage"] == "musnah"
    assert run("archive", "audit", *ws_args).code == 0

    # again under the same decision: already done, nothing new; under another: refused
    again = dispose(ws_args, reg, "--reason", "retensi habis sesuai JRA", "--decision-number", "045/BA-MUS/2026")
    assert again.code == 1 and "already disposed" in again.err  # nothing left to propose
    assert len(_events(ws, "deaccession")) == 1
    other = dispose(ws_args, reg, "--reason", "x", "--decision-number", "099/X")
    assert other.code == 1 and "already closed" in other.err
    # the index rebuilt from the bags alone still says musnah
    assert run("archive", "reindex", *ws_args).code == 0
    assert _stage(ws, reg) == "musnah"


def test_dispose_delete_files_leaves_a_valid_bag_and_an_intact_audit(archive, ws_args):
    ws, regs = archive
    reg = regs["due"]
    bag = _bag(ws, reg)
    manifest_before = (bag / "manifest-sha256.txt").read_text().split()
    stored = [p for p in (bag / "data").rglob("*") if p.is_file()]
    assert stored
    result = dispose(ws_args, reg, "--reason", "retensi habis", "--decision-number", "045/BA-MUS/2026",
                     "--delete-files")
    assert result.code == 0, result.err
    assert "1 electronic file(s) deleted" in result.out
    assert not any(p.is_file() for p in (bag / "data").rglob("*"))
    assert (bag / "manifest-sha256.txt").read_text() == ""
    assert "Payload-Oxum: 0.0" in (bag / "bag-info.txt").read_text()
    [(_b, _a, deletion)] = _events(ws, "deletion")
    assert [(f["path"], f["sha256"]) for f in deletion["files"]] == [(manifest_before[1], manifest_before[0])]
    assert deletion["decision_number"] == "045/BA-MUS/2026"
    assert not (ws.archive_dir / ".staging").exists() or not any((ws.archive_dir / ".staging").iterdir())
    assert_all_bags_valid(ws)
    assert_index_matches_bags(ws)
    audit = run("archive", "audit", "--json", *ws_args)
    assert audit.code == 0 and audit.json()["intact"], audit.out
    assert run("archive", "search", "HYPERLINK", *ws_args).code == 0
    assert "electronic files deleted" in run("archive", "locate", reg, *ws_args).out


def test_delete_files_later_under_the_same_decision(archive, ws_args):
    ws, regs = archive
    reg = regs["due"]
    base = (reg, "--reason", "retensi habis", "--decision-number", "045/BA-MUS/2026")
    assert dispose(ws_args, *base).code == 0
    assert dispose(ws_args, *base[:-1], "046/OTHER", "--delete-files").code == 1  # not under another decision
    dry = run("archive", "dispose", "propose", *base, "--delete-files", "--dry-run", *ws_args)
    assert dry.code == 0 and "would delete its 1 electronic file(s)" in dry.out
    later = dispose(ws_args, *base, "--delete-files")
    assert later.code == 0 and "deleted its 1 electronic file(s)" in later.out
    assert not any(p.is_file() for p in (_bag(ws, reg) / "data").rglob("*"))
    assert len(_events(ws, "deaccession")) == 1 and len(_events(ws, "deletion")) == 1
    assert run("archive", "audit", *ws_args).code == 0
    assert_all_bags_valid(ws)


def test_force_with_a_reason_is_recorded(archive, ws_args):
    ws, regs = archive
    result = dispose(ws_args, regs["young"], "--reason", "rusak", "--decision-number", "7/BA",
                     "--force", "arsip rusak terendam banjir, berita acara kerusakan 3/2026")
    assert result.code == 0, result.err
    [(_b, _a, detail)] = _events(ws, "deaccession")
    assert detail["forced"]["reason"].startswith("arsip rusak terendam banjir")
    assert "retention is not yet due" in detail["forced"]["overridden"][0]


def test_hand_over_and_berita_acara(archive, tmp_path, ws_args):
    ws, regs = archive
    reg = regs["permanent"]
    result = run("archive", "hand-over", reg, "--to", "Dinas Perpustakaan dan Kearsipan Kabupaten Dairi",
                 "--decision-number", "046/BA-SERAH/2026", *ws_args)
    assert result.code == 0, result.err
    assert _stage(ws, reg) == "diserahkan"
    assert any(p.is_file() for p in (_bag(ws, reg) / "data").rglob("*"))  # the office keeps its copy
    [(_b, _a, detail)] = _events(ws, "transfer")
    assert detail["to"] == "Dinas Perpustakaan dan Kearsipan Kabupaten Dairi"
    assert "diserahkan (handed over" in run("archive", "locate", reg, *ws_args).out
    assert dispose(ws_args, reg, "--reason", "x", "--decision-number", "1", "--force", "y").code == 1  # closed:
    # --force never reopens it

    out = tmp_path / "ba.xlsx"
    made = run("archive", "export", "berita-acara", "--decision-number", "046/BA-SERAH/2026", "-o", out, *ws_args)
    assert made.code == 0 and "(1 berkas)" in made.out
    sheet = load_workbook(out).active
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "BERITA ACARA PENYERAHAN ARSIP STATIS" in texts and "Nomor: 046/BA-SERAH/2026" in texts
    opening = next(t for t in texts if t.startswith("Pada hari ini, "))
    assert "penyerahan arsip statis sebanyak 1 (satu) berkas" in opening
    assert "Dinas Perpustakaan dan Kearsipan Kabupaten Dairi" in opening
    assert reg.replace("/", "-") in texts and "Yang Menerima," in texts
    unknown = run("archive", "export", "berita-acara", "--decision-number", "nope", "-o", tmp_path / "x.xlsx",
                  *ws_args)
    assert unknown.code == 1 and len(unknown.err.strip().splitlines()) == 1 and not (tmp_path / "x.xlsx").exists()
    wrong = run("archive", "export", "daftar-aktif", "--decision-number", "1", "-o", tmp_path / "y.xlsx", *ws_args)
    assert wrong.code == 1 and not (tmp_path / "y.xlsx").exists()


def test_usul_musnah_and_usul_serah_lists(archive, tmp_path, ws_args):
    ws, regs = archive
    musnah = tmp_path / "usul-musnah.xlsx"
    result = run("archive", "export", "daftar-musnah", "-o", musnah, *ws_args)
    assert result.code == 0 and "(1 berkas)" in result.out
    sheet = load_workbook(musnah).active
    assert sheet["A1"].value == "DAFTAR ARSIP USUL MUSNAH"
    header = [c.value for c in sheet[5]]
    assert header[:5] == ["No", "Nomor Berkas", "Kode Klasifikasi", "Uraian Informasi Berkas", "Kurun Waktu"]
    assert "Nasib Akhir" in header and "Tingkat Perkembangan" in header
    row = list(sheet[6])
    assert row[1].value == regs["due"].replace("/", "-") and row[2].value == MUSNAH
    assert row[3].value.startswith('Permohonan SIKRO a.n. =HYPERLINK') and row[3].data_type == "s"
    assert row[header.index("Nasib Akhir")].value == "Musnah"
    texts = [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]
    assert "Disetujui untuk pemusnahan," in texts and sheet.print_title_rows == "$5:$5"

    serah = tmp_path / "usul-serah.xlsx"
    assert run("archive", "export", "daftar-serah", "-o", serah, *ws_args).code == 0
    rows = list(load_workbook(serah).active.iter_rows(min_row=6, max_row=6, values_only=True))
    assert rows[0][1] == regs["permanent"].replace("/", "-")

    # once disposed, a berkas leaves the usul musnah list and is in the berita acara
    assert dispose(ws_args, regs["due"], "--reason", "retensi habis sesuai JRA", "--decision-number",
                   "045/BA-MUS/2026", by="Budi Santoso").code == 0
    assert "(0 berkas)" in run("archive", "export", "daftar-musnah", "-o", musnah, *ws_args).out
    ba = tmp_path / "ba.xlsx"
    assert run("archive", "export", "berita-acara", "--decision-number", "045/BA-MUS/2026", "-o", ba,
               *ws_args).code == 0
    sheet = load_workbook(ba).active
    texts = [c.value for r in sheet.iter_rows() for c in r if isinstance(c.value, str)]
    assert "BERITA ACARA PEMUSNAHAN ARSIP" in texts
    opening = next(t for t in texts if t.startswith("Pada hari ini, "))
    assert "pemusnahan arsip sebanyak 1 (satu) berkas" in opening and "Budi Santoso" in opening
    assert "retensi habis sesuai JRA" in opening and f"({TODAY:%d-%m-%Y})" in opening
    assert f"Diusulkan oleh: {PROPOSER}; disetujui oleh: Budi Santoso." in opening
    cell = next(c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and "=HYPERLINK" in c.value)
    assert cell.data_type == "s"
    assert "Ruang Arsip 1, Lemari 2, Rak 3, Boks 12, Map 4" in texts


def test_move_inactive(workspace, tmp_path, ws_args):
    reg = _berkas(workspace, tmp_path, ws_args, code=PERMANEN, on=dt.date(2020, 6, 1), name="Rina Sitanggang")
    result = run("archive", "move-inactive", reg, "--by", "Petugas Arsip", *ws_args)
    assert result.code == 0 and result.out.startswith("done"), result.err
    assert _stage(workspace, reg) == "inaktif"
    assert [e[1] for e in _events(workspace, "retention action")] == ["Petugas Arsip"]
    due = run("archive", "due", "--json", *ws_args).json()["due"]
    assert reg not in [d["registration_number"] for d in due]  # Permanen: due again only after 2030
    again = run("archive", "move-inactive", reg, *ws_args)
    assert again.code == 0 and again.out.startswith("already")
    assert len(_events(workspace, "retention action")) == 1


def test_dispose_delete_files_killed_at_random_moments(archive, ws_args):
    """SIGKILL during the bag change: afterwards the berkas is either untouched or fully disposed."""
    import random
    import signal
    import subprocess
    import time

    from archive_support import command

    ws, regs = archive
    reg = regs["due"]
    proposed = run("archive", "dispose", "propose", reg, "--reason", "retensi habis", "--decision-number",
                   "045/BA-MUS/2026", "--delete-files", "--by", PROPOSER, "--json", *ws_args)
    assert proposed.code == 0, proposed.err
    args = ("archive", "dispose", "approve", proposed.json()["id"], "--by", "Kepala Dinas", *ws_args)
    rng = random.Random(8)
    for _attempt in range(4):
        proc = subprocess.Popen(command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert run("archive", "search", "HYPERLINK", *ws_args).code == 0  # recovers what the kill left
        bag = _bag(ws, reg)
        has_files = any(p.is_file() for p in (bag / "data").rglob("*"))
        assert (_stage(ws, reg), has_files) in (("aktif", True), ("musnah", False))
        assert_all_bags_valid(ws)
        assert_index_matches_bags(ws)
    final = run(*args)
    assert final.code == 0 and final.out.split()[0] in ("done", "already")
    assert _stage(ws, reg) == "musnah" and not any(p.is_file() for p in (_bag(ws, reg) / "data").rglob("*"))
    assert run("archive", "audit", *ws_args).code == 0


def test_nothing_more_is_filed_into_a_disposed_berkas(archive, tmp_path, ws_args):
    ws, regs = archive
    assert dispose(ws_args, regs["due"], "--reason", "retensi habis sesuai JRA",
                   "--decision-number", "045/BA-MUS/2026", by="Budi").code == 0
    before = _snapshot(ws)
    late = tmp_path / "susulan.txt"
    late.write_text("Surat susulan\n", "utf-8")
    result = run("archive", "add", late, "--ref", regs["due"], *ws_args)
    assert result.code == 1
    assert "is closed (musnah" in result.out and "not filed" in result.out
    assert "Traceback" not in result.err
    assert _snapshot(ws) == before


def test_retention_lists_use_the_office_date_at_the_year_boundary(workspace, tmp_path, ws_args):
    """17:30 UTC on 31 December is already 1 January in Jakarta: a berkas whose inactive period
    ends on 31 December 2026 is due for destruction on the office's date, whatever the host says."""
    boundary = "2026-12-31T17:30:00+00:00"
    with clock.frozen(boundary):
        reg = _berkas(workspace, tmp_path, ws_args, code=MUSNAH, on=dt.date(2021, 6, 1), name="Rina Sitanggang")
    due = run_here("archive", "due", "--json", *ws_args, at=boundary).json()["due"]
    assert [(d["registration_number"], d["action"], d["since"]) for d in due] == [(reg, "destroy", "2027-01-01")]
    listing = tmp_path / "usul-musnah.xlsx"
    result = run_here("archive", "export", "daftar-musnah", "-o", listing, *ws_args, at=boundary)
    assert result.code == 0 and "(1 berkas)" in result.out, result.out + result.err
    assert load_workbook(listing).active["A3"].value == "Keadaan per 2027-01-01"
    # half an hour earlier it is still 31 December in Jakarta: only the move to inactive storage is due
    due = run_here("archive", "due", "--json", *ws_args, at="2026-12-31T16:30:00+00:00").json()["due"]
    assert [d["action"] for d in due] == ["move-inactive"]
