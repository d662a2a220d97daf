"""`sikro archive ingest` touches only what it was given: never a file of the workspace, never through
a symbolic or hard link, and a source goes away only once its filed copy is synced and re-hashed."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest
from archive_support import bags, make_permit, paper, run_here, tree_hashes


@pytest.fixture
def filed(workspace, tmp_path, ws_args):
    """Two permits whose scans were ingested (so the archive holds them) and the archived files."""
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    permits = [make_permit(workspace, name=n) for n in ("Rina Sitanggang", "Hotman Simanjuntak")]
    for i, permit in enumerate(permits):
        paper(inbox / f"izin{i}.pdf", permit.url)
    result = run_here("archive", "ingest", inbox, "--no-ocr", *ws_args)
    assert result.code == 0, result.out + result.err
    archived = sorted(p for b in bags(workspace) for p in (b / "data").rglob("*.pdf"))
    assert len(archived) == 2
    return permits, archived


def _one_line(result) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def test_a_symbolic_link_into_the_archive_is_not_followed(workspace, filed, tmp_path, ws_args):
    permits, archived = filed
    inbox = tmp_path / "more-scans"
    inbox.mkdir()
    (inbox / "izin-kepala.pdf").symlink_to(archived[0])
    (inbox / "folder-link").symlink_to(archived[0].parent, target_is_directory=True)
    before = tree_hashes(workspace.root)
    result = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert tree_hashes(workspace.root) == before
    assert archived[0].is_file()
    outcomes = {f["path"]: f for f in result.json()["files"]}
    link = outcomes[str(inbox / "izin-kepala.pdf")]
    assert link["status"] == "skipped" and "symbolic link" in link["message"]
    assert "removed" not in link["message"]
    assert (inbox / "izin-kepala.pdf").is_symlink()
    assert result.code == 1


def test_a_symbolic_link_given_as_the_argument_is_not_followed(workspace, filed, tmp_path, ws_args):
    _permits, archived = filed
    link = tmp_path / "izin.pdf"
    link.symlink_to(archived[1])
    before = tree_hashes(workspace.root)
    result = run_here("archive", "ingest", link, "--no-ocr", "--json", *ws_args)
    assert tree_hashes(workspace.root) == before
    [outcome] = result.json()["files"]
    assert outcome["status"] == "skipped" and "symbolic link" in outcome["message"]


def test_a_hard_link_of_an_archived_file_is_not_removed(workspace, filed, tmp_path, ws_args):
    _permits, archived = filed
    inbox = tmp_path / "hard"
    inbox.mkdir()
    os.link(archived[0], inbox / "copy.pdf")
    before = tree_hashes(workspace.root)
    result = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    assert tree_hashes(workspace.root) == before
    [outcome] = result.json()["files"]
    assert outcome["status"] == "skipped" and "archive" in outcome["message"]
    assert (inbox / "copy.pdf").is_file() and os.stat(archived[0]).st_nlink >= 2


def test_a_file_of_the_archive_or_out_given_by_name_is_not_read(workspace, filed, ws_args):
    _permits, archived = filed
    issued = workspace.out_dir / "permit" / "0001_izin.pdf"
    issued.parent.mkdir(parents=True)
    issued.write_bytes(archived[1].read_bytes())
    before = tree_hashes(workspace.root)
    result = run_here("archive", "ingest", archived[0], issued, "--no-ocr", "--json", *ws_args)
    assert tree_hashes(workspace.root) == before
    assert [f["status"] for f in result.json()["files"]] == ["skipped", "skipped"]


def test_a_berkas_folder_is_refused_and_its_originals_stay(workspace, filed, ws_args):
    _permits, archived = filed
    berkas = bags(workspace)[0]
    before = tree_hashes(workspace.root)
    for folder in (berkas, berkas / "data" / "scans", workspace.archive_dir):
        result = run_here("archive", "ingest", folder, *ws_args)
        assert result.code == 2, result.out + result.err
        line = _one_line(result)
        assert str(folder) in line and "workspace" in line
        assert tree_hashes(workspace.root) == before


def test_the_issued_documents_in_out_are_refused(workspace, tmp_path, ws_args):
    """out/permit holds the issued PDFs (here: the QR'd pages of 12 permits)."""
    out = workspace.out_dir / "permit"
    out.mkdir(parents=True)
    for i in range(12):
        permit = make_permit(workspace, name=f"Pemohon {i}")
        paper(out / f"{i:04d}_pemohon.pdf", permit.url)
    before = tree_hashes(workspace.root)
    for target in (out, workspace.out_dir, workspace.root):
        result = run_here("archive", "ingest", target, "--no-ocr", *ws_args)
        assert result.code == 2, result.out + result.err
        assert str(target) in _one_line(result)
    assert tree_hashes(workspace.root) == before
    assert len(list(out.glob("*.pdf"))) == 12


def test_a_folder_that_holds_the_workspace_is_refused(workspace, ws_args):
    parent = workspace.root.parent
    before = tree_hashes(workspace.root)
    result = run_here("archive", "ingest", parent, *ws_args)
    assert result.code == 2 and str(parent) in _one_line(result)
    assert tree_hashes(workspace.root) == before


def test_a_file_inside_the_workspace_is_never_removed(workspace, tmp_path, ws_args):
    permit = make_permit(workspace)
    inside = workspace.root / "scan-masuk.pdf"
    paper(inside, permit.url)
    result = run_here("archive", "ingest", inside, "--no-ocr", "--json", *ws_args)
    [outcome] = result.json()["files"]
    assert outcome["status"] == "filed", outcome
    assert inside.is_file() and "source kept" in outcome["message"]


def test_move_to_moves_the_source_after_filing(workspace, tmp_path, ws_args):
    permit = make_permit(workspace)
    inbox, done = tmp_path / "scanner", tmp_path / "sudah-diarsipkan"
    inbox.mkdir()
    scan = paper(inbox / "izin.pdf", permit.url)
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    result = run_here("archive", "ingest", inbox, "--no-ocr", "--move-to", done, "--json", *ws_args)
    assert result.code == 0, result.out + result.err
    [outcome] = result.json()["files"]
    assert outcome["status"] == "filed" and f"moved to {done}" in outcome["message"]
    assert not scan.exists()
    assert hashlib.sha256((done / "izin.pdf").read_bytes()).hexdigest() == digest
    [archived] = [p for b in bags(workspace) for p in (b / "data").rglob("*.pdf")]
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == digest


def test_move_to_from_the_profile_and_never_into_the_workspace(workspace, tmp_path, ws_args):
    permit = make_permit(workspace)
    done = tmp_path / "arsip-scan"
    text = workspace.profile_path.read_text("utf-8")
    workspace.profile_path.write_text(text.replace("[archive]\n", f'[archive]\nmove_ingested_to = "{done}"\n', 1),
                                      "utf-8")
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    paper(inbox / "izin.pdf", permit.url)
    result = run_here("archive", "ingest", inbox, "--no-ocr", *ws_args)
    assert result.code == 0 and (done / "izin.pdf").is_file() and not (inbox / "izin.pdf").exists()
    refused = run_here("archive", "ingest", inbox, "--move-to", workspace.archive_dir / "x", *ws_args)
    assert refused.code == 2 and "--move-to" in _one_line(refused)


def test_a_source_changed_after_reading_is_kept(workspace, tmp_path, ws_args, monkeypatch):
    """The source is removed only if it still has the bytes that were filed."""
    import importlib

    ingest_module = importlib.import_module("sikro_docs.archive.ingest")

    permit = make_permit(workspace)
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    scan = paper(inbox / "izin.pdf", permit.url)
    real = ingest_module._file_scan

    def file_then_change(*args, **kwargs):
        outcomes = real(*args, **kwargs)
        with open(scan, "ab") as fh:  # a person saves over the scan while it is being filed
            fh.write(b"\n% edited\n")
        return outcomes

    monkeypatch.setattr(ingest_module, "_file_scan", file_then_change)
    result = run_here("archive", "ingest", inbox, "--no-ocr", "--json", *ws_args)
    [outcome] = result.json()["files"]
    assert outcome["status"] == "filed" and "source kept" in outcome["message"]
    assert scan.is_file()
    shutil.rmtree(inbox)
