"""Files a person hands in through the console: a workbook, a JSON file, scans.

    async with received(console, request, max_files=1) as upload:
        upload.fields  -> {"csrf": [...], ...}   (the form's text fields)
        upload.files   -> [Received(name, path, size), ...]  (owner-only files under run/uploads/)

The multipart body is parsed by Starlette's parser (python-multipart); its whole
size is bounded by the Guard ([limits.console] upload_bytes, 413 beyond), the
number of files and fields here (400 beyond). Each file is copied into a fresh
owner-only folder of the workspace's run/uploads/ under a name of safe
characters, the person's own name kept for display only; the folder is removed
when the block ends unless `keep()` was called: then it stays with the job that
reads it (an import writes its errors workbook beside the file).
A request that is not multipart has no files (a page answers its form again).

`sweep(ws)` (at each start of `sikro console`) removes what is left over: a folder
no job names (a request killed before it ended, a job never submitted) once it is
an hour old, and a job's folder `KEEP_DAYS` after the job finished — the people's
files are not kept forever; what they registered is in the registry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .. import clock, db
from ..fsutil import fsync_dir

SAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120  # characters of a file's name as kept (its display name is cut as well)
CHUNK = 1 << 20
KEEP_DAYS = 30  # a finished job's files (its result page links the errors workbook) stay this long
ORPHAN_AGE = dt.timedelta(hours=1)  # longer than any request takes


@dataclass(frozen=True)
class Received:
    name: str  # as the person's browser named it (display only: never a path)
    path: Path  # where it is now: <workspace>/run/uploads/<random>/<safe name>
    size: int


@dataclass
class Upload:
    folder: Path
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[Received] = field(default_factory=list)
    kept: bool = False

    def field(self, name: str) -> str:
        return ((self.fields.get(name) or [""])[0] or "").strip()

    def keep(self) -> Path:
        """Leave the folder in place: a job reads the files later."""
        self.kept = True
        return self.folder


def uploads_root(ws) -> Path:
    return Path(ws.root) / "run" / "uploads"


def safe_name(name: str | None, index: int) -> str:
    stem = SAFE.sub("_", Path(name or "").name).strip("._")[:MAX_NAME]
    return stem or f"berkas-{index}"


@contextlib.asynccontextmanager
async def received(ws, request: Request, *, max_files: int, max_fields: int = 40):
    folder = uploads_root(ws) / secrets.token_hex(12)
    folder.mkdir(parents=True, mode=0o700)
    upload = Upload(folder)
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            await _read(request, upload, max_files, max_fields)
        yield upload
    finally:
        if not upload.kept:
            shutil.rmtree(folder, ignore_errors=True)


async def _read(request: Request, upload: Upload, max_files: int, max_fields: int) -> None:
    try:
        form = await request.form(max_files=max_files, max_fields=max_fields)
    except HTTPException:
        raise
    except Exception:  # noqa: BLE001 — a body the parser cannot read is the client's mistake
        raise HTTPException(400) from None
    try:
        for index, (key, value) in enumerate(form.multi_items()):
            if isinstance(value, UploadFile):
                if value.filename:
                    upload.files.append(await _copy(value, upload.folder, index))
            else:
                upload.fields.setdefault(key, []).append(value)
    finally:
        await form.close()
    fsync_dir(upload.folder)


async def _copy(value: UploadFile, folder: Path, index: int) -> Received:
    name = safe_name(value.filename, index)
    target = folder / f"{index:02d}-{name}"
    size = 0
    with open(target, "xb") as out:  # the folder is the request's own: nothing there to replace
        target.chmod(0o600)
        while chunk := await value.read(CHUNK):
            out.write(chunk)
            size += len(chunk)
    return Received((value.filename or name)[:MAX_NAME], target, size)


def sweep(ws, *, now: dt.datetime | None = None) -> list[Path]:
    """Remove the upload folders nothing needs any more (see the module); returns them."""
    from ..jobs import FINISHED, Job  # late: the jobs package imports the job kinds

    root, now = uploads_root(ws), now or clock.utcnow()
    if not root.is_dir():
        return []
    wanted: dict[str, Job] = {}
    with db.session(ws) as session:
        for job in session.scalars(select(Job)):
            for folder in _folders_named(root, job.params or {}):
                wanted[folder] = job
    removed = []
    for folder in root.iterdir():
        job = wanted.get(folder.name)
        if job is None:
            stale = now - dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC) > ORPHAN_AGE
        else:
            finished = job.finished_at and job.status in FINISHED
            stale = bool(finished) and now - job.finished_at > dt.timedelta(days=KEEP_DAYS)
        if stale and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _folders_named(root: Path, params) -> set[str]:
    """The upload folders a job's parameters name anywhere (a path, in a list or a mapping, under `root`)."""
    if isinstance(params, dict):
        return set().union(*(_folders_named(root, v) for v in params.values()))
    if isinstance(params, list):
        return set().union(*(_folders_named(root, v) for v in params))
    if isinstance(params, str) and params.startswith(str(root) + "/"):
        return {Path(params).relative_to(root).parts[0]}
    return set()


