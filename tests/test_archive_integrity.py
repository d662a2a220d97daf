"""Audit (a flipped bit, a missing and an unexpected file), rebuild after losing the database,
and filing processes killed with SIGKILL at random moments."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from archive_support import (
    assert_all_bags_valid,
    assert_index_matches_bags,
    bad_scan,
    bags,
    command,
    make_permit,
    paper,
    run,
)
from registers_support import database_errors, drop_append_only_triggers, json_value, lose_database, sql


@pytest.fixture
def filed(workspace, tmp_path, ws_args):
    """Two berkas with a scan each, placed on a shelf."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i, name in enumerate(("Rina Sitanggang", "Hotman Simanjuntak")):
        permit = make_permit(workspace, name=name, workplace=f"Optik Nomor {i}")
        bad_scan(paper(tmp_path / f"p{i}.pdf", permit.url), inbox / f"s{i}.jpg")
    assert run("archive", "ingest", inbox, "--no-ocr", *ws_args).code == 0
    placed = run("archive", "place", "REG/00001/SIKRO/2026", "--room", "Ruang Arsip 1", "--cabinet", "2",
                 "--shelf", "3", "--box", "12", "--folder", "4", *ws_args)
    assert placed.code == 0, placed.err
    return workspace


def test_audit_all_intact_records_a_fixity_event(filed, ws_args):
    result = run("archive", "audit", "--json", *ws_args)
    assert result.code == 0 and result.json()["intact"]
    events = sql(filed, "select berkas_number, outcome from archive_events where type = 'fixity check'")
    assert sorted(events) == [("REG-00001-SIKRO-2026", "success"), ("REG-00002-SIKRO-2026", "success")]
    assert_all_bags_valid(filed)


