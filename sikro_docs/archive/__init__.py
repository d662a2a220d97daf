"""The archive (kearsipan): berkas as BagIt bags, filed scans, search, locations, retention, audits.

Public API:

    file_document(ws, document_id, paths) -> FilingResult    (an issued document's files)
    file_documents(ws, [(document_id, paths)...]) -> [FilingResult | SikroError]  (the batch, each round of PDFs)
    file_by_ref(ws, path, ref, kind=None) -> FilingResult     (`sikro archive add`)
    ingest(ws, paths, keep=False, do_ocr=True) -> IngestReport (`sikro archive ingest`)
    search(session, query) -> [Hit];  place(ws, ref, location);  locate(ws, ref)
    audit(ws) -> AuditReport;  reindex(ws) -> ReindexReport;  recover(ws)
    export_list(ws, "daftar-aktif"|"daftar-inaktif", path);  due_items(ws, on)
    write_labels(ws, box, path);  run_pending_ocr(ws)
"""

from __future__ import annotations

from .audit import AuditReport, audit
from .filing import FileOutcome, FilingResult, file_by_ref, file_document, file_documents, recover
from .index import Hit, fts_query, search
from .ingest import IngestReport, ingest, run_pending_ocr
from .labels import write_labels
from .lists import due_items, export_list
from .locations import locate, locate_line, place
from .rebuild import ReindexReport, reindex

__all__ = [
    "AuditReport", "FileOutcome", "FilingResult", "Hit", "IngestReport", "ReindexReport", "audit",
    "due_items", "export_list", "file_by_ref", "file_document", "file_documents", "fts_query", "ingest", "locate",
    "locate_line", "place", "recover", "reindex", "run_pending_ocr", "search", "write_labels",
]
