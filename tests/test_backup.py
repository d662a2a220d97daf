"""`sikro backup`, `backup verify`, `restore`: a lost disk, a backup made while the office works,
incremental copies, a tampered backup, and the status warning."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from archive_support import make_permit, paper
from conftest import assert_no_traceback, needs_soffice
from test_intake_support import make_workbook, valid_record

from sikro_docs import clock
from sikro_docs.workflow import record_step

RECOMMENDATION = {"nomor_rekomendasi": "440/0122/DINKES/VIII/2026", "tanggal_rekomendasi": dt.date(2026, 8, 20)}


def registration_numbers(ws) -> list[str]:
    from sikro_docs import db
    from sikro_docs.models import Application

    with db.session(ws) as session:
        return [a.registration_number for a in session.query(Application).order_by(Application.id)]


def modes_under(root: Path) -> set[tuple[str, int]]:
    return {("d" if p.is_dir() else "f", stat.S_IMODE(p.stat().st_mode)) for p in [root, *root.rglob("*")]}


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def ingest_papers(sikro, ws, tmp_path, names, tag) -> None:
    inbox = tmp_path / f"in-{tag}"
    inbox.mkdir()
    for i, name in enumerate(names):
        permit = make_permit(ws, name=name, workplace=f"Optik {tag} {i}")
        paper(inbox / f"scan-{i}.pdf", permit.url)
    result = sikro("archive", "ingest", inbox, "--no-ocr", "--workspace", ws.root)
    assert result.code == 0, result.err


# --------------------------------------------------------------------------- a lost disk


@needs_soffice
def test_a_deleted_workspace_is_restored_and_everything_it_issued_still_verifies(workspace, ws_args, sikro, tmp_path):
    rows = [valid_record(no_registrasi=None, keputusan="Disetujui", **RECOMMENDATION),
            valid_record(no_registrasi=None, nama="Hotman Simanjuntak, A.Md.RO", nik="1211012111880003",
                         tanggal_lahir="21-11-1988", jenis_kelamin="L", keputusan="Disetujui", **RECOMMENDATION)]
    book = make_workbook(tmp_path / "permohonan.xlsx", rows)
    for kind in ("receipt", "permit"):
        made = sikro("batch", book, "--doc", kind, "--pdf", *ws_args, timeout=300)
        assert made.code == 0, made.err
        if kind == "receipt":  # the SOP gates the permit: steps 4-7 done, the row records 8 and 16
            for ref in registration_numbers(workspace):
                for step in range(4, 8):
                    record_step(workspace, ref, step, by="tester")
    issued = tmp_path / "issued"
    shutil.copytree(workspace.out_dir, issued)
    pdfs = sorted(issued.rglob("*.pdf"))
    assert {p.parent.name for p in pdfs} >= {"receipt", "permit"}, pdfs
    registers_before = sikro("register", "list", "izin", "--json", *ws_args).out

    dest = tmp_path / "cadangan"
    made = sikro("backup", dest, *ws_args)
    assert made.code == 0, made.err
    assert sikro("backup", "verify", dest).code == 0
    assert modes_under(dest) <= {("d", 0o700), ("f", 0o600)}, modes_under(dest)
    snapshot = next(p for p in dest.iterdir() if not p.name.startswith("."))  # beside it: DEST/.lock
    assert stat.S_IMODE(snapshot.joinpath("keys").stat().st_mode) == 0o700

    shutil.rmtree(workspace.root)  # the disk is lost
    restored = tmp_path / "kantor-baru"
    result = sikro("restore", dest, restored)
    assert result.code == 0, result.err
    assert_no_traceback(result)
    ws = ["--workspace", restored]
    checked = sikro("register", "verify", *ws)
    assert checked.code == 0, checked.out + checked.err
    audited = sikro("archive", "audit", *ws)
    assert audited.code == 0, audited.out + audited.err
    assert sikro("register", "list", "izin", "--json", *ws).out == registers_before
    for pdf in pdfs:
        verdict = sikro("verify", pdf, *ws)
        assert verdict.code == 0, f"{pdf.name}: {verdict.out} {verdict.err}"
    from sikro_docs.verification import read_qr_codes

    token = read_qr_codes(next(p for p in pdfs if p.parent.name == "permit"))[0]
    assert sikro("verify", token, *ws).code == 0
    assert stat.S_IMODE((restored / "sikro.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((restored / "keys").stat().st_mode) == 0o700

    refused = sikro("restore", dest, restored)
    assert refused.code == 2 and "not empty" in refused.err
    assert_no_traceback(refused)


# --------------------------------------------------------------------------- while the office works


WRITER = """
import sys, pathlib
sys.path.insert(0, {tests!r})
from archive_support import make_permit
from sikro_docs.workspace import open_workspace
ws = open_workspace({root!r})
stop = pathlib.Path({stop!r})
n = 0
while not stop.exists():
    make_permit(ws, name=f"Pemohon {{n}}", workplace=f"Optik {{n}}")
    n += 1
