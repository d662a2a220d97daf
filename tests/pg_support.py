"""A throwaway PostgreSQL server for the tests: a cluster in a temporary folder, reached by its Unix socket.

`PgServer.start()` runs initdb and pg_ctl (Debian's binaries: on the PATH, or in
/usr/lib/postgresql/<version>/bin); the server listens on no TCP port, only on a
socket in its own folder, trusts local connections and is stopped and removed by
`stop()`. PostgreSQL refuses to run as root: when the tests run as root (CI does),
the cluster belongs to the unprivileged user `sikro-test` (made with useradd when
missing; `nobody` where that fails), and the server is run as that user via runuser.

`new_database()` makes an empty database and returns its SQLAlchemy URL
(`postgresql+psycopg://postgres@/NAME?host=FOLDER`). The fixtures are in conftest.py.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

TEST_USER = "sikro-test"
SUPERUSER = "postgres"  # the cluster's own role (initdb -U), not an account of the machine


def pg_bin(tool: str) -> str | None:
    """Where `tool` (initdb, pg_ctl) is: the PATH first, then Debian's versioned folders (newest first)."""
    found = shutil.which(tool)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"),
                      key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return versions[-1] if versions else None


def have_postgresql() -> bool:
    return all(pg_bin(tool) for tool in ("initdb", "pg_ctl", "postgres")) and _have_psycopg()


def _have_psycopg() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True


def _unprivileged_user() -> str:
    """The account the cluster runs as when we are root: sikro-test, made once; else nobody."""
    try:
        pwd.getpwnam(TEST_USER)
        return TEST_USER
    except KeyError:
        pass
    made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                          capture_output=True, text=True)
    if made.returncode == 0 or _user_exists(TEST_USER):
        return TEST_USER
    return "nobody"


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@dataclass
class PgServer:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sikro-pg-")))
    user: str | None = None  # run as this account (None: as ourselves)
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))
    _template: str | None = None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def start(self) -> PgServer:
        if os.geteuid() == 0 and self.user is None:
            self.user = _unprivileged_user()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        os.chmod(self.folder, 0o700)
        self._run(pg_bin("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        # No TCP at all, a socket in our own folder; fsync off: a test cluster need not survive a crash.
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' -c fsync=off " \
                  "-c max_connections=200 -c synchronous_commit=off -c full_page_writes=off"
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        if self.data.is_dir():
            self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres", *, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def admin(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE needs that) on the `postgres` database."""
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            conn.execute(statement)

    def migrated_database(self) -> str:
        """A database of its own with the schema at head: a copy of a template migrated once per
        server (CREATE DATABASE ... TEMPLATE copies files, where migrating anew takes seconds)."""
        if self._template is None:
            self._template = self._migrate_template()
        name = f"sikro_test_{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return self.url(name)

    def _migrate_template(self) -> str:
        from sikro_docs import db
        from sikro_docs.workspace import init_workspace

        name = f"sikro_template_{os.getpid()}"
        self.admin(f'CREATE DATABASE "{name}"')
        with tempfile.TemporaryDirectory(prefix="sikro-pg-template-") as tmp:
            ws, _ = init_workspace(Path(tmp) / "ws")
            db.migrate_once(use_database(ws.root, self.url(name)))
        db.close_connections()  # a template must have no connection left when it is copied
        return name

    def new_database(self, prefix: str = "sikro_test") -> str:
        """An empty database of its own; returns its SQLAlchemy URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)


def use_database(ws_root: Path, url: str):
    """Point the workspace at `root` to `url` (its sikro.toml's `[database] url`); returns it opened again.

    The sikro.db `init` made goes: a test that still reads it with sqlite3 then fails
    loudly (no such table) instead of finding an empty register.
    """
    from sikro_docs.workspace import DB_NAME, PROFILE_NAME, open_workspace

    profile = ws_root / PROFILE_NAME
    text = profile.read_text(encoding="utf-8")
    assert "\n[database]" not in text, "the default profile has a [database] table now: set its url instead"
    profile.write_text(text + f'\n[database]\nurl = "{url}"\n', encoding="utf-8")
    for suffix in ("", "-wal", "-shm"):
        (ws_root / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    return open_workspace(ws_root)