def test_audit_finds_a_flipped_bit_a_missing_and_an_unexpected_file(filed, ws_args):
    first, second = bags(filed)
    [scan] = (first / "data" / "scans").iterdir()
    data = bytearray(scan.read_bytes())
    data[len(data) // 2] ^= 0x01
    scan.write_bytes(bytes(data))
    [other] = (second / "data" / "scans").iterdir()
    other.unlink()
    (second / "data" / "stray.txt").write_text("dropped in by hand")
    result = run("archive", "audit", "--json", *ws_args)
    assert result.code == 1
    report = {b["berkas"]: b for b in result.json()["bags"]}
    assert report["REG-00001-SIKRO-2026"]["changed"] == [f"data/scans/{scan.name}"]
    assert report["REG-00002-SIKRO-2026"]["missing"] == [f"data/scans/{other.name}"]
    assert report["REG-00002-SIKRO-2026"]["unexpected"] == ["data/stray.txt"]
    outcomes = sql(filed, "select outcome from archive_events where type = 'fixity check'")
    assert {o for (o,) in outcomes} == {"failure"}
    assert scan.read_bytes() == bytes(data)  # the audit never "repairs" evidence
    text = run("archive", "audit", *ws_args)
    assert text.code == 1 and "changed" in text.out and "stray.txt" in text.out


def test_append_only_archive_events(filed):
    with pytest.raises(database_errors(), match="append-only"):
        sql(filed, "update archive_events set outcome = 'success'")
    with pytest.raises(database_errors(), match="append-only"):
        sql(filed, "delete from archive_events")


def test_rebuild_after_the_database_is_lost(filed, ws_args):
    """Each command a process of its own, as after a real loss: nothing of the old database lives on."""
    before = run("archive", "search", "hotman", "--json", *ws_args).json()
    lose_database(filed)
    assert run("archive", "reindex", *ws_args, process=True).code == 0
    located = run("archive", "locate", "REG/00001/SIKRO/2026", *ws_args, process=True)
    assert located.code == 0
    assert located.out.strip() == "REG/00001/SIKRO/2026: Ruang Arsip 1, Lemari 2, Rak 3, Boks 12, Map 4"
    after = run("archive", "search", "hotman", "--json", *ws_args, process=True).json()
    assert [h["berkas_number"] for h in after["hits"]] == [h["berkas_number"] for h in before["hits"]] \
        == ["REG-00002-SIKRO-2026"]
    by_number = run("archive", "locate", "REG-00002-SIKRO-2026", *ws_args, process=True)
    assert by_number.code == 1 and "not recorded" in by_number.out
    events = sql(filed, "select type from archive_events")
    assert {"ingestion", "location change"} <= {t for (t,) in events}
    assert_index_matches_bags(filed)


def test_any_query_text_is_safe(filed, ws_args):
    from sikro_docs import db
    from sikro_docs.archive import search
    from sikro_docs.errors import SikroError

    for query in ('"', "AND OR NOT", "nama*", "a:b", "(", "NEAR(x y)", "-", "💥", "' or 1=1 --", "REG/00001/SIKRO/2026"):
        with db.session(filed) as session:
            try:
                search(session, query)
            except SikroError as exc:  # a query of no words at all: a message, never an FTS error
                assert "at least one word" in str(exc)
    result = run("archive", "search", 'NEAR("rina" AND', "--json", *ws_args)
    assert result.code == 0 and result.json()["hits"] == []
    assert run("archive", "search", "REG/00001/SIKRO/2026", "--json", *ws_args).json()["hits"][0]["berkas_number"] \
        == "REG-00001-SIKRO-2026"


def test_ingest_killed_at_random_moments_leaves_every_bag_valid(workspace, tmp_path, ws_args):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(8):
        permit = make_permit(workspace, name=f"Pemohon {i}")
        bad_scan(paper(tmp_path / f"p{i}.pdf", permit.url), inbox / f"s{i}.jpg", blur=0.6)
    rng, orphans_watched = random.Random(8), 0
    for attempt in range(4):
        proc = subprocess.Popen(command("archive", "ingest", inbox, "--no-ocr", *ws_args),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt == 0:  # once at the moment its readers surely run, then at random moments
            children = wait_for_children(proc.pid)
        else:
            time.sleep(rng.uniform(0.6, 2.0))
            children = children_of(proc.pid)  # its QR readers, if it has started them
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_until_dead(children), f"readers left running after the ingest was killed: {children}"
        orphans_watched += len(children)
        after = run("archive", "audit", "--json", *ws_args)  # the next command recovers first
        assert after.code == 0, after.out
        assert_all_bags_valid(workspace)
        assert_index_matches_bags(workspace)
    final = run("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert final.code == 0, final.out
    assert not any(inbox.iterdir())  # every scan ended up filed exactly once
    assert orphans_watched, "no kill came while the readers ran: the orphan check saw nothing"
    [counts] = sql(workspace, "select count(*), count(distinct sha256) from archive_files where origin = 'scan'")
    assert counts == (8, 8)
    assert_all_bags_valid(workspace)
    assert_index_matches_bags(workspace)


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def wait_for_children(pid: int, seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while not (children := children_of(pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return children


def wait_until_dead(pids: list[int], seconds: float = 10) -> bool:
    """Whether every process of `pids` has ended (gone, or a zombie nobody has reaped yet)."""
    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _indexed_hash(ws, path: str) -> str:
    [(digest,)] = sql(ws, "select sha256 from archive_files where path = ?", (path,))
    return digest


def test_a_rewritten_manifest_does_not_fool_the_audit(filed, ws_args):
    """A file replaced and the bag's manifests recomputed with the bagit library (bag.save): the
    bag is valid to bagit, yet the audit compares with the hashes recorded when the file was filed."""
    import hashlib

    import bagit

    bag_dir = bags(filed)[0]
    [scan] = [p for p in (bag_dir / "data").rglob("*") if p.is_file()]
    rel = str(scan.relative_to(bag_dir))
    filed_hash = _indexed_hash(filed, rel)
    scan.write_bytes(b"a forged scan, not the one that was filed")
    forged = hashlib.sha256(scan.read_bytes()).hexdigest()
    bag = bagit.Bag(str(bag_dir))
    bag.save(manifests=True)
    assert bagit.Bag(str(bag_dir)).is_valid() and forged in (bag_dir / "manifest-sha256.txt").read_text()
    for _run in range(2):  # the first audit must not adopt the forged hash for the second
        result = run("archive", "audit", "--json", *ws_args)
        assert result.code == 1, result.out
        report = result.json()
        assert not report["intact"]
        [damaged] = [b for b in report["bags"] if not b["intact"]]
        assert damaged["changed"] == [rel]
        assert any("manifest" in problem and rel in problem for problem in damaged["invalid"])
        assert _indexed_hash(filed, rel) == filed_hash
    text = run("archive", "audit", *ws_args)
    assert text.code == 1 and f"changed    {damaged['berkas']}: {rel}" in text.out


def test_an_insider_rewriting_the_filing_event_too_does_not_fool_the_audit(filed, ws_args):
    """Triggers dropped and the filing event's hash rewritten to the forgery's, with the file and
    the bag's manifests: the chained reference still names the file as changed, and `register
    verify` names the rewritten reference."""
    import hashlib
    import json

    import bagit

    bag_dir = bags(filed)[0]
    [scan] = [p for p in (bag_dir / "data").rglob("*") if p.is_file()]
    rel = str(scan.relative_to(bag_dir))
    scan.write_bytes(b"a forged scan, not the one that was filed")
    forged = hashlib.sha256(scan.read_bytes()).hexdigest()
    bagit.Bag(str(bag_dir)).save(manifests=True)
    drop_append_only_triggers(filed, "archive_events")
    for ident, detail in sql(filed, "select id, detail from archive_events"):
        data = json_value(detail)
        if data.get("path") == rel:
            data["sha256"] = forged
            sql(filed, "update archive_events set detail = ? where id = ?", (json.dumps(data), ident))
    sql(filed, "update archive_files set sha256 = ? where path = ?", (forged, rel))
    result = run("archive", "audit", "--json", *ws_args)
    assert result.code == 1, result.out
    [damaged] = [b for b in result.json()["bags"] if not b["intact"]]
    assert damaged["changed"] == [rel]
    verified = run("register", "verify", *ws_args)
    assert verified.code == 1
    assert f":{rel}: SHA-256 when filed in database '{forged}'" in verified.out + verified.err


def test_a_file_slipped_into_bag_and_manifest_is_reported(filed, ws_args):
    import bagit

    bag_dir = bags(filed)[1]
    (bag_dir / "data" / "scans" / "tambahan.pdf").write_bytes(b"%PDF-1.7 slipped in")
    bagit.Bag(str(bag_dir)).save(manifests=True)
    result = run("archive", "audit", "--json", *ws_args)
    assert result.code == 1
    [damaged] = [b for b in result.json()["bags"] if not b["intact"]]
    assert damaged["unexpected"] == ["data/scans/tambahan.pdf"]
