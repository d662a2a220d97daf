"""`sikro init`, finding the workspace, and the schema it creates."""

from __future__ import annotations

import sqlite3
import stat
import tomllib

import pytest
from conftest import assert_no_traceback
from registers_support import database_errors, sql


def snapshot(root):
    return {p.relative_to(root): (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*")
            if p.is_file() and not p.name.startswith("sikro.db")}


def test_init_creates_profile_db_keys_archive_templates(tmp_path, sikro):
    root = tmp_path / "kantor"
    result = sikro("init", root)
    assert result.code == 0, result.err
    profile = tomllib.loads((root / "sikro.toml").read_text())
    for key in ("regency", "name_lines", "address_lines"):
        assert profile["office"][key]
    for official in ("kepala_dinas", "sekretaris", "kabid_pelayanan"):
        assert {"name", "rank", "nip"} <= profile["officials"][official].keys()
    assert {"registrasi", "surat-keluar", "keputusan"} <= profile["registers"].keys()
    assert profile["working_time"]["start"] == "08:00"
    assert profile["verification"]["base_url"].startswith("https://")
    assert profile["permit_types"]["default"] == "sikro"  # validity is each permit type's
    assert (root / "archive").is_dir() and (root / "templates").is_dir()
    assert list((root / "templates").iterdir()) == []
    tables = {r[0] for r in sqlite3.connect(root / "sikro.db").execute(
        "select name from sqlite_master where type='table'")}
    assert {"applications", "events", "alembic_version"} <= tables


def test_signing_key_is_owner_only(tmp_path, sikro):
    root = tmp_path / "ws"
    assert sikro("init", root).code == 0
    keys = list((root / "keys").glob("*.key"))
    assert len(keys) == 1
    assert stat.S_IMODE(keys[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "keys").stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in keys[0].read_bytes()


def test_init_twice_changes_nothing(tmp_path, sikro):
    root = tmp_path / "ws"
    assert sikro("init", root).code == 0
    (root / "sikro.toml").write_text((root / "sikro.toml").read_text() + "\n# edited by the office\n")
    before = snapshot(root)
    again = sikro("init", root)
    assert again.code == 0
    assert "already" in again.out and "nothing was changed" in again.out
    assert snapshot(root) == before


def test_command_without_workspace_exits_2_and_says_how(tmp_path, sikro):
    result = sikro("list", cwd=tmp_path, env={"SIKRO_WORKSPACE": ""})
    assert result.code == 2
    assert "sikro init" in result.err and str(tmp_path) in result.err
    assert_no_traceback(result)


def test_workspace_from_env_and_option(tmp_path, sikro):
    root = tmp_path / "ws"
    assert sikro("init", root).code == 0
    assert sikro("list", cwd=tmp_path, env={"SIKRO_WORKSPACE": str(root)}).code == 0
    assert sikro("list", "--workspace", root, cwd=tmp_path).code == 0
    assert sikro("list", cwd=root).code == 0


def test_broken_profile_is_one_line_error(tmp_path, sikro):
    root = tmp_path / "ws"
    assert sikro("init", root).code == 0
    (root / "sikro.toml").write_text("[office\nname = 'x'\n")
    result = sikro("list", "--workspace", root)
    assert result.code == 2
    assert "sikro.toml" in result.err and "not a valid profile" in result.err
    assert_no_traceback(result)


def test_events_table_is_append_only(workspace):
    sql(workspace, "insert into events (at, actor, action, details) values ('2026-01-01', 'x', 'y', '{}')")
    for statement in ("update events set actor='z'", "delete from events"):
        with pytest.raises(database_errors(), match="append-only"):
            sql(workspace, statement)


def test_workspace_option_before_the_command(workspace, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sikro_docs.cli import cli

    monkeypatch.delenv("SIKRO_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    before = runner.invoke(cli, ["--workspace", str(workspace.root), "list"])
    assert before.exit_code == 0, before.output
    after = runner.invoke(cli, ["list", "--workspace", str(workspace.root)])
    assert after.exit_code == 0, after.output
    # the command's own option wins over the group's
    both = runner.invoke(cli, ["--workspace", str(tmp_path / "nowhere"), "list", "--workspace", str(workspace.root)])
    assert both.exit_code == 0, both.output
    nowhere = runner.invoke(cli, ["--workspace", str(tmp_path / "nowhere"), "list"])
    assert nowhere.exit_code != 0 and "no sikro workspace" in str(nowhere.exception)


def test_init_takes_the_workspace_given_before_the_command(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from sikro_docs.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "kantor"), "init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kantor" / "sikro.toml").is_file() and not (tmp_path / "sikro.toml").exists()
