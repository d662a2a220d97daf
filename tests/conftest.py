"""Shared fixtures: a fresh workspace and the `sikro` command (in-process, or as a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sikro_docs.workspace import init_workspace


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_sikro(*args, cwd=None, env=None, timeout=120, process=False) -> Result:
    """`sikro ARGS` as a user would run it: in this process (sikro_docs.cli.main, its output and
    exit code captured by click's test runner), or with process=True — or $SIKRO_TEST_PROCESSES
    set — as a real `python -m sikro_docs` (for what a process is the point of: start-up, the
    environment of a fresh interpreter, a timeout)."""
    if process or os.environ.get("SIKRO_TEST_PROCESSES"):
        return _as_process(args, cwd, env, timeout)
    return _in_process(args, cwd, env)


def _as_process(args, cwd, env, timeout) -> Result:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SIKRO_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "sikro_docs", *map(str, args)],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _in_process(args, cwd, env) -> Result:
    from click.testing import CliRunner

    from sikro_docs import db
    from sikro_docs.cli import main

    runner = CliRunner()
    umask = os.umask(0o022)  # the CLI sets its own; the test process keeps its one
    os.umask(umask)
    here = os.getcwd()
    with runner.isolation(env={"SIKRO_DEBUG": None, **(env or {})}) as (out, err, _output):
        try:
            if cwd:
                os.chdir(cwd)
            main([str(a) for a in args])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            os.chdir(here)
            os.umask(umask)
            db.close_connections()  # as the command's process would at its end
        return Result(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


@pytest.fixture
def sikro():
    return run_sikro


ON_TEST_SERVER = os.environ.get("SIKRO_TEST_DATABASE") == "postgresql"


@pytest.fixture(scope="session")
def new_workspace(request):
    """`new_workspace(root)`: init_workspace for a test or a module-wide fixture that makes its own
    workspaces; in the PostgreSQL pass each one gets a migrated database of its own on the server."""
    server = request.getfixturevalue("pg_server") if ON_TEST_SERVER else None

    def make(root: Path):
        ws, _ = init_workspace(root)
        return use_database(ws.root, server.migrated_database()) if server else ws

    return make


@pytest.fixture
def database_env(monkeypatch, request):
    """In the PostgreSQL pass, $SIKRO_DATABASE_URL names an empty database of this test's own, so
    that a workspace a command makes itself (`sikro demo DIR`) is on the server too."""
    if ON_TEST_SERVER:
        monkeypatch.setenv("SIKRO_DATABASE_URL", request.getfixturevalue("pg_url"))


@pytest.fixture
def workspace(tmp_path, new_workspace):
    """A fresh workspace (on the server in the PostgreSQL pass)."""
    return new_workspace(tmp_path / "ws")


@pytest.fixture
def ws_args(workspace):
    """`--workspace DIR` for CLI calls on the fixture workspace."""
    return ["--workspace", str(workspace.root)]


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.err, result.err
    assert "Traceback" not in result.out, result.out


def needs_tool(available: bool, tool: str):
    """Skip a test on a developer machine without `tool`; in CI (where
    ./run.sh installs it) the test runs regardless, so a missing tool fails."""
    return pytest.mark.skipif(
        not available and not os.environ.get("CI"),
        reason=f"{tool} not installed (./run.sh test installs it)",
    )


def _have_soffice() -> bool:
    from sikro_docs.convert import LibreOfficeMissing, find_soffice

    try:
        find_soffice()
    except LibreOfficeMissing:
        return False
    return True


HAVE_SOFFICE = _have_soffice()
needs_soffice = needs_tool(HAVE_SOFFICE, "LibreOffice")


# PostgreSQL: one throwaway server per test session (tests/pg_support.py), a database per test.
from pg_support import PgServer, have_postgresql, use_database  # noqa: E402

HAVE_POSTGRESQL = have_postgresql()
needs_postgresql = needs_tool(HAVE_POSTGRESQL, "PostgreSQL (initdb, pg_ctl) and psycopg")


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer()
    try:
        yield server.start()
    finally:
        server.stop()  # also after a start that failed half-way: no cluster or folder is left behind


@pytest.fixture
def pg_url(pg_server):
    """A `postgresql+psycopg://` URL of an empty database of this test's own."""
    return pg_server.new_database()


@pytest.fixture
def pg_workspace(tmp_path, pg_url):
    """A fresh workspace whose `[database] url` is `pg_url` (its schema migrated there)."""
    from sikro_docs import db

    ws, _ = init_workspace(tmp_path / "ws")
    ws = use_database(ws.root, pg_url)
    db.migrate_once(ws)
    return ws


# The PostgreSQL pass ($SIKRO_TEST_DATABASE=postgresql, the second run of `./run.sh test`) runs the
# tests whose workspaces it puts on the server (`workspace`, `new_workspace`, `database_env`): the others
# would only run again as they did on SQLite (no database, `sikro init` itself, or a pg_workspace in
# both passes).
def pytest_collection_modifyitems(config, items):
    if not ON_TEST_SERVER:
        return
    keep, drop = [], []
    for item in items:
        on_server = {"workspace", "new_workspace", "database_env"} & set(getattr(item, "fixturenames", ()))
        (keep if on_server else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep
