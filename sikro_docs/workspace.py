"""The workspace: one office's profile, database, keys, templates and archive.

A workspace is a folder with `sikro.toml` in it. `sikro.toml` is written
last by `init`, so a folder without it is never mistaken for a finished
workspace, and an interrupted `init` can simply be run again.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import NoWorkspace, SikroError
from .fsutil import atomic_write_bytes
from .keys import chain_secret, create_signing_key

PROFILE_NAME = "sikro.toml"
DB_NAME = "sikro.db"
ENV_VAR = "SIKRO_WORKSPACE"
SUBFOLDERS = ("archive", "keys", "templates", "out")


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
        return self.profile.get("database", {}).get("url") or f"sqlite:///{self.db_path}"

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


def default_profile_text() -> str:
    return resources.files("sikro_docs.data").joinpath("profile.toml").read_text(encoding="utf-8")


def load_profile(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise NoWorkspace(f"{path}: not a valid profile: {exc}") from None


def resolve_root(explicit: str | os.PathLike | None) -> Path:
    """--workspace, else $SIKRO_WORKSPACE, else the current directory."""
    chosen = explicit or os.environ.get(ENV_VAR) or os.getcwd()
    return Path(chosen).expanduser().resolve()


def open_workspace(explicit: str | os.PathLike | None = None) -> Workspace:
    root = resolve_root(explicit)
    profile_path = root / PROFILE_NAME
    if not profile_path.is_file():
        raise NoWorkspace(
            f"no sikro workspace at {root} (no {PROFILE_NAME}); "
            f"create one with: sikro init {root}"
        )
    return Workspace(root=root, profile=load_profile(profile_path))


def init_workspace(root: Path) -> tuple[Workspace, bool]:
    """Create a workspace at `root`; returns (workspace, created).

    An existing workspace is left exactly as it is.
    """
    root = Path(root).expanduser().resolve()
    profile_path = root / PROFILE_NAME
    if profile_path.is_file():
        return Workspace(root=root, profile=load_profile(profile_path)), False
    if root.exists() and not root.is_dir():
        raise SikroError(f"{root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    for name in SUBFOLDERS:
        (root / name).mkdir(exist_ok=True)
    os.chmod(root / "keys", 0o700)
    if not any((root / "keys").glob("*.key")):
        create_signing_key(root / "keys")
    chain_secret(root / "keys")
    text = default_profile_text()
    workspace = Workspace(root=root, profile=tomllib.loads(text))
    from .db import migrate  # late import: db needs a Workspace

    migrate(workspace)
    atomic_write_bytes(profile_path, text.encode("utf-8"))
    return workspace, True


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
