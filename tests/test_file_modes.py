"""Personal data at rest: the database, archive, outputs and keys are owner-only (or the office group's)."""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

import pytest
from conftest import assert_no_traceback, needs_soffice
from test_intake_support import make_workbook, valid_record


def loose(root: Path, allowed: int = 0) -> list[str]:
    """Every path under `root` (itself included) readable or writable by group or others beyond `allowed`."""
    found = []
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077 & ~allowed:
            found.append(f"{path.relative_to(root)} {mode:o}")
    return found


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def world_umask():
    """The umask of a careless login shell: the tool must not depend on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_init_makes_everything_owner_only(tmp_path, sikro, world_umask):
    root = tmp_path / "kantor"
    result = sikro("init", root)
    assert result.code == 0, result.err
    assert loose(root) == []
    assert mode_of(root / "sikro.db") == 0o600
    for folder in ("archive", "out", "keys", "templates"):
        assert mode_of(root / folder) == 0o700, folder


@needs_soffice
def test_import_and_batch_leave_owner_only_db_outputs_and_archive(tmp_path, sikro, world_umask):
    root = tmp_path / "kantor"
    assert sikro("init", root).code == 0
    book = make_workbook(tmp_path / "permohonan.xlsx", [valid_record(no_registrasi=None)])
    assert sikro("import", book, "--workspace", root).code == 0
    result = sikro("batch", book, "--doc", "receipt", "--pdf", "--workspace", root, timeout=300)
    assert result.code == 0, result.err
    pdfs = list((root / "out").rglob("*.pdf"))
    assert pdfs, "no PDF was made"
    assert [p for p in (root / "archive").rglob("*") if p.is_file()], "nothing was filed"
    assert loose(root) == []
    # the results workbook and the errors workbook beside the input carry NIKs too
    for made in (root / "out").rglob("*.xlsx"):
        assert mode_of(made) == 0o600, made


def test_init_on_an_existing_workspace_tightens_wrong_modes_and_says_which(tmp_path, sikro):
    root = tmp_path / "kantor"
    assert sikro("init", root).code == 0
    os.chmod(root / "sikro.db", 0o644)
    os.chmod(root / "out", 0o755)
    (root / "out" / "old.pdf").write_bytes(b"%PDF-1.7 data")
    os.chmod(root / "out" / "old.pdf", 0o664)
    key = next((root / "keys").glob("*.key"))
    os.chmod(key, 0o640)

    result = sikro("init", root)
    assert result.code == 0, result.err
    assert_no_traceback(result)
    assert "sikro.db" in result.out and "644" in result.out and "600" in result.out
    assert "out" in result.out and key.name in result.out
    assert mode_of(root / "sikro.db") == 0o600
    assert mode_of(root / "out") == 0o700
    assert mode_of(root / "out" / "old.pdf") == 0o600
    assert mode_of(key) == 0o600
    assert loose(root) == []
    again = sikro("init", root)
    assert "nothing was changed" in again.out


def set_group(root: Path, name: str) -> None:
    """Name the office group in the profile's [security] table (the default profile has one, commented)."""
    profile = root / "sikro.toml"
    text = profile.read_text()
    assert '# group = "dpmptsp"' in text
    profile.write_text(text.replace('# group = "dpmptsp"', f'group = "{name}"'))


def _another_group() -> grp.struct_group | None:
    if os.geteuid() != 0:
        return None
    return next((g for g in grp.getgrall() if g.gr_gid != os.getgid()), None)


def test_office_group_gets_read_access_but_never_the_keys(tmp_path, sikro):
    group = _another_group()
    if group is None:
        pytest.skip("needs root to give files to another group")
    root = tmp_path / "kantor"
    assert sikro("init", root).code == 0
    set_group(root, group.gr_name)
    result = sikro("init", root)
    assert result.code == 0, result.err
    assert mode_of(root / "sikro.db") == 0o640
    assert (root / "sikro.db").stat().st_gid == group.gr_gid
    assert mode_of(root / "out") & 0o777 == 0o750 and (root / "out").stat().st_gid == group.gr_gid
    assert mode_of(root / "keys") == 0o700
    assert all(mode_of(p) == 0o600 for p in (root / "keys").glob("*.key"))
    assert loose(root, allowed=0o050) == []


def test_unknown_office_group_is_one_line_exit_2(tmp_path, sikro):
    root = tmp_path / "kantor"
    assert sikro("init", root).code == 0
    set_group(root, "tidak-ada-grup-ini")
    result = sikro("list", "--workspace", root)
    assert result.code == 2
    assert "tidak-ada-grup-ini" in result.err and "[security]" in result.err
    assert_no_traceback(result)
