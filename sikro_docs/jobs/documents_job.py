"""The `documents` job: one document kind for registered applications, as `sikro generate` makes it.

    jobs.submit(ws, "documents", {"kind": "permit", "refs": ["REG/00001/SIPB/2027"], "draft": False},
                actor="budi")

The batch (batch.generate) numbers, renders, converts to PDF/A, files into the archive, writes the
results workbook and one merged PDF for printing. Run again, it issues nothing new: the registers
give back the documents already issued (so a job a dead worker left is simply run again). The
result is the batch's report, each document with its registry id (the console's downloads go by it).
"""

from __future__ import annotations

from .kinds import JobKind, JobParamsInvalid, register

MAX_REFS = 1000  # one job; a bigger selection is several jobs (each one's results page stays readable)


def renderable_kinds() -> list[str]:
    """The document kinds a batch can make: those with a template (documents.KINDS, from the data)."""
    from ..documents import KINDS

    return list(KINDS)


def _check(ws, params: dict) -> None:
    kind, refs = params.get("kind"), params.get("refs")
    if kind not in renderable_kinds():
        raise JobParamsInvalid(f"unknown document kind {kind!r}; known: {', '.join(renderable_kinds())}")
    if not isinstance(refs, list) or not 0 < len(refs) <= MAX_REFS or \
            not all(isinstance(ref, str) and ref.strip() for ref in refs):
        raise JobParamsInvalid(f"refs must be 1 to {MAX_REFS} registration numbers")


def _run(ws, params: dict, ctx) -> dict:
    from .. import batch

    refs = params["refs"]
    ctx.report(total=len(refs), message="dokumen dibuat", force=True)
    options = batch.Options(pdf=True, draft=bool(params.get("draft")), merge=True, actor=ctx.actor)
    report = batch.generate(ws, params["kind"], refs, options,
                            progress=lambda _doc: ctx.advance(message="dokumen dibuat"))
    result = report.as_json()
    for shown, made in zip(result["documents"], report.documents):
        shown["document_id"] = made.document_id
    return result


register(JobKind("documents", "Pembuatan dokumen terpilih", _run, _check))
