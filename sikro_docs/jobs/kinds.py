"""The kinds of job, registered by name: what a job of each kind does with its parameters.

A kind is a provider, as document kinds are: the console, the API and `sikro jobs` submit
any registered kind by name, and an office (or a test) may register its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SikroError


class UnknownJobKind(SikroError):
    code = "job-kind-unknown"


class JobParamsInvalid(SikroError):
    code = "job-params-invalid"


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str  # Bahasa Indonesia: what the console lists
    run: Callable[[Any, dict, Any], dict]  # (workspace, params, JobContext) -> result (JSON)
    check: Callable[[Any, dict], None] = lambda ws, params: None  # refuse bad params at submission


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> JobKind:
    if name not in KINDS:
        raise UnknownJobKind(f"unknown job kind {name!r}; known: {', '.join(sorted(KINDS))}")
    return KINDS[name]


def _existing_file(params: dict) -> Path:
    path = params.get("path")
    if not isinstance(path, str) or not Path(path).is_file():
        raise JobParamsInvalid(f"{path!r} is not a file")
    return Path(path)


def _permit_type(ws, params: dict):
    from .. import permit_types

    code = params.get("permit_type")
    return permit_types.get(ws, code) if code else None


# --- the built-in kinds ----------------------------------------------------------------------

def _check_import(ws, params: dict) -> None:
    _existing_file(params)
    _permit_type(ws, params)


def _run_import(ws, params: dict, ctx) -> dict:
    from .. import registry
    from ..workflow.schedule import ensure_scheduled

    report = registry.import_file(ws, _existing_file(params), actor=ctx.actor, permit_type=_permit_type(ws, params),
                                  progress=lambda _row: ctx.advance(message="baris dibaca"))
    ensure_scheduled(ws)  # place the new applications for the inbox here, not in a page's request
    return report.as_json(codes=True)  # the result page words each problem from its code and values


def _check_batch(ws, params: dict) -> None:
    from ..numbering import document_kind

    _check_import(ws, params)
    document_kind(params.get("doc") or "")


def _run_batch(ws, params: dict, ctx) -> dict:
    from .. import batch

    options = batch.Options(pdf=bool(params.get("pdf", True)), draft=bool(params.get("draft")),
                            reissue=bool(params.get("reissue")), merge=bool(params.get("merge")),
                            actor=ctx.actor, permit_type=_permit_type(ws, params))
    report = batch.run_batch(ws, _existing_file(params), params["doc"], options,
                             progress=lambda _doc: ctx.advance(message="dokumen dibuat"))
    return report.as_json()


register(JobKind("import", "Impor permohonan", _run_import, _check_import))
register(JobKind("batch", "Pembuatan dokumen", _run_batch, _check_batch))
# The kinds of other areas register themselves when imported (after the built-in ones above).
from . import documents_job, ingest_job  # noqa: E402,F401
