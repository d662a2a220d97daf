"""`sikro backup` of a workspace on PostgreSQL (a real server, tests/pg_support.py).

The snapshot's database is a SQLite copy of the server's, made in one REPEATABLE READ
transaction while the writers' lock is held: the same snapshot format as SQLite's, so
`backup verify` and `restore` work unchanged, and `db copy --to` brings it back to a server.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from conftest import needs_postgresql
from registers_support import _pg_sql
from test_backup import WRITER
from test_db_copy import BERKAS, NUMBERS, month_of_work

pytestmark = needs_postgresql


def _snapshot(dest: Path) -> Path:
    [snapshot] = [p for p in dest.iterdir() if not p.name.startswith(".")]
    return snapshot


def test_a_postgresql_workspace_backs_up_restores_and_goes_back_to_a_server(pg_workspace, pg_server, sikro,
                                                                            tmp_path):
    ws, args = pg_workspace, ["--workspace", str(pg_workspace.root)]
    month_of_work(ws, sikro, tmp_path)
    numbers, berkas = _pg_sql(ws.db_url, NUMBERS, ()), _pg_sql(ws.db_url, BERKAS, ())
    dest = tmp_path / "cadangan"
    made = sikro("backup", dest, "--json", *args)
    assert made.code == 0, made.err
    snapshot = _snapshot(dest)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["database"] == "postgresql"
    assert any(key.startswith("register_log/") for key in manifest["heads"])
    assert sikro("backup", "verify", dest).code == 0
    copy = sqlite3.connect(snapshot / "sikro.db")
    assert copy.execute(NUMBERS).fetchall() == numbers
    assert copy.execute(BERKAS).fetchall() == berkas
    assert copy.execute("SELECT count(*) FROM archive_fts WHERE archive_fts MATCH 'istimewa'").fetchone() == (1,)
    copy.close()

    restored = tmp_path / "pulih"
    assert sikro("restore", dest, restored).code == 0
    profile = tomllib.loads((restored / "sikro.toml").read_text())
    assert "url" not in profile.get("database", {})  # the restored workspace uses the backup's sikro.db
    checked = sikro("register", "verify", "--workspace", restored)
    assert checked.code == 0, checked.out + checked.err
    hits = sikro("archive", "search", "istimewa", "--json", "--workspace", restored).json()["hits"]
    assert len(hits) == 1

    again = pg_server.new_database()
    moved = sikro("db", "copy", "--to", again, "--switch", "--workspace", restored)
    assert moved.code == 0, moved.err
    assert _pg_sql(again, NUMBERS, ()) == numbers
    assert sikro("register", "verify", "--workspace", restored).code == 0


def test_backups_made_while_another_process_issues_on_postgresql_are_consistent(pg_workspace, sikro, tmp_path):
    ws = pg_workspace
    stop = tmp_path / "stop"
    script = WRITER.format(tests=str(Path(__file__).parent), root=str(ws.root), stop=str(stop))
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    dest = tmp_path / "cadangan"
    try:
        deadline = time.monotonic() + 60
        while len(_pg_sql(ws.db_url, "SELECT id FROM register_entries WHERE register = 'izin'", ())) < 3:
            assert writer.poll() is None and time.monotonic() < deadline, writer.stderr.read()
            time.sleep(0.2)
        for _ in range(2):
            made = sikro("backup", dest, "--workspace", ws.root)
            assert made.code == 0, made.err
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    snapshots = sorted(p for p in dest.iterdir() if not p.name.startswith("."))
    counts = []
    for i, snapshot in enumerate(snapshots):
        assert sikro("backup", "verify", snapshot).code == 0
        restored = tmp_path / f"pulih-{i}"
        assert sikro("restore", snapshot, restored).code == 0
        checked = sikro("register", "verify", "--workspace", restored)
        assert checked.code == 0, checked.out + checked.err  # keys/chain.head and the copy of one moment
        counts.append(len(json.loads(sikro("register", "list", "izin", "--json", "--workspace", restored).out)))
    assert 3 <= counts[0] <= counts[1] <= int(out)
