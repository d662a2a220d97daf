"""Shared fixtures: a fresh workspace and the `sikro` command run as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from sikro_docs.workspace import init_workspace


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_sikro(*args, cwd=None, env=None, timeout=120) -> Result:
    """Run `python -m sikro_docs ARGS` as a user would run `sikro ARGS`."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("SIKRO_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "sikro_docs", *map(str, args)],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def sikro():
    return run_sikro


@pytest.fixture
def workspace(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    return ws


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
