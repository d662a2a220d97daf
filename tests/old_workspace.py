"""A workspace made by an older release of sikro-docs, for upgrade tests.

The old code is taken from git when the test runs (`git archive COMMIT`: never a committed copy)
and run in a child process with PYTHONPATH on it, as the office's machine ran it:

    code = old_code(tmp_path / "old-code")                      # the release before permit types
    root = build_old_workspace(code, tmp_path / "ws", permits=2)
    ws = open_workspace(root)                                   # the new code migrates it

The old release initialises the workspace, imports its sample workbook and issues `permits`
permits as its batch does (numbered, QR token signed and recorded; no LibreOffice). Run more of the
old code on it with `run_old_python(code, script, *args)` or `run_old_sikro(code, *args)`.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The last commit before permit types as data (issue 14): SIKRO built into the schema.
BEFORE_PERMIT_TYPES = "e092a27"
FROZEN = "2026-09-01T10:00:00+07:00"  # after the sample workbook's application dates (August 2026)


def old_code(dest: Path, commit: str = BEFORE_PERMIT_TYPES) -> Path:
    """The package (and its built-in templates) as `commit` had them, unpacked into `dest`."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit,
                                  "sikro_docs", "templates"], capture_output=True, check=True, timeout=120).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        pytest.skip(f"the old release {commit} is not in this checkout's git history ({err})")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run_old_python(code: Path, script: str, *args, timeout: int = 300) -> str:
    """Run `script` with the old code first on the path; its stdout (fails the test on an error)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("SIKRO_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=env, cwd=code,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"the old release failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_old_sikro(code: Path, *args, timeout: int = 300) -> subprocess.CompletedProcess:
    """`sikro ARGS` of the old release (its exit code and output, for the test to judge)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("SIKRO_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "sikro_docs", *map(str, args)], env=env, cwd=code,
                          capture_output=True, text=True, timeout=timeout)


BUILD = r'''
import sys
from pathlib import Path

from sikro_docs import clock, db, numbering, registry, samples, verification
from sikro_docs.models import Application
from sikro_docs.workspace import init_workspace

root, permits, frozen = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with clock.frozen(frozen):
    ws, _ = init_workspace(root)
    book = samples.write_sample_workbook(root / "permohonan.xlsx")
    registry.import_file(ws, book)
    with db.session(ws) as sess:
        ids = [a.id for a in registry.list_applications(sess) if registry.is_complete(a)][:permits]

    def sign(session, document):
        application = session.get(Application, document.application_id)
        token = verification.sign_document(ws, document, application, record=False)
        verification.record_signing(session, document.id, token)

    issued = numbering.issue_documents(
        ws, kind="permit", requests=[numbering.IssueRequest(i) for i in ids], on=clock.today(ws.profile),
        produce=lambda _document: [], on_finish=sign)
    for document in issued:
        print(document.number)
'''


def build_old_workspace(code: Path, dest: Path, *, permits: int = 2, frozen: str = FROZEN) -> tuple[Path, list[str]]:
    """A workspace the old release made: sample workbook imported, `permits` permits issued.

    Returns its root and the numbers of the permits.
    """
    out = run_old_python(code, BUILD, dest, permits, frozen)
    return dest, out.split()
