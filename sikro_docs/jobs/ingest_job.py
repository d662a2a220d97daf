"""The `ingest` job: scans handed in through the console, filed by archive.ingest as `sikro archive ingest`.

    jobs.submit(ws, "ingest", {"files": [{"path": "/ws/run/uploads/ab12/00-scan.pdf", "name": "scan.pdf"}]},
                actor="arsip.rina")

`path`: the console's kept copy of an upload (uploads.py); `name`: what the person's browser
called it, the only name the result shows (never a server path). The result lists every file
with its status (filed, duplicate, unmatched, quarantined, skipped, failed), its berkas and
document number when filed, and the library's reason otherwise. Ingest keeps the uploaded
copies (they are inside the workspace: ingest never removes a workspace's file).
"""

from __future__ import annotations

import multiprocessing
from contextlib import contextmanager
from pathlib import Path

from .kinds import JobKind, JobParamsInvalid, register

MAX_FILES = 200  # a job's scans: the console's form takes fewer; a bound on what `sikro jobs` may ask


def _files(params: dict) -> list[dict]:
    files = params.get("files")
    if not isinstance(files, list) or not files or len(files) > MAX_FILES:
        raise JobParamsInvalid(f"ingest: give 1 to {MAX_FILES} files as [{{\"path\", \"name\"}}]")
    for item in files:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not Path(item["path"]).is_file():
            raise JobParamsInvalid(f"ingest: {item!r} is not a file")
    return files


def _check(ws, params: dict) -> None:
    _files(params)


def _shown(outcome, names: dict[str, str]) -> dict:
    """An outcome as the result keeps it: the person's file name in place of the server's path."""
    data = outcome.as_json()
    name = names.get(data["path"], Path(data["path"]).name)
    message = data["message"] or ""
    for path, shown in names.items():
        message = message.replace(path, shown).replace(str(Path(path).parent), "")
    # the uploads sit in the workspace, so ingest always keeps them: not news to the person
    message = message.replace("; source kept (it is inside the workspace)", "")
    return {"name": name, "status": data["status"], "berkas": data["berkas"], "number": data["number"],
            "message": message}


@contextmanager
def _may_start_processes():
    """The worker's processes are daemonic (huey's process pool), and a daemonic process may not
    start children, while ingest reads every file in a reading process of its own (the memory
    bound and the time limit that stop a hostile file). The flag is lifted while the job runs:
    ingest shuts its reading processes down (kills them, if need be) before it returns."""
    process = multiprocessing.current_process()
    config = process._config  # noqa: SLF001 - multiprocessing offers no other way to ask for this
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


def _run(ws, params: dict, ctx) -> dict:
    from ..archive import ingest

    files = _files(params)
    names = {str(Path(f["path"])): str(f.get("name") or Path(f["path"]).name) for f in files}
    ctx.report(total=len(files), message="pindaian dibaca", force=True)
    with _may_start_processes():
        report = ingest(ws, [f["path"] for f in files], keep=True, do_ocr=bool(params.get("ocr", True)),
                        agent=ctx.actor, progress=lambda outcomes: ctx.advance(by=len(outcomes),
                                                                               message="pindaian diarsipkan"))
    return {"files": [_shown(o, names) for o in report.files], "notes": report.notes}


register(JobKind("ingest", "Pemindaian ke arsip", _run, _check))
