"""The environment every child process (LibreOffice, its UNO bridge, tesseract) gets: an allow-list.

The clerk's environment may hold secrets — `$SIKRO_P12_PASSPHRASE` above all —
and a child has no use for them: LibreOffice loads documents from outside,
and whatever it runs must not find the signing passphrase in its
environment. So children get only what they need to run and to speak the
office's language, never a `SIKRO_*` variable, whatever the allow-list says.
"""

from __future__ import annotations

import os
from pathlib import Path

# Exact names a child may inherit.
ALLOWED = frozenset({
    "PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
    "TESSDATA_PREFIX", "OMP_THREAD_LIMIT",        # tesseract
    "UNO_PATH", "URE_BOOTSTRAP",                   # pyuno outside Debian's layout
    "FONTCONFIG_FILE", "FONTCONFIG_PATH",          # the fonts LibreOffice renders with
})
# Name prefixes a child may inherit: locale, LibreOffice's own switches.
ALLOWED_PREFIXES = ("LC_", "SAL_", "OOO_")
NEVER_PREFIX = "SIKRO_"


def child_env(home: str | os.PathLike | None = None, **extra: str) -> dict[str, str]:
    """A clean environment for a child: the allow-listed variables of ours, HOME, then `extra`.

    `home` (a worker's private folder) keeps LibreOffice's and fontconfig's
    caches out of the clerk's home; without it the child keeps our HOME.
    """
    env = {name: value for name, value in os.environ.items() if _allowed(name)}
    chosen_home = str(home) if home is not None else os.environ.get("HOME")
    if chosen_home:
        env["HOME"] = chosen_home
    env.setdefault("PATH", os.defpath)
    env.update({name: str(value) for name, value in extra.items() if not name.startswith(NEVER_PREFIX)})
    return env


def _allowed(name: str) -> bool:
    if name.startswith(NEVER_PREFIX):
        return False
    return name in ALLOWED or name.startswith(ALLOWED_PREFIXES)


def home_for(worker_root: Path) -> Path:
    """A HOME folder inside a worker's private folder (created)."""
    home = Path(worker_root) / "home"
    home.mkdir(mode=0o700, exist_ok=True)
    return home


def end_with_parent(sig: int, parent: int) -> None:
    """In a child, first thing: the kernel sends it `sig` when its parent dies (Linux's
    PR_SET_PDEATHSIG), so a parent killed with -9 leaves no child waiting for it forever.

    `parent` is the pid the parent had before it started the child (`os.getpid()` there):
    the child cannot learn it itself, since a parent dead before this call has already
    been replaced by init, and the child would then watch the wrong process."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # not Linux: such a child ends when it next finds its parent gone
    if os.getppid() != parent:  # the parent died before the call: nobody would send it
        os.kill(os.getpid(), sig)