print(n)
"""


def test_backups_made_while_another_process_issues_verify_and_restore_consistently(workspace, sikro, tmp_path):
    stop = tmp_path / "stop"
    script = WRITER.format(tests=str(Path(__file__).parent), root=str(workspace.root), stop=str(stop))
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    dest = tmp_path / "cadangan"

    def issued() -> int:
        return sikro("register", "list", "izin", "--json", "--workspace", workspace.root).out.count('"number"')

    def wait_until_issued(at_least: int) -> None:
        deadline = time.monotonic() + 60
        while issued() < at_least:
            assert writer.poll() is None and time.monotonic() < deadline, writer.stderr.read()
            time.sleep(0.2)

    try:
        wait_until_issued(3)
        for _ in range(3):
            made = sikro("backup", dest, "--workspace", workspace.root)
            assert made.code == 0, made.err
            # The next snapshot must be able to hold more than this one: wait for a number issued after it.
            wait_until_issued(issued() + 1)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    snapshots = sorted(p for p in dest.iterdir() if not p.name.startswith("."))
    assert len(snapshots) == 3
    counts = []
    for i, snapshot in enumerate(snapshots):
        assert sikro("backup", "verify", snapshot).code == 0
        restored = tmp_path / f"pulih-{i}"
        assert sikro("restore", snapshot, restored).code == 0
        checked = sikro("register", "verify", "--workspace", restored)
        assert checked.code == 0, checked.out + checked.err
        counts.append(json.loads(sikro("register", "list", "izin", "--json", "--workspace", restored).out))
    assert len(counts[0]) <= len(counts[1]) <= len(counts[2]) <= int(out)
    assert len(counts[2]) > len(counts[0]), "the writer did not write during the backups"


# --------------------------------------------------------------------------- incremental


def test_a_second_backup_copies_no_unchanged_bag(workspace, sikro, tmp_path):
    ingest_papers(sikro, workspace, tmp_path, ["Rina Sitanggang", "Hotman Simanjuntak"], "a")
    dest = tmp_path / "cadangan"
    first = sikro("backup", dest, "--json", "--workspace", workspace.root)
    assert first.code == 0, first.err
    first = first.json()
    assert first["bags_copied"] == 2 and first["files_linked"] == 0

    second = sikro("backup", dest, "--json", "--workspace", workspace.root).json()
    assert second["bags_copied"] == 0 and second["bags_unchanged"] == 2
    assert second["files_copied"] == 1  # the database: always a fresh online backup
    db_size = (Path(second["snapshot"]) / "sikro.db").stat().st_size
    assert second["bytes_copied"] == db_size

    ingest_papers(sikro, workspace, tmp_path, ["Maria Br Ginting"], "b")
    third = sikro("backup", dest, "--json", "--workspace", workspace.root).json()
    assert third["bags_unchanged"] == 2 and third["bags_copied"] == 1
    manifest = json.loads((Path(third["snapshot"]) / "manifest.json").read_text())
    new_bag = next(bag for bag in manifest["bags"] if bag not in json.loads(
        (Path(second["snapshot"]) / "manifest.json").read_text())["bags"])
    new_files = [f for f in manifest["files"] if f.startswith(f"archive/{new_bag}/")]
    before = json.loads((Path(second["snapshot"]) / "manifest.json").read_text())["files"]
    changed_keys = [f for f in manifest["files"] if f.startswith("keys/")
                    and manifest["files"][f]["sha256"] != before.get(f, {}).get("sha256")]
    assert changed_keys == ["keys/chain.head"]  # the new permit moved the chain's head on
    assert third["files_copied"] == 1 + len(new_files) + len(changed_keys)
    for rel in manifest["files"]:
        if rel.startswith("archive/") and not rel.startswith(f"archive/{new_bag}/"):
            assert (Path(third["snapshot"]) / rel).stat().st_ino == (Path(first["snapshot"]) / rel).stat().st_ino
    for snapshot in (first, second, third):
        assert sikro("backup", "verify", snapshot["snapshot"]).code == 0


# --------------------------------------------------------------------------- a tampered backup


@pytest.fixture
def backed_up(workspace, sikro, tmp_path):
    ingest_papers(sikro, workspace, tmp_path, ["Rina Sitanggang"], "a")
    dest = tmp_path / "cadangan"
    assert sikro("backup", dest, "--workspace", workspace.root).code == 0
    return dest, next(p for p in dest.iterdir() if not p.name.startswith("."))


def test_a_changed_byte_in_a_backup_file_fails_verify_naming_it(backed_up, sikro, tmp_path):
    dest, snapshot = backed_up
    scan = next(p for p in (snapshot / "archive").rglob("*.pdf"))
    data = bytearray(scan.read_bytes())
    data[len(data) // 2] ^= 0x01
    scan.write_bytes(bytes(data))
    result = sikro("backup", "verify", dest)
    assert result.code == 1
    assert str(scan) in result.err and "differs" in result.err
    assert_no_traceback(result)
    refused = sikro("restore", dest, tmp_path / "pulih")
    assert refused.code == 1 and str(scan) in refused.err
    assert not (tmp_path / "pulih").exists()


def test_a_missing_or_added_backup_file_fails_verify(backed_up, sikro):
    dest, snapshot = backed_up
    secret = snapshot / "keys" / "chain.secret"
    secret.unlink()
    result = sikro("backup", "verify", dest)
    assert result.code == 1 and str(secret) in result.err and "missing" in result.err
    (snapshot / "templates").mkdir(exist_ok=True)
    (snapshot / "templates" / "extra.docx").write_bytes(b"not ours")
    assert "extra.docx" in sikro("backup", "verify", snapshot).err


def test_backup_into_the_archive_is_refused(workspace, sikro):
    result = sikro("backup", workspace.archive_dir / "x", "--workspace", workspace.root)
    assert result.code == 2 and "inside" in result.err
    assert_no_traceback(result)


# --------------------------------------------------------------------------- the status warning


def test_status_warns_when_the_last_backup_is_too_old(workspace, tmp_path):
    from click.testing import CliRunner

    from sikro_docs.cli import cli

    runner = CliRunner()
    args = ["status", "--workspace", str(workspace.root)]
    with clock.frozen("2026-03-02T10:00:00+07:00"):
        never = runner.invoke(cli, args)
        assert never.exit_code == 0 and "no backup yet" in never.stderr
        assert runner.invoke(cli, ["backup", str(tmp_path / "b"), "--workspace", str(workspace.root)]).exit_code == 0
        assert "backup" not in runner.invoke(cli, args).stderr
    with clock.frozen("2026-03-03T09:59:00+07:00"):
        assert "backup" not in runner.invoke(cli, args).stderr
    with clock.frozen("2026-03-03T10:01:00+07:00"):
        late = runner.invoke(cli, args)
        assert late.exit_code == 0 and "older than [backup] max_age 1d" in late.stderr
        assert "backup" not in late.stdout
    text = workspace.profile_path.read_text().replace('max_age = "1d"', 'max_age = "1w"')
    workspace.profile_path.write_text(text)
    with clock.frozen("2026-03-05T10:00:00+07:00"):
        assert "backup" not in runner.invoke(cli, args).stderr
    workspace.profile_path.write_text(text.replace('max_age = "1w"', 'max_age = "kadang"'))
    bad = runner.invoke(cli, args)
    assert bad.exit_code != 0 and "max_age" in str(bad.exception)


def test_the_last_backup_is_recorded_in_the_workspace(workspace, sikro, tmp_path):
    assert sikro("backup", tmp_path / "b", "--workspace", workspace.root).code == 0
    record = json.loads((workspace.root / ".sikro-backup.json").read_text())
    assert record["snapshot"].startswith(str(tmp_path / "b"))
    assert stat.S_IMODE((workspace.root / ".sikro-backup.json").stat().st_mode) == 0o600
    assert os.path.isdir(record["snapshot"])


def test_a_damaged_manifest_of_the_newest_backup_is_not_passed_over(backed_up, sikro, workspace):
    dest, first = backed_up
    assert sikro("backup", dest, "--workspace", workspace.root).code == 0
    newest = max(p for p in dest.iterdir() if not p.name.startswith("."))
    (newest / "manifest.json").write_text("{ not json")
    result = sikro("backup", "verify", dest)
    assert result.code == 1 and str(newest / "manifest.json") in result.err
    assert sikro("backup", "verify", first).code == 0
