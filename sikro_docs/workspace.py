"""The workspace: one office's profile, database, keys, templates and archive.

A workspace is a folder with `sikro.toml` in it. `sikro.toml` is written
last by `init`, so a folder without it is never mistaken for a finished
workspace, and an interrupted `init` can simply be run again.
"""

from __future__ import annotations

import copy
import functools
import grp
import json
import os
import stat
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import EXIT_UNUSABLE, NoWorkspace, SikroError
from .fsutil import atomic_write_bytes
from .keys import chain_secret, create_signing_key

PROFILE_NAME = "sikro.toml"
DB_NAME = "sikro.db"
ENV_VAR = "SIKRO_WORKSPACE"
DATABASE_ENV_VAR = "SIKRO_DATABASE_URL"
SUBFOLDERS = ("archive", "keys", "templates", "out")
# Personal data at rest (full NIK, address, phone): what the tool creates is
# owner-only, or readable by the office group that `[security] group` names.
PRIVATE_UMASK = 0o077
GROUP_UMASK = 0o027


@dataclass(frozen=True)
class Workspace:
    root: Path
    profile: dict

    @property
    def profile_path(self) -> Path:
        return self.root / PROFILE_NAME

    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def db_url(self) -> str:
        """$SIKRO_DATABASE_URL, else the profile's `[database] url`, else sikro.db in the workspace.

        `postgresql://` means psycopg 3 (SQLAlchemy's own default for it is psycopg2).
        """
        url = os.environ.get(DATABASE_ENV_VAR) or self.profile.get("database", {}).get("url")
        return normalise_db_url(url) if url else f"sqlite:///{self.db_path}"

    @property
    def archive_dir(self) -> Path:
        configured = self.profile.get("archive", {}).get("root", "archive")
        return (self.root / configured).resolve()

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def access(self) -> Access:
        return access_of(self.profile, self.profile_path)


def normalise_db_url(url: str) -> str:
    """A database URL as SQLAlchemy is to open it: `postgresql://` and `postgres://` through psycopg 3."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


class UnknownGroup(SikroError):
    code = "unknown-group"
    exit_code = EXIT_UNUSABLE

    def __init__(self, profile_path: Path, group: str):
        self.profile_path, self.group = profile_path, group
        super().__init__(f"{profile_path}: [security] group {group!r} is not a group on this machine")


@dataclass(frozen=True)
class Access:
    """Who may read a workspace: its owner, and the office group when the profile names one."""

    gid: int | None = None

    @property
    def umask(self) -> int:
        return PRIVATE_UMASK if self.gid is None else GROUP_UMASK

    @property
    def file_mode(self) -> int:
        return 0o600 if self.gid is None else 0o640

    @property
    def dir_mode(self) -> int:
        return 0o700 if self.gid is None else 0o750


def access_of(profile: dict, profile_path: Path = Path(PROFILE_NAME)) -> Access:
    name = (profile.get("security") or {}).get("group")
    if not name:
        return Access()
    try:
        return Access(gid=grp.getgrnam(str(name)).gr_gid)
    except KeyError:
        raise UnknownGroup(profile_path, str(name)) from None


def default_profile_text() -> str:
    return resources.files("sikro_docs.data").joinpath("profile.toml").read_text(encoding="utf-8")


@functools.cache
def _default_profile() -> dict:
    return tomllib.loads(default_profile_text())


def default_profile() -> dict:
    """The built-in profile, parsed once per process (a deep copy: callers may change theirs)."""
    return copy.deepcopy(_default_profile())


def default_section(name: str) -> dict:
    """One section of the built-in profile, read-only: shared, so never to be changed."""
    return _default_profile().get(name, {})


def load_profile(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise NoWorkspace(f"{path}: not a valid profile: {exc}") from None


def resolve_root(explicit: str | os.PathLike | None) -> Path:
    """The command's --workspace, else `sikro --workspace DIR COMMAND`'s, else $SIKRO_WORKSPACE,
    else the current directory."""
    chosen = explicit or workspace_before_command() or os.environ.get(ENV_VAR) or os.getcwd()
    return Path(chosen).expanduser().resolve()


def workspace_before_command() -> str | None:
    """The `--workspace` given to `sikro` itself, before the command (kept in click's ctx.obj)."""
    import click  # late: the library works without the CLI

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj.get("workspace_dir") if isinstance(obj, dict) else None


def open_workspace(explicit: str | os.PathLike | None = None) -> Workspace:
    root = resolve_root(explicit)
    profile_path = root / PROFILE_NAME
    if not profile_path.is_file():
        raise NoWorkspace(
            f"no sikro workspace at {root} (no {PROFILE_NAME}); "
            f"create one with: sikro init {root}"
        )
    ws = Workspace(root=root, profile=load_profile(profile_path))
    os.umask(ws.access.umask)
    return ws


def init_workspace(root: Path) -> tuple[Workspace, bool]:
    """Create a workspace at `root`; returns (workspace, created).

    An existing workspace is left as it is, but for modes that let others
    read it (see tighten_modes, which the caller runs).
    """
    root = Path(root).expanduser().resolve()
    profile_path = root / PROFILE_NAME
    if profile_path.is_file():
        return Workspace(root=root, profile=load_profile(profile_path)), False
    if root.exists() and not root.is_dir():
        raise SikroError(f"{root} exists and is not a folder")
    os.umask(PRIVATE_UMASK)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    for name in SUBFOLDERS:
        (root / name).mkdir(mode=0o700, exist_ok=True)
    os.chmod(root / "keys", 0o700)
    if not any((root / "keys").glob("*.key")):
        create_signing_key(root / "keys")
    chain_secret(root / "keys")
    text = default_profile_text()
    workspace = Workspace(root=root, profile=tomllib.loads(text))
    from .db import migrate  # late import: db needs a Workspace

    migrate(workspace)
    atomic_write_bytes(profile_path, text.encode("utf-8"), mode=0o600)
    tighten_modes(workspace)  # a folder that existed before init keeps no loose mode
    return workspace, True


@dataclass(frozen=True)
class ModeFix:
    path: Path
    old: int
    new: int
    regrouped: bool = False

    def __str__(self) -> str:
        change = f"{self.old & 0o7777:04o} -> {self.new & 0o7777:04o}"
        return f"{self.path}: {change}" + (" (office group)" if self.regrouped else "")


def tighten_modes(ws: Workspace) -> list[ModeFix]:
    """Give every file and folder of the workspace the mode its data needs; returns what changed.

    Owner-only (0600/0700), or 0640/0750 and the office group's when the
    profile names one (folders then setgid, so new files get the group);
    keys/ is always owner-only. Symbolic links are not followed.
    """
    access = ws.access
    roots = [ws.root] + ([ws.archive_dir] if not ws.archive_dir.is_relative_to(ws.root) else [])
    fixes = []
    for top in roots:
        if not top.is_dir():
            continue
        fixes += _fix(top, ws, access)
        for folder, dirs, files in os.walk(top):  # never follows a symbolic link
            for name in dirs + files:
                fixes += _fix(Path(folder) / name, ws, access)
    return fixes


def _fix(path: Path, ws: Workspace, access: Access) -> list[ModeFix]:
    try:
        info = path.lstat()
    except OSError:
        return []
    if stat.S_ISLNK(info.st_mode) or not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        return []
    secret = path == ws.keys_dir or path.is_relative_to(ws.keys_dir)
    gid = None if secret else access.gid
    old = stat.S_IMODE(info.st_mode)
    new = _wanted_mode(old, stat.S_ISDIR(info.st_mode), gid is not None)
    regroup = gid is not None and info.st_gid != gid
    if new == old and not regroup:
        return []
    try:
        if regroup:
            os.chown(path, -1, gid, follow_symlinks=False)
        os.chmod(path, new)
    except OSError:
        return []  # not ours to change (another owner): left as it is
    return [ModeFix(path, old, new, regroup)]


def _wanted_mode(old: int, is_dir: bool, group: bool) -> int:
    """Owner bits as they are (rwx for folders); group read (+x, setgid) only for the office group."""
    owner = (old & 0o700) | (0o700 if is_dir else 0)
    if not group:
        return owner
    return owner | (0o2050 if is_dir else 0o040 | (old & 0o010))


def append_profile_section(ws: Workspace, name: str, values: dict, comment: str = "") -> Workspace:
    """Add a `[name]` table to sikro.toml (kept as the office wrote it otherwise).

    Values are strings or lists of strings; JSON's string syntax is valid TOML.
    """
    if name in ws.profile:
        raise SikroError(f"{ws.profile_path} already has a [{name}] section; edit it there")
    lines = [f"\n# {comment}" if comment else "", f"[{name}]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    text = ws.profile_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    tomllib.loads(text)  # never write a profile that does not parse
    atomic_write_bytes(ws.profile_path, text.encode("utf-8"))
    return Workspace(root=ws.root, profile=load_profile(ws.profile_path))
